/**
 * JPEG decoding through jpeg-js, to 8-bit RGB.
 *
 * jpeg-js decodes baseline, extended and progressive Huffman-coded JPEGs with 1 or 3 components.
 * We read the frame header ourselves first, so that what jpeg-js would mis-decode or reject with
 * an obscure message is refused by name: CMYK/YCCK (4 components, which PIL would convert and
 * jpeg-js would return as 4-channel data), arithmetic coding, lossless and 12-bit JPEGs.
 *
 * Pixels differ slightly from PIL's (libjpeg): jpeg-js uses its own IDCT and upsamples subsampled
 * chroma by pixel replication where libjpeg interpolates ("fancy upsampling"). The largest
 * differences, measured on the fixtures in spec/data/jpeg.spec.ts, are stated there.
 */
import { decode as decodeJpegFile } from 'jpeg-js';
import { createImage, type RgbImage } from './image';

export function hasJpegSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** What the frame header (SOFn) and an Adobe APP14 segment say about a JPEG. */
export interface JpegHeader {
  width: number;
  height: number;
  /** Bits per sample (8 for nearly every JPEG; 12 is refused). */
  precision: number;
  components: number;
  /** The SOF marker's low nibble: 0 baseline, 1 extended, 2 progressive, 3 lossless, 9+ arithmetic. */
  process: number;
  /** Colour transform byte of an Adobe APP14 segment, or null without one. */
  adobeTransform: number | null;
  /** Component ids, in frame order (ids 'R','G','B' mean stored RGB without an Adobe segment). */
  componentIds: number[];
}

/** Walks the marker segments up to the frame header; throws (naming `source`) if there is none. */
export function readJpegHeader(bytes: Uint8Array, source: string): JpegHeader {
  if (!hasJpegSignature(bytes)) throw new Error(`${source}: not a JPEG file (no SOI marker)`);
  let adobeTransform: number | null = null;
  let pos = 2;
  for (;;) {
    // Markers may be preceded by any number of 0xFF fill bytes.
    while (pos < bytes.length && bytes[pos] === 0xff && bytes[pos + 1] === 0xff) pos++;
    if (pos + 4 > bytes.length) throw new Error(`${source}: truncated JPEG (no frame header)`);
    if (bytes[pos] !== 0xff) throw new Error(`${source}: corrupt JPEG (expected a marker at byte ${pos})`);
    const marker = bytes[pos + 1];
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // standalone markers carry no length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) throw new Error(`${source}: corrupt JPEG (scan data before any frame header)`);
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const body = pos + 4;
    if (length < 2 || pos + 2 + length > bytes.length) throw new Error(`${source}: truncated JPEG (segment 0x${marker.toString(16)} at byte ${pos})`);
    if (marker === 0xee && length >= 14 && String.fromCharCode(...bytes.subarray(body, body + 5)) === 'Adobe') {
      adobeTransform = bytes[body + 11];
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const components = bytes[body + 5];
      if (length < 8 + 3 * components) throw new Error(`${source}: truncated JPEG (frame header)`);
      const componentIds: number[] = [];
      for (let c = 0; c < components; c++) componentIds.push(bytes[body + 6 + 3 * c]);
      return {
        precision: bytes[body],
        height: (bytes[body + 1] << 8) | bytes[body + 2],
        width: (bytes[body + 3] << 8) | bytes[body + 4],
        components,
        process: marker & 0x0f,
        adobeTransform,
        componentIds,
      };
    }
    pos += 2 + length;
  }
}

/** Refuses, by name, the JPEG variants jpeg-js cannot decode correctly. */
function checkSupported(h: JpegHeader, source: string): void {
  if (h.components === 4) {
    const model = h.adobeTransform === 2 ? 'YCCK' : 'CMYK';
    throw new Error(`${source}: ${model} JPEG (4 colour components) is not supported; convert it to RGB first`);
  }
  if (h.components !== 1 && h.components !== 3) {
    throw new Error(`${source}: JPEG with ${h.components} colour components is not supported (only grayscale and RGB/YCbCr)`);
  }
  if (h.process >= 9) throw new Error(`${source}: arithmetic-coded JPEG is not supported`);
  if (h.process === 3 || h.process === 7) throw new Error(`${source}: lossless JPEG is not supported`);
  if (h.process !== 0 && h.process !== 1 && h.process !== 2) {
    throw new Error(`${source}: hierarchical JPEG (SOF${h.process}) is not supported`);
  }
  if (h.precision !== 8) throw new Error(`${source}: ${h.precision}-bit JPEG is not supported (8-bit only)`);
  if (h.width === 0 || h.height === 0) throw new Error(`${source}: JPEG with a zero dimension (${h.width}x${h.height})`);
}

/** Decodes JPEG bytes to RGB; `source` (a path) names the file in every error. */
export function decodeJpeg(bytes: Uint8Array, source: string): RgbImage {
  const header = readJpegHeader(bytes, source);
  checkSupported(header, source);
  // Three components are YCbCr unless an Adobe segment says transform 0, or (without one) the
  // component ids spell R, G, B: libjpeg's rule, which jpeg-js follows only for the Adobe case.
  const ids = header.componentIds;
  const storedRgb = header.components === 3 &&
    (header.adobeTransform !== null ? header.adobeTransform === 0 : ids[0] === 82 && ids[1] === 71 && ids[2] === 66);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decodeJpegFile(bytes, { useTArray: true, formatAsRGBA: false, colorTransform: !storedRgb });
  } catch (e) {
    throw new Error(`${source}: truncated or corrupt JPEG (${(e as Error).message})`);
  }
  return createImage(decoded.width, decoded.height, decoded.data);
}
