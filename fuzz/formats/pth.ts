/**
 * Fuzzing the torch.save reader (src/io/torch/). Seeds are PyTorch's own files (fixtures/torch),
 * the malicious ones included. Format-aware mutations: the zip format's data.pkl rewritten (byte
 * or opcode mutations) and the archive rebuilt with correct CRC-32s, storage bytes changed with
 * their CRC-32 fixed, central directory fields set to huge or overlapping values; the legacy
 * format's pickle opcodes and storage counts rewritten.
 *
 * The reference: when the pickle is unchanged (and the length too), every tensor must be what the
 * seed's layout (storage positions, offsets, strides) gives on the mutated bytes; otherwise no
 * in-process reference can tell, and the result is reported unverified (fuzz/reference.py then
 * loads those files with PyTorch).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { crc32 } from '../../src/engine/crc32';
import type { StoredArray } from '../../src/io/stored';
import { parseTorchFile, parseTorchStateDict, type TorchFile } from '../../src/io/torch/checkpoint';
import { TorchStorage, TorchTensor } from '../../src/io/torch/allow-list';
import { PickleDict } from '../../src/io/torch/pickle';
import { copyBudgetFor, materializeTensor, StorageViews } from '../../src/io/torch/tensor-view';
import { readZipDirectory, zipEntryData } from '../../src/io/torch/zip';
import type { Rng } from '../../src/tensor/random';
import { GENERIC_MUTATORS, interestingValue, type Mutated, type Mutator, writeLittleEndian } from '../mutate';
import { digestArrays, type FuzzTarget, MIB } from '../target';
import { zipArchive } from '../zip-writer';
import { mutatePickle, tokenize } from './pickle-tokens';

const DIR = 'fixtures/torch';

function seeds(): { name: string; bytes: Uint8Array }[] {
  return readdirSync(DIR).filter((f) => /\.(pth|pth\.tar|pt)$/.test(f)).sort().map((f) => ({ name: joinPath(DIR, f), bytes: new Uint8Array(readFileSync(joinPath(DIR, f))) }));
}

const isZip = (bytes: Uint8Array): boolean => bytes[0] === 0x50 && bytes[1] === 0x4b;

function digestStateDict(tensors: Map<string, StoredArray>, key: string | null, ignored: string[]): string {
  return digestArrays(tensors, JSON.stringify([key, ignored]));
}

/** The zip's entries, or null when the directory cannot be read. */
function entriesOf(bytes: Uint8Array): { name: string; data: Uint8Array }[] | null {
  try {
    return [...readZipDirectory(bytes, 'seed').values()].map((e) => ({ name: e.name, data: bytes.subarray(e.dataOffset, e.dataOffset + e.size) }));
  } catch {
    return null;
  }
}

function zipPickleMutation(bytes: Uint8Array, rng: Rng, others: readonly Uint8Array[]): Mutated {
  const entries = isZip(bytes) ? entriesOf(bytes) : null;
  const pkl = entries?.find((e) => e.name.endsWith('/data.pkl'));
  if (!entries || !pkl) return legacyPickleMutation(bytes, rng);
  const m = rng.uniform() < 0.6 ? mutatePickle(pkl.data, rng) : GENERIC_MUTATORS[rng.int(GENERIC_MUTATORS.length - 1)](pkl.data, rng, others);
  const rebuilt = entries.map((e) => (e === pkl ? { name: e.name, data: m.bytes } : e));
  return { bytes: zipArchive(rebuilt, { zip64: rng.uniform() < 0.1 }), what: `data.pkl: ${m.what}; archive rebuilt` };
}

function zipStorageMutation(bytes: Uint8Array, rng: Rng): Mutated {
  if (!isZip(bytes)) return legacyCountMutation(bytes, rng);
  let directory;
  try {
    directory = [...readZipDirectory(bytes, 'seed').values()].filter((e) => e.name.includes('/data/') && e.size > 0);
  } catch {
    return { bytes, what: 'unreadable: unchanged' };
  }
  if (directory.length === 0) return { bytes, what: 'no storages: unchanged' };
  const entry = directory[rng.int(directory.length)];
  const out = bytes.slice();
  const at = entry.dataOffset + rng.int(entry.size);
  out[at] ^= 1 << rng.int(8);
  // Fix the CRC-32 in the central directory (the reader's source of truth) and the local header.
  const crc = crc32(out.subarray(entry.dataOffset, entry.dataOffset + entry.size));
  const view = new DataView(out.buffer);
  const cd = view.getUint32(out.length - 22 + 16, true);
  for (let p = cd; p + 46 <= out.length - 22; ) {
    const nameLength = view.getUint16(p + 28, true);
    const name = new TextDecoder().decode(out.subarray(p + 46, p + 46 + nameLength));
    if (name === entry.name) {
      view.setUint32(p + 16, crc, true);
      view.setUint32(view.getUint32(p + 42, true) + 14, crc, true);
      break;
    }
    p += 46 + nameLength + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return { bytes: out, what: `storage ${entry.name}: flip a bit at ${at}, CRC fixed` };
}

function zipDirectoryMutation(bytes: Uint8Array, rng: Rng): Mutated {
  if (!isZip(bytes) || bytes.length < 22) return legacyCountMutation(bytes, rng);
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const end = out.length - 22;
  const cd = view.getUint32(end + 16, true);
  const count = view.getUint16(end + 10, true);
  // A random field of a random central header, or of the end record.
  let p = cd;
  const target = rng.int(count + 1);
  for (let i = 0; i < target && p + 46 <= end; i++) p += 46 + view.getUint16(p + 28, true) + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  const fields: [number, number, string][] = target === count || p + 46 > end
    ? [[end + 8, 2, 'entries on disk'], [end + 10, 2, 'entry count'], [end + 12, 4, 'directory size'], [end + 16, 4, 'directory offset'], [end + 20, 2, 'comment length']]
    : [[p + 10, 2, 'method'], [p + 20, 4, 'compressed size'], [p + 24, 4, 'size'], [p + 28, 2, 'name length'], [p + 30, 2, 'extra length'], [p + 42, 4, 'local header offset']];
  const [at, width, name] = fields[rng.int(fields.length)];
  const value = interestingValue(rng, width === 2 ? view.getUint16(at, true) : view.getUint32(at, true));
  writeLittleEndian(out, at, width, value);
  return { bytes: out, what: `zip ${name} at ${at} = ${value}` };
}

/** The offset where the legacy format's storages start (after its five pickles), or null. */
function legacyStorageStart(bytes: Uint8Array): number | null {
  let at = 0;
  for (let i = 0; i < 5; i++) {
    const tokens = tokenize(bytes, at);
    const last = tokens[tokens.length - 1];
    if (!last || last.op !== 0x2e) return null;
    at = last.at + 1;
  }
  return at;
}

function legacyPickleMutation(bytes: Uint8Array, rng: Rng): Mutated {
  // The object pickle is the fourth; mutate one of the five at random, mostly the object.
  let at = 0;
  const which = rng.uniform() < 0.8 ? 3 : rng.int(5);
  for (let i = 0; i < which; i++) {
    const tokens = tokenize(bytes, at);
    const last = tokens[tokens.length - 1];
    if (!last) break;
    at = last.at + 1;
  }
  const m = mutatePickle(bytes, rng, at);
  return { bytes: m.bytes, what: `pickle ${which + 1}: ${m.what}` };
}

function legacyCountMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const start = legacyStorageStart(bytes);
  if (start === null || start + 8 > bytes.length) return legacyPickleMutation(bytes, rng);
  const out = bytes.slice();
  // The first count sits at `start`; later ones are found by walking the storages.
  const value = interestingValue(rng, Number(new DataView(out.buffer).getBigInt64(start, true)));
  writeLittleEndian(out, start, 8, value);
  return { bytes: out, what: `first storage count = ${value}` };
}

/** The state_dict's tensors of a parsed seed (the entry `state_dict` or the file itself). */
function seedTensors(file: TorchFile): Map<string, TorchTensor> | null {
  const root = file.root;
  if (!(root instanceof PickleDict)) return null;
  const all = [...root.entries.values()].every((v) => v instanceof TorchTensor);
  const dict = all ? root : root.entries.get('state_dict');
  if (!(dict instanceof PickleDict)) return null;
  return new Map([...dict.entries].filter((e): e is [string, TorchTensor] => typeof e[0] === 'string' && e[1] instanceof TorchTensor));
}

/** The seed's tensors gathered from `bytes` at the seed's storage positions. */
function seedLayoutOn(seed: Uint8Array, bytes: Uint8Array): string | null {
  let file: TorchFile;
  try {
    file = parseTorchFile(seed, 'seed');
  } catch {
    return null;
  }
  const tensors = seedTensors(file);
  if (!tensors) return null;
  const moved = new Map<TorchStorage, TorchStorage>();
  const budget = copyBudgetFor(bytes.length);
  const views = new StorageViews('reference', budget);
  const out = new Map<string, StoredArray>();
  for (const [name, t] of tensors) {
    let storage = moved.get(t.storage);
    if (!storage) {
      const original = t.storage.data('seed');
      const at = original.byteOffset - seed.byteOffset;
      storage = new TorchStorage(t.storage.key, t.storage.dtype, t.storage.numel, t.storage.location);
      storage.setBytes(bytes.subarray(at, at + original.length));
      moved.set(t.storage, storage);
    }
    out.set(name, materializeTensor(new TorchTensor(storage, t.offset, t.shape, t.stride, t.requiresGrad), views, budget, name, 'reference'));
  }
  const root = file.root as PickleDict;
  const key = [...root.entries.values()].every((v) => v instanceof TorchTensor) ? null : 'state_dict';
  const ignored = key === null ? [] : [...root.entries.keys()].filter((k) => k !== key).map(String);
  return digestStateDict(out, key, ignored);
}

/** The bytes of the pickle(s): data.pkl in a zip, everything before the storages in a legacy file. */
function pickleBytes(bytes: Uint8Array): Uint8Array | null {
  if (isZip(bytes)) {
    try {
      const entries = readZipDirectory(bytes, 'x');
      const pkl = [...entries.values()].find((e) => e.name.endsWith('/data.pkl'));
      return pkl ? zipEntryData(bytes, pkl, 'x') : null;
    } catch {
      return null;
    }
  }
  const start = legacyStorageStart(bytes);
  return start === null ? null : bytes.subarray(0, start);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a !== null && b !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

export const pthTarget: FuzzTarget = {
  name: 'pth',
  seeds,
  decode(bytes, source) {
    const sd = parseTorchStateDict(bytes, source);
    return digestStateDict(sd.tensors, sd.stateDictKey, sd.ignoredKeys);
  },
  reference(bytes, seed) {
    if (bytes.length !== seed.length || !sameBytes(pickleBytes(bytes), pickleBytes(seed))) return null;
    return seedLayoutOn(seed, bytes);
  },
  mutators: [zipPickleMutation, zipPickleMutation, zipStorageMutation, zipDirectoryMutation, legacyPickleMutation, legacyCountMutation] satisfies Mutator[],
  // Tensors are views of the input; misaligned storages and strided views are copied within the
  // reader's budget of twice the file's length (src/io/torch/tensor-view.ts).
  allocationBound: (length) => 3 * length + MIB,
};
