/**
 * Image and class-name files (Node only): read whole and decoded by decode.ts and
 * class-names.ts, PNGs written atomically. Every error starts with the file's path.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic';
import { readFileBytes } from '../io/files';
import { type ClassNames, parseClassNames } from './class-names';
import { decodeImage } from './decode';
import type { RgbImage } from './image';
import { encodePng } from './png';

/** Reads and decodes a PNG or JPEG file. */
export function readImage(path: string): RgbImage {
  return decodeImage(readFileBytes(path), path);
}

/** Reads and decodes a PNG or JPEG file; the read is asynchronous, the decode is not. */
export async function readImageAsync(path: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return decodeImage(bytes, path);
}

/** Reads a class-name file (the formats of class-names.ts). */
export function readClassNames(path: string): ClassNames {
  return parseClassNames(new TextDecoder().decode(readFileBytes(path)), path);
}

/** Writes an RGB image as PNG, atomically (temp file, then rename). */
export function writePng(path: string, img: RgbImage): void {
  writeFileAtomic(path, encodePng(img));
}
