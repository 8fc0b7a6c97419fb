/**
 * state_dict bytes: safetensors with PyTorch's dotted names, floats as F32 and integer buffers
 * (`num_batches_tracked`) as I64, so the same file loads in PyTorch via `safetensors.torch`.
 * Reading also accepts the bytes of `torch.save` files (.pth, .pth.tar, .pt;
 * docs/torch-checkpoints.md). Files of them are state-dict-file.ts's.
 */
import { serializeSafetensors } from '../io/safetensors';
import { parseWeights, type ReadWeightsOptions, type WeightsFile } from '../io/weights-file';
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

/** The state_dict of a weights file as bnext tensors (floats as float32, integers as int). */
export function stateDictOf(file: WeightsFile, source: string): StateDict {
  const out: StateDict = new Map();
  for (const [key, arr] of file.tensors) out.set(key, stateValueOf(arr, `${source}: tensor '${key}'`));
  return out;
}

/**
 * Every tensor of safetensors bytes (or the state_dict of a torch.save file's bytes; for a
 * checkpoint dict, `stateDictKey` names its entry) as a state_dict; `source` names them in
 * errors. Float32 tensors of a safetensors file share the bytes' buffer where it is aligned.
 */
export function parseStateDict(bytes: Uint8Array, source = 'state_dict', options: ReadWeightsOptions = {}): StateDict {
  return stateDictOf(parseWeights(checkBytes('parseStateDict', 'bytes', bytes), source, options), source);
}

/** A state_dict (or a module's) as safetensors bytes, with optional string metadata. */
export function serializeStateDict(dict: ReadonlyMap<string, StateValue> | Module, metadata: Record<string, string> = {}): Uint8Array {
  const sd = dict instanceof Map ? dict : (dict as Module).stateDict();
  const entries = new Map<string, StoredArray>();
  for (const [key, value] of sd) entries.set(key, storedOf(value));
  return serializeSafetensors(entries, metadata);
}
