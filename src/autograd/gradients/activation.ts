/** Backward rules of PReLU, softmax and log-softmax. */
import { Tensor } from '../../tensor/tensor';
import { splitAround } from '../../tensor/ops/activation';
import type { GradientRule } from '../node';

/** dx = dy where x > 0, else w·dy; dw[c] = sum of dy·x over the non-positive x of channel c. */
export const preluGrad: GradientRule<'PRelu'> = (dy, { inputs: [x, weight] }) => {
  const channels = x.ndim >= 2 ? x.shape[1] : 1;
  const inner = x.ndim >= 2 ? x.size / (x.shape[0] * channels) : 1;
  const shared = weight.shape[0] === 1;
  const dx = new Float32Array(x.size);
  const dw = new Float64Array(weight.size);
  for (let i = 0; i < x.size; i++) {
    const c = shared ? 0 : Math.floor(i / inner) % channels;
    const v = x.data[i];
    const g = dy.data[i];
    if (v > 0) {
      dx[i] = g;
    } else {
      dx[i] = weight.data[c] * g;
      dw[c] += g * v;
    }
  }
  return [new Tensor(dx, x.shape), new Tensor(Float32Array.from(dw), weight.shape)];
};

/** dx = y · (dy - Σ dy·y) along the softmax dimension. */
export const softmaxGrad: GradientRule<'Softmax'> = (dy, { output: y, attrs: { dim } }) => {
  const { outer, size, inner } = splitAround(y.shape, dim);
  const dx = new Float32Array(y.size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let dot = 0;
      for (let j = 0; j < size; j++) dot += dy.data[base + j * inner] * y.data[base + j * inner];
      for (let j = 0; j < size; j++) dx[base + j * inner] = y.data[base + j * inner] * (dy.data[base + j * inner] - dot);
    }
  }
  return [new Tensor(dx, y.shape)];
};

/** dx = dy - softmax(x) · Σ dy along the dimension. */
export const logSoftmaxGrad: GradientRule<'LogSoftmax'> = (dy, { output: y, attrs: { dim } }) => {
  const { outer, size, inner } = splitAround(y.shape, dim);
  const dx = new Float32Array(y.size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let total = 0;
      for (let j = 0; j < size; j++) total += dy.data[base + j * inner];
      for (let j = 0; j < size; j++) dx[base + j * inner] = dy.data[base + j * inner] - Math.exp(y.data[base + j * inner]) * total;
    }
  }
  return [new Tensor(dx, y.shape)];
};
