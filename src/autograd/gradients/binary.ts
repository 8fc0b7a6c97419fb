/**
 * Backward rules of the binarization ops (paper Eq. 2: the straight-through estimator).
 * The activation's gradient is that of clamp(x, -c, c); the weight's passes unchanged to the
 * latent weight in training (docs/paper-map.md, "The STE clip"), and in evaluation is that of
 * the value itself, as in the official evaluation forward.
 */
import type { GradientRule } from '../gradient-rule';
import { passInRange } from './mask';
import { Tensor } from '../../tensor/tensor';

export const signSTEGrad: GradientRule<'SignSTE'> = (dy, { inputs: [x], attrs: { clip } }) => [passInRange(dy, x, -clip, clip, true)];

export const binaryWeightGrad: GradientRule<'BinaryWeight'> = (dy, { inputs: [w], attrs: { gradient, temperature } }) => {
  if (gradient === 'straight-through') return [dy];
  const out = new Float32Array(dy.size);
  if (gradient === 'clamp') {
    // torch: clamp's backward keeps dy where -1 <= w / t <= 1, then div's divides it by t, in float32.
    const g = dy.data;
    const d = w.data;
    for (let i = 0; i < out.length; i++) {
      const q = Math.fround(d[i] / temperature);
      out[i] = q >= -1 && q <= 1 ? g[i] / temperature : 0;
    }
  }
  return [new Tensor(out, dy.shape)];
};
