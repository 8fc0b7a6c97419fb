/**
 * Pixel-exact geometry: crop, constant padding and horizontal flip. These move pixels without
 * resampling, so they equal PIL / torchvision bit for bit.
 */
import { createImage, type RgbImage } from './image';

export type Rgb = readonly [number, number, number];

/**
 * The `width` x `height` window whose top-left corner is (`left`, `top`). As in PIL's `crop`, the
 * window may reach outside the image; those pixels take `fill` (black by default).
 */
export function crop(img: RgbImage, left: number, top: number, width: number, height: number, fill: Rgb = [0, 0, 0]): RgbImage {
  if (![left, top, width, height].every(Number.isInteger) || width < 1 || height < 1) {
    throw new Error(`crop: box must be integers with a positive size, got left ${left}, top ${top}, ${width}x${height}`);
  }
  const out = createImage(width, height);
  const src = img.data;
  const dst = out.data;
  const x0 = Math.max(0, -left);
  const x1 = Math.min(width, img.width - left);
  for (let y = 0; y < height; y++) {
    const sy = top + y;
    const rowOut = y * width * 3;
    const inside = sy >= 0 && sy < img.height && x1 > x0;
    if (!inside || x0 > 0 || x1 < width) {
      for (let x = 0; x < width; x++) {
        dst[rowOut + x * 3] = fill[0];
        dst[rowOut + x * 3 + 1] = fill[1];
        dst[rowOut + x * 3 + 2] = fill[2];
      }
    }
    if (inside) {
      const from = (sy * img.width + left + x0) * 3;
      dst.set(src.subarray(from, from + (x1 - x0) * 3), rowOut + x0 * 3);
    }
  }
  return out;
}

/** Adds `padding` pixels of `fill` on every side (torchvision's `pad` with a constant fill). */
export function pad(img: RgbImage, padding: number, fill: Rgb = [0, 0, 0]): RgbImage {
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`pad: padding must be a non-negative integer, got ${padding}`);
  return crop(img, -padding, -padding, img.width + 2 * padding, img.height + 2 * padding, fill);
}

/** Mirrors left to right. */
export function hflip(img: RgbImage): RgbImage {
  const out = createImage(img.width, img.height);
  const { width, height } = img;
  const src = img.data;
  const dst = out.data;
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = row + x * 3;
      const d = row + (width - 1 - x) * 3;
      dst[d] = src[s];
      dst[d + 1] = src[s + 1];
      dst[d + 2] = src[s + 2];
    }
  }
  return out;
}

/** Turns the image by 180 degrees (PIL's `transpose(ROTATE_180)`). */
export function rotate180(img: RgbImage): RgbImage {
  const out = createImage(img.width, img.height);
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) {
    const q = (n - 1 - p) * 3;
    out.data[p * 3] = img.data[q];
    out.data[p * 3 + 1] = img.data[q + 1];
    out.data[p * 3 + 2] = img.data[q + 2];
  }
  return out;
}

/** Turns the image by 90 degrees counter-clockwise (PIL's `transpose(ROTATE_90)`). */
export function rotate90(img: RgbImage): RgbImage {
  const { width, height } = img;
  const out = createImage(height, width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Input (x, y) lands at output (y, width - 1 - x).
      const s = (y * width + x) * 3;
      const d = ((width - 1 - x) * height + y) * 3;
      out.data[d] = img.data[s];
      out.data[d + 1] = img.data[s + 1];
      out.data[d + 2] = img.data[s + 2];
    }
  }
  return out;
}

/** Turns the image by 270 degrees counter-clockwise (PIL's `transpose(ROTATE_270)`). */
export function rotate270(img: RgbImage): RgbImage {
  return rotate180(rotate90(img));
}
