/** Reductions over dimensions, with PyTorch's `keepdim`. */
import { record } from '../../autograd/record';
import { broadcastIndex, keptShape, normalizeDim, normalizeDims, stridesOf } from '../shape';
import { Tensor } from '../tensor';
import { IntTensor } from '../int-tensor';

/** The output shape with reduced dims kept as 1, and the shape actually returned. */
function reducedShapes(shape: readonly number[], dims: number[], keepdim: boolean): { kept: number[]; out: number[] } {
  const kept = keptShape(shape, dims);
  const out = keepdim ? kept : shape.filter((_, i) => !dims.includes(i));
  return { kept, out };
}

interface SliceSums {
  /** Sum of each reduced slice, in float64 so long sums do not drift before the final rounding. */
  sums: Float64Array;
  /** For each input element, the slice it belongs to. */
  index: Int32Array;
  /** Elements per slice. */
  count: number;
}

function sliceSums(x: Tensor, dims: number[]): SliceSums {
  const kept = keptShape(x.shape, dims);
  let count = 1;
  for (const d of dims) count *= x.shape[d];
  const sums = new Float64Array(kept.reduce((a, b) => a * b, 1));
  const index = broadcastIndex(kept, x.shape);
  const d = x.data;
  for (let k = 0; k < d.length; k++) sums[index[k]] += d[k];
  return { sums, index, count };
}

/** Sum over `dims` (all when omitted). */
export function sum(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const ds = normalizeDims(dims, x.ndim, 'sum');
  const out = Float32Array.from(sliceSums(x, ds).sums);
  return record('Sum', [x], new Tensor(out, reducedShapes(x.shape, ds, keepdim).out), { dims: ds, keepdim });
}

/** Mean over `dims` (all when omitted). */
export function mean(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const ds = normalizeDims(dims, x.ndim, 'mean');
  const { sums, count } = sliceSums(x, ds);
  const out = new Float32Array(sums.length);
  for (let i = 0; i < out.length; i++) out[i] = sums[i] / count;
  return record('Mean', [x], new Tensor(out, reducedShapes(x.shape, ds, keepdim).out), { dims: ds, keepdim });
}

/**
 * Maximum over `dims`. Over one dimension the gradient goes to the first maximal element of each
 * slice (torch.max(x, dim)); over several it is shared by the ties (torch.amax).
 */
export function max(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const ds = normalizeDims(dims, x.ndim, 'max');
  if (x.size === 0) throw new Error('max: cannot reduce an empty tensor');
  const { kept, out: outShape } = reducedShapes(x.shape, ds, keepdim);
  const n = kept.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n).fill(-Infinity);
  const argmax = new Int32Array(n).fill(-1);
  const index = broadcastIndex(kept, x.shape);
  const d = x.data;
  for (let k = 0; k < d.length; k++) {
    const o = index[k];
    const v = d[k];
    // NaN wins, as in PyTorch; among equal values the first one is kept.
    if (argmax[o] < 0 || v > out[o] || (v !== v && out[o] === out[o])) {
      out[o] = v;
      argmax[o] = k;
    }
  }
  return record('Max', [x], new Tensor(out, outShape), { dims: ds, keepdim, argmax });
}

/** Index of the maximum along `dim` (of the flattened tensor when omitted). */
export function argmax(x: Tensor, dim?: number, keepdim = false): IntTensor {
  if (dim === undefined) {
    let best = 0;
    for (let k = 1; k < x.size; k++) if (x.data[k] > x.data[best]) best = k;
    return new IntTensor(new Int32Array([best]), []);
  }
  const d = normalizeDim(dim, x.ndim, 'argmax');
  const { out: outShape } = reducedShapes(x.shape, [d], keepdim);
  const size = x.shape[d];
  const inner = stridesOf(x.shape)[d];
  const outer = x.size / (size * inner);
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = 0;
      let bestValue = x.data[base];
      for (let j = 1; j < size; j++) {
        const v = x.data[base + j * inner];
        if (v > bestValue) {
          best = j;
          bestValue = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return new IntTensor(out, outShape);
}

/** Variance over `dims` with Bessel's `correction` (1: unbiased, as torch.var's default; 0: biased). */
export function variance(x: Tensor, dims?: number | readonly number[], keepdim = false, correction = 1): Tensor {
  const ds = normalizeDims(dims, x.ndim, 'variance');
  const { sums: means, index, count } = sliceSums(x, ds);
  for (let i = 0; i < means.length; i++) means[i] /= count;
  // Squared deviations from the slice mean (two-pass, in float64): stable for large means.
  const sq = new Float64Array(means.length);
  const d = x.data;
  for (let k = 0; k < d.length; k++) {
    const dev = d[k] - means[index[k]];
    sq[index[k]] += dev * dev;
  }
  const out = new Float32Array(sq.length);
  const denom = Math.max(0, count - correction);
  for (let i = 0; i < out.length; i++) out[i] = sq[i] / denom;
  return record('Variance', [x], new Tensor(out, reducedShapes(x.shape, ds, keepdim).out), { dims: ds, keepdim, correction });
}
