/**
 * The .bnx file: a packed BNext model (docs/bnx-format.md is the full specification).
 *
 *     [24 bytes preamble] magic 89 42 4E 58 0D 0A 1A 0A ("\x89BNX\r\n\x1a\n"), version (u32),
 *                         header length H (u32, multiple of 8), data length D (u64)
 *     [H bytes header]    UTF-8 JSON, space-padded: format, architecture config, tensor table
 *     [D bytes data]      the tensors at their table offsets, each 8-byte aligned
 *     [4 bytes]           CRC-32 (zlib's) of everything before it
 *
 * All numbers little-endian. Binary-conv weights are stored at one bit per weight (dtype "B1",
 * pack.ts's convention and layout, with the rare exact zeros listed), every other float entry of
 * the state_dict as float32 ("F32"), except that version 2 adds quantized weights ("Q8", "Q4":
 * n-bit codes plus the float32 parameters that rebuild Eq. 6's fake-quantized weights exactly,
 * and optionally the Eq. 5 quantization of the layer's input; src/quantize/). Integer buffers
 * (BatchNorm's num_batches_tracked) are not stored, inference does not use them.
 *
 * Writers write version 1 when nothing is quantized (so such files stay readable by version-1
 * readers) and version 2 otherwise; this reader reads both.
 *
 * This file encodes and decodes bytes; bnx-file.ts reads and writes files. Decoding refuses,
 * with a message that says which: a file that is not .bnx (magic), another version, a
 * truncated file (shorter than its preamble announces) or one with trailing bytes, a corrupt
 * one (checksum mismatch), and a header that does not describe its data.
 */
import { Tensor } from '../tensor/tensor';
import { formatShape, sizeOf } from '../tensor/shape';
import type { ModelConfig } from '../models/config';
import { binaryWeightCount, classifierWidth, validateConfig } from '../models/config';
import { packedWeightsFromWords, storedWords } from '../binary/pack';
import { type PackedWeights, wordsPerPixel } from '../binary/packed-layout';
import type { QuantizedLayer } from '../quantize/plan';
import { codeBytes, packCodes, STORED_BITS, unpackCodes } from '../quantize/codes';
import { crc32 } from './crc32';

export const BNX_MAGIC: readonly number[] = [0x89, 0x42, 0x4e, 0x58, 0x0d, 0x0a, 0x1a, 0x0a];
/** The newest version: written when some weight is quantized (1 otherwise). */
export const BNX_VERSION = 2;
/** The versions this reader reads. */
export const BNX_VERSIONS: readonly number[] = [1, 2];
const PREAMBLE = 24;
const CHECKSUM = 4;
const FORMAT = 'bnext-packed';

/**
 * The decoded contents of a .bnx file: the architecture and its tensors by state_dict key,
 * float, binary (packed) and quantized.
 */
export interface BnxContents {
  config: ModelConfig;
  /** The float32 state_dict entries, binary-conv weights excepted, in state_dict order. */
  floats: Map<string, Tensor>;
  /** The binary-conv weights by state_dict key. */
  binary: Map<string, PackedWeights>;
  /** Quantized weights by state_dict key (version 2), with their layer's input quantization. */
  quantized: Map<string, QuantizedLayer>;
}

type DType = 'F32' | 'B1' | 'Q8' | 'Q4';
const DTYPES: readonly DType[] = ['F32', 'B1', 'Q8', 'Q4'];

interface TableEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  bytes: number;
  /** B1 only, when some weights are exactly 0: their flat indices. */
  zeros?: number[];
  /** Q8/Q4: consecutive weights sharing one (low, span). */
  groupSize?: number;
  /** Q8/Q4, optional: Eq. 5 on the layer's input at run time. */
  input?: { bits: number; clip: number };
}

/** Bytes of a Q8/Q4 payload: norm per output channel, low and span per group, then the codes. */
function quantizedBytes(shape: readonly number[], groupSize: number, bits: number): number {
  const n = sizeOf(shape);
  return 4 * (shape[0] + 2 * (n / groupSize)) + codeBytes(n, bits);
}

function quantizedPayload(layer: QuantizedLayer): Uint8Array {
  const q = layer.weight;
  const floats = new Float32Array(q.norm.length + q.low.length + q.span.length);
  floats.set(q.norm, 0);
  floats.set(q.low, q.norm.length);
  floats.set(q.span, q.norm.length + q.low.length);
  const codes = packCodes(q.codes, q.bits);
  const out = new Uint8Array(floats.byteLength + codes.length);
  out.set(new Uint8Array(floats.buffer), 0);
  out.set(codes, floats.byteLength);
  return out;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Encodes a packed model as .bnx bytes. */
export function serializeBnx(contents: BnxContents): Uint8Array {
  const table: TableEntry[] = [];
  const payloads: Uint8Array[] = [];
  let offset = 0;
  const add = (entry: Omit<TableEntry, 'offset' | 'bytes'>, payload: Uint8Array): void => {
    table.push({ ...entry, offset, bytes: payload.length });
    payloads.push(payload);
    offset = align8(offset + payload.length);
  };
  for (const [name, t] of contents.floats) {
    if (contents.binary.has(name)) throw new Error(`serializeBnx: '${name}' is both a float and a binary tensor`);
    add({ name, dtype: 'F32', shape: [...t.shape] }, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  for (const [name, p] of contents.binary) {
    const words = storedWords(p);
    const entry: Omit<TableEntry, 'offset' | 'bytes'> = { name, dtype: 'B1', shape: [p.outChannels, p.inChannels, p.kernelSize, p.kernelSize] };
    if (p.zeros.length > 0) entry.zeros = [...p.zeros];
    add(entry, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
  }
  for (const [name, layer] of contents.quantized) {
    if (contents.floats.has(name) || contents.binary.has(name)) throw new Error(`serializeBnx: '${name}' is quantized and also stored otherwise`);
    const q = layer.weight;
    if (!STORED_BITS.includes(q.bits)) throw new Error(`serializeBnx: '${name}' has ${q.bits}-bit codes; a .bnx file stores 4- or 8-bit codes`);
    const entry: Omit<TableEntry, 'offset' | 'bytes'> = { name, dtype: q.bits === 8 ? 'Q8' : 'Q4', shape: [...q.shape], groupSize: q.groupSize };
    if (layer.activation) entry.input = { bits: layer.activation.bits, clip: layer.activation.clip };
    add(entry, quantizedPayload(layer));
  }
  const dataLength = offset;
  const json = new TextEncoder().encode(JSON.stringify({ format: FORMAT, config: contents.config, tensors: table }));
  const headerLength = align8(json.length);
  const out = new Uint8Array(PREAMBLE + headerLength + dataLength + CHECKSUM);
  const view = new DataView(out.buffer);
  out.set(BNX_MAGIC, 0);
  view.setUint32(8, contents.quantized.size > 0 ? BNX_VERSION : BNX_VERSIONS[0], true);
  view.setUint32(12, headerLength, true);
  view.setBigUint64(16, BigInt(dataLength), true);
  out.set(json, PREAMBLE);
  out.fill(0x20, PREAMBLE + json.length, PREAMBLE + headerLength);
  const dataStart = PREAMBLE + headerLength;
  table.forEach((e, i) => out.set(payloads[i], dataStart + e.offset));
  view.setUint32(dataStart + dataLength, crc32(out.subarray(0, dataStart + dataLength)), true);
  return out;
}

/** Whether bytes start with the .bnx magic (a file too short to be .bnx does not). */
export function isBnx(bytes: Uint8Array): boolean {
  return bytes.length >= BNX_MAGIC.length && BNX_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Decodes .bnx bytes; `source` (the file name) starts every error message. Float and packed
 * tensors share the bytes' buffer where it is aligned for them (as parseSafetensors' do).
 */
export function parseBnx(bytes: Uint8Array, source: string): BnxContents {
  const fail = (problem: string): Error => new Error(`${source}: ${problem}`);
  const magicMatches = BNX_MAGIC.every((b, i) => i < bytes.length && bytes[i] === b);
  if (!magicMatches) {
    if (bytes.length < BNX_MAGIC.length && BNX_MAGIC.slice(0, bytes.length).every((b, i) => bytes[i] === b)) {
      throw fail(`truncated .bnx file: ${bytes.length} bytes, fewer than the ${PREAMBLE}-byte preamble`);
    }
    const seen = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw fail(`not a .bnx file: it starts with bytes ${seen || '(none)'}, a .bnx file with 89 42 4e 58 0d 0a 1a 0a`);
  }
  if (bytes.length < PREAMBLE) throw fail(`truncated .bnx file: ${bytes.length} bytes, fewer than the ${PREAMBLE}-byte preamble`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint32(8, true);
  if (!BNX_VERSIONS.includes(version)) throw fail(`.bnx version ${version} is not supported: this bnext reads versions ${BNX_VERSIONS.join(' and ')}`);
  const headerLength = view.getUint32(12, true);
  const dataLength = Number(view.getBigUint64(16, true));
  const expected = PREAMBLE + headerLength + dataLength + CHECKSUM;
  if (bytes.length < expected) {
    throw fail(`truncated .bnx file: ${bytes.length} bytes, its preamble announces ${expected} (${PREAMBLE} + header ${headerLength} + data ${dataLength} + checksum ${CHECKSUM})`);
  }
  if (bytes.length > expected) throw fail(`corrupt .bnx file: ${bytes.length - expected} bytes follow the checksum (the preamble announces ${expected} bytes)`);
  const contentEnd = PREAMBLE + headerLength + dataLength;
  const stored = view.getUint32(contentEnd, true);
  const computed = crc32(bytes.subarray(0, contentEnd));
  if (stored !== computed) {
    throw fail(`corrupt .bnx file: CRC-32 mismatch (the file records ${hex(stored)}, its content gives ${hex(computed)})`);
  }
  const header = parseHeader(bytes.subarray(PREAMBLE, PREAMBLE + headerLength), fail);
  const dataStart = PREAMBLE + headerLength;
  const table = checkTable(header.tensors, dataLength, version, fail);
  const config = configFromJson(header.config, fail);
  checkConfigFitsTable(config, table, dataLength, fail);
  const contents: BnxContents = { config, floats: new Map(), binary: new Map(), quantized: new Map() };
  for (const e of table) {
    const payload = payloadOf(bytes, dataStart + e.offset, e.bytes);
    if (e.dtype === 'F32') {
      contents.floats.set(e.name, new Tensor(new Float32Array(payload.buffer, payload.byteOffset, e.bytes / 4), e.shape));
    } else if (e.dtype === 'Q8' || e.dtype === 'Q4') {
      contents.quantized.set(e.name, quantizedLayerOf(e, payload, fail));
    } else {
      const [cout, cin, k] = e.shape;
      const zeros = Int32Array.from(e.zeros ?? []);
      try {
        contents.binary.set(e.name, packedWeightsFromWords(new Int32Array(payload.buffer, payload.byteOffset, e.bytes / 4), cout, cin, k, zeros));
      } catch (err) {
        throw fail(`corrupt .bnx file: tensor '${e.name}': ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return contents;
}

/**
 * The bytes [start, start + length) as a view of the file's buffer when they are 4-byte aligned
 * there (so float32 and word arrays can view them in place: payloads sit at multiples of 8 from
 * the start of the file), else as an aligned copy.
 */
function payloadOf(bytes: Uint8Array, start: number, length: number): Uint8Array {
  const at = bytes.byteOffset + start;
  return at % 4 === 0 ? new Uint8Array(bytes.buffer, at, length) : bytes.slice(start, start + length);
}

/** A Q8/Q4 entry's payload as codes and parameters, each parameter checked. */
function quantizedLayerOf(e: TableEntry, payload: Uint8Array, fail: Fail): QuantizedLayer {
  const bits = e.dtype === 'Q8' ? 8 : 4;
  const groupSize = e.groupSize!;
  const n = sizeOf(e.shape);
  const cout = e.shape[0];
  const groups = n / groupSize;
  const floats = new Float32Array(payload.buffer, payload.byteOffset, cout + 2 * groups);
  const norm = floats.slice(0, cout);
  const low = floats.slice(cout, cout + groups);
  const span = floats.slice(cout + groups);
  const bad = (problem: string): Error => fail(`corrupt .bnx file: tensor '${e.name}': ${problem}`);
  norm.forEach((v, i) => { if (!(Number.isFinite(v) && v >= 0)) throw bad(`channel ${i} has norm ${v}, expected a finite number >= 0`); });
  low.forEach((v, i) => { if (!Number.isFinite(v)) throw bad(`group ${i} has low ${v}, expected a finite number`); });
  span.forEach((v, i) => { if (!(Number.isFinite(v) && v > 0)) throw bad(`group ${i} has span ${v}, expected a finite number > 0`); });
  let codes: Uint8Array;
  try {
    codes = unpackCodes(payload.subarray(floats.byteLength), n, bits, 'codes');
  } catch (err) {
    throw bad(err instanceof Error ? err.message : String(err));
  }
  return { weight: { shape: [...e.shape], bits, groupSize, codes, norm, low, span }, activation: e.input ?? null };
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

type Fail = (problem: string) => Error;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseHeader(bytes: Uint8Array, fail: Fail): { config: unknown; tensors: unknown } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw fail(`corrupt .bnx header: not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(header) || header.format !== FORMAT) throw fail(`corrupt .bnx header: expected a JSON object with "format": "${FORMAT}"`);
  return { config: header.config, tensors: header.tensors };
}

/** Checks every entry against its dtype, shape and the data area; entries may not overlap. */
function checkTable(value: unknown, dataLength: number, version: number, fail: Fail): TableEntry[] {
  if (!Array.isArray(value)) throw fail('corrupt .bnx header: "tensors" is not an array');
  const names = new Set<string>();
  const entries = value.map((raw, i): TableEntry => {
    const bad = (problem: string): Error => fail(`corrupt .bnx header: tensor ${i}${isObject(raw) && typeof raw.name === 'string' ? ` '${raw.name}'` : ''} ${problem}`);
    if (!isObject(raw) || typeof raw.name !== 'string') throw bad('has no name');
    const { name, dtype, shape, offset, bytes, zeros, groupSize, input } = raw;
    if (names.has(name)) throw bad('appears twice');
    names.add(name);
    if (!DTYPES.includes(dtype as DType)) throw bad(`has dtype ${JSON.stringify(dtype)}, expected ${DTYPES.map((d) => `"${d}"`).join(', ')}`);
    const kind = dtype as DType;
    const quantized = kind === 'Q8' || kind === 'Q4';
    if (quantized && version < 2) throw bad(`has dtype "${kind}", which .bnx version ${version} does not have (quantized weights need version 2)`);
    if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`has invalid shape ${JSON.stringify(shape)}`);
    if (!isCount(offset) || !isCount(bytes) || offset % 8 !== 0) throw bad(`has invalid offset/bytes ${JSON.stringify([offset, bytes])} (offsets are multiples of 8)`);
    if (offset + bytes > dataLength) throw bad(`has bytes [${offset}, ${offset + bytes}) past the ${dataLength}-byte data area`);
    let needed: number;
    let entry: TableEntry = { name, dtype: kind, shape, offset, bytes };
    if (kind === 'F32') {
      needed = 4 * sizeOf(shape);
    } else if (kind === 'B1') {
      if (shape.length !== 4 || shape[2] !== shape[3]) throw bad(`is B1 with shape ${formatShape(shape)}, expected [Cout, Cin, k, k]`);
      needed = 4 * shape[0] * shape[2] * shape[3] * wordsPerPixel(shape[1]);
      // Below the weight count, so each index survives the Int32Array the engine keeps it in.
      if (zeros !== undefined && !(Array.isArray(zeros) && zeros.every((z) => isCount(z) && z < sizeOf(shape)))) {
        throw bad(`has an invalid zero list (flat indices below ${sizeOf(shape)} expected)`);
      }
      entry = { ...entry, zeros: zeros as number[] | undefined };
    } else {
      if ((shape.length !== 2 && shape.length !== 4) || shape.some((d) => d === 0)) throw bad(`is ${kind} with shape ${formatShape(shape)}, expected a non-empty 2-D or 4-D weight`);
      const perChannel = sizeOf(shape) / shape[0];
      if (!isCount(groupSize) || groupSize === 0 || perChannel % groupSize !== 0) {
        throw bad(`has groupSize ${JSON.stringify(groupSize)}, expected a divisor of the ${perChannel} weights per output channel`);
      }
      needed = quantizedBytes(shape, groupSize, kind === 'Q8' ? 8 : 4);
      entry = { ...entry, groupSize, input: inputQuantizationOf(input, bad) };
    }
    if (bytes !== needed) throw bad(`has ${bytes} bytes, its dtype and shape ${formatShape(shape)} need ${needed}`);
    return entry;
  });
  const sorted = [...entries].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].bytes) throw fail(`corrupt .bnx header: tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap`);
  }
  return entries;
}

/** A Q8/Q4 entry's optional "input": {"bits": 2..8, "clip": > 0}. */
function inputQuantizationOf(value: unknown, bad: (problem: string) => Error): { bits: number; clip: number } | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw bad(`has input ${JSON.stringify(value)}, expected {"bits": 2..8, "clip": a positive number}`);
  const { bits, clip } = value;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 8) throw bad(`has input bits ${JSON.stringify(bits)}, expected an integer from 2 to 8`);
  if (typeof clip !== 'number' || !(clip > 0) || !Number.isFinite(clip)) throw bad(`has input clip ${JSON.stringify(clip)}, expected a positive number`);
  return { bits, clip };
}

/**
 * Bounds the architecture by what the file holds, before any model is built from it: a header
 * with a valid checksum may still describe a model far larger than its data (stage ratios of
 * 1e308, a base width of a billion), and building that model would exhaust memory. Each field is
 * bounded by a tensor the model must store: every block has two binary convolutions or more; every
 * BatchNorm of the stem's C channels stores C float32 statistics; the classifier and the stem
 * convolution store their weights at 4 bits or more. Then the binary-conv weights the
 * configuration implies must be exactly those of the table's B1 entries, which bounds the rest of
 * the model. Which tensors, by name and shape, is checked when the model is built (load.ts).
 */
function checkConfigFitsTable(config: ModelConfig, table: readonly TableEntry[], dataLength: number, fail: Fail): void {
  const bad = (field: string, value: unknown, bound: string): Error => fail(`corrupt .bnx header: config field "${field}" is ${JSON.stringify(value)}, ${bound}`);
  const [field, ratios] = config.arch === 'bnext' ? ['stages', config.stages] : ['blocksPerLayer', config.blocksPerLayer];
  const units = ratios.reduce((a, b) => a + b, 0);
  const blocks = config.arch === 'bnext' ? 2 * units + 1 : units;
  const binaryEntries = table.filter((e) => e.dtype === 'B1').length;
  if (2 * blocks > binaryEntries) {
    throw bad(field, ratios, `which makes ${blocks} blocks of at least two binary convolutions each, but the tensor table has ${binaryEntries} B1 entries`);
  }
  const C = config.baseWidth;
  if (4 * C > dataLength) {
    throw bad('baseWidth', C, `but the stem's BatchNorm statistics alone need ${4 * C} bytes (float32) and the data area has ${dataLength} (at most ${Math.floor(dataLength / 4)} channels)`);
  }
  const width = classifierWidth(config);
  const maxClasses = Math.floor((2 * dataLength) / width);
  if (config.numClasses > maxClasses) {
    throw bad('numClasses', config.numClasses, `but a classifier of ${width} features stores at least 4 bits per weight: the ${dataLength}-byte data area holds at most ${maxClasses} classes`);
  }
  const taps = config.arch === 'bnext-18' && config.numClasses === 1000 ? 49 : 9;
  const maxInChannels = Math.floor((2 * dataLength) / (C * taps));
  if (config.inChannels > maxInChannels) {
    throw bad('inChannels', config.inChannels, `but the stem convolution of ${C} channels stores at least 4 bits per weight: the ${dataLength}-byte data area holds at most ${maxInChannels} input channels`);
  }
  const implied = binaryWeightCount(config);
  const stored = table.reduce((n, e) => n + (e.dtype === 'B1' ? sizeOf(e.shape) : 0), 0);
  if (implied !== stored) {
    throw fail(`corrupt .bnx header: config fields "baseWidth" ${C} and "${field}" ${JSON.stringify(ratios)} make ${implied} binary-conv weights, the tensor table's B1 entries hold ${stored}`);
  }
}

/** The architecture configuration, checked field by field, then by the model's own rules. */
function configFromJson(value: unknown, fail: Fail): ModelConfig {
  const bad = (problem: string): Error => fail(`corrupt .bnx header: config ${problem}`);
  if (!isObject(value)) throw bad('is not a JSON object');
  const int = (key: string): number => {
    const v = value[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`field "${key}" must be an integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const four = (key: string): [number, number, number, number] => {
    const v = value[key];
    if (!Array.isArray(v) || v.length !== 4 || !v.every((x) => Number.isInteger(x))) throw bad(`field "${key}" must be four integers, got ${JSON.stringify(v)}`);
    return [v[0], v[1], v[2], v[3]];
  };
  const bool = (key: string): boolean => {
    const v = value[key];
    if (typeof v !== 'boolean') throw bad(`field "${key}" must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  let config: ModelConfig;
  if (value.arch === 'bnext') {
    config = {
      arch: 'bnext', baseWidth: int('baseWidth'), stages: four('stages'), numClasses: int('numClasses'),
      stemStride: int('stemStride'), inChannels: int('inChannels'), elmAttention: bool('elmAttention'), infoRecoupling: bool('infoRecoupling'),
    };
  } else if (value.arch === 'bnext-18') {
    config = { arch: 'bnext-18', baseWidth: int('baseWidth'), blocksPerLayer: four('blocksPerLayer'), numClasses: int('numClasses'), inChannels: int('inChannels') };
  } else {
    throw bad(`has arch ${JSON.stringify(value.arch)}, expected "bnext" or "bnext-18"`);
  }
  try {
    validateConfig(config);
  } catch (e) {
    throw bad(`is invalid: ${e instanceof Error ? e.message : String(e)}`);
  }
  return config;
}
