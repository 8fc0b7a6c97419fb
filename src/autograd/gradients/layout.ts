/** Backward rules of the layout ops: move the gradient back to where each element came from. */
import { Tensor } from '../../tensor/tensor';
import { gatherSources, stridesOf } from '../../tensor/shape';
import { narrow, permute, reshape } from '../../tensor/ops/layout';
import { sumToShape } from '../../tensor/ops/elementwise';
import type { GradientRule } from '../gradient-rule';

export const reshapeGrad: GradientRule<'Reshape'> = (dy, { inputs: [x] }) => [reshape(dy, x.shape)];

export const permuteGrad: GradientRule<'Permute'> = (dy, { attrs: { perm } }) => {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return [permute(dy, inverse)];
};

/** The slice's gradient placed back into zeros of the input's shape. */
export const narrowGrad: GradientRule<'Narrow'> = (dy, { inputs: [x], attrs: { dim, start, length } }) => {
  const size = x.shape[dim];
  const inner = stridesOf(x.shape)[dim];
  const outer = x.size / (size * inner);
  const out = new Float32Array(x.size);
  for (let o = 0; o < outer; o++) {
    out.set(dy.data.subarray(o * length * inner, (o + 1) * length * inner), (o * size + start) * inner);
  }
  return [new Tensor(out, x.shape)];
};

export const concatGrad: GradientRule<'Concat'> = (dy, { inputs, attrs: { dim } }) => {
  let at = 0;
  return inputs.map((t) => {
    const g = narrow(dy, dim, at, t.shape[dim]);
    at += t.shape[dim];
    return g;
  });
};

export const expandGrad: GradientRule<'Expand'> = (dy, { inputs: [x] }) => [sumToShape(dy, x.shape)];

/** Scatter-add: each gathered element sends its gradient back to its source position. */
export const gatherGrad: GradientRule<'Gather'> = (dy, { inputs: [x], attrs: { dim, index } }) => {
  const source = gatherSources(x.shape, dim, index.shape, index.data);
  const out = new Float32Array(x.size);
  for (let k = 0; k < dy.size; k++) out[source[k]] += dy.data[k];
  return [new Tensor(out, x.shape)];
};
