/**
 * Fuzzing the safetensors reader (src/io/safetensors.ts). The reference decode reads the header
 * with JSON.parse and takes each tensor's bytes at its data_offsets, without the reader's checks;
 * the reader must agree with it on every file it accepts. Format-aware mutations rewrite header
 * fields (offsets huge, negative, overlapping or swapped; shapes; dtypes; metadata) and the
 * header length.
 */
import { readFileSync } from 'node:fs';
import { parseSafetensors } from '../../src/io/safetensors';
import { DTYPE_SIZE, isStoredDType } from '../../src/io/stored';
import type { Rng } from '../../src/tensor/random';
import { interestingValue, type Mutated, type Mutator, writeLittleEndian } from '../mutate';
import { digestArrays, type FuzzTarget, MIB, ReferenceRejects } from '../target';

const SEEDS = [
  'fixtures/io/safetensors/state.safetensors',
  'fixtures/io/safetensors/legacy_unpadded.safetensors',
  'fixtures/torch/views.expected.safetensors',
  'fixtures/torch/protocol4.expected.safetensors',
  'fixtures/torch/fp16.expected.safetensors',
];

interface Split {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function split(bytes: Uint8Array): Split | null {
  if (bytes.length < 8) return null;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    return typeof header === 'object' && header !== null ? { header, data: bytes.subarray(8 + n) } : null;
  } catch {
    return null;
  }
}

function join(header: Record<string, unknown>, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad && json.length % 8 !== 0) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(8 - (json.length % 8)));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function someValue(rng: Rng): unknown {
  return [-1, 0, 1, 2 ** 31, 2 ** 32, 2 ** 53, 1e308, 1.5, '3', null, [], {}][rng.int(12)];
}

function headerMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const parts = split(bytes);
  if (!parts) return { bytes, what: 'header unreadable: unchanged' };
  const { header, data } = parts;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (names.length === 0) return { bytes, what: 'no tensors: unchanged' };
  const name = names[rng.int(names.length)];
  const entry = { ...(header[name] as Record<string, unknown>) };
  const other = header[names[rng.int(names.length)]] as { data_offsets: [number, number] };
  const offsets = [...(entry.data_offsets as number[])];
  let what: string;
  switch (rng.int(7)) {
    case 0: {
      const i = rng.int(2);
      offsets[i] = Number(interestingValue(rng, offsets[i]));
      entry.data_offsets = offsets;
      what = `'${name}' data_offsets[${i}] = ${offsets[i]}`;
      break;
    }
    case 1:
      entry.data_offsets = [...other.data_offsets];
      what = `'${name}' data_offsets = another tensor's [${other.data_offsets.join(', ')}]`;
      break;
    case 2:
      entry.data_offsets = [offsets[1], offsets[0]];
      what = `'${name}' data_offsets swapped`;
      break;
    case 3: {
      const shape = [...(entry.shape as number[])];
      const i = rng.int(shape.length + 1);
      if (i === shape.length || rng.uniform() < 0.3) shape.push(Number(interestingValue(rng)));
      else shape[i] = rng.uniform() < 0.5 ? Number(interestingValue(rng, shape[i])) : (someValue(rng) as number);
      entry.shape = shape;
      what = `'${name}' shape = ${JSON.stringify(shape)}`;
      break;
    }
    case 4:
      entry.dtype = ['F32', 'F16', 'F64', 'I64', 'U8', 'BOOL', 'BF16', 'X', 5][rng.int(9)];
      what = `'${name}' dtype = ${JSON.stringify(entry.dtype)}`;
      break;
    case 5: {
      const key = ['dtype', 'shape', 'data_offsets'][rng.int(3)];
      entry[key] = someValue(rng);
      what = `'${name}' ${key} = ${JSON.stringify(entry[key])}`;
      break;
    }
    default:
      header.__metadata__ = rng.uniform() < 0.5 ? { k: someValue(rng) } : someValue(rng);
      what = `__metadata__ = ${JSON.stringify(header.__metadata__)}`;
  }
  header[name] = entry;
  return { bytes: join(header, data, rng.uniform() < 0.8), what };
}

function lengthMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const out = bytes.slice();
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, Math.min(8, bytes.length)).getBigUint64(0, true));
  const value = interestingValue(rng, n);
  writeLittleEndian(out, 0, 8, value);
  return { bytes: out, what: `header length = ${value}` };
}

export const safetensorsTarget: FuzzTarget = {
  name: 'safetensors',
  seeds: () => SEEDS.map((name) => ({ name, bytes: new Uint8Array(readFileSync(name)) })),
  decode(bytes, source) {
    const file = parseSafetensors(bytes, source);
    return digestArrays(file.tensors, JSON.stringify(Object.entries(file.metadata).sort()));
  },
  reference(bytes) {
    const parts = split(bytes);
    if (!parts) throw new ReferenceRejects('header');
    const tensors = new Map<string, { dtype: string; shape: number[]; data: Uint8Array }>();
    let metadata: [string, unknown][] = [];
    for (const [name, value] of Object.entries(parts.header)) {
      if (name === '__metadata__') {
        metadata = Object.entries(value as Record<string, unknown>).sort();
        continue;
      }
      const { dtype, shape, data_offsets: [begin, end] } = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
      if (!isStoredDType(dtype) || shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype] !== end - begin || end > parts.data.length) throw new ReferenceRejects(name);
      tensors.set(name, { dtype, shape, data: parts.data.subarray(begin, end) });
    }
    return digestArrays(tensors, JSON.stringify(metadata));
  },
  mutators: [headerMutation, lengthMutation] satisfies Mutator[],
  // The tensors are views of the input or one copy of it (misaligned data).
  allocationBound: (length) => 2 * length + MIB,
};
