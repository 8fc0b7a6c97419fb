/**
 * Affine warps as PIL computes them (`Image.transform(size, AFFINE, ...)` and `Image.rotate`),
 * the engine behind RandAugment's rotate, shear and translate (timm applies them to PIL images).
 *
 * The matrix maps output to input: output pixel (x, y) samples the input at
 * (a*(x+0.5) + b*(y+0.5) + c, d*(x+0.5) + e*(y+0.5) + f). A sample point outside the input gives
 * the fill colour. This is not the resampler of `resize` (no antialiasing, no fixed point):
 *
 * - bilinear: the 2x2 neighbours around the point (edges clamped), interpolated in double
 *   precision, truncated to uint8;
 * - bicubic: the 4x4 neighbours, Keys' cubic with a = -1 (not resize's -0.5), in double precision,
 *   clamped to 0..255 and truncated. Columns are clamped to the image; a row past the image repeats
 *   the row before it.
 *
 * Golden-tested against PIL 9.4 through the RandAugment operations (spec/data/randaugment.spec.ts).
 */
import { createImage, type RgbImage } from './image';
import type { Rgb } from './geometry';
import { rotate180, rotate270, rotate90 } from './geometry';

export type AffineFilter = 'bilinear' | 'bicubic';
/** [a, b, c, d, e, f]: output (x, y) reads input (a x + b y + c, d x + e y + f), pixel centres. */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/** Cubic convolution (a = -1) through v1..v4 at offset d in [0, 1) past v2. */
function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return v2 + d * (p2 + d * (p3 + d * p4));
}

function clampIndex(i: number, size: number): number {
  return i < 0 ? 0 : i < size ? i : size - 1;
}

/** Applies the warp; the output has the input's size. */
export function affineTransform(img: RgbImage, m: AffineMatrix, filter: AffineFilter, fill: Rgb): RgbImage {
  const { width, height, data } = img;
  const out = createImage(width, height);
  const dst = out.data;
  const [a, b, c, d, e, f] = m;
  const cols = new Int32Array(4);
  for (let y = 0; y < height; y++) {
    const yc = y + 0.5;
    for (let x = 0; x < width; x++) {
      const xc = x + 0.5;
      const xin = a * xc + b * yc + c;
      const yin = d * xc + e * yc + f;
      const o = (y * width + x) * 3;
      if (xin < 0 || xin >= width || yin < 0 || yin >= height) {
        dst[o] = fill[0];
        dst[o + 1] = fill[1];
        dst[o + 2] = fill[2];
        continue;
      }
      const xs = xin - 0.5;
      const ys = yin - 0.5;
      const ix = Math.floor(xs);
      const iy = Math.floor(ys);
      const dx = xs - ix;
      const dy = ys - iy;
      if (filter === 'bilinear') {
        const x0 = clampIndex(ix, width) * 3;
        const x1 = clampIndex(ix + 1, width) * 3;
        const r0 = clampIndex(iy, height) * width * 3;
        const hasNext = iy + 1 >= 0 && iy + 1 < height;
        const r1 = hasNext ? (iy + 1) * width * 3 : r0;
        for (let ch = 0; ch < 3; ch++) {
          const top = data[r0 + x0 + ch] + (data[r0 + x1 + ch] - data[r0 + x0 + ch]) * dx;
          const bottom = hasNext ? data[r1 + x0 + ch] + (data[r1 + x1 + ch] - data[r1 + x0 + ch]) * dx : top;
          dst[o + ch] = Math.trunc(top + (bottom - top) * dy);
        }
      } else {
        for (let k = 0; k < 4; k++) cols[k] = clampIndex(ix - 1 + k, width) * 3;
        const y0 = iy - 1;
        for (let ch = 0; ch < 3; ch++) {
          let r = clampIndex(y0, height) * width * 3 + ch;
          const v1 = cubic(data[r + cols[0]], data[r + cols[1]], data[r + cols[2]], data[r + cols[3]], dx);
          let v2 = v1;
          if (y0 + 1 >= 0 && y0 + 1 < height) {
            r = (y0 + 1) * width * 3 + ch;
            v2 = cubic(data[r + cols[0]], data[r + cols[1]], data[r + cols[2]], data[r + cols[3]], dx);
          }
          let v3 = v2;
          if (y0 + 2 >= 0 && y0 + 2 < height) {
            r = (y0 + 2) * width * 3 + ch;
            v3 = cubic(data[r + cols[0]], data[r + cols[1]], data[r + cols[2]], data[r + cols[3]], dx);
          }
          let v4 = v3;
          if (y0 + 3 >= 0 && y0 + 3 < height) {
            r = (y0 + 3) * width * 3 + ch;
            v4 = cubic(data[r + cols[0]], data[r + cols[1]], data[r + cols[2]], data[r + cols[3]], dx);
          }
          const v = cubic(v1, v2, v3, v4, dy);
          dst[o + ch] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
        }
      }
    }
  }
  return out;
}

/** Python's `round(x, 15)`, which PIL applies to the rotation matrix entries. */
function round15(x: number): number {
  return Number(x.toFixed(15));
}

/**
 * Rotates counter-clockwise by `degrees` about the image centre, keeping the size (PIL's
 * `Image.rotate(degrees, resample, fillcolor=fill)` without expand). Multiples of 180 degrees (and
 * of 90 for square images) are exact transposes, as in PIL.
 */
export function rotate(img: RgbImage, degrees: number, filter: AffineFilter, fill: Rgb): RgbImage {
  // Python's float modulo: the result takes the divisor's sign.
  let angle = degrees % 360;
  if (angle !== 0 && angle < 0) angle += 360;
  if (angle === 0) return createImage(img.width, img.height, img.data.slice());
  if (angle === 180) return rotate180(img);
  if (img.width === img.height && (angle === 90 || angle === 270)) return angle === 90 ? rotate90(img) : rotate270(img);
  const theta = -angle * (Math.PI / 180);
  const cos = round15(Math.cos(theta));
  const sin = round15(Math.sin(theta));
  const cx = img.width / 2;
  const cy = img.height / 2;
  // Output-to-input matrix: rotate about the centre (PIL builds it the same way).
  const c = cos * -cx + sin * -cy + 0 + cx;
  const f = -sin * -cx + cos * -cy + 0 + cy;
  return affineTransform(img, [cos, sin, c, -sin, cos, f], filter, fill);
}
