/**
 * A state_dict from any weights file bnext reads: safetensors, or a `torch.save` file (`.pth`,
 * `.pth.tar`, `.pt`) in either of PyTorch's formats (docs/torch-checkpoints.md). The format is
 * told by the file's first bytes, not its name. `parseWeights` takes bytes; files.ts's
 * `readWeightsFile` (Node only) reads a path.
 */
import { parseSafetensors } from './safetensors';
import type { StoredArray } from './stored';
import { DEFAULT_STATE_DICT_KEY, parseTorchStateDict, torchFormatOf } from './torch/checkpoint';

/** The file formats weights are read from. */
export type WeightsFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

/** A weights file's state_dict as stored, and where in the file it came from. */
export interface WeightsFile {
  format: WeightsFormat;
  /** Tensors by name, as stored (a `module.` prefix included), in their own element types. */
  tensors: Map<string, StoredArray>;
  /** The checkpoint entry the state_dict came from; null when the file is the state_dict. */
  stateDictKey: string | null;
  /** The checkpoint's other top-level keys, which were not read. */
  ignoredKeys: string[];
  /** A safetensors file's `__metadata__` (empty for torch.save files). */
  metadata: Record<string, string>;
}

/** How a weights file's state_dict is read. */
export interface ReadWeightsOptions {
  /** For a torch.save checkpoint dict: the entry holding the state_dict (default `state_dict`). */
  stateDictKey?: string;
}

/** The state_dict of a weights file's bytes; `source` (the file name) prefixes every error. */
export function parseWeights(bytes: Uint8Array, source: string, options: ReadWeightsOptions = {}): WeightsFile {
  const torchFormat = torchFormatOf(bytes);
  if (torchFormat !== null) {
    const sd = parseTorchStateDict(bytes, source, options);
    return { format: `torch-${torchFormat}`, tensors: sd.tensors, stateDictKey: sd.stateDictKey, ignoredKeys: sd.ignoredKeys, metadata: {} };
  }
  if (options.stateDictKey !== undefined) {
    throw new Error(`${source}: a safetensors file holds one state_dict; --state-dict-key ${options.stateDictKey} applies to torch.save checkpoints`);
  }
  const { tensors, metadata } = parseSafetensors(bytes, source);
  return { format: 'safetensors', tensors, stateDictKey: null, ignoredKeys: [], metadata };
}

/** A weights file described without its tensors. */
export type WeightsSource = Omit<WeightsFile, 'tensors' | 'metadata'> & { tensorCount: number };

export function weightsSourceOf(file: WeightsFile): WeightsSource {
  const { format, stateDictKey, ignoredKeys, tensors } = file;
  return { format, stateDictKey, ignoredKeys, tensorCount: tensors.size };
}

/**
 * One line saying which entry of a checkpoint dict was read and which entries were not; null
 * for a file that is a state_dict.
 */
export function describeCheckpointUse(file: WeightsSource, path: string): string | null {
  if (file.stateDictKey === null) return null;
  const others = file.ignoredKeys.length > 0 ? `; ignored its other entries: ${file.ignoredKeys.join(', ')}` : '';
  const how = file.stateDictKey === DEFAULT_STATE_DICT_KEY ? '' : ' (--state-dict-key)';
  return `${path}: read the checkpoint's '${file.stateDictKey}'${how}, ${file.tensorCount} tensors${others}`;
}
