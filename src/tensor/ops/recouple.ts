/**
 * The squeeze of Info-Recoupling (paper Sec. 3.2; docs/paper-map.md, "Units and blocks"): a unit's
 * squeeze-and-expand reads only the per-channel mean over H x W of
 *     mix = scale·inp + (1 - scale)·main,     scale [1, C, 1, 1], inp and main [N, C, H, W],
 * (its first layer is AdaptiveAvgPool2d(1)). This op gives that mean, [N, C, 1, 1], in one pass
 * over inp and main, without the full-size mix and the three full-size intermediates that
 * add(mul(scale, inp), mul(sub(1, scale), main)) would allocate, each again in the backward.
 *
 * It is that composition followed by adaptiveAvgPool2d(x, 1), bit for bit, values and gradients:
 * every element of mix is rounded to float32 after each product and after the sum, as the three
 * ops store them, and the plane sums are float64 in the pooling's order (spec/tensor/ops/
 * recouple.spec.ts checks this against the composition). The gradient rule is in
 * autograd/gradients/recouple.ts.
 */
import { record } from '../../autograd/record';
import { formatShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

const f32 = Math.fround;

/** mean over H, W of scale·inp + (1 - scale)·main, with the float32 roundings of the unfused ops. */
export function recouplingMean(scale: Tensor, inp: Tensor, main: Tensor): Tensor {
  if (inp.ndim !== 4 || !shapesEqual(inp.shape, main.shape)) {
    throw new Error(`recouplingMean: inp ${formatShape(inp.shape)} and main ${formatShape(main.shape)} must be the same [N, C, H, W]`);
  }
  const [n, c, h, w] = inp.shape;
  if (!shapesEqual(scale.shape, [1, c, 1, 1])) throw new Error(`recouplingMean: scale ${formatShape(scale.shape)} must be [1, ${c}, 1, 1]`);
  const plane = h * w;
  const out = new Float32Array(n * c);
  const x = inp.data;
  const y = main.data;
  for (let p = 0; p < n * c; p++) {
    const s = scale.data[p % c];
    const k = f32(1 - s);
    let sum = 0;
    for (let i = p * plane; i < (p + 1) * plane; i++) sum += f32(f32(s * x[i]) + f32(k * y[i]));
    out[p] = sum / plane;
  }
  return record('RecouplingMean', [scale, inp, main], new Tensor(out, [n, c, 1, 1]), {});
}
