/**
 * Shapes, strides and broadcasting for row-major (C-order) tensors.
 *
 * Broadcasting follows NumPy/PyTorch: shapes are aligned on their trailing dimensions and a
 * dimension of size 1 stretches to match the other.
 */

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** A shape as error messages print it: `[2, 3, 224, 224]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that a shape is made of non-negative integers; `what` names the caller in the error. */
export function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${what}: invalid shape ${formatShape(shape)} (dimensions must be non-negative integers)`);
    }
  }
}

/**
 * The shape of a tensor class's storage (Tensor, IntTensor, BoolTensor): checked, checked
 * against the data's length, and frozen.
 */
export function storageShape(shape: Shape, length: number, what: string): readonly number[] {
  checkShape(shape, what);
  if (length !== sizeOf(shape)) throw new Error(`${what}: shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, data has ${length}`);
  return Object.freeze([...shape]);
}

/** The broadcast shape of two shapes, or an error naming the op and both shapes. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dimension ${i} is ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For every element of the broadcast output shape, the flat index of the element of `shape`
 * that it reads. Computed once per op so the arithmetic loops stay free of index math. Rows of
 * the last dimension are filled in one go (a constant where the source is broadcast, a run
 * otherwise); the odometer only advances per row.
 */
export function broadcastIndex(shape: Shape, outShape: Shape): Int32Array {
  const size = sizeOf(outShape);
  const index = new Int32Array(size);
  const nd = outShape.length;
  if (nd === 0 || size === 0) return index;
  const offset = nd - shape.length;
  // Stride of the source along each output dimension (0 where the source is broadcast).
  const srcStrides = new Array<number>(nd).fill(0);
  const own = stridesOf(shape);
  for (let i = 0; i < shape.length; i++) srcStrides[i + offset] = shape[i] === 1 ? 0 : own[i];
  const rowLength = outShape[nd - 1];
  const rowStride = srcStrides[nd - 1];
  const counter = new Array<number>(nd).fill(0);
  let src = 0;
  for (let k = 0; k < size; k += rowLength) {
    if (rowStride === 0) index.fill(src, k, k + rowLength);
    else for (let j = 0; j < rowLength; j++) index[k + j] = src + j * rowStride;
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]++;
      src += srcStrides[d];
      if (counter[d] < outShape[d]) break;
      src -= srcStrides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return index;
}

/**
 * How to walk a broadcast output with plain strided loops instead of an index map: the output
 * dimensions coalesced as far as every operand allows, and each operand's stride (in elements,
 * 0 where it is broadcast) along each of them. Kernels run the last dimension as their inner loop
 * and an odometer over the others. Each walk (here, in tensor/kernels/elementwise.ts and in
 * permute) writes its odometer out with its one to three offsets in locals, where a shared one
 * would keep them in an array read on every row; the repeat is the price of speed.
 *
 * Coalescing drops output dimensions of size 1 and merges neighbours that every operand walks
 * contiguously (or not at all), so BNext's [N, C, H, W] op [1, C, 1, 1] becomes three loops
 * [N, C, H·W] with the small operand's strides [0, 1, 0], and [N, C, H, W] op [N, C, 1, 1] two
 * loops [N·C, H·W] with strides [1, 0]. There is always at least one dimension.
 */
export interface BroadcastLoops {
  /** Extent of each coalesced dimension, outermost first. */
  sizes: number[];
  /** For each operand, its stride along each coalesced dimension. */
  strides: number[][];
}

export function broadcastLoops(shapes: readonly Shape[], outShape: Shape): BroadcastLoops {
  const nd = outShape.length;
  const own = shapes.map((shape) => {
    const offset = nd - shape.length;
    const st = stridesOf(shape);
    return outShape.map((_, d) => (d < offset || shape[d - offset] === 1 ? 0 : st[d - offset]));
  });
  const sizes: number[] = [];
  const strides: number[][] = shapes.map(() => []);
  for (let d = 0; d < nd; d++) {
    const size = outShape[d];
    if (size === 1) continue;
    const last = sizes.length - 1;
    // Merge into the previous dimension when stepping it equals stepping `size` times along this one.
    if (last >= 0 && own.every((st, i) => strides[i][last] === st[d] * size)) {
      sizes[last] *= size;
      own.forEach((st, i) => (strides[i][last] = st[d]));
      continue;
    }
    sizes.push(size);
    own.forEach((st, i) => strides[i].push(st[d]));
  }
  if (sizes.length === 0) {
    sizes.push(1);
    strides.forEach((st) => st.push(0));
  }
  return { sizes, strides };
}

/**
 * A tensor [N, C, ...] seen as N·C planes of `inner` values, plane p belonging to channel p % C
 * (per-channel ops: PReLU). Below rank 2 there is one channel and one plane of everything.
 */
export function channelPlanes(shape: Shape): { channels: number; inner: number } {
  const size = sizeOf(shape);
  const channels = shape.length >= 2 ? shape[1] : 1;
  const planes = shape.length >= 2 ? shape[0] * channels : 1;
  return { channels, inner: size > 0 ? size / planes : 1 };
}

/** A (height, width) pair from one number for both or an explicit pair (PyTorch's `_pair`). */
export function pairOf(v: number | readonly [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** The shape of a reduction with its reduced dimensions kept as 1 (`keepdim=True`). */
export function keptShape(shape: Shape, dims: readonly number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

/** Resolves a possibly negative dimension index against a rank, with an error naming the op. */
export function normalizeDim(dim: number, ndim: number, op: string): number {
  const d = dim < 0 ? dim + ndim : dim;
  if (!Number.isInteger(d) || d < 0 || d >= ndim) {
    throw new Error(`${op}: dimension ${dim} is out of range for a tensor of rank ${ndim}`);
  }
  return d;
}

/** Normalises a list of dimensions (undefined means all), sorted and without repeats. */
export function normalizeDims(dims: number | readonly number[] | undefined, ndim: number, op: string): number[] {
  if (dims === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = [...new Set(list.map((d) => normalizeDim(d, ndim, op)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new Error(`${op}: repeated dimension in [${list.join(', ')}]`);
  return out;
}

/**
 * Calls visit for every line of a tensor along `dim`: the offset of the line's first element,
 * the step between its elements, and its length (the softmax ops and their gradients).
 */
export function forEachLine(shape: readonly number[], dim: number, visit: (base: number, step: number, size: number) => void): void {
  // The shape as [outer, size, inner] around dim.
  const size = shape[dim];
  const inner = stridesOf(shape)[dim];
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) visit(o * size * inner + i, inner, size);
  }
}

/**
 * For each element k of `index`, the flat offset in x that gather reads: k's own coordinates,
 * with the one along `dim` replaced by index[k]. The gradient adds back along the same offsets.
 */
export function gatherSources(xShape: Shape, dim: number, indexShape: Shape, index: Int32Array): Int32Array {
  const xStrides = stridesOf(xShape);
  const iStrides = stridesOf(indexShape);
  const source = new Int32Array(index.length);
  for (let k = 0; k < source.length; k++) {
    let rem = k;
    for (let a = 0; a < indexShape.length; a++) {
      const c = Math.floor(rem / iStrides[a]);
      rem -= c * iStrides[a];
      source[k] += (a === dim ? index[k] : c) * xStrides[a];
    }
  }
  return source;
}
