/**
 * The in-memory form of an array as a file stores it, shared by the safetensors and npy codecs,
 * and its conversion to and from bnext tensors.
 *
 * A `StoredArray` keeps the file's element type (named as safetensors names them) so that a
 * checkpoint can be read, inspected and written back without losing precision. 16-bit floats
 * stay as raw bits (`Uint16Array`) until `toTensor` decodes them exactly. Data is little-endian
 * and row-major (C order), as both formats require.
 */
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import { formatShape, sizeOf } from '../tensor/shape';
import { decodeBF16, decodeF16 } from './half';

/** An element type as safetensors names it (.npy dtypes map onto these). */
export type StoredDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** The typed array that holds each dtype's elements. */
export interface StoredData {
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  F64: Float64Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/** One stored array; `dtype` tells which typed array `data` is. */
export type StoredArray = {
  [D in StoredDType]: { dtype: D; shape: number[]; data: StoredData[D] };
}[StoredDType];

export const STORED_DTYPES: readonly StoredDType[] = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<StoredDType, number>> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export function isStoredDType(name: string): name is StoredDType {
  return (STORED_DTYPES as readonly string[]).includes(name);
}

// Typed-array views read host byte order; both formats store little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('bnext io: big-endian hosts are not supported (safetensors and npy data are little-endian)');
}

/** A typed array of `dtype` over `count` elements of `buffer` starting at byte `offset`. */
export function viewOf(dtype: StoredDType, buffer: ArrayBufferLike, offset: number, count: number): StoredData[StoredDType] {
  switch (dtype) {
    case 'F32': return new Float32Array(buffer, offset, count);
    case 'F16': case 'BF16': return new Uint16Array(buffer, offset, count);
    case 'F64': return new Float64Array(buffer, offset, count);
    case 'I64': return new BigInt64Array(buffer, offset, count);
    case 'I32': return new Int32Array(buffer, offset, count);
    case 'I16': return new Int16Array(buffer, offset, count);
    case 'I8': return new Int8Array(buffer, offset, count);
    case 'U8': case 'BOOL': return new Uint8Array(buffer, offset, count);
  }
}

/**
 * A stored array over `bytes[offset, offset + count * size)`. It shares memory with `bytes` when
 * the data is aligned for its element type (typed arrays require that), and is a copy otherwise.
 */
export function storedFromBytes(dtype: StoredDType, shape: number[], bytes: Uint8Array, offset: number): StoredArray {
  const count = sizeOf(shape);
  const size = DTYPE_SIZE[dtype];
  const start = bytes.byteOffset + offset;
  if (start % size === 0) {
    return { dtype, shape, data: viewOf(dtype, bytes.buffer, start, count) } as StoredArray;
  }
  // The Uint8Array constructor copies into a fresh, zero-offset buffer (Buffer#slice would not copy).
  const copy = new Uint8Array(bytes.subarray(offset, offset + count * size));
  return { dtype, shape, data: viewOf(dtype, copy.buffer, 0, count) } as StoredArray;
}

/** The raw little-endian bytes of a stored array's data (a view, not a copy). */
export function storedBytes(arr: StoredArray): Uint8Array {
  return new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
}

/** The typed array class each dtype must use, checked before writing. */
const DATA_CLASS: Readonly<Record<StoredDType, new (length: number) => ArrayBufferView>> = {
  F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, F64: Float64Array, I64: BigInt64Array,
  I32: Int32Array, I16: Int16Array, I8: Int8Array, U8: Uint8Array, BOOL: Uint8Array,
};

/** Checks that an array is consistent (known dtype, matching typed array, length = shape size). */
export function checkStoredArray(arr: StoredArray, what: string): void {
  if (!isStoredDType(arr.dtype)) throw new Error(`${what}: unknown dtype '${String(arr.dtype)}'`);
  for (const d of arr.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${formatShape(arr.shape)}`);
  }
  const expected = DATA_CLASS[arr.dtype];
  if (!(arr.data instanceof expected)) {
    throw new Error(`${what}: dtype ${arr.dtype} needs a ${expected.name}, got ${arr.data.constructor.name}`);
  }
  if (arr.data.length !== sizeOf(arr.shape)) {
    throw new Error(`${what}: shape ${formatShape(arr.shape)} needs ${sizeOf(arr.shape)} elements, data has ${arr.data.length}`);
  }
}

/** `toTensor`'s options. */
export interface ToTensorOptions {
  /** Also convert integer and BOOL arrays to float32 (exact up to 2^24 in magnitude). */
  allowIntegers?: boolean;
}

/** A float32 tensor from a stored array. F32 data is shared, other floats are decoded exactly. */
export function toTensor(arr: StoredArray, what: string, options: ToTensorOptions = {}): Tensor {
  switch (arr.dtype) {
    case 'F32': return new Tensor(arr.data, arr.shape);
    case 'F16': return new Tensor(decodeF16(arr.data), arr.shape);
    case 'BF16': return new Tensor(decodeBF16(arr.data), arr.shape);
    case 'F64': return new Tensor(Float32Array.from(arr.data), arr.shape);
    case 'I64':
      if (!options.allowIntegers) break;
      return new Tensor(Float32Array.from(arr.data, Number), arr.shape);
    default:
      if (!options.allowIntegers) break;
      return new Tensor(Float32Array.from(arr.data), arr.shape);
  }
  throw new Error(`${what}: expected a float array (F32, F16, BF16 or F64), found dtype ${arr.dtype} with shape ${formatShape(arr.shape)}`);
}

const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;

/** An int32 tensor from a stored integer (or BOOL) array; values outside int32 are refused. */
export function toIntTensor(arr: StoredArray, what: string): IntTensor {
  switch (arr.dtype) {
    case 'I32': return new IntTensor(arr.data, arr.shape);
    case 'I64': {
      const out = new Int32Array(arr.data.length);
      for (let i = 0; i < arr.data.length; i++) {
        const v = arr.data[i];
        if (v < INT32_MIN || v > INT32_MAX) {
          throw new Error(`${what}: value ${v} at flat index ${i} does not fit in int32`);
        }
        out[i] = Number(v);
      }
      return new IntTensor(out, arr.shape);
    }
    case 'I16': case 'I8': case 'U8': case 'BOOL':
      return new IntTensor(Int32Array.from(arr.data), arr.shape);
    case 'F32': case 'F16': case 'BF16': case 'F64':
      throw new Error(`${what}: expected an integer array, found dtype ${arr.dtype} with shape ${formatShape(arr.shape)}`);
  }
}

/** A stored F32 array sharing the tensor's data. */
export function fromTensor(t: Tensor): StoredArray {
  return { dtype: 'F32', shape: [...t.shape], data: t.data };
}

/**
 * A stored integer array: I64 (PyTorch's default integer type, e.g. `num_batches_tracked`) or
 * I32.
 */
export function fromIntTensor(t: IntTensor, dtype: 'I64' | 'I32' = 'I64'): StoredArray {
  if (dtype === 'I32') return { dtype, shape: [...t.shape], data: t.data };
  return { dtype, shape: [...t.shape], data: BigInt64Array.from(t.data, (v) => BigInt(v)) };
}
