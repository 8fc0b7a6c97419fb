/**
 * Layout ops. Reshape shares storage; permute, narrow, concat and expand copy into a new
 * contiguous tensor, so every kernel downstream sees plain row-major data.
 */
import { record } from '../../autograd/record';
import { broadcastIndex, broadcastShapes, formatShape, gatherSources, normalizeDim, type Shape, shapesEqual, sizeOf, stridesOf } from '../shape';
import { Tensor } from '../tensor';
import { IntTensor } from '../int-tensor';

/** A view with a new shape (one dimension may be -1, inferred). Shares storage. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const inferred = [...shape];
  const unknown = inferred.indexOf(-1);
  if (unknown >= 0) {
    if (inferred.indexOf(-1, unknown + 1) >= 0) throw new Error(`reshape: only one dimension can be -1, got ${formatShape(shape)}`);
    const known = inferred.reduce((a, d, i) => (i === unknown ? a : a * d), 1);
    if (known === 0 || x.size % known !== 0) throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}`);
    inferred[unknown] = x.size / known;
  }
  if (sizeOf(inferred) !== x.size) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)} (${sizeOf(inferred)} elements)`);
  }
  return record('Reshape', [x], new Tensor(x.data, inferred), {});
}

/** Flattens dims start..end (inclusive) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  const s = normalizeDim(start, x.ndim, 'flatten');
  const e = normalizeDim(end, x.ndim, 'flatten');
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Reorders dimensions: output dim i is input dim perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const nd = x.ndim;
  const p = perm.map((d) => normalizeDim(d, nd, 'permute'));
  if (p.length !== nd || new Set(p).size !== nd) throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the ${nd} dims of ${formatShape(x.shape)}`);
  const outShape = p.map((d) => x.shape[d]);
  const inStrides = stridesOf(x.shape);
  const strides = p.map((d) => inStrides[d]);
  const out = new Float32Array(x.size);
  const counter = new Array<number>(nd).fill(0);
  const src = x.data;
  let offset = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = src[offset];
    for (let d = nd - 1; d >= 0; d--) {
      counter[d]++;
      offset += strides[d];
      if (counter[d] < outShape[d]) break;
      offset -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return record('Permute', [x], new Tensor(out, outShape), { perm: p });
}

/** Swaps two dimensions (the last two by default). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normalizeDim(dim0, x.ndim, 'transpose');
  const b = normalizeDim(dim1, x.ndim, 'transpose');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** The slice start..start+length-1 along `dim` (torch.narrow). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.ndim, 'narrow');
  const size = x.shape[d];
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > size) {
    throw new Error(`narrow: range [${start}, ${start + length}) is outside dimension ${d} of size ${size} (shape ${formatShape(x.shape)})`);
  }
  const inner = stridesOf(x.shape)[d];
  const outer = x.size / (size * inner);
  const outShape = [...x.shape];
  outShape[d] = length;
  const out = new Float32Array(outer * length * inner);
  for (let o = 0; o < outer; o++) {
    out.set(x.data.subarray((o * size + start) * inner, (o * size + start + length) * inner), o * length * inner);
  }
  return record('Narrow', [x], new Tensor(out, outShape), { dim: d, start, length });
}

/** Joins tensors along `dim`; all other dimensions must match. */
export function concat(xs: readonly Tensor[], dim: number): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0];
  const d = normalizeDim(dim, first.ndim, 'concat');
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`concat: shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside dimension ${d}`);
    }
  }
  const inner = stridesOf(first.shape)[d];
  const outer = first.shape.slice(0, d).reduce((a, b) => a * b, 1);
  const total = xs.reduce((a, t) => a + t.shape[d], 0);
  const outShape = [...first.shape];
  outShape[d] = total;
  const out = new Float32Array(outer * total * inner);
  let at = 0;
  for (const t of xs) {
    const chunk = t.shape[d] * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * chunk, (o + 1) * chunk), (o * total * inner) + at);
    at += chunk;
  }
  return record('Concat', [...xs], new Tensor(out, outShape), { dim: d });
}

/** Broadcasts to `shape` (copying), as torch.expand followed by contiguous(). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes(x.shape, shape, 'expand');
  if (!shapesEqual(target, shape)) throw new Error(`expand: ${formatShape(x.shape)} cannot be expanded to ${formatShape(shape)}`);
  const index = broadcastIndex(x.shape, shape);
  const out = new Float32Array(index.length);
  for (let k = 0; k < out.length; k++) out[k] = x.data[index[k]];
  return record('Expand', [x], new Tensor(out, shape), {});
}

/** out[i][j] = x[i][index[i][j]] along `dim` (torch.gather); index has x's rank. */
export function gather(x: Tensor, dim: number, index: IntTensor): Tensor {
  const d = normalizeDim(dim, x.ndim, 'gather');
  if (index.shape.length !== x.ndim || index.shape.some((s, i) => i !== d && s > x.shape[i])) {
    throw new Error(`gather: index shape ${formatShape(index.shape)} does not fit input ${formatShape(x.shape)} along dim ${d}`);
  }
  const size = x.shape[d];
  for (const j of index.data) if (j < 0 || j >= size) throw new Error(`gather: index ${j} is out of range for dimension ${d} of size ${size}`);
  const source = gatherSources(x.shape, d, index.shape, index.data);
  const out = new Float32Array(index.data.length);
  for (let k = 0; k < out.length; k++) out[k] = x.data[source[k]];
  return record('Gather', [x], new Tensor(out, index.shape), { dim: d, index });
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}
