/**
 * state_dict bytes: safetensors with PyTorch's dotted names, floats as F32 and integer buffers
 * (`num_batches_tracked`) as I64, so the same file loads in PyTorch via `safetensors.torch`.
 * Files of them are state-dict-file.ts's.
 */
import { parseSafetensors, serializeSafetensors } from '../io/safetensors';
import { fromIntTensor, fromTensor, type StoredArray, toIntTensor, toTensor } from '../io/stored';
import { IntTensor } from '../tensor/int-tensor';
import { checkBytes } from '../check';
import type { Module, StateDict, StateValue } from './module';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** Float arrays become float32 tensors, integer arrays int tensors (range-checked). */
export function stateValueOf(arr: StoredArray, what: string): StateValue {
  return FLOAT_DTYPES.has(arr.dtype) ? toTensor(arr, what) : toIntTensor(arr, what);
}

export function storedOf(v: StateValue): StoredArray {
  return v instanceof IntTensor ? fromIntTensor(v, 'I64') : fromTensor(v);
}

/**
 * Every tensor of safetensors bytes as a state_dict; `source` names them in errors. Float32
 * tensors share the bytes' buffer where it is aligned for them.
 */
export function parseStateDict(bytes: Uint8Array, source = 'state_dict'): StateDict {
  const file = parseSafetensors(checkBytes('parseStateDict', 'bytes', bytes), source);
  const out: StateDict = new Map();
  for (const [key, arr] of file.tensors) out.set(key, stateValueOf(arr, `${source}: tensor '${key}'`));
  return out;
}

/** A state_dict (or a module's) as safetensors bytes, with optional string metadata. */
export function serializeStateDict(dict: ReadonlyMap<string, StateValue> | Module, metadata: Record<string, string> = {}): Uint8Array {
  const sd = dict instanceof Map ? dict : (dict as Module).stateDict();
  const entries = new Map<string, StoredArray>();
  for (const [key, value] of sd) entries.set(key, storedOf(value));
  return serializeSafetensors(entries, metadata);
}
