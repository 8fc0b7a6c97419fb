/**
 * The safetensors format (Hugging Face), the safe way to exchange PyTorch `state_dict`s:
 *
 *     [8 bytes: N, little-endian u64] [N bytes: UTF-8 JSON header] [data area]
 *
 * The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`, offsets
 * counted in bytes from the start of the data area; the optional key `__metadata__` maps strings to
 * strings. Data is little-endian and row-major.
 *
 * Reading validates what the reference implementation does: header at most 100 MB and inside the
 * file, every entry consistent (bytes = elements * dtype size), and the entries tiling the data area
 * exactly (no overlaps, holes or trailing bytes).
 *
 * Writing follows the reference writer so that our files are byte-identical to the Python
 * library's: tensors sorted by decreasing dtype (the library's dtype order, which is also decreasing
 * element size) then by name, a compact JSON header with `__metadata__` first and tensors in data
 * order, padded with spaces to a multiple of 8 bytes so that every tensor is aligned for its type.
 * Empty metadata is not written.
 */
import { formatShape, sizeOf } from '../tensor/shape';
import {
  checkStoredArray, DTYPE_SIZE, isStoredDType, STORED_DTYPES, type StoredArray, storedBytes, type StoredDType,
  storedFromBytes,
} from './stored';

/** The tensors and metadata of a safetensors file. */
export interface SafetensorsFile {
  /** Tensors in data-area order. */
  tensors: Map<string, StoredArray>;
  /** The `__metadata__` map (empty when the file has none). */
  metadata: Record<string, string>;
}

const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

/** The reference library's dtype order; its writer sorts by it, largest first. */
const DTYPE_RANK: Readonly<Record<StoredDType, number>> = {
  BOOL: 0, U8: 1, I8: 2, I16: 5, F16: 7, BF16: 8, I32: 9, F32: 11, F64: 12, I64: 13,
};

interface EntryInfo {
  name: string;
  dtype: StoredDType;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseEntry(source: string, name: string, value: unknown, dataLength: number): EntryInfo {
  const bad = (problem: string) => new Error(`${source}: tensor '${name}' ${problem}`);
  if (!isPlainObject(value)) throw bad('is not a JSON object in the header');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw bad('has no dtype');
  if (!isStoredDType(dtype)) throw bad(`has unsupported dtype '${dtype}' (supported: ${STORED_DTYPES.join(', ')})`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`has invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw bad(`has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 <= begin <= end)`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw bad(`has data_offsets [${begin}, ${end}] out of range: the data area has ${dataLength} bytes`);
  }
  const needed = sizeOf(shape) * DTYPE_SIZE[dtype];
  if (end - begin !== needed) {
    throw bad(`has ${end - begin} bytes (data_offsets [${begin}, ${end}]) but shape ${formatShape(shape)} of ${dtype} needs ${needed}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function parseMetadata(source: string, value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new Error(`${source}: ${METADATA_KEY} is not a JSON object`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`${source}: ${METADATA_KEY} value of '${key}' is ${typeof v}, expected a string`);
  }
  return { ...value } as Record<string, string>;
}

/** Checks that the entries, sorted by offset, cover the data area exactly once. */
function checkTiling(source: string, entries: EntryInfo[], dataLength: number): void {
  let covered = 0;
  let previous: EntryInfo | null = null;
  for (const e of entries) {
    if (e.begin < covered && previous) {
      throw new Error(`${source}: tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${e.name}' [${e.begin}, ${e.end}] overlap (data_offsets)`);
    }
    if (e.begin > covered) {
      throw new Error(`${source}: hole of ${e.begin - covered} bytes at data offset ${covered}, before tensor '${e.name}' (entries must tile the data area)`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    throw new Error(`${source}: the data area has ${dataLength} bytes but the tensors' data_offsets cover only ${covered} (${dataLength - covered} trailing bytes)`);
  }
}

/** Parses a whole safetensors file; `source` (the file name) prefixes every error. */
export function parseSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  if (bytes.length < 8) {
    throw new Error(`${source}: file has ${bytes.length} bytes, too short for the 8-byte header length of a safetensors file`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${source}: header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const dataStart = 8 + Number(headerLength);
  if (dataStart > bytes.length) {
    throw new Error(`${source}: header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw new Error(`${source}: header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainObject(header)) throw new Error(`${source}: header is not a JSON object`);

  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: EntryInfo[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(source, value);
    else entries.push(parseEntry(source, name, value, dataLength));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkTiling(source, entries, dataLength);

  const tensors = new Map<string, StoredArray>();
  for (const e of entries) tensors.set(e.name, storedFromBytes(e.dtype, e.shape, bytes, dataStart + e.begin));
  return { tensors, metadata };
}

/** Orders names as the reference writer does: by UTF-8 bytes, i.e. by code point. */
function compareNames(a: string, b: string): number {
  const x = UTF8.encode(a);
  const y = UTF8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const UTF8 = new TextEncoder();

/** Encodes tensors (and optional string metadata) as a safetensors file. */
export function serializeSafetensors(
  entries: Map<string, StoredArray> | Record<string, StoredArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const list = [...(entries instanceof Map ? entries : Object.entries(entries))];
  for (const [name, arr] of list) {
    if (name === METADATA_KEY) throw new Error(`serializeSafetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    checkStoredArray(arr, `serializeSafetensors: tensor '${name}'`);
  }
  list.sort(([nameA, a], [nameB, b]) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareNames(nameA, nameB));

  // Built by hand: JSON.stringify of an object would move integer-like keys ("0", "1") first.
  const fields: string[] = [];
  const metaEntries = Object.entries(metadata);
  if (metaEntries.length > 0) {
    for (const [key, value] of metaEntries) {
      if (typeof value !== 'string') throw new Error(`serializeSafetensors: metadata value of '${key}' is ${typeof value}, expected a string`);
    }
    const body = metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
    fields.push(`${JSON.stringify(METADATA_KEY)}:{${body}}`);
  }
  let offset = 0;
  for (const [name, arr] of list) {
    const end = offset + arr.data.byteLength;
    fields.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: arr.dtype, shape: arr.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // spaces
  let position = 8 + headerLength;
  for (const [, arr] of list) {
    out.set(storedBytes(arr), position);
    position += arr.data.byteLength;
  }
  return out;
}
