/**
 * Shared by the data specs: the image fixtures written by fixtures/export/export_images.py (PIL
 * 9.4 / torchvision 0.14 outputs), and comparisons that report the largest difference.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readImage } from '../../src/data/files';
import { createImage, type RgbImage } from '../../src/data/image';
import { readNpy } from '../../src/io/files';

export const IMAGES = 'fixtures/images';

export interface DecodeCase {
  file: string;
  golden: string;
  note: string;
}

export type TransformCase = { op: string; src: string; golden: string } & Record<string, string | number>;

export interface RrcFallbackCase {
  src: string;
  ratio: [number, number];
  top: number;
  left: number;
  h: number;
  w: number;
}

export interface RandAugmentCase {
  op: string;
  src: string;
  magnitude: number;
  negate: boolean;
  arg: number | null;
  golden: string;
}

export interface Manifest {
  sources: Record<string, string>;
  fill: [number, number, number];
  decode: DecodeCase[];
  transforms: TransformCase[];
  rrc_fallback: RrcFallbackCase[];
  randaugment: RandAugmentCase[];
}

export const manifest: Manifest = JSON.parse(readFileSync(join(IMAGES, 'manifest.json'), 'utf8')) as Manifest;

const sourceCache = new Map<string, RgbImage>();

/** A source image by name (s0, s1, s2), decoded by our PNG decoder. */
export function source(name: string): RgbImage {
  let img = sourceCache.get(name);
  if (!img) {
    img = readImage(join(IMAGES, manifest.sources[name]));
    sourceCache.set(name, img);
  }
  return img;
}

/** A golden HWC uint8 image. */
export function goldenImage(rel: string): RgbImage {
  const arr = readNpy(join(IMAGES, rel));
  if (arr.dtype !== 'U8' || arr.shape.length !== 3 || arr.shape[2] !== 3) {
    throw new Error(`${rel}: expected uint8 [h, w, 3], got ${arr.dtype} [${arr.shape.join(', ')}]`);
  }
  return createImage(arr.shape[1], arr.shape[0], arr.data);
}

/** A golden float32 array. */
export function goldenFloats(rel: string): { shape: number[]; data: Float32Array } {
  const arr = readNpy(join(IMAGES, rel));
  if (arr.dtype !== 'F32') throw new Error(`${rel}: expected float32, got ${arr.dtype}`);
  return { shape: arr.shape, data: arr.data };
}

/** The largest absolute difference between two equally sized images (throws on a size mismatch). */
export function maxAbsDiff(actual: RgbImage, expected: RgbImage, what: string): number {
  expect([actual.width, actual.height], `${what}: size`).to.deep.equal([expected.width, expected.height]);
  let max = 0;
  for (let i = 0; i < actual.data.length; i++) max = Math.max(max, Math.abs(actual.data[i] - expected.data[i]));
  return max;
}

/** Asserts two images are identical, naming the first differing pixel. */
export function expectSameImage(actual: RgbImage, expected: RgbImage, what: string): void {
  expect([actual.width, actual.height], `${what}: size`).to.deep.equal([expected.width, expected.height]);
  for (let i = 0; i < actual.data.length; i++) {
    if (actual.data[i] !== expected.data[i]) {
      const p = Math.floor(i / 3);
      const x = p % actual.width;
      const y = Math.floor(p / actual.width);
      expect.fail(`${what}: pixel (${x}, ${y}) channel ${i % 3} is ${actual.data[i]}, PIL gives ${expected.data[i]} (max diff ${maxAbsDiff(actual, expected, what)})`);
    }
  }
}
