/**
 * state_dict files: safetensors with PyTorch's dotted names, floats as F32 and integer buffers
 * (`num_batches_tracked`) as I64, so the same file loads in PyTorch via `safetensors.torch`.
 */
import { readSafetensors, writeSafetensors } from '../io/safetensors';
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

/** Reads every tensor of a safetensors file as a state_dict. */
export function readStateDict(path: string): StateDict {
  const file = readSafetensors(path);
  const out: StateDict = new Map();
  for (const [key, arr] of file.tensors) out.set(key, stateValueOf(arr, `${path}: tensor '${key}'`));
  return out;
}

/** Writes a state_dict (or a module's) as safetensors, atomically. */
export function writeStateDict(path: string, dict: StateDict | Module, metadata: Record<string, string> = {}): void {
  const sd = dict instanceof Map ? dict : dict.stateDict();
  const entries = new Map<string, StoredArray>();
  for (const [key, value] of sd) entries.set(key, storedOf(value));
  writeSafetensors(path, entries, metadata);
}

/** Loads a safetensors state_dict into a model, strictly unless told otherwise. */
export function loadWeights(model: Module, path: string, strict = true): LoadReport {
  return model.loadStateDict(readStateDict(path), { strict, source: path });
}
