/**
 * JPEG decoding through jpeg-js, to 8-bit RGB.
 *
 * jpeg-js decodes baseline, extended and progressive Huffman-coded JPEGs with 1 or 3 components.
 * We read the frame header ourselves first, so that what jpeg-js would mis-decode or reject with
 * an obscure message is refused by name: CMYK/YCCK (4 components, which PIL would convert and
 * jpeg-js would return as 4-channel data), arithmetic coding, lossless and 12-bit JPEGs.
 *
 * jpeg-js's own last stage (chroma replication, float colour conversion with truncation) lands
 * far from PIL's pixels at colour edges, so for the usual layouts (4:4:4, 4:2:2, 4:4:0, 4:2:0) we
 * take its raw YCbCr planes and finish as libjpeg does (jpeg-color.ts). What remains is the IDCT:
 * jpeg-js's differs from libjpeg's by a level or two; spec/data/decode.spec.ts states the measured
 * maximum.
 */
import { decode as decodeJpegFile } from 'jpeg-js';
import { createImage, imageSizeProblem, MAX_IMAGE_PIXELS, type RgbImage } from './image';
import { upsamplePlane, yccToRgbInPlace } from './jpeg-color';

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
  /** Byte range [start, end) of that segment (marker included), or null. */
  adobeSegment: [number, number] | null;
  /** Component ids, in frame order (ids 'R','G','B' mean stored RGB without an Adobe segment). */
  componentIds: number[];
  /** Horizontal and vertical sampling factors per component, in frame order. */
  sampling: { h: number; v: number }[];
}

/** Walks the marker segments up to the frame header; throws (naming `source`) if there is none. */
export function readJpegHeader(bytes: Uint8Array, source: string): JpegHeader {
  if (!hasJpegSignature(bytes)) throw new Error(`${source}: not a JPEG file (no SOI marker)`);
  let adobeTransform: number | null = null;
  let adobeSegment: [number, number] | null = null;
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
      adobeSegment = [pos, pos + 2 + length];
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      const components = bytes[body + 5];
      if (length < 8 + 3 * components) throw new Error(`${source}: truncated JPEG (frame header)`);
      const componentIds: number[] = [];
      const sampling: { h: number; v: number }[] = [];
      for (let c = 0; c < components; c++) {
        componentIds.push(bytes[body + 6 + 3 * c]);
        const factors = bytes[body + 7 + 3 * c];
        sampling.push({ h: factors >> 4, v: factors & 15 });
      }
      return {
        precision: bytes[body],
        height: (bytes[body + 1] << 8) | bytes[body + 2],
        width: (bytes[body + 3] << 8) | bytes[body + 4],
        components,
        process: marker & 0x0f,
        adobeTransform,
        adobeSegment,
        componentIds,
        sampling,
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
  // The frame header's size, before jpeg-js allocates anything (image.ts MAX_IMAGE_PIXELS).
  const problem = imageSizeProblem(h.width, h.height);
  if (problem) throw new Error(`${source}: JPEG image refused: ${problem}`);
}

/**
 * Refuses a frame header that claims more pixels than the file can hold, before jpeg-js
 * allocates for them: every 8x8 block of a component is coded in at least one bit (its DC
 * difference, ITU T.81 F.1.2.1), so a file of n bytes holds at most 8n blocks.
 */
function checkDataCanHoldFrame(h: JpegHeader, length: number, source: string): void {
  const blocks = Math.ceil(h.width / 8) * Math.ceil(h.height / 8);
  if (blocks > 8 * length) {
    throw new Error(`${source}: truncated or corrupt JPEG (a ${h.width}x${h.height} frame has ${blocks} 8x8 blocks, each coded in at least one bit; the file has ${length} bytes)`);
  }
}

/** Decodes JPEG bytes to RGB; `source` (a path) names the file in every error. */
export function decodeJpeg(bytes: Uint8Array, source: string): RgbImage {
  const header = readJpegHeader(bytes, source);
  checkSupported(header, source);
  checkDataCanHoldFrame(header, bytes.length, source);
  // Three components are YCbCr unless an Adobe segment says transform 0, or (without one) the
  // component ids spell R, G, B: libjpeg's rule, which jpeg-js follows only for the Adobe case.
  const ids = header.componentIds;
  const storedRgb = header.components === 3 &&
    (header.adobeTransform !== null ? header.adobeTransform === 0 : ids[0] === 82 && ids[1] === 71 && ids[2] === 66);
  // libjpeg's output stage (fancy chroma upsampling, fixed-point colour) is redone on jpeg-js's
  // raw YCbCr when the layout is one it covers: full-resolution luma, chroma at 1x or 2x.
  const ownColor = header.components === 3 && !storedRgb && hasSimpleSubsampling(header);
  // jpeg-js converts colour itself, whatever it is told, when an Adobe segment says YCbCr; for
  // three components that segment means what its absence means, so it is cut from the copy we pass.
  let input = bytes;
  if (ownColor && header.adobeSegment) {
    const [from, to] = header.adobeSegment;
    input = new Uint8Array(bytes.length - (to - from));
    input.set(bytes.subarray(0, from));
    input.set(bytes.subarray(to), from);
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decodeJpegFile(input, { useTArray: true, formatAsRGBA: false, colorTransform: ownColor ? false : !storedRgb, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
  } catch (e) {
    throw new Error(`${source}: truncated or corrupt JPEG (${(e as Error).message})`);
  }
  if (ownColor) yccToRgb(decoded.data, decoded.width, decoded.height, header);
  return createImage(decoded.width, decoded.height, decoded.data);
}

/** Luma at full resolution and each chroma plane subsampled by 1 or 2 in each direction. */
function hasSimpleSubsampling(h: JpegHeader): boolean {
  const maxH = Math.max(...h.sampling.map((s) => s.h));
  const maxV = Math.max(...h.sampling.map((s) => s.v));
  if (h.sampling[0].h !== maxH || h.sampling[0].v !== maxV) return false;
  return h.sampling.every((s) => (maxH === s.h || maxH === 2 * s.h) && (maxV === s.v || maxV === 2 * s.v));
}

/**
 * jpeg-js's raw output repeats each chroma sample over its fx x fy block; take one sample per
 * block back, upsample it as libjpeg does, then convert the interleaved pixels to RGB in place.
 */
function yccToRgb(pixels: Uint8Array, width: number, height: number, h: JpegHeader): void {
  const maxH = Math.max(...h.sampling.map((s) => s.h));
  const maxV = Math.max(...h.sampling.map((s) => s.v));
  for (let c = 1; c < 3; c++) {
    const fx = maxH / h.sampling[c].h;
    const fy = maxV / h.sampling[c].v;
    if (fx === 1 && fy === 1) continue;
    const plane = { width: Math.ceil(width / fx), height: Math.ceil(height / fy), data: new Uint8Array(0) };
    plane.data = new Uint8Array(plane.width * plane.height);
    for (let y = 0; y < plane.height; y++) {
      for (let x = 0; x < plane.width; x++) plane.data[y * plane.width + x] = pixels[((y * fy) * width + x * fx) * 3 + c];
    }
    const full = upsamplePlane(plane, fx, fy, width, height);
    for (let p = 0; p < full.length; p++) pixels[p * 3 + c] = full[p];
  }
  yccToRgbInPlace(pixels);
}
