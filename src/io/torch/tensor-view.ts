/**
 * Gathering a tensor's elements from its storage (docs/torch-checkpoints.md, "Tensors and
 * storages"): element (i0, ..., ik) of a tensor with storage offset o and strides (s0, ..., sk) is
 * element o + i0*s0 + ... + ik*sk of the storage. Tensors that share a storage (views, tied
 * weights) therefore read the same bytes.
 *
 * A row-major (contiguous) tensor is a view of the file's bytes when they are aligned for its
 * element type; other tensors are copied into a fresh row-major array. Copies are charged to a
 * budget derived from the file's length, so no file can make the reader allocate more than a
 * fixed multiple of its own size.
 */
import { DTYPE_SIZE, type StoredArray, type StoredData, type StoredDType, viewOf } from '../stored';
import { TorchFileError } from './errors';
import type { TorchStorage, TorchTensor } from './allow-list';

/** Bytes copied while gathering tensors may not exceed this multiple of the file's length. */
export const COPY_BUDGET_FACTOR = 2;

/** What is left of the copy budget of one file. */
export interface CopyBudget {
  remaining: number;
}

export function copyBudgetFor(fileLength: number): CopyBudget {
  return { remaining: COPY_BUDGET_FACTOR * fileLength };
}

function charge(budget: CopyBudget, bytes: number, what: string, source: string): void {
  if (bytes > budget.remaining) {
    throw new TorchFileError(source, `${what} needs a copy of ${bytes} bytes, more than the file's size justifies (${budget.remaining} bytes left of ${COPY_BUDGET_FACTOR}x its length)`);
  }
  budget.remaining -= bytes;
}

/** Aligned typed views of storages, made once per storage (a copy when the bytes are misaligned). */
export class StorageViews {
  private readonly views = new Map<TorchStorage, StoredData[StoredDType]>();

  constructor(private readonly source: string, private readonly budget: CopyBudget) {}

  of(storage: TorchStorage): StoredData[StoredDType] {
    let view = this.views.get(storage);
    if (!view) {
      const bytes = storage.data(this.source);
      const size = DTYPE_SIZE[storage.dtype];
      if ((bytes.byteOffset % size) === 0) {
        view = viewOf(storage.dtype, bytes.buffer, bytes.byteOffset, storage.numel);
      } else {
        charge(this.budget, bytes.length, `${storage.describe()} (misaligned in the file)`, this.source);
        view = viewOf(storage.dtype, new Uint8Array(bytes).buffer, 0, storage.numel);
      }
      this.views.set(storage, view);
    }
    return view;
  }
}

function isRowMajor(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** Copies the strided elements of `from` into the row-major `to`, dimension by dimension. */
function gather<T extends StoredData[StoredDType]>(from: T, to: T, offset: number, shape: readonly number[], stride: readonly number[]): void {
  const ndim = shape.length;
  const index = new Array<number>(ndim).fill(0);
  const inner = ndim - 1;
  const innerSize = shape[inner];
  const innerStride = stride[inner];
  let base = offset;
  for (let out = 0; out < to.length; out += innerSize) {
    for (let i = 0, at = base; i < innerSize; i++, at += innerStride) to[out + i] = from[at];
    // Advance the odometer over the outer dimensions.
    for (let d = inner - 1; d >= 0; d--) {
      index[d]++;
      base += stride[d];
      if (index[d] < shape[d]) break;
      base -= index[d] * stride[d];
      index[d] = 0;
    }
  }
}

/**
 * The elements of `tensor` as a row-major stored array (its bounds were checked when it was
 * rebuilt, allow-list.ts). `what` names the tensor in errors.
 */
export function materializeTensor(tensor: TorchTensor, views: StorageViews, budget: CopyBudget, what: string, source: string): StoredArray {
  const { dtype, shape, stride, offset } = tensor;
  const numel = shape.reduce((a, b) => a * b, 1);
  const dims = [...shape];
  if (numel === 0) return { dtype, shape: dims, data: viewOf(dtype, new ArrayBuffer(0), 0, 0) } as StoredArray;
  const storage = views.of(tensor.storage);
  if (isRowMajor(shape, stride)) {
    return { dtype, shape: dims, data: storage.subarray(offset, offset + numel) } as StoredArray;
  }
  charge(budget, numel * DTYPE_SIZE[dtype], `${what} (a strided view)`, source);
  const data = viewOf(dtype, new ArrayBuffer(numel * DTYPE_SIZE[dtype]), 0, numel);
  gather(storage, data, offset, shape, stride);
  return { dtype, shape: dims, data } as StoredArray;
}
