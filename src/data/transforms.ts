/**
 * The torchvision transforms the BNext recipe uses (docs/paper-map.md, "Augmentation", ImageNet and
 * CIFAR data), on RGB images, with the geometry torchvision 0.14 computes for PIL images:
 *
 * - `resizeShortSide`: Resize(size) with an int: the short side becomes `size`, the long side
 *   `trunc(size * long / short)`.
 * - `centerCrop`: CenterCrop: offsets `round((H - h) / 2)` with Python's round-half-to-even; a crop
 *   larger than the image is padded with black first (torchvision pads, then crops).
 * - `randomResizedCropParams`: RandomResizedCrop.get_params: 10 tries of area in `scale` and log-
 *   uniform aspect ratio in `ratio`, then the fallback (the whole image, cut to the nearest ratio
 *   bound, centred).
 * - `randomCropWithPadding`: RandomCrop(size, padding) with a constant (black) fill.
 * - `toNormalizedCHW`: ToTensor + Normalize, computed in float32 exactly as torch does.
 *
 * Randomness comes only from the `Rng` passed in; torch's generator differs, so a random
 * transform matches torchvision in distribution, and in pixels for the same parameters.
 */
import { crop, hflip, pad, type Rgb } from './geometry';
import type { RgbImage } from './image';
import { resize, type ResampleFilter } from './resample';
import type { Rng } from '../tensor/random';
import { roundHalfEven } from '../tensor/rounding';

/** Resize so the short side is `size`, keeping the aspect ratio as torchvision does. */
export function resizeShortSide(img: RgbImage, size: number, filter: ResampleFilter): RgbImage {
  const { width, height } = img;
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((size * long) / short);
  const [w, h] = width <= height ? [size, newLong] : [newLong, size];
  return resize(img, w, h, filter);
}

/** The central `width` x `height` window; black padding where it is larger than the image. */
export function centerCrop(img: RgbImage, width: number, height: number = width): RgbImage {
  let src = img;
  if (width > src.width || height > src.height) {
    // torchvision pads (left/right and top/bottom, the extra pixel going right/bottom), then crops.
    const padLeft = width > src.width ? Math.floor((width - src.width) / 2) : 0;
    const padTop = height > src.height ? Math.floor((height - src.height) / 2) : 0;
    const padRight = width > src.width ? Math.floor((width - src.width + 1) / 2) : 0;
    const padBottom = height > src.height ? Math.floor((height - src.height + 1) / 2) : 0;
    src = crop(src, -padLeft, -padTop, src.width + padLeft + padRight, src.height + padTop + padBottom);
    if (src.width === width && src.height === height) return src;
  }
  const top = roundHalfEven((src.height - height) / 2);
  const left = roundHalfEven((src.width - width) / 2);
  return crop(src, left, top, width, height);
}

/** A crop box: top-left corner and size, in input pixels. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Crops `box` and resizes it to `width` x `height` (torchvision's resized_crop). */
export function resizedCrop(img: RgbImage, box: CropBox, width: number, height: number, filter: ResampleFilter): RgbImage {
  return resize(crop(img, box.left, box.top, box.width, box.height), width, height, filter);
}

/** torchvision's RandomResizedCrop ranges. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's (torchvision default [0.08, 1]). */
  scale: readonly [number, number];
  /** Range of the crop's aspect ratio width / height (default [3/4, 4/3]), sampled log-uniformly. */
  ratio: readonly [number, number];
}

/** torchvision's default ranges, which BNext's ImageNet training uses. */
export const IMAGENET_RRC: RandomResizedCropOptions = { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] };

/**
 * torchvision's RandomResizedCrop.get_params. Each of up to 10 attempts draws two uniforms (area,
 * then log aspect ratio) and, if the box fits, two integers for its position (top, then left);
 * the fallback draws nothing.
 */
export function randomResizedCropParams(width: number, height: number, opts: RandomResizedCropOptions, rng: Rng): CropBox {
  const area = width * height;
  const [s0, s1] = opts.scale;
  const logRatio0 = Math.log(opts.ratio[0]);
  const logRatio1 = Math.log(opts.ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (s0 + (s1 - s0) * rng.uniform());
    const aspect = Math.exp(logRatio0 + (logRatio1 - logRatio0) * rng.uniform());
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
    }
  }
  // Fallback: the whole image, narrowed to the nearest allowed aspect ratio, centred.
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(opts.ratio[0], opts.ratio[1])) {
    h = roundHalfEven(w / Math.min(opts.ratio[0], opts.ratio[1]));
  } else if (inRatio > Math.max(opts.ratio[0], opts.ratio[1])) {
    w = roundHalfEven(h * Math.max(opts.ratio[0], opts.ratio[1]));
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** RandomResizedCrop: random box, then resize to `size` x `size`. */
export function randomResizedCrop(img: RgbImage, size: number, opts: RandomResizedCropOptions, filter: ResampleFilter, rng: Rng): RgbImage {
  return resizedCrop(img, randomResizedCropParams(img.width, img.height, opts, rng), size, size, filter);
}

/**
 * RandomCrop(size, padding): pads with `fill`, then takes a uniformly placed `size` x `size`
 * window (two integer draws: top, then left).
 */
export function randomCropWithPadding(img: RgbImage, size: number, padding: number, rng: Rng, fill: Rgb = [0, 0, 0]): RgbImage {
  const padded = padding > 0 ? pad(img, padding, fill) : img;
  if (padded.width < size || padded.height < size) {
    throw new Error(`random crop: ${size}x${size} does not fit the padded ${padded.width}x${padded.height} image`);
  }
  if (padded.width === size && padded.height === size) return padded;
  const top = rng.int(padded.height - size + 1);
  const left = rng.int(padded.width - size + 1);
  return crop(padded, left, top, size, size);
}

/** RandomHorizontalFlip(p): flips when a uniform draw is below `p`. */
export function randomHorizontalFlip(img: RgbImage, p: number, rng: Rng): RgbImage {
  return rng.uniform() < p ? hflip(img) : img;
}

/** Per-channel mean and standard deviation of the 0..1 pixel values. */
export interface NormalizeStats {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/**
 * ToTensor + Normalize into `out` (3 x H x W, channel planes) at `offset`: v / 255 - mean, over
 * std, each step rounded to float32 as torch computes it, so the result is bit-identical.
 */
export function toNormalizedCHW(img: RgbImage, stats: NormalizeStats, out?: Float32Array, offset = 0): Float32Array {
  const plane = img.width * img.height;
  const dst = out ?? new Float32Array(3 * plane);
  if (dst.length < offset + 3 * plane) {
    throw new Error(`toNormalizedCHW: output has ${dst.length} floats, needs ${offset + 3 * plane}`);
  }
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(stats.mean[c]);
    const std = Math.fround(stats.std[c]);
    // A table per channel: only 256 distinct inputs.
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v / 255) - mean) / std;
    const base = offset + c * plane;
    for (let p = 0; p < plane; p++) dst[base + p] = table[src[p * 3 + c]];
  }
  return dst;
}
