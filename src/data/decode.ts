/**
 * Decoding an image of either supported format. The format is taken from the file's first
 * bytes, not its name (ImageNet's training set has a PNG named .JPEG), and every failure is an
 * Error that starts with the file's path (files.ts reads the files).
 */
import type { RgbImage } from './image';
import { decodeJpeg, hasJpegSignature } from './jpeg';
import { decodePng, hasPngSignature } from './png';

/** Formats we recognise by signature only to refuse them by name. */
const OTHER_FORMATS: readonly { name: string; test: (b: Uint8Array) => boolean }[] = [
  { name: 'GIF', test: (b) => ascii(b, 0, 4) === 'GIF8' },
  { name: 'BMP', test: (b) => ascii(b, 0, 2) === 'BM' },
  { name: 'WebP', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP' },
  { name: 'TIFF', test: (b) => ascii(b, 0, 4) === 'II*\u0000' || ascii(b, 0, 4) === 'MM\u0000*' },
  { name: 'PPM/PGM', test: (b) => b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36 },
];

function ascii(b: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...b.subarray(start, start + length));
}

/** Decodes PNG or JPEG bytes; `source` names the file in errors. */
export function decodeImage(bytes: Uint8Array, source: string): RgbImage {
  try {
    return decodeBytes(bytes, source);
  } catch (e) {
    // The decoders name the file; anything thrown from deeper (a size check, a library) gets it here.
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith(`${source}:`)) throw e;
    throw new Error(`${source}: ${message}`, { cause: e });
  }
}

function decodeBytes(bytes: Uint8Array, source: string): RgbImage {
  if (bytes.length === 0) throw new Error(`${source}: empty file (0 bytes)`);
  if (hasPngSignature(bytes)) return decodePng(bytes, source);
  if (hasJpegSignature(bytes)) return decodeJpeg(bytes, source);
  const other = OTHER_FORMATS.find((f) => f.test(bytes));
  if (other) throw new Error(`${source}: ${other.name} images are not supported (PNG and JPEG only)`);
  if (bytes.length < 8) throw new Error(`${source}: not an image (only ${bytes.length} bytes)`);
  const head = Array.from(bytes.subarray(0, 4), (v) => v.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${source}: unknown image format (first bytes ${head}; PNG and JPEG are supported)`);
}
