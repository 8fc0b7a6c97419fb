/**
 * Fuzzing the .bnx reader and the packed engine built from it (src/engine/bnx.ts, load.ts), as
 * `bnext forward --engine xnor --weights M.bnx` runs them. Seeds are packed in memory from the
 * BNext checkpoint PyTorch wrote (fixtures/torch), with and without the paper's quantization,
 * and from a random fully binary BNext-18. The reference decode takes each table entry's bytes
 * straight from the data area. Format-aware mutations rewrite the architecture, the tensor table
 * and the preamble, then recompute the CRC-32 so that the reader's later checks are reached.
 */
import { crc32 } from '../../src/engine/crc32';
import { parseBnx, serializeBnx } from '../../src/engine/bnx';
import { bnxContentsOf, packedModelFromContents } from '../../src/engine/load';
import { storedWords } from '../../src/binary/pack';
import { packCodes } from '../../src/quantize/codes';
import { parseQuantization } from '../../src/quantize/scheme';
import { loadWeights } from '../../src/nn/state-dict-file';
import { withoutInit } from '../../src/nn/init';
import { buildModel, resolveConfig } from '../../src/models/factory';
import type { Rng } from '../../src/tensor/random';
import { randomModel } from '../../spec/engine/helpers';
import { interestingValue, type Mutated, type Mutator, writeLittleEndian } from '../mutate';
import { Digest, type FuzzTarget, MIB, ReferenceRejects } from '../target';

const PREAMBLE = 24;

function seeds(): { name: string; bytes: Uint8Array }[] {
  const model = withoutInit(() => buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [0, 0, 0, 0], numClasses: 10 })));
  loadWeights(model, 'fixtures/torch/bnext_state_dict.safetensors');
  const bnext18 = randomModel({ arch: 'bnext-18', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }, 'fuzz');
  return [
    { name: 'bnext (torch checkpoint).bnx', bytes: serializeBnx(bnxContentsOf(model)) },
    { name: 'bnext quantized paper.bnx', bytes: serializeBnx(bnxContentsOf(model, { quantize: parseQuantization('paper') })) },
    { name: 'bnext-18 random.bnx', bytes: serializeBnx(bnxContentsOf(bnext18)) },
  ];
}

interface Parts {
  version: number;
  header: { format: unknown; config: Record<string, unknown>; tensors: Record<string, unknown>[] };
  data: Uint8Array;
}

function split(bytes: Uint8Array): Parts | null {
  if (bytes.length < PREAMBLE + 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(12, true);
  const dataLength = Number(view.getBigUint64(16, true));
  if (PREAMBLE + headerLength + dataLength + 4 > bytes.length) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength))) as Parts['header'];
    return { version: view.getUint32(8, true), header, data: bytes.subarray(PREAMBLE + headerLength, PREAMBLE + headerLength + dataLength) };
  } catch {
    return null;
  }
}

/** The file of `parts`, with a correct CRC-32. */
function join(bytes: Uint8Array, parts: Parts): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(parts.header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(PREAMBLE + headerLength + parts.data.length + 4);
  out.set(bytes.subarray(0, 8));
  const view = new DataView(out.buffer);
  view.setUint32(8, parts.version, true);
  view.setUint32(12, headerLength, true);
  view.setBigUint64(16, BigInt(parts.data.length), true);
  out.set(json, PREAMBLE);
  out.fill(0x20, PREAMBLE + json.length, PREAMBLE + headerLength);
  out.set(parts.data, PREAMBLE + headerLength);
  withCrc(out);
  return out;
}

/** Rewrites the trailing CRC-32 over everything before it. */
function withCrc(out: Uint8Array): Uint8Array {
  if (out.length >= 4) writeLittleEndian(out, out.length - 4, 4, BigInt(crc32(out.subarray(0, out.length - 4))));
  return out;
}

function oddValue(rng: Rng, near?: number): unknown {
  if (rng.uniform() < 0.7) return Number(interestingValue(rng, near));
  return [1e308, -1, 0.5, '8', null, true, [], {}][rng.int(8)];
}

function headerMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const parts = split(bytes);
  if (!parts) return { bytes, what: 'unreadable: unchanged' };
  const { config, tensors } = parts.header;
  let what: string;
  if (rng.uniform() < 0.4) {
    const keys = Object.keys(config);
    const key = keys[rng.int(keys.length)];
    const value = config[key];
    if (Array.isArray(value)) {
      const copy = [...value] as unknown[];
      copy[rng.int(copy.length)] = oddValue(rng);
      config[key] = copy;
    } else {
      config[key] = typeof value === 'number' ? oddValue(rng, value) : oddValue(rng);
    }
    what = `config.${key} = ${JSON.stringify(config[key])}`;
  } else {
    const i = rng.int(tensors.length);
    const entry = tensors[i];
    const key = ['offset', 'bytes', 'shape', 'dtype', 'zeros', 'groupSize', 'input', 'name'][rng.int(8)];
    if (key === 'shape' && Array.isArray(entry.shape)) {
      const shape = [...(entry.shape as number[])];
      shape[rng.int(shape.length)] = Number(interestingValue(rng));
      entry.shape = shape;
    } else if (key === 'zeros') {
      entry.zeros = [Number(interestingValue(rng)), ...((entry.zeros as number[] | undefined) ?? [])];
    } else if (key === 'dtype') {
      entry.dtype = ['F32', 'B1', 'Q8', 'Q4', 'F16'][rng.int(5)];
    } else if (key === 'name') {
      entry.name = (tensors[rng.int(tensors.length)].name as string) ?? 'x';
    } else {
      entry[key] = oddValue(rng, typeof entry[key] === 'number' ? (entry[key] as number) : undefined);
    }
    what = `tensor ${i} ${key} = ${JSON.stringify(entry[key])}`;
  }
  return { bytes: join(bytes, parts), what };
}

function preambleMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const out = bytes.slice();
  const [at, width, name] = ([[8, 4, 'version'], [12, 4, 'header length'], [16, 8, 'data length']] as const)[rng.int(3)];
  const value = interestingValue(rng);
  writeLittleEndian(out, at, width, value);
  return { bytes: rng.uniform() < 0.5 ? withCrc(out) : out, what: `${name} = ${value}` };
}

/** A byte-level mutation of the data area, the CRC-32 then made right. */
function dataMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const out = bytes.slice();
  if (out.length < PREAMBLE + 8) return { bytes: out, what: 'too short: unchanged' };
  const at = PREAMBLE + rng.int(out.length - PREAMBLE - 4);
  out[at] ^= 1 << rng.int(8);
  return { bytes: withCrc(out), what: `flip a bit at ${at}, CRC fixed` };
}

export const bnxTarget: FuzzTarget = {
  name: 'bnx',
  seeds,
  decode(bytes, source) {
    const contents = parseBnx(bytes, source);
    packedModelFromContents(contents, source);
    const d = new Digest().text(JSON.stringify(Object.entries(contents.config).sort()));
    for (const [name, t] of contents.floats) d.text(name).text('F32').text(t.shape.join(',')).bytes(t.data);
    for (const [name, p] of contents.binary) d.text(name).text('B1').text([p.outChannels, p.inChannels, p.kernelSize].join(',')).bytes(storedWords(p)).text(p.zeros.join(','));
    for (const [name, q] of contents.quantized) {
      const w = q.weight;
      d.text(name).text(`Q${w.bits}`).text(w.shape.join(',')).text(String(w.groupSize)).bytes(w.norm).bytes(w.low).bytes(w.span).bytes(packCodes(w.codes, w.bits));
      d.text(JSON.stringify(q.activation));
    }
    return d.done();
  },
  reference(bytes) {
    const parts = split(bytes);
    if (!parts) throw new ReferenceRejects('preamble');
    const config = parts.header.config;
    const d = new Digest().text(JSON.stringify(Object.entries(config).sort()));
    const entries = parts.header.tensors as {
      name: string; dtype: string; shape: number[]; offset: number; bytes: number; zeros?: number[]; groupSize?: number; input?: { bits: number; clip: number };
    }[];
    // The reader files entries by kind (floats, binary, quantized), each kind in table order.
    const rank = (dtype: string): number => (dtype === 'F32' ? 0 : dtype === 'B1' ? 1 : 2);
    for (const e of [...entries].sort((a, b) => rank(a.dtype) - rank(b.dtype))) {
      const payload = parts.data.subarray(e.offset, e.offset + e.bytes);
      if (e.dtype === 'F32') d.text(e.name).text('F32').text(e.shape.join(',')).bytes(payload);
      else if (e.dtype === 'B1') d.text(e.name).text('B1').text(e.shape.slice(0, 3).join(',')).bytes(payload).text((e.zeros ?? []).join(','));
      else {
        const floats = 4 * (e.shape[0] + 2 * (e.shape.reduce((a, b) => a * b, 1) / e.groupSize!));
        const third = (floats / 4 - e.shape[0]) / 2;
        d.text(e.name).text(e.dtype).text(e.shape.join(',')).text(String(e.groupSize));
        d.bytes(payload.subarray(0, 4 * e.shape[0])).bytes(payload.subarray(4 * e.shape[0], 4 * (e.shape[0] + third))).bytes(payload.subarray(4 * (e.shape[0] + third), floats)).bytes(payload.subarray(floats));
        d.text(JSON.stringify(e.input ? { bits: e.input.bits, clip: e.input.clip } : null));
      }
    }
    return d.done();
  },
  mutators: [headerMutation, headerMutation, preambleMutation, dataMutation] satisfies Mutator[],
  // The engine's float skeleton holds every binary weight as float32: 32x its bit in the file.
  allocationBound: (length) => 64 * length + 8 * MIB,
};
