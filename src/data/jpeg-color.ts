/**
 * The last stage of JPEG decoding done as libjpeg(-turbo) does it, which is what PIL runs:
 * chroma upsampling and YCbCr -> RGB. jpeg-js decodes the component planes; its own last stage
 * replicates subsampled chroma and converts colour in floating point with truncation, which puts
 * its pixels tens of levels away from PIL's at colour edges. Redoing this stage on jpeg-js's raw
 * planes leaves only the IDCT differences (a level or two).
 *
 * - "Fancy" upsampling (libjpeg's default): a subsampled chroma sample spreads over its output
 *   pixels by a triangle filter, 3/4 of the nearer input sample plus 1/4 of the farther one in
 *   each doubled direction (9/16, 3/16, 3/16, 1/16 for 2x2), with libjpeg's alternating rounding
 *   biases, edges replicated. Used for 2x1, 1x2 and 2x2 subsampling (2x1 and 2x2 only when the
 *   chroma plane is wider than 2 samples); other ratios replicate, as libjpeg's int_upsample does.
 * - Colour: libjpeg's 16-bit fixed-point tables, R = Y + 1.402 (Cr - 128),
 *   G = Y - 0.34414 (Cb - 128) - 0.71414 (Cr - 128), B = Y + 1.772 (Cb - 128), rounded, clamped.
 */

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number): number => Math.trunc(x * (1 << SCALEBITS) + 0.5);

const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** A subsampled plane: `width` x `height` samples, row-major. */
export interface Plane {
  width: number;
  height: number;
  data: Uint8Array;
}

/** 2x horizontal: output 2i and 2i+1 from input i and its left / right neighbour. */
function upsampleRow2(src: Uint8Array, s: number, n: number, dst: Uint8Array, d: number): void {
  if (n <= 2) {
    for (let i = 0; i < n; i++) dst[d + 2 * i] = dst[d + 2 * i + 1] = src[s + i];
    return;
  }
  for (let i = 0; i < n; i++) {
    const near = src[s + i] * 3;
    const left = src[s + (i > 0 ? i - 1 : 0)];
    const right = src[s + (i < n - 1 ? i + 1 : i)];
    dst[d + 2 * i] = i === 0 ? src[s] : (near + left + 1) >> 2;
    dst[d + 2 * i + 1] = i === n - 1 ? src[s + i] : (near + right + 2) >> 2;
  }
}

/**
 * Upsamples `plane` by (fx, fy) to at least `outWidth` x `outHeight`, returning exactly that size.
 */
export function upsamplePlane(plane: Plane, fx: number, fy: number, outWidth: number, outHeight: number): Uint8Array {
  const { width: n, height: rows, data } = plane;
  const full = new Uint8Array(n * fx * rows * fy);
  const fullWidth = n * fx;
  if (fx === 2 && fy === 1) {
    for (let r = 0; r < rows; r++) upsampleRow2(data, r * n, n, full, r * fullWidth);
  } else if (fx === 1 && fy === 2) {
    for (let r = 0; r < rows; r++) {
      const above = Math.max(r - 1, 0) * n;
      const below = Math.min(r + 1, rows - 1) * n;
      for (let i = 0; i < n; i++) {
        const near = data[r * n + i] * 3;
        full[2 * r * n + i] = (near + data[above + i] + 1) >> 2;
        full[(2 * r + 1) * n + i] = (near + data[below + i] + 2) >> 2;
      }
    }
  } else if (fx === 2 && fy === 2 && n > 2) {
    const sums = new Int32Array(n);
    for (let r = 0; r < rows; r++) {
      for (let half = 0; half < 2; half++) {
        // The nearer input row weighs 3, the farther (above for the top output row) weighs 1.
        const far = half === 0 ? Math.max(r - 1, 0) : Math.min(r + 1, rows - 1);
        for (let i = 0; i < n; i++) sums[i] = data[r * n + i] * 3 + data[far * n + i];
        const o = (2 * r + half) * fullWidth;
        for (let i = 0; i < n; i++) {
          const c = sums[i] * 3;
          full[o + 2 * i] = i === 0 ? (sums[0] * 4 + 8) >> 4 : (c + sums[i - 1] + 8) >> 4;
          full[o + 2 * i + 1] = i === n - 1 ? (sums[i] * 4 + 7) >> 4 : (c + sums[i + 1] + 7) >> 4;
        }
      }
    }
  } else {
    // Replication (libjpeg's plain and integral upsamplers).
    for (let y = 0; y < rows * fy; y++) {
      for (let x = 0; x < fullWidth; x++) full[y * fullWidth + x] = data[Math.floor(y / fy) * n + Math.floor(x / fx)];
    }
  }
  if (fullWidth === outWidth && rows * fy === outHeight) return full;
  const out = new Uint8Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) out.set(full.subarray(y * fullWidth, y * fullWidth + outWidth), y * outWidth);
  return out;
}

/** Interleaved YCbCr (3 bytes per pixel, full resolution) to RGB, in place. */
export function yccToRgbInPlace(pixels: Uint8Array): void {
  for (let i = 0; i < pixels.length; i += 3) {
    const y = pixels[i];
    const cb = pixels[i + 1];
    const cr = pixels[i + 2];
    pixels[i] = clamp8(y + CR_R[cr]);
    pixels[i + 1] = clamp8(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
    pixels[i + 2] = clamp8(y + CB_B[cb]);
  }
}
