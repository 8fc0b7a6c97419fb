/**
 * state_dict files: safetensors with PyTorch's dotted names, floats as F32 and integer buffers
 * (`num_batches_tracked`) as I64, so the same file loads in PyTorch via `safetensors.torch`.
 * Reading also accepts `torch.save` files (.pth, .pth.tar, .pt; docs/torch-checkpoints.md).
 */
import { writeSafetensors } from '../io/safetensors';
import { type ReadWeightsOptions, readWeightsFile, type WeightsFile, type WeightsSource, weightsSourceOf } from '../io/weights-file';
import { fromIntTensor, fromTensor, type StoredArray, toIntTensor, toTensor } from '../io/stored';
import { IntTensor } from '../tensor/int-tensor';
import type { LoadReport, Module, StateDict, StateValue } from './module';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** Float arrays become float32 tensors, integer arrays int tensors (range-checked). */
export function stateValueOf(arr: StoredArray, what: string): StateValue {
  return FLOAT_DTYPES.has(arr.dtype) ? toTensor(arr, what) : toIntTensor(arr, what);
}

export function storedOf(v: StateValue): StoredArray {
  return v instanceof IntTensor ? fromIntTensor(v, 'I64') : fromTensor(v);
}

/** The state_dict of a weights file as bnext tensors (floats as float32, integers as int). */
function stateDictOf(file: WeightsFile, path: string): StateDict {
  const out: StateDict = new Map();
  for (const [key, arr] of file.tensors) out.set(key, stateValueOf(arr, `${path}: tensor '${key}'`));
  return out;
}

/** Reads every tensor of a safetensors file, or the state_dict of a torch.save file. */
export function readStateDict(path: string, options: ReadWeightsOptions = {}): StateDict {
  return stateDictOf(readWeightsFile(path, options), path);
}

/** Writes a state_dict (or a module's) as safetensors, atomically. */
export function writeStateDict(path: string, dict: StateDict | Module, metadata: Record<string, string> = {}): void {
  const sd = dict instanceof Map ? dict : dict.stateDict();
  const entries = new Map<string, StoredArray>();
  for (const [key, value] of sd) entries.set(key, storedOf(value));
  writeSafetensors(path, entries, metadata);
}

export interface LoadWeightsOptions extends ReadWeightsOptions {
  /** Refuse missing, unexpected or mismatched keys (default true). */
  strict?: boolean;
}

/** What loading a weights file did: the key report, and the file it came from. */
export interface WeightsLoadReport extends LoadReport {
  file: WeightsSource;
}

/** Loads a state_dict (safetensors or torch.save) into a model, strictly unless told otherwise. */
export function loadWeights(model: Module, path: string, options: LoadWeightsOptions = {}): WeightsLoadReport {
  const file = readWeightsFile(path, options);
  const report = model.loadStateDict(stateDictOf(file, path), { strict: options.strict ?? true, source: path });
  return { ...report, file: weightsSourceOf(file) };
}
