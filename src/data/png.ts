/**
 * PNG in and out, through fast-png. Decoding converts every colour type and bit depth to 8-bit RGB
 * exactly as PIL's `Image.open(f).convert('RGB')` does, which is what torchvision's image loader
 * runs (checked pixel for pixel against PIL 9.4 in spec/data/decode.spec.ts):
 *
 * - 8-bit samples pass through; 1/2/4-bit grayscale is scaled to 0..255 (v * 255 / (2^d - 1)).
 * - 16-bit RGB, RGBA and gray+alpha keep the high byte (v >> 8).
 * - 16-bit grayscale is the exception: PIL opens it as a 32-bit integer image, and converting that
 *   to RGB saturates, so a sample becomes min(v, 255), not v >> 8. We reproduce it; a 16-bit gray
 *   PNG that uses its full range therefore comes out nearly white, in PIL and here.
 * - Alpha (an alpha channel, a tRNS colour key or palette alphas) is dropped, not composited.
 * - Palette images are looked up in their palette.
 */
import { decode as decodePngFile, encode as encodePngFile } from 'fast-png';
import type { DecodedPng } from 'fast-png';
import { unzlibSync } from 'fflate';
import { createImage, imageSizeProblem, type RgbImage } from './image';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasPngSignature(bytes: Uint8Array): boolean {
  if (bytes.length < PNG_SIGNATURE.length) return false;
  for (let i = 0; i < PNG_SIGNATURE.length; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

/**
 * The width and height of the IHDR chunk, which the PNG specification puts first (signature,
 * then length 13, "IHDR", width and height as big-endian u32); null when the bytes do not start so.
 */
function headerSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (type !== 'IHDR') return null;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Samples per pixel of each PNG colour type (PNG spec, 11.2.2 IHDR). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PALETTE_COLOR_TYPE = 3;
/** deflate's largest expansion: a 258-byte match coded in two bits (RFC 1951, 3.2.5). */
const MAX_DEFLATE_RATIO = 1032;

/** The bit depths each colour type allows (PNG spec, 11.2.2 IHDR). */
const DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

interface PngChunks {
  /** The first IHDR's fields, or null without one (fast-png then names the fault). */
  header: { width: number; height: number; depth: number; colorType: number } | null;
  /** The IDAT chunks' data, in order: one zlib stream. */
  idat: Uint8Array[];
  /** How many PLTE chunks there are, and whether one comes after the image data. */
  palettes: number;
  paletteAfterData: boolean;
}

/** Walks the chunks (length u32 BE, type, data, CRC; PNG spec 5.3) to IEND; a cut one is refused by name. */
function readChunks(bytes: Uint8Array, source: string): PngChunks {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PngChunks = { header: null, idat: [], palettes: 0, paletteAfterData: false };
  for (let at = 8; at < bytes.length; at += 12 + view.getUint32(at)) {
    if (at + 12 > bytes.length) throw new Error(`${source}: truncated or corrupt PNG (${bytes.length - at} bytes at byte ${at}, too few for a chunk)`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) {
      throw new Error(`${source}: truncated or corrupt PNG (chunk ${JSON.stringify(type)} at byte ${at} claims ${length} bytes, past the end of the file)`);
    }
    if (type === 'IEND') return out;
    if (type === 'IDAT') out.idat.push(bytes.subarray(at + 8, at + 8 + length));
    else if (type === 'PLTE') {
      out.palettes++;
      if (out.idat.length > 0) out.paletteAfterData = true;
    } else if (type === 'IHDR' && !out.header && length >= 13) {
      out.header = { width: view.getUint32(at + 8), height: view.getUint32(at + 12), depth: bytes[at + 16], colorType: bytes[at + 17] };
    }
  }
  throw new Error(`${source}: truncated or corrupt PNG (no IEND chunk)`);
}

/**
 * Refuses an IHDR that claims more pixel data than the IDAT chunks can inflate to, before
 * fast-png allocates for it: the filtered rows (one filter byte each, plus the samples) of a
 * width x height image cannot come from fewer than 1/1032 as many compressed bytes.
 */
function checkDataCanHoldImage(chunks: PngChunks, source: string): void {
  const h = chunks.header;
  if (h && DEPTHS[h.colorType] && !DEPTHS[h.colorType].includes(h.depth)) {
    throw new Error(`${source}: corrupt PNG (bit depth ${h.depth} is not allowed for colour type ${h.colorType}; allowed: ${DEPTHS[h.colorType].join(', ')})`);
  }
  const channels = h ? CHANNELS[h.colorType] : undefined;
  if (!h || channels === undefined) return; // fast-png names the fault
  const compressed = chunks.idat.reduce((n, c) => n + c.length, 0);
  const needed = h.height * (1 + Math.ceil((h.width * channels * h.depth) / 8));
  if (needed > MAX_DEFLATE_RATIO * compressed) {
    throw new Error(`${source}: truncated or corrupt PNG (a ${h.width}x${h.height} image needs ${needed} bytes of filtered rows; its ${compressed} bytes of IDAT inflate to at most ${MAX_DEFLATE_RATIO * compressed})`);
  }
}

/** zlib's Adler-32 (RFC 1950, 8.2), summed in blocks short enough not to overflow. */
function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length;) {
    for (const end = Math.min(i + 3800, data.length); i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/**
 * Checks the image data's Adler-32, which libpng (and so PIL) checks and fast-png's inflater
 * skips: without it, corrupt image data whose chunk CRCs were recomputed decodes to wrong pixels.
 */
function checkImageData(chunks: PngChunks, source: string): void {
  const stream = new Uint8Array(chunks.idat.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks.idat) {
    stream.set(c, at);
    at += c.length;
  }
  let inflated: Uint8Array;
  try {
    if (stream.length < 6) throw new Error(`${stream.length} bytes, fewer than a zlib stream's header and checksum`);
    inflated = unzlibSync(stream);
  } catch (e) {
    throw new Error(`${source}: truncated or corrupt PNG (image data: ${(e as Error).message})`);
  }
  const stored = new DataView(stream.buffer).getUint32(stream.length - 4);
  if (adler32(inflated) !== stored) throw new Error(`${source}: corrupt PNG (the image data fails its Adler-32 check)`);
}

/** Decodes PNG bytes to RGB; `source` (a path) names the file in every error. */
export function decodePng(bytes: Uint8Array, source: string): RgbImage {
  if (!hasPngSignature(bytes)) throw new Error(`${source}: not a PNG file (bad signature)`);
  // The size is checked from the header before fast-png inflates anything (image.ts MAX_IMAGE_PIXELS).
  const size = headerSize(bytes);
  if (!size) throw new Error(`${source}: truncated or corrupt PNG (no IHDR chunk after the signature)`);
  const problem = imageSizeProblem(size.width, size.height);
  if (problem) throw new Error(`${source}: PNG image refused: ${problem}`);
  const chunks = readChunks(bytes, source);
  checkDataCanHoldImage(chunks, source);
  checkImageData(chunks, source);
  let png: DecodedPng;
  try {
    png = decodePngFile(bytes, { checkCrc: true });
  } catch (e) {
    throw new Error(`${source}: truncated or corrupt PNG (${(e as Error).message})`);
  }
  const { width, height, depth, channels } = png;
  const rowSamples = width * channels;
  const expected = depth < 8 ? Math.ceil((rowSamples * depth) / 8) * height : rowSamples * height;
  if (png.data.length !== expected) {
    throw new Error(`${source}: truncated or corrupt PNG (image data has ${png.data.length} samples, ${width}x${height} needs ${expected})`);
  }
  // A PLTE chunk only means something for palette images; in others it is a suggestion (RGB) or
  // misplaced (grayscale), and PIL ignores it, as fast-png does not.
  const indexed = chunks.header?.colorType === PALETTE_COLOR_TYPE;
  if (indexed && !png.palette) throw new Error(`${source}: corrupt PNG (a palette image without a PLTE chunk)`);
  // One PLTE, before the image data (PNG spec 5.6): fast-png would take the last one, PIL the first.
  if (indexed && (chunks.palettes > 1 || chunks.paletteAfterData)) {
    throw new Error(`${source}: corrupt PNG (${chunks.palettes > 1 ? `${chunks.palettes} PLTE chunks, one allowed` : 'the PLTE chunk comes after the image data'})`);
  }
  const img = createImage(width, height);
  if (indexed) {
    expandPalette(png, img, source);
  } else if (channels === 1 || channels === 2) {
    expandGray(png, img);
  } else if (channels === 3 || channels === 4) {
    copyColor(png, img);
  } else {
    throw new Error(`${source}: unsupported PNG with ${channels} channels`);
  }
  return img;
}

/** Sample `i` of a row of packed 1/2/4-bit samples. */
function packedSample(data: Uint8Array | Uint8ClampedArray | Uint16Array, rowStart: number, i: number, depth: number): number {
  const bit = i * depth;
  const byte = data[rowStart + (bit >> 3)];
  return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

function expandGray(png: DecodedPng, img: RgbImage): void {
  const { width, height, depth, channels, data } = png;
  const out = img.data;
  if (depth < 8) {
    const rowBytes = Math.ceil((width * depth) / 8);
    const scale = 255 / ((1 << depth) - 1);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = packedSample(data, y * rowBytes, x, depth) * scale;
        const o = (y * width + x) * 3;
        out[o] = out[o + 1] = out[o + 2] = v;
      }
    }
    return;
  }
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const s = data[p * channels];
    // 16-bit: gray alone saturates (PIL's "I" mode), gray+alpha keeps the high byte ("LA;16B").
    const v = depth === 16 ? (channels === 1 ? Math.min(s, 255) : s >> 8) : s;
    out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = v;
  }
}

function copyColor(png: DecodedPng, img: RgbImage): void {
  const { width, height, depth, channels, data } = png;
  const out = img.data;
  const shift = depth === 16 ? 8 : 0;
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const i = p * channels;
    out[p * 3] = data[i] >> shift;
    out[p * 3 + 1] = data[i + 1] >> shift;
    out[p * 3 + 2] = data[i + 2] >> shift;
  }
}

function expandPalette(png: DecodedPng, img: RgbImage, source: string): void {
  const { width, height, depth, data } = png;
  const palette = png.palette ?? [];
  const out = img.data;
  const rowBytes = Math.ceil((width * depth) / 8);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = depth === 8 ? data[y * rowBytes + x] : packedSample(data, y * rowBytes, x, depth);
      const color = palette[index];
      if (!color) throw new Error(`${source}: corrupt PNG (palette index ${index} at (${x}, ${y}), palette has ${palette.length} entries)`);
      const o = (y * width + x) * 3;
      out[o] = color[0];
      out[o + 1] = color[1];
      out[o + 2] = color[2];
    }
  }
}

/** Encodes an RGB image as an 8-bit PNG. */
export function encodePng(img: RgbImage): Uint8Array {
  return encodePngFile({ width: img.width, height: img.height, data: img.data, depth: 8, channels: 3 });
}
