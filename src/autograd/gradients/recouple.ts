/**
 * Backward rule of recouplingMean (tensor/ops/recouple.ts): the gradients that pooling, add, the
 * two products and 1 - scale would give, with their roundings. The pooled gradient spreads as
 * d = dy / (H·W), one float32 value per plane, so
 *   d inp  = d · scale       and   d main = d · (1 - scale),   constant over each plane;
 *   d scale = Σ d·inp - Σ d·main,  each sum float64 over planes in batch order, rounded, then
 *             subtracted in float32 (the two contributions autograd would add).
 */
import { Tensor } from '../../tensor/tensor';
import type { GradientRule } from '../gradient-rule';
import { uninitializedArray } from '../buffer-pool';

const f32 = Math.fround;

export const recouplingMeanGrad: GradientRule<'RecouplingMean'> = (dy, { inputs: [scale, inp, main] }) => {
  const [n, c, h, w] = inp.shape;
  const plane = h * w;
  const dInp = inp.requiresGrad ? uninitializedArray(inp.size) : null;
  const dMain = main.requiresGrad ? uninitializedArray(main.size) : null;
  const sumInp = new Float64Array(c);
  const sumMain = new Float64Array(c);
  const x = inp.data;
  const y = main.data;
  for (let p = 0; p < n * c; p++) {
    const ch = p % c;
    const s = scale.data[ch];
    const d = f32(dy.data[p] / plane);
    const from = p * plane;
    const to = from + plane;
    if (dInp) dInp.fill(f32(d * s), from, to);
    if (dMain) dMain.fill(f32(d * f32(1 - s)), from, to);
    if (scale.requiresGrad) {
      let a = 0;
      let b = 0;
      for (let i = from; i < to; i++) {
        a += d * x[i];
        b += d * y[i];
      }
      sumInp[ch] += a;
      sumMain[ch] += b;
    }
  }
  let dScale: Tensor | null = null;
  if (scale.requiresGrad) {
    const g = new Float32Array(c);
    for (let ch = 0; ch < c; ch++) g[ch] = f32(f32(sumInp[ch]) - f32(sumMain[ch]));
    dScale = new Tensor(g, scale.shape);
  }
  return [dScale, dInp && new Tensor(dInp, inp.shape), dMain && new Tensor(dMain, main.shape)];
};
