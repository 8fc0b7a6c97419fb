/**
 * The file side of the codecs in this folder (Node only; the codecs themselves take and give
 * bytes, so they also run in a browser): a file is read whole and parsed, and written
 * atomically (atomic.ts). The file's path starts every error message.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic';
import { parseNpy, serializeNpy } from './npy';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile } from './safetensors';
import type { StoredArray } from './stored';
import { parseWeights, type ReadWeightsOptions, type WeightsFile } from './weights-file';

/** A file's bytes, as a view of the buffer Node read them into (no copy). */
export function readFileBytes(path: string): Uint8Array {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** Reads and parses a safetensors file. Float32 data shares the file's buffer when aligned. */
export function readSafetensors(path: string): SafetensorsFile {
  return parseSafetensors(readFileBytes(path), path);
}

/** Writes a safetensors file atomically. */
export function writeSafetensors(
  path: string,
  entries: Map<string, StoredArray> | Record<string, StoredArray>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, serializeSafetensors(entries, metadata));
}

/** Reads and parses a `.npy` file. The data shares the file's buffer when aligned. */
export function readNpy(path: string): StoredArray {
  return parseNpy(readFileBytes(path), path);
}

/** Writes a `.npy` file atomically. */
export function writeNpy(path: string, arr: StoredArray): void {
  writeFileAtomic(path, serializeNpy(arr));
}

/** Reads a weights file's state_dict: safetensors, or a torch.save file (weights-file.ts). */
export function readWeightsFile(path: string, options: ReadWeightsOptions = {}): WeightsFile {
  return parseWeights(readFileBytes(path), path, options);
}
