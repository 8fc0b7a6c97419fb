/**
 * numpy's `.npy` format (NEP 1), as written by `np.save`:
 *
 *     "\x93NUMPY" major minor  header-length (u16 LE in 1.0; u32 LE in 2.0 and 3.0)
 *     header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *             padded with spaces and a final '\n' (latin-1 in 1.0/2.0, UTF-8 in 3.0)
 *     data:   the elements, row-major
 *
 * Supported element types: <f2 <f4 <f8 <i2 <i4 <i8 |i1 |u1 |b1 (little-endian, C order).
 * Writing reproduces `np.save` byte for byte: version 1.0 unless the header needs 2.0, the same
 * spare spaces numpy leaves for growing the first axis in place, and the header padded so the
 * data starts on a 64-byte boundary.
 */
import { sizeOf } from '../tensor/shape';
import { parsePyLiteral, PyTuple, type PyValue } from './pyliteral';
import { checkStoredArray, DTYPE_SIZE, type StoredArray, storedBytes, type StoredDType, storedFromBytes } from './stored';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** Data alignment numpy pads the header to. */
const ARRAY_ALIGN = 64;
/** numpy leaves room in the header for the first dimension to grow to this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;

/** The numpy type code (kind + size, without byte order) of each dtype; numpy has no bfloat16. */
const TYPE_CODE: Readonly<Record<StoredDType, string | null>> = {
  F16: 'f2', F32: 'f4', F64: 'f8', I8: 'i1', I16: 'i2', I32: 'i4', I64: 'i8', U8: 'u1', BOOL: 'b1', BF16: null,
};

const DTYPE_OF_CODE: ReadonlyMap<string, StoredDType> = new Map(
  Object.entries(TYPE_CODE).flatMap(([dtype, code]) => (code ? [[code, dtype as StoredDType]] : [])),
);

/** The dtype named by a descr such as '<f4' or '|u1'; `fail` reports why it is refused. */
function dtypeOfDescr(descr: PyValue, fail: (problem: string) => Error): StoredDType {
  if (typeof descr !== 'string') throw fail(`structured dtype ${clipped(descr)} is not supported`);
  const order = descr[0];
  const dtype = DTYPE_OF_CODE.get(descr.slice(1));
  if (dtype === undefined || !'<>|='.includes(order)) {
    throw fail(`unsupported dtype '${clipped(descr)}' (supported: <f2 <f4 <f8 <i2 <i4 <i8 |i1 |u1 |b1)`);
  }
  // Byte order only matters for multi-byte types; numpy marks single bytes with '|'.
  if (DTYPE_SIZE[dtype] > 1 && order === '>') throw fail(`big-endian dtype '${descr}' is not supported (save it as '<${descr.slice(1)}')`);
  if (DTYPE_SIZE[dtype] > 1 && order !== '<') throw fail(`dtype '${descr}' has no explicit little-endian byte order`);
  return dtype;
}

function pythonTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Shapes in messages: a tuple of at most this many dimensions is shown whole. */
const SHOWN_DIMENSIONS = 8;

/** Header values in messages: at most 80 characters of their text. */
function clipped(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A shape for a message: whole when short, else its first and last dimensions and its rank. */
function describeNpyShape(shape: readonly unknown[]): string {
  const show = (d: unknown): string => (typeof d === 'number' ? String(d) : clipped(d));
  if (shape.length <= SHOWN_DIMENSIONS) return shape.length === 1 ? `(${show(shape[0])},)` : `(${shape.map(show).join(', ')})`;
  const head = shape.slice(0, SHOWN_DIMENSIONS - 2).map(show).join(', ');
  return `(${head}, …, ${show(shape[shape.length - 1])}) [${shape.length} dimensions]`;
}

function formatNpyShape(shape: readonly number[], descr: string): string {
  return `shape ${describeNpyShape(shape)} of ${descr}`;
}

/** Parses a whole `.npy` file; `source` (the file name) prefixes every error. */
export function parseNpy(bytes: Uint8Array, source: string): StoredArray {
  const fail = (problem: string) => new Error(`${source}: ${problem}`);
  if (bytes.length < 10) throw fail(`file has ${bytes.length} bytes, too short for an npy header`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw fail('bad magic: not an .npy file (expected "\\x93NUMPY")');
  const major = bytes[6];
  const minor = bytes[7];
  if (minor !== 0 || major < 1 || major > 3) throw fail(`unsupported npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) throw fail(`file has ${bytes.length} bytes, too short for an npy ${major}.0 header`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = prefix + headerLength;
  if (dataStart > bytes.length) throw fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);

  const headerBytes = bytes.subarray(prefix, dataStart);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw fail('header is not valid UTF-8');
    }
  } else {
    // Latin-1 maps each byte to the code point of the same value.
    text = '';
    for (const b of headerBytes) text += String.fromCharCode(b);
  }

  let header: PyValue;
  try {
    header = parsePyLiteral(text); // trailing spaces and '\n' (the padding) are allowed
  } catch (e) {
    throw fail(`header is not a Python literal: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header) || header instanceof PyTuple) throw fail('header is not a Python dict');
  const keys = Object.keys(header).sort();
  if (keys.join() !== 'descr,fortran_order,shape') {
    throw fail(`header has keys [${clipped(keys.join(', '))}], expected exactly descr, fortran_order, shape`);
  }
  const { descr, fortran_order: fortranOrder, shape: shapeValue } = header;
  if (typeof fortranOrder !== 'boolean') throw fail(`fortran_order is ${clipped(fortranOrder)}, expected True or False`);
  if (fortranOrder) throw fail('Fortran order (column-major) is not supported; save a C-order array (np.ascontiguousarray)');
  // numpy's reader requires a tuple; a list is refused as it refuses it.
  const items = shapeValue instanceof PyTuple ? shapeValue.items : null;
  if (!items || !items.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`shape ${items ? describeNpyShape(items) : clipped(shapeValue)} is not a tuple of non-negative integers`);
  }
  const shape: number[] = items;
  const dtype = dtypeOfDescr(descr, fail);

  const needed = sizeOf(shape) * DTYPE_SIZE[dtype];
  const found = bytes.length - dataStart;
  if (found < needed) throw fail(`data is too short: ${found} bytes, ${formatNpyShape(shape, String(descr))} needs ${needed}`);
  if (found > needed) throw fail(`data is too long: ${found} bytes, ${formatNpyShape(shape, String(descr))} needs ${needed}`);
  return storedFromBytes(dtype, shape, bytes, dataStart);
}

/** Encodes a stored array as `.npy` bytes identical to what `np.save` writes. */
export function serializeNpy(arr: StoredArray): Uint8Array {
  checkStoredArray(arr, 'serializeNpy');
  const code = TYPE_CODE[arr.dtype];
  if (code === null) throw new Error(`serializeNpy: numpy has no ${arr.dtype} dtype; convert the array to F32 first`);
  const descr = (DTYPE_SIZE[arr.dtype] === 1 ? '|' : '<') + code;

  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pythonTuple(arr.shape)}, }`;
  if (arr.shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(arr.shape[0]).length));
  // numpy pads with at least one space (a full ARRAY_ALIGN when already aligned), then '\n'.
  const headerFor = (prefix: number) => {
    const unpadded = dict.length + 1;
    const pad = ARRAY_ALIGN - ((prefix + unpadded) % ARRAY_ALIGN);
    return `${dict}${' '.repeat(pad)}\n`;
  };
  let major = 1;
  let header = headerFor(10);
  if (header.length > 0xffff) {
    major = 2;
    header = headerFor(12);
  }
  const prefix = major === 1 ? 10 : 12;

  const data = storedBytes(arr);
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i); // ASCII
  out.set(data, prefix + header.length);
  return out;
}
