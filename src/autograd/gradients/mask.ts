/** The gradient shape shared by clamp-like ops: pass dy where x lies in a range, else 0. */
import { Tensor } from '../../tensor/tensor';

/**
 * dy * scale where lo < x < hi (or lo <= x <= hi when `inclusive`), else 0.
 * PyTorch's clamp backward is inclusive; relu, relu6 (hardtanh) and hardsigmoid are strict.
 */
export function passInRange(dy: Tensor, x: Tensor, lo: number, hi: number, inclusive: boolean, scale = 1): Tensor {
  const out = new Float32Array(dy.size);
  const g = dy.data;
  const d = x.data;
  if (inclusive) {
    for (let i = 0; i < out.length; i++) out[i] = d[i] >= lo && d[i] <= hi ? g[i] * scale : 0;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = d[i] > lo && d[i] < hi ? g[i] * scale : 0;
  }
  return new Tensor(out, dy.shape);
}
