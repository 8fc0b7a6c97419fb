/**
 * PIL's ImageEnhance on RGB images, as RandAugment's Color, Contrast, Brightness and Sharpness
 * operations use it. Each blends the image with a "degenerate" version of itself:
 * out = degenerate + factor * (image - degenerate), so factor 1 is the identity, 0 the degenerate
 * image, and factors above 1 extrapolate (clamped to 0..255).
 *
 * The arithmetic is PIL's C code's: single-precision floats, truncation to a byte. `Math.fround`
 * reproduces each float32 rounding, so the outputs equal Pillow 9.4's exactly.
 */
import { createImage, type RgbImage } from './image';

/**
 * ITU-R 601-2 luma, PIL's `convert('L')`: (19595 R + 38470 G + 7471 B + 2^15) >> 16.
 * Returns one byte per pixel.
 */
export function toGray(img: RgbImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let p = 0; p < n; p++) {
    out[p] = (d[p * 3] * 19595 + d[p * 3 + 1] * 38470 + d[p * 3 + 2] * 7471 + 0x8000) >> 16;
  }
  return out;
}

/** PIL's `Image.blend(degenerate, image, factor)`, byte by byte in float32. */
export function blend(degenerate: RgbImage, image: RgbImage, factor: number): RgbImage {
  if (degenerate.width !== image.width || degenerate.height !== image.height) {
    throw new Error(`blend: sizes differ (${degenerate.width}x${degenerate.height} vs ${image.width}x${image.height})`);
  }
  const alpha = Math.fround(factor);
  if (alpha === 0) return createImage(image.width, image.height, degenerate.data.slice());
  if (alpha === 1) return createImage(image.width, image.height, image.data.slice());
  const out = createImage(image.width, image.height);
  const a = degenerate.data;
  const b = image.data;
  const o = out.data;
  const interpolate = alpha >= 0 && alpha <= 1;
  for (let i = 0; i < o.length; i++) {
    const v = Math.fround(a[i] + Math.fround(alpha * (b[i] - a[i])));
    o[i] = interpolate ? Math.trunc(v) : v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return out;
}

/** Saturation: blends with the grayscale image (factor 0 is gray). */
export function enhanceColor(img: RgbImage, factor: number): RgbImage {
  const gray = toGray(img);
  const degenerate = createImage(img.width, img.height);
  for (let p = 0; p < gray.length; p++) {
    degenerate.data[p * 3] = degenerate.data[p * 3 + 1] = degenerate.data[p * 3 + 2] = gray[p];
  }
  return blend(degenerate, img, factor);
}

/** Contrast: blends with a flat image at the mean luma, rounded (factor 0 is flat gray). */
export function enhanceContrast(img: RgbImage, factor: number): RgbImage {
  const gray = toGray(img);
  let sum = 0;
  for (let p = 0; p < gray.length; p++) sum += gray[p];
  const mean = Math.trunc(sum / gray.length + 0.5);
  const degenerate = createImage(img.width, img.height);
  degenerate.data.fill(mean);
  return blend(degenerate, img, factor);
}

/** Brightness: blends with black. */
export function enhanceBrightness(img: RgbImage, factor: number): RgbImage {
  return blend(createImage(img.width, img.height), img, factor);
}

/**
 * Sharpness: blends with PIL's SMOOTH filter output (3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, border
 * pixels copied), so factors above 1 sharpen.
 */
export function enhanceSharpness(img: RgbImage, factor: number): RgbImage {
  return blend(smooth(img), img, factor);
}

/** One kernel row at byte `i` and its left/right neighbours, in float32, left to right. */
function kernelRow(src: Uint8Array, i: number, side: number, mid: number): number {
  const f = Math.fround;
  return f(f(f(src[i - 3] * side) + f(src[i] * mid)) + f(src[i + 3] * side));
}

/**
 * PIL's `filter(ImageFilter.SMOOTH)`: float32 weights 1/13 and 5/13, sums in float32 row by row
 * plus 0.5, truncated. The outermost rows and columns are copied unchanged.
 */
export function smooth(img: RgbImage): RgbImage {
  const { width, height } = img;
  const src = img.data;
  const out = createImage(width, height, src.slice());
  if (width < 3 || height < 3) return out;
  const edge = Math.fround(1 / 13);
  const centre = Math.fround(5 / 13);
  const dst = out.data;
  const stride = width * 3;
  for (let y = 1; y < height - 1; y++) {
    for (let i = y * stride + 3; i < (y + 1) * stride - 3; i++) {
      // PIL sums the row below first, then this row, then the row above.
      let s = Math.fround(0.5);
      s = Math.fround(s + kernelRow(src, i + stride, edge, edge));
      s = Math.fround(s + kernelRow(src, i, edge, centre));
      s = Math.fround(s + kernelRow(src, i - stride, edge, edge));
      dst[i] = s <= 0 ? 0 : s >= 255 ? 255 : Math.trunc(s);
    }
  }
  return out;
}
