/**
 * Reading `torch.save` files (`.pth`, `.pth.tar`, `.pt`) without Python: either format (zip or
 * legacy), a plain state_dict or a training checkpoint dict holding one (docs/torch-checkpoints.md).
 *
 *     const file = parseTorchFile(bytes, 'official.pth.tar');
 *     const { tensors, stateDictKey, ignoredKeys } = torchStateDict(file);
 *
 * The file's tensors come out as stored arrays in their own element type (float32, float16,
 * bfloat16, float64, int64, ...), row-major, with views and shared storages resolved. This module
 * takes bytes and imports nothing from Node, so it runs in a browser too.
 */
import type { StoredArray } from '../stored';
import { TorchTensor } from './allow-list';
import { TorchFileError } from './errors';
import { PickleDict, type PickleKey, type PickleValue, describeValue, pythonTypeOf } from './pickle';
import { copyBudgetFor, materializeTensor, StorageViews } from './tensor-view';
import { LEGACY_SIGNATURE, readLegacyFormat } from './legacy-format';
import { readZipFormat } from './zip-format';

export type TorchFormat = 'zip' | 'legacy';

/** An unpickled `torch.save` file; tensors in it are gathered on request. */
export interface TorchFile {
  format: TorchFormat;
  /** The saved object (a dict for state_dicts and checkpoints). */
  root: PickleValue;
  /** The elements of one of the file's tensors, row-major; `what` names it in errors. */
  materialize(tensor: TorchTensor, what: string): StoredArray;
}

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04] as const;
/** Where a tar archive (PyTorch before 0.4 wrote those) has its "ustar" magic. */
const TAR_MAGIC_OFFSET = 257;

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  return bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);
}

/** The format of a `torch.save` file, or null when the bytes are not one. */
export function torchFormatOf(bytes: Uint8Array): TorchFormat | null {
  if (startsWith(bytes, ZIP_SIGNATURE)) return 'zip';
  if (startsWith(bytes, LEGACY_SIGNATURE)) return 'legacy';
  return null;
}

/** Unpickles a `torch.save` file of either format; `source` (the file name) prefixes every error. */
export function parseTorchFile(bytes: Uint8Array, source: string): TorchFile {
  const format = torchFormatOf(bytes);
  if (format === null) {
    if (startsWith(bytes, [0x75, 0x73, 0x74, 0x61, 0x72], TAR_MAGIC_OFFSET)) {
      throw new TorchFileError(source, 'a tar archive: the tar format of PyTorch before 0.4 is not supported; load and re-save it with a recent torch');
    }
    throw new TorchFileError(source, 'not a torch.save file (neither a zip archive nor a legacy pickle with the torch magic number)');
  }
  const root = format === 'zip' ? readZipFormat(bytes, source) : readLegacyFormat(bytes, source);
  const budget = copyBudgetFor(bytes.length);
  const views = new StorageViews(source, budget);
  return { format, root, materialize: (tensor, what) => materializeTensor(tensor, views, budget, what, source) };
}

/** The tensors of a state_dict, where they came from, and what else the file held. */
export interface TorchStateDict {
  format: TorchFormat;
  tensors: Map<string, StoredArray>;
  /** The checkpoint key the state_dict was taken from; null for a file that is a state_dict. */
  stateDictKey: string | null;
  /** The checkpoint's other top-level keys (epoch, optimizer, ...), which were not read. */
  ignoredKeys: string[];
}

export interface TorchStateDictOptions {
  /** Take the state_dict from this top-level key of a checkpoint dict (default: `state_dict`). */
  stateDictKey?: string;
}

/** The key under which the official training script (and most others) saves the weights. */
export const DEFAULT_STATE_DICT_KEY = 'state_dict';

function keyName(key: PickleKey): string {
  return typeof key === 'string' ? key : String(key);
}

function describeKeys(dict: PickleDict): string {
  return [...dict.entries].map(([k, v]) => `${keyName(k)} (${pythonTypeOf(v)})`).join(', ');
}

function isStateDict(value: PickleValue): value is PickleDict {
  return value instanceof PickleDict && [...value.entries.values()].every((v) => v instanceof TorchTensor);
}

/** The dict of tensors to read: the file itself, or one entry of a checkpoint dict. */
function selectStateDict(root: PickleDict, options: TorchStateDictOptions, source: string): { dict: PickleDict; key: string | null } {
  const asked = options.stateDictKey;
  if (asked === undefined && isStateDict(root)) return { dict: root, key: null };
  const key = asked ?? DEFAULT_STATE_DICT_KEY;
  if (!root.entries.has(key)) {
    const hint = asked === undefined ? '; name the entry that holds the weights with --state-dict-key' : '';
    throw new TorchFileError(source, `the checkpoint has no '${key}' entry (its keys: ${describeKeys(root)})${hint}`);
  }
  const dict = root.entries.get(key)!;
  if (!(dict instanceof PickleDict)) throw new TorchFileError(source, `the checkpoint's '${key}' is ${describeValue(dict)}, not a state_dict`);
  return { dict, key };
}

/**
 * The state_dict a `torch.save` file holds: the file's dict when all its values are tensors,
 * otherwise the checkpoint's `state_dict` entry (or `options.stateDictKey`). Keys are kept as
 * stored (a DataParallel `module.` prefix included; loading strips it).
 */
export function torchStateDict(file: TorchFile, source: string, options: TorchStateDictOptions = {}): TorchStateDict {
  const { root } = file;
  if (!(root instanceof PickleDict)) throw new TorchFileError(source, `the file holds ${describeValue(root)}, not a state_dict or a checkpoint dict`);
  const { dict, key } = selectStateDict(root, options, source);
  const where = key === null ? 'state_dict' : `checkpoint entry '${key}'`;
  const tensors = new Map<string, StoredArray>();
  for (const [name, value] of dict.entries) {
    if (typeof name !== 'string') throw new TorchFileError(source, `${where} has a key of type ${pythonTypeOf(name)} (${keyName(name)}); state_dict keys are str`);
    if (!(value instanceof TorchTensor)) throw new TorchFileError(source, `${where}: '${name}' is ${describeValue(value)}, not a tensor`);
    tensors.set(name, file.materialize(value, `tensor '${name}'`));
  }
  const ignoredKeys = key === null ? [] : [...root.entries.keys()].filter((k) => k !== key).map(keyName);
  return { format: file.format, tensors, stateDictKey: key, ignoredKeys };
}

/** `parseTorchFile` then `torchStateDict`. */
export function parseTorchStateDict(bytes: Uint8Array, source: string, options: TorchStateDictOptions = {}): TorchStateDict {
  return torchStateDict(parseTorchFile(bytes, source), source, options);
}
