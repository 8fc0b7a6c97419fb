/**
 * Resizing exactly as PIL's `Image.resize` does for 8-bit images (Pillow's Resample.c), which is
 * what torchvision's Resize / RandomResizedCrop run on PIL images:
 *
 * - Separable: a horizontal pass over the rows the vertical pass will need, rounded to uint8,
 *   then a vertical pass, rounded again. A pass whose size does not change is skipped.
 * - Each output pixel is a weighted sum over the input pixels under the filter centred at
 *   `(x + 0.5) * scale`, with `scale = in / out`. When downscaling (scale > 1) the filter is
 *   stretched by `scale`: its support widens and every input pixel under it is averaged
 *   (antialiasing). Upscaling uses the filter as is.
 * - Weights are normalised to sum to 1, then turned into 22-bit fixed point (rounded away from
 *   zero); sums start at one half (for rounding) and are shifted back and clamped to 0..255.
 *
 * Filters: bilinear (triangle, support 1) and bicubic (Keys' cubic with a = -0.5, support 2).
 * Golden-tested against PIL 9.4 in spec/data/resample.spec.ts: the outputs are identical.
 */
import { createImage, type RgbImage } from './image';

/** PIL's resampling filters that the pipelines use. */
export type ResampleFilter = 'bilinear' | 'bicubic';

interface FilterKernel {
  support: number;
  weight(x: number): number;
}

const BICUBIC_A = -0.5;

const KERNELS: Readonly<Record<ResampleFilter, FilterKernel>> = {
  bilinear: {
    support: 1,
    weight(x: number): number {
      const t = x < 0 ? -x : x;
      return t < 1 ? 1 - t : 0;
    },
  },
  bicubic: {
    support: 2,
    weight(x: number): number {
      const t = x < 0 ? -x : x;
      if (t < 1) return ((BICUBIC_A + 2) * t - (BICUBIC_A + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * BICUBIC_A;
      return 0;
    },
  },
};

const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** Per output pixel: the first input index, how many inputs, and their fixed-point weights. */
export interface ResampleCoefficients {
  /** Weights per output pixel (the widest filter footprint); unused tail entries are 0. */
  ksize: number;
  /** [start0, count0, start1, count1, ...] */
  bounds: Int32Array;
  /** outSize * ksize fixed-point weights. */
  weights: Int32Array;
}

/** The filter weights for resampling `inSize` pixels to `outSize` (Pillow's precompute_coeffs). */
export function resampleCoefficients(inSize: number, outSize: number, filter: ResampleFilter): ResampleCoefficients {
  const kernel = KERNELS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const inverse = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamps then keep the footprint inside the image.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < count; x++) {
      w[x] = kernel.weight((x + xmin - center + 0.5) * inverse);
      sum += w[x];
    }
    for (let x = 0; x < count; x++) {
      const v = sum !== 0 ? w[x] / sum : w[x];
      weights[xx * ksize + x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = count;
  }
  return { ksize, bounds, weights };
}

/** A fixed-point sum back to a byte: drop the fraction bits, clamp to 0..255. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Horizontal pass: resamples rows `rowStart .. rowStart + rows - 1` of `src` to `outWidth`.
 */
function resampleRows(src: RgbImage, rowStart: number, rows: number, outWidth: number, c: ResampleCoefficients): RgbImage {
  const out = createImage(outWidth, rows);
  const { ksize, bounds, weights } = c;
  const inData = src.data;
  const outData = out.data;
  const inRow = src.width * 3;
  for (let y = 0; y < rows; y++) {
    const rowOffset = (y + rowStart) * inRow;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const count = bounds[xx * 2 + 1];
      const k = xx * ksize;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      let p = rowOffset + xmin * 3;
      for (let x = 0; x < count; x++, p += 3) {
        const wt = weights[k + x];
        s0 += inData[p] * wt;
        s1 += inData[p + 1] * wt;
        s2 += inData[p + 2] * wt;
      }
      const o = (y * outWidth + xx) * 3;
      outData[o] = clip8(s0);
      outData[o + 1] = clip8(s1);
      outData[o + 2] = clip8(s2);
    }
  }
  return out;
}

/**
 * Vertical pass: resamples the columns of `src` to `outHeight`; row bounds are shifted by
 * `rowShift`.
 */
function resampleColumns(src: RgbImage, outHeight: number, c: ResampleCoefficients, rowShift: number): RgbImage {
  const width = src.width;
  const out = createImage(width, outHeight);
  const { ksize, bounds, weights } = c;
  const inData = src.data;
  const outData = out.data;
  const stride = width * 3;
  // Whole input rows are accumulated at a time (row-major, cache-friendly); the sums fit int32.
  const acc = new Int32Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2] - rowShift;
    const count = bounds[yy * 2 + 1];
    const k = yy * ksize;
    acc.fill(HALF);
    for (let y = 0; y < count; y++) {
      const wt = weights[k + y];
      const row = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] += inData[row + i] * wt;
    }
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) outData[outRow + i] = clip8(acc[i]);
  }
  return out;
}

/** Resizes to `width` x `height` with PIL's antialiased bilinear or bicubic filter. */
export function resize(img: RgbImage, width: number, height: number, filter: ResampleFilter): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`resize: target size must be positive integers, got ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return createImage(width, height, img.data.slice());
  const needHorizontal = width !== img.width;
  const needVertical = height !== img.height;
  const vertical = needVertical ? resampleCoefficients(img.height, height, filter) : null;
  let current = img;
  let rowShift = 0;
  if (needHorizontal) {
    // Only the input rows some output row reads: from the first footprint's start to the last's end.
    let first = 0;
    let last = img.height;
    if (vertical) {
      first = vertical.bounds[0];
      last = vertical.bounds[height * 2 - 2] + vertical.bounds[height * 2 - 1];
    }
    current = resampleRows(img, first, last - first, width, resampleCoefficients(img.width, width, filter));
    rowShift = first;
  }
  if (vertical) current = resampleColumns(current, height, vertical, rowShift);
  return current;
}
