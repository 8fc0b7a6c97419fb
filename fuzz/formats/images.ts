/**
 * Fuzzing the PNG and JPEG decoders (src/data/png.ts, jpeg.ts, through decodeImage as every
 * image path does). Seeds are the decode fixtures (every PNG colour type and bit depth; baseline,
 * progressive, subsampled, grayscale and CMYK JPEGs). Format-aware mutations: PNG chunks (IHDR
 * fields, IDAT data, chunks inserted, dropped or swapped) with their CRC-32 fixed; JPEG marker
 * segments (frame dimensions and components, table and scan headers, segment lengths).
 *
 * No in-process reference decodes images: a changed image is reported unverified, and
 * fuzz/reference.py compares those with PIL (PNG exactly; JPEG within jpeg-js's IDCT distance).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../../src/engine/crc32';
import { decodeImage } from '../../src/data/decode';
import type { Rng } from '../../src/tensor/random';
import { interestingValue, type Mutated, type Mutator } from '../mutate';
import { Digest, type FuzzTarget, MIB } from '../target';

const DIR = 'fixtures/images/decode';

function seedsEnding(suffix: string): () => { name: string; bytes: Uint8Array }[] {
  return () => readdirSync(DIR).filter((f) => f.endsWith(suffix)).sort().map((f) => ({ name: join(DIR, f), bytes: new Uint8Array(readFileSync(join(DIR, f))) }));
}

function decodeDigest(bytes: Uint8Array, source: string): string {
  const img = decodeImage(bytes, source);
  return new Digest().text(`${img.width}x${img.height}`).bytes(img.data).done();
}

// --- PNG: chunks are [length u32 BE][type][data][CRC-32 of type and data].

interface Chunk {
  type: string;
  data: Uint8Array;
}

function chunks(bytes: Uint8Array): Chunk[] | null {
  const out: Chunk[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) return null;
    out.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), data: bytes.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

function pngOf(list: Chunk[]): Uint8Array {
  const out = new Uint8Array(8 + list.reduce((n, c) => n + 12 + c.data.length, 0));
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(out.buffer);
  let at = 8;
  for (const c of list) {
    view.setUint32(at, c.data.length);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = c.type.charCodeAt(i) & 0xff;
    out.set(c.data, at + 8);
    view.setUint32(at + 8 + c.data.length, crc32(out.subarray(at + 4, at + 8 + c.data.length)));
    at += 12 + c.data.length;
  }
  return out;
}

function pngMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const list = chunks(bytes);
  if (!list || list.length === 0) return { bytes, what: 'no chunks: unchanged' };
  let what: string;
  const choice = rng.int(6);
  const ihdr = list.find((c) => c.type === 'IHDR');
  if (choice <= 1 && ihdr && ihdr.data.length >= 13) {
    const data = ihdr.data.slice();
    const view = new DataView(data.buffer);
    const field = rng.int(7);
    if (field < 2) {
      const value = [0, 1, 2, 15000, 65535, 65536, 1 << 20, 0x7fffffff, 0x80000000, 0xffffffff][rng.int(10)];
      view.setUint32(4 * field, value);
      what = `IHDR ${field === 0 ? 'width' : 'height'} = ${value}`;
    } else {
      const at = 8 + (field - 2);
      data[at] = [0, 1, 2, 3, 4, 6, 8, 16, 255][rng.int(9)];
      what = `IHDR byte ${at} = ${data[at]}`;
    }
    ihdr.data = data;
  } else if (choice === 2) {
    const idat = list.filter((c) => c.type === 'IDAT');
    if (idat.length === 0) return { bytes, what: 'no IDAT: unchanged' };
    const c = idat[rng.int(idat.length)];
    const data = c.data.slice();
    if (rng.uniform() < 0.5 && data.length > 0) {
      data[rng.int(data.length)] ^= 1 << rng.int(8);
      c.data = data;
      what = 'IDAT: flip a bit';
    } else {
      c.data = data.subarray(0, rng.int(data.length + 1));
      what = `IDAT truncated to ${c.data.length} bytes`;
    }
  } else if (choice === 3) {
    const type = ['IDAT', 'IEND', 'PLTE', 'tRNS', 'IHDR', 'gAMA', 'zzZz'][rng.int(7)];
    const data = new Uint8Array(rng.int(40)).map(() => rng.int(256));
    list.splice(rng.int(list.length + 1), 0, { type, data });
    what = `insert a ${type} chunk of ${data.length} bytes`;
  } else if (choice === 4) {
    const i = rng.int(list.length);
    what = `drop the ${list[i].type} chunk`;
    list.splice(i, 1);
  } else {
    const i = rng.int(list.length);
    const j = rng.int(list.length);
    [list[i], list[j]] = [list[j], list[i]];
    what = `swap chunks ${i} and ${j}`;
  }
  return { bytes: pngOf(list), what };
}

// --- JPEG: marker segments [FF xx][length u16 BE, counting itself][body].

interface Segment {
  marker: number;
  at: number;
  length: number;
}

function segments(bytes: Uint8Array): Segment[] {
  const out: Segment[] = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    out.push({ marker, at, length });
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return out;
}

function jpegMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const list = segments(bytes);
  if (list.length === 0) return { bytes, what: 'no segments: unchanged' };
  const out = bytes.slice();
  const sof = list.find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
  const choice = rng.int(5);
  if (choice <= 1 && sof) {
    const body = sof.at + 4;
    const field = rng.int(4);
    if (field <= 1) {
      const value = [0, 1, 2, 7, 8, 9, 255, 4096, 10000, 30000, 65535][rng.int(11)];
      out[body + 1 + 2 * field] = value >> 8;
      out[body + 2 + 2 * field] = value & 0xff;
      return { bytes: out, what: `SOF ${field === 0 ? 'height' : 'width'} = ${value}` };
    }
    if (field === 2) {
      out[body + 5] = [0, 1, 2, 3, 4, 5, 255][rng.int(7)];
      return { bytes: out, what: `SOF components = ${out[body + 5]}` };
    }
    const c = rng.int(Math.max(1, out[body + 5]));
    const at = body + 6 + 3 * c + 1 + rng.int(2);
    out[at] = [0x00, 0x11, 0x22, 0x44, 0x41, 0x14, 0xff, 0x03, 0x05][rng.int(9)];
    return { bytes: out, what: `SOF component ${c} byte ${at} = 0x${out[at].toString(16)}` };
  }
  const s = list[rng.int(list.length)];
  if (choice === 2) {
    const value = Number(interestingValue(rng, s.length) & 0xffffn);
    out[s.at + 2] = value >> 8;
    out[s.at + 3] = value & 0xff;
    return { bytes: out, what: `segment 0x${s.marker.toString(16)} length = ${value}` };
  }
  if (choice === 3) {
    const at = s.at + 4 + rng.int(Math.max(1, s.length - 2));
    if (at < out.length) out[at] = [0, 1, 0x0f, 0x10, 0x3f, 0x40, 0xff, rng.int(256)][rng.int(8)];
    return { bytes: out, what: `segment 0x${s.marker.toString(16)} byte ${at} = ${out[at]}` };
  }
  // Scan data: truncate or drop the end marker.
  const sos = list.find((x) => x.marker === 0xda);
  const start = sos ? sos.at + 2 + sos.length : 2;
  const cut = start + rng.int(Math.max(1, out.length - start));
  return { bytes: out.subarray(0, cut), what: `truncate the scan at ${cut}` };
}

/**
 * What decoding may allocate. A PNG's pixels are bounded by its data: deflate expands at most
 * 1032:1 and a pixel takes at least one bit, so 8256 pixels per byte of file. A JPEG block of
 * 8x8 pixels takes at least one bit (a DC code), so 512 pixels per byte. Decoding keeps a few
 * planes of a few bytes per pixel; 32 bytes per justified pixel, plus 1 MiB, bounds that.
 */
const BYTES_PER_PIXEL = 32;

export const pngTarget: FuzzTarget = {
  name: 'png',
  seeds: seedsEnding('.png'),
  decode: decodeDigest,
  reference: () => null,
  mutators: [pngMutation, pngMutation] satisfies Mutator[],
  allocationBound: (length) => BYTES_PER_PIXEL * 8256 * length + MIB,
};

export const jpegTarget: FuzzTarget = {
  name: 'jpeg',
  seeds: seedsEnding('.jpg'),
  decode: decodeDigest,
  reference: () => null,
  mutators: [jpegMutation, jpegMutation] satisfies Mutator[],
  allocationBound: (length) => BYTES_PER_PIXEL * 512 * length + MIB,
};
