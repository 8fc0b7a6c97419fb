/** Backward rules of PReLU, softmax and log-softmax. */
import { Tensor } from '../../tensor/tensor';
import { channelPlanes, forEachLine } from '../../tensor/shape';
import type { GradientRule } from '../gradient-rule';
import { uninitializedArray } from '../buffer-pool';

/**
 * [value if x <= 0, value if x > 0] of dx's factor and of the slope's gradient term: branch-free
 * selects, the comparison picking the slot.
 */
const factor = new Float64Array(2);
const slopeTerm = new Float64Array(2);

/** dx = dy where x > 0, else w·dy; dw[c] = sum of dy·x over the non-positive x of channel c. */
export const preluGrad: GradientRule<'PRelu'> = (dy, { inputs: [x, weight] }) => {
  const { channels, inner } = channelPlanes(x.shape);
  const shared = weight.shape[0] === 1;
  const dx = uninitializedArray(x.size);
  const dw = new Float64Array(weight.size);
  const d = x.data;
  const g = dy.data;
  factor[1] = 1;
  slopeTerm[1] = 0;
  for (let base = 0, c = 0; base < dx.length; base += inner, c = c + 1 === channels ? 0 : c + 1) {
    factor[0] = weight.data[shared ? 0 : c];
    let sum = 0;
    // Branch-free: each comparison picks a slot of `factor` / `slopeTerm` (signs are coin flips).
    // g·1 is g exactly; the slope term stays a stored select, as 0·(g·x) would not be 0 for an
    // infinite g·x.
    for (let i = base; i < base + inner; i++) {
      const v = d[i];
      const gi = g[i];
      const positive = +(v > 0);
      dx[i] = gi * factor[positive];
      slopeTerm[0] = gi * v;
      sum += slopeTerm[positive];
    }
    dw[shared ? 0 : c] += sum;
  }
  return [new Tensor(dx, x.shape), new Tensor(Float32Array.from(dw), weight.shape)];
};

/** dx = y · (dy - Σ dy·y) along the softmax dimension. */
export const softmaxGrad: GradientRule<'Softmax'> = (dy, { output: y, attrs: { dim } }) => {
  const dx = new Float32Array(y.size);
  forEachLine(y.shape, dim, (base, step, size) => {
    const end = base + size * step;
    let dot = 0;
    for (let k = base; k < end; k += step) dot += dy.data[k] * y.data[k];
    for (let k = base; k < end; k += step) dx[k] = y.data[k] * (dy.data[k] - dot);
  });
  return [new Tensor(dx, y.shape)];
};

/** dx = dy - softmax(x) · Σ dy along the dimension. */
export const logSoftmaxGrad: GradientRule<'LogSoftmax'> = (dy, { output: y, attrs: { dim } }) => {
  const dx = new Float32Array(y.size);
  forEachLine(y.shape, dim, (base, step, size) => {
    const end = base + size * step;
    let total = 0;
    for (let k = base; k < end; k += step) total += dy.data[k];
    for (let k = base; k < end; k += step) dx[k] = dy.data[k] - Math.exp(y.data[k]) * total;
  });
  return [new Tensor(dx, y.shape)];
};
