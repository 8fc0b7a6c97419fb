/** Backward rules of the reductions: spread the gradient back over each reduced slice. */
import { Tensor } from '../../tensor/tensor';
import { broadcastIndex, keptShape } from '../../tensor/shape';
import type { GradientRule } from '../gradient-rule';
import type { ReduceAttrs } from '../op-attrs';

/** The gradient of each slice, copied to every input element of that slice, times `scale`. */
function spread(dy: Tensor, x: Tensor, attrs: ReduceAttrs, scale: number): Float32Array {
  const kept = keptShape(x.shape, attrs.dims);
  const index = broadcastIndex(kept, x.shape);
  const out = new Float32Array(x.size);
  const g = dy.data;
  for (let k = 0; k < out.length; k++) out[k] = g[index[k]] * scale;
  return out;
}

function sliceCount(x: Tensor, dims: number[]): number {
  return dims.reduce((a, d) => a * x.shape[d], 1);
}

export const sumGrad: GradientRule<'Sum'> = (dy, { inputs: [x], attrs }) => [new Tensor(spread(dy, x, attrs, 1), x.shape)];

export const meanGrad: GradientRule<'Mean'> = (dy, { inputs: [x], attrs }) => [
  new Tensor(spread(dy, x, attrs, 1 / sliceCount(x, attrs.dims)), x.shape),
];

/**
 * Over one dimension (torch.max(x, dim)) the gradient goes to the element the forward chose;
 * over several or all dimensions (torch.amax, torch.max(x)) it is split evenly among the ties.
 */
export const maxGrad: GradientRule<'Max'> = (dy, { inputs: [x], output, attrs }) => {
  const out = new Float32Array(x.size);
  if (attrs.dims.length === 1) {
    for (let o = 0; o < attrs.argmax.length; o++) out[attrs.argmax[o]] += dy.data[o];
    return [new Tensor(out, x.shape)];
  }
  const kept = keptShape(x.shape, attrs.dims);
  const index = broadcastIndex(kept, x.shape);
  const ties = new Int32Array(output.size);
  for (let k = 0; k < x.size; k++) if (x.data[k] === output.data[index[k]]) ties[index[k]]++;
  for (let k = 0; k < x.size; k++) {
    const o = index[k];
    if (x.data[k] === output.data[o]) out[k] = dy.data[o] / ties[o];
  }
  return [new Tensor(out, x.shape)];
};

/** d var / dx = 2 (x - mean) / (n - correction). */
export const varianceGrad: GradientRule<'Variance'> = (dy, { inputs: [x], attrs }) => {
  const n = sliceCount(x, attrs.dims);
  const kept = keptShape(x.shape, attrs.dims);
  const index = broadcastIndex(kept, x.shape);
  const means = new Float64Array(dy.size);
  for (let k = 0; k < x.size; k++) means[index[k]] += x.data[k];
  for (let i = 0; i < means.length; i++) means[i] /= n;
  const scale = 2 / Math.max(0, n - attrs.correction);
  const out = new Float32Array(x.size);
  for (let k = 0; k < out.length; k++) out[k] = dy.data[index[k]] * (x.data[k] - means[index[k]]) * scale;
  return [new Tensor(out, x.shape)];
};
