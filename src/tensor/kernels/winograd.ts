/**
 * 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of outputs is computed from
 * the 4x4 input patch under it with 16 multiplications per (input, output) channel pair instead of
 * 36. With d a 4x4 patch, g a 3x3 filter and
 *
 *        | 1  0 -1  0 |          | 1    0    0  |
 *   Bᵀ = | 0  1  1  0 |      G = | 1/2  1/2  1/2 |      Aᵀ = | 1  1  1  0 |
 *        | 0 -1  1  0 |          | 1/2 -1/2  1/2 |           | 0  1 -1 -1 |
 *        | 0  1  0 -1 |          | 0    0    1  |
 *
 * the 2x2 outputs are Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A. Summed over input channels, the 16 products
 * per position ξ of the 4x4 transform become 16 matrix products
 *   M[ξ] [Cout x T] = U[ξ] [Cout x Cin] · V[ξ] [Cin x T],   U = G g Gᵀ,  V = Bᵀ d B,
 * over the T = images · tiles of a batch, which the blocked GEMM runs at full speed. The
 * gradients are the same machinery run backwards:
 *   - input: the gradient of a stride-1 convolution is the convolution of dY, padded by 2 - pad,
 *     with the filters rotated by 180 degrees and input/output channels swapped;
 *   - filter: the adjoint of the forward formula, dU[ξ] = dM[ξ] · V[ξ]ᵀ with dM = A dY Aᵀ per
 *     tile, then dg = Gᵀ dU G.
 * Exact arithmetic gives the direct convolution's values; in float32 the results differ from it
 * only by rounding: transforms are computed in double and rounded once when stored. On BNext-like
 * data (signs in, 128 channels, 4x4 maps) the largest error measured against a float64 direct
 * convolution was 8.8e-8 of the output's scale, against 3.7e-8 for one rounding of the exact
 * result. The larger F(4x4, 3x3), with transform entries up to 8 and 1/24, measured 2.1e-6 there,
 * beyond float32 rounding, and is not used.
 *
 * BNext spends most of its training time in 3x3 stride-1 convolutions (in this library about
 * three quarters of the multiply-adds of a training step at C = 8), hence this file; conv2d.ts
 * sends a convolution here when `winogradApplies` says so and uses im2col + GEMM otherwise.
 */
import { sgemm } from './gemm';
import type { Conv2dGeometry } from './conv2d';

/** The 16 positions of a 4x4 transformed tile. */
const XI = 16;
/** Most floats one scratch buffer holds at once (4 MB); larger batches go in chunks of images. */
const BUDGET = 1 << 20;
/**
 * Fewest input and output channels worth it: the transforms cost a few additions per channel
 * and tile, the GEMM saves 20 multiply-adds per channel pair and tile.
 */
const MIN_CHANNELS = 8;

let vScratch: Float32Array = new Float32Array(0);
let mScratch: Float32Array = new Float32Array(0);
let uScratch: Float32Array = new Float32Array(0);
let pScratch: Float32Array = new Float32Array(0);

function grow(buffer: Float32Array, size: number): Float32Array {
  return buffer.length < size ? new Float32Array(size) : buffer;
}

/** Whether this convolution is a 3x3, stride 1, undilated, ungrouped one that pays off here. */
export function winogradApplies(g: Conv2dGeometry): boolean {
  return g.kh === 3 && g.kw === 3 && g.strideH === 1 && g.strideW === 1 && g.dilH === 1 && g.dilW === 1
    && g.groups === 1 && g.padH <= 2 && g.padW <= 2 && g.cIn >= MIN_CHANNELS && g.cOut >= MIN_CHANNELS
    && XI * Math.max(g.cIn, g.cOut) * tilesOf(g.h, g.w) <= BUDGET;
}

function tilesOf(h: number, w: number): number {
  return Math.ceil(h / 2) * Math.ceil(w / 2);
}

/** Images per chunk so that a [16 x channels x tiles] buffer stays within BUDGET. */
function chunkImages(n: number, channels: number, tilesPerImage: number): number {
  return Math.max(1, Math.min(n, Math.floor(BUDGET / (XI * channels * tilesPerImage))));
}

/** out = conv(x, w) + bias; out is overwritten. */
export function winogradForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Conv2dGeometry, out: Float32Array): void {
  uScratch = grow(uScratch, XI * g.cOut * g.cIn);
  filterTransform(w, g.cOut, g.cIn, false, uScratch);
  convolve(x, g.n, g.cIn, g.h, g.w, g.padH, g.padW, uScratch, g.cOut, g.outH, g.outW, bias, out);
}

/** dx = gradient of the forward with respect to x, given dy; dx is overwritten. */
export function winogradBackwardInput(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  uScratch = grow(uScratch, XI * g.cOut * g.cIn);
  filterTransform(w, g.cOut, g.cIn, true, uScratch);
  convolve(dy, g.n, g.cOut, g.outH, g.outW, 2 - g.padH, 2 - g.padW, uScratch, g.cIn, g.h, g.w, null, dx);
}

/** dw = gradient of the forward with respect to w, given dy, summed over the batch; dw is overwritten. */
export function winogradBackwardFilter(dy: Float32Array, x: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  const tilesH = Math.ceil(g.outH / 2);
  const tilesW = Math.ceil(g.outW / 2);
  const images = chunkImages(g.n, Math.max(g.cIn, g.cOut), tilesH * tilesW);
  vScratch = grow(vScratch, XI * g.cIn * images * tilesH * tilesW);
  mScratch = grow(mScratch, XI * g.cOut * images * tilesH * tilesW);
  uScratch = grow(uScratch, XI * g.cOut * g.cIn);
  const v = vScratch;
  const dm = mScratch;
  const du = uScratch;
  for (let n0 = 0; n0 < g.n; n0 += images) {
    const count = Math.min(images, g.n - n0);
    const t = count * tilesH * tilesW;
    inputTransform(x, n0, count, g.cIn, g.h, g.w, g.padH, g.padW, tilesH, tilesW, v);
    outputGradientTransform(dy, n0, count, g.cOut, g.outH, g.outW, tilesH, tilesW, dm);
    for (let xi = 0; xi < XI; xi++) {
      sgemm(
        g.cOut, g.cIn, t,
        { data: dm, offset: xi * g.cOut * t, ld: t, trans: false },
        { data: v, offset: xi * g.cIn * t, ld: t, trans: true },
        du, xi * g.cOut * g.cIn, g.cIn, n0 > 0,
      );
    }
  }
  filterGradientTransform(du, g.cOut, g.cIn, dw);
}

/**
 * dst [n, rows, dstH, dstW] = the stride-1 3x3 convolution of src [n, channels, h, w], padded by
 * (padH, padW), with the transformed filters u [16 x rows x channels]; plus bias when given.
 */
function convolve(
  src: Float32Array, n: number, channels: number, h: number, w: number, padH: number, padW: number,
  u: Float32Array, rows: number, dstH: number, dstW: number, bias: Float32Array | null, dst: Float32Array,
): void {
  const tilesH = Math.ceil(dstH / 2);
  const tilesW = Math.ceil(dstW / 2);
  const images = chunkImages(n, Math.max(channels, rows), tilesH * tilesW);
  vScratch = grow(vScratch, XI * channels * images * tilesH * tilesW);
  mScratch = grow(mScratch, XI * rows * images * tilesH * tilesW);
  const v = vScratch;
  const m = mScratch;
  for (let n0 = 0; n0 < n; n0 += images) {
    const count = Math.min(images, n - n0);
    const t = count * tilesH * tilesW;
    inputTransform(src, n0, count, channels, h, w, padH, padW, tilesH, tilesW, v);
    for (let xi = 0; xi < XI; xi++) {
      sgemm(
        rows, t, channels,
        { data: u, offset: xi * rows * channels, ld: channels, trans: false },
        { data: v, offset: xi * channels * t, ld: t, trans: false },
        m, xi * rows * t, t, false,
      );
    }
    outputTransform(m, rows, n0, count, tilesH, tilesW, dstH, dstW, bias, dst);
  }
}

/**
 * Copies images n0 .. n0+count-1 of src [N, channels, h, w] into `padded` as planes of
 * (2·tilesH + 2) x (2·tilesW + 2) with the image at (padH, padW) and zeros around it, so that the
 * input transform reads every tile's 4x4 patch without a bounds test (on 4x4 and 2x2 maps every
 * tile touches the border).
 */
function padPlanes(
  src: Float32Array, n0: number, count: number, channels: number, h: number, w: number, padH: number, padW: number,
  tilesH: number, tilesW: number, padded: Float32Array,
): void {
  const ph = 2 * tilesH + 2;
  const pw = 2 * tilesW + 2;
  // The tiles cover the output, h + 2·padH - 2 rows, so ph >= h + 2·padH: the image fits.
  padded.fill(0, 0, count * channels * ph * pw);
  for (let p = 0; p < count * channels; p++) {
    const from = (n0 * channels + p) * h * w;
    const to = p * ph * pw + padH * pw + padW;
    for (let y = 0; y < h; y++) {
      const s = from + y * w;
      const d = to + y * pw;
      for (let x = 0; x < w; x++) padded[d + x] = src[s + x];
    }
  }
}

/**
 * v[ξ][c][t] = (Bᵀ d B)[ξ] for the 4x4 patch d of channel c under tile t, over images
 * n0 .. n0+count-1 of src [N, channels, h, w]; tile (ty, tx) reads rows 2ty - padH .. +3 and
 * columns 2tx - padW .. +3, zero outside the image. Tiles are numbered image by image, row-major.
 */
function inputTransform(
  src: Float32Array, n0: number, count: number, channels: number, h: number, w: number, padH: number, padW: number,
  tilesH: number, tilesW: number, v: Float32Array,
): void {
  const ph = 2 * tilesH + 2;
  const pw = 2 * tilesW + 2;
  pScratch = grow(pScratch, count * channels * ph * pw);
  const d = pScratch;
  padPlanes(src, n0, count, channels, h, w, padH, padW, tilesH, tilesW, d);
  const t = count * tilesH * tilesW;
  const xiStride = channels * t;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      const plane = (i * channels + c) * ph * pw;
      let at = c * t + i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        for (let tx = 0; tx < tilesW; tx++, at++) {
          const r0 = plane + 2 * ty * pw + 2 * tx;
          const r1 = r0 + pw, r2 = r1 + pw, r3 = r2 + pw;
          const d00 = d[r0], d01 = d[r0 + 1], d02 = d[r0 + 2], d03 = d[r0 + 3];
          const d10 = d[r1], d11 = d[r1 + 1], d12 = d[r1 + 2], d13 = d[r1 + 3];
          const d20 = d[r2], d21 = d[r2 + 1], d22 = d[r2 + 2], d23 = d[r2 + 3];
          const d30 = d[r3], d31 = d[r3 + 1], d32 = d[r3 + 2], d33 = d[r3 + 3];
          // Bᵀ d: combine rows, column by column.
          const a00 = d00 - d20, a01 = d01 - d21, a02 = d02 - d22, a03 = d03 - d23;
          const a10 = d10 + d20, a11 = d11 + d21, a12 = d12 + d22, a13 = d13 + d23;
          const a20 = d20 - d10, a21 = d21 - d11, a22 = d22 - d12, a23 = d23 - d13;
          const a30 = d10 - d30, a31 = d11 - d31, a32 = d12 - d32, a33 = d13 - d33;
          // (Bᵀ d) B: combine columns, row by row.
          let o = at;
          v[o] = a00 - a02; v[o += xiStride] = a01 + a02; v[o += xiStride] = a02 - a01; v[o += xiStride] = a01 - a03;
          v[o += xiStride] = a10 - a12; v[o += xiStride] = a11 + a12; v[o += xiStride] = a12 - a11; v[o += xiStride] = a11 - a13;
          v[o += xiStride] = a20 - a22; v[o += xiStride] = a21 + a22; v[o += xiStride] = a22 - a21; v[o += xiStride] = a21 - a23;
          v[o += xiStride] = a30 - a32; v[o += xiStride] = a31 + a32; v[o += xiStride] = a32 - a31; v[o += xiStride] = a31 - a33;
        }
      }
    }
  }
}

/**
 * dst[n0 + i, r, 2ty .. 2ty+1, 2tx .. 2tx+1] = Aᵀ m A (+ bias[r]) for every tile, m being the 16
 * values m[ξ][r][t]; outputs past dstH x dstW (odd sizes) are dropped.
 */
function outputTransform(
  m: Float32Array, rows: number, n0: number, count: number, tilesH: number, tilesW: number,
  dstH: number, dstW: number, bias: Float32Array | null, dst: Float32Array,
): void {
  const t = count * tilesH * tilesW;
  const xiStride = rows * t;
  for (let r = 0; r < rows; r++) {
    const b = bias ? bias[r] : 0;
    for (let i = 0; i < count; i++) {
      const plane = ((n0 + i) * rows + r) * dstH * dstW;
      let at = r * t + i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        const y = 2 * ty;
        for (let tx = 0; tx < tilesW; tx++, at++) {
          let o = at;
          const m00 = m[o], m01 = m[o += xiStride], m02 = m[o += xiStride], m03 = m[o += xiStride];
          const m10 = m[o += xiStride], m11 = m[o += xiStride], m12 = m[o += xiStride], m13 = m[o += xiStride];
          const m20 = m[o += xiStride], m21 = m[o += xiStride], m22 = m[o += xiStride], m23 = m[o += xiStride];
          const m30 = m[o += xiStride], m31 = m[o += xiStride], m32 = m[o += xiStride], m33 = m[o += xiStride];
          // Aᵀ m: two rows.
          const s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
          const s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
          const x = 2 * tx;
          const top = plane + y * dstW + x;
          dst[top] = s00 + s01 + s02 + b;
          if (x + 1 < dstW) dst[top + 1] = s01 - s02 - s03 + b;
          if (y + 1 < dstH) {
            dst[top + dstW] = s10 + s11 + s12 + b;
            if (x + 1 < dstW) dst[top + dstW + 1] = s11 - s12 - s13 + b;
          }
        }
      }
    }
  }
}

/**
 * dm[ξ][r][t] = (A dY Aᵀ)[ξ] for the 2x2 block dY of output gradient under tile t (zero past
 * odd edges): the adjoint of outputTransform, as the filter gradient needs.
 */
function outputGradientTransform(
  dy: Float32Array, n0: number, count: number, rows: number, outH: number, outW: number,
  tilesH: number, tilesW: number, dm: Float32Array,
): void {
  const t = count * tilesH * tilesW;
  const xiStride = rows * t;
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < rows; r++) {
      const plane = ((n0 + i) * rows + r) * outH * outW;
      let at = r * t + i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        const y = 2 * ty;
        const hasRow1 = y + 1 < outH;
        for (let tx = 0; tx < tilesW; tx++, at++) {
          const x = 2 * tx;
          const hasCol1 = x + 1 < outW;
          const top = plane + y * outW + x;
          const y00 = dy[top];
          const y01 = hasCol1 ? dy[top + 1] : 0;
          const y10 = hasRow1 ? dy[top + outW] : 0;
          const y11 = hasRow1 && hasCol1 ? dy[top + outW + 1] : 0;
          // A dY: four rows of two.
          const s00 = y00, s01 = y01;
          const s10 = y00 + y10, s11 = y01 + y11;
          const s20 = y00 - y10, s21 = y01 - y11;
          const s30 = -y10, s31 = -y11;
          // (A dY) Aᵀ: each row [s0, s0 + s1, s0 - s1, -s1].
          let o = at;
          dm[o] = s00; dm[o += xiStride] = s00 + s01; dm[o += xiStride] = s00 - s01; dm[o += xiStride] = -s01;
          dm[o += xiStride] = s10; dm[o += xiStride] = s10 + s11; dm[o += xiStride] = s10 - s11; dm[o += xiStride] = -s11;
          dm[o += xiStride] = s20; dm[o += xiStride] = s20 + s21; dm[o += xiStride] = s20 - s21; dm[o += xiStride] = -s21;
          dm[o += xiStride] = s30; dm[o += xiStride] = s30 + s31; dm[o += xiStride] = s30 - s31; dm[o += xiStride] = -s31;
        }
      }
    }
  }
}

/**
 * u[ξ][co][ci] = (G g Gᵀ)[ξ] for each filter g = w[co, ci] (3x3). With `flip`, for the input
 * gradient: u[ξ][ci][co] from g rotated by 180 degrees.
 */
function filterTransform(w: Float32Array, cOut: number, cIn: number, flip: boolean, u: Float32Array): void {
  const xiStride = cOut * cIn;
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      // Rotating a filter by 180 degrees reads its 9 taps backwards.
      const f = flip ? (co * cIn + ci) * 9 + 8 : (co * cIn + ci) * 9;
      const s = flip ? -1 : 1;
      const g00 = w[f], g01 = w[f + s], g02 = w[f + 2 * s];
      const g10 = w[f + 3 * s], g11 = w[f + 4 * s], g12 = w[f + 5 * s];
      const g20 = w[f + 6 * s], g21 = w[f + 7 * s], g22 = w[f + 8 * s];
      // G g: four rows of three.
      const a00 = g00, a01 = g01, a02 = g02;
      const a10 = (g00 + g10 + g20) * 0.5, a11 = (g01 + g11 + g21) * 0.5, a12 = (g02 + g12 + g22) * 0.5;
      const a20 = (g00 - g10 + g20) * 0.5, a21 = (g01 - g11 + g21) * 0.5, a22 = (g02 - g12 + g22) * 0.5;
      const a30 = g20, a31 = g21, a32 = g22;
      // (G g) Gᵀ: each row [a0, (a0 + a1 + a2) * 0.5, (a0 - a1 + a2) * 0.5, a2].
      let o = flip ? ci * cOut + co : co * cIn + ci;
      u[o] = a00; u[o += xiStride] = (a00 + a01 + a02) * 0.5; u[o += xiStride] = (a00 - a01 + a02) * 0.5; u[o += xiStride] = a02;
      u[o += xiStride] = a10; u[o += xiStride] = (a10 + a11 + a12) * 0.5; u[o += xiStride] = (a10 - a11 + a12) * 0.5; u[o += xiStride] = a12;
      u[o += xiStride] = a20; u[o += xiStride] = (a20 + a21 + a22) * 0.5; u[o += xiStride] = (a20 - a21 + a22) * 0.5; u[o += xiStride] = a22;
      u[o += xiStride] = a30; u[o += xiStride] = (a30 + a31 + a32) * 0.5; u[o += xiStride] = (a30 - a31 + a32) * 0.5; u[o += xiStride] = a32;
    }
  }
}

/** dw[co, ci] = Gᵀ du G for du[ξ][co][ci]: the adjoint of filterTransform (unflipped). */
function filterGradientTransform(du: Float32Array, cOut: number, cIn: number, dw: Float32Array): void {
  const xiStride = cOut * cIn;
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      let o = co * cIn + ci;
      const u00 = du[o], u01 = du[o += xiStride], u02 = du[o += xiStride], u03 = du[o += xiStride];
      const u10 = du[o += xiStride], u11 = du[o += xiStride], u12 = du[o += xiStride], u13 = du[o += xiStride];
      const u20 = du[o += xiStride], u21 = du[o += xiStride], u22 = du[o += xiStride], u23 = du[o += xiStride];
      const u30 = du[o += xiStride], u31 = du[o += xiStride], u32 = du[o += xiStride], u33 = du[o += xiStride];
      // Gᵀ du: three rows of four.
      const a00 = u00 + (u10 + u20) * 0.5, a01 = u01 + (u11 + u21) * 0.5, a02 = u02 + (u12 + u22) * 0.5, a03 = u03 + (u13 + u23) * 0.5;
      const a10 = (u10 - u20) * 0.5, a11 = (u11 - u21) * 0.5, a12 = (u12 - u22) * 0.5, a13 = (u13 - u23) * 0.5;
      const a20 = (u10 + u20) * 0.5 + u30, a21 = (u11 + u21) * 0.5 + u31, a22 = (u12 + u22) * 0.5 + u32, a23 = (u13 + u23) * 0.5 + u33;
      // (Gᵀ du) G: each row [a0 + (a1 + a2) * 0.5, (a1 - a2) * 0.5, (a1 + a2) * 0.5 + a3].
      const f = (co * cIn + ci) * 9;
      dw[f] = a00 + (a01 + a02) * 0.5; dw[f + 1] = (a01 - a02) * 0.5; dw[f + 2] = (a01 + a02) * 0.5 + a03;
      dw[f + 3] = a10 + (a11 + a12) * 0.5; dw[f + 4] = (a11 - a12) * 0.5; dw[f + 5] = (a11 + a12) * 0.5 + a13;
      dw[f + 6] = a20 + (a21 + a22) * 0.5; dw[f + 7] = (a21 - a22) * 0.5; dw[f + 8] = (a21 + a22) * 0.5 + a23;
    }
  }
}
