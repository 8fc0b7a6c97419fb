/**
 * 3x3 convolutions with stride 1 or 2 by Winograd's minimal filtering (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016). F(m x m, 3x3) computes each m x m block of outputs
 * from the α x α input patch under it (α = m + 2) as Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, with α²
 * multiplications per (input, output) channel pair instead of 9m². Summed over input channels,
 * the α² products per position ξ of the transformed tile become α² matrix products
 *   M[ξ] [Cout x T] = U[ξ] [Cout x Cin] · V[ξ] [Cin x T],   U = G g Gᵀ,  V = Bᵀ d B,
 * over the T = images · tiles of a batch, which the blocked GEMM runs at full speed. The
 * gradients are the same machinery run backwards:
 *   - input: the gradient of a stride-1 convolution is the convolution of dY, padded by 2 - pad,
 *     with the filters rotated by 180 degrees and input/output channels swapped;
 *   - filter: the adjoint of the forward formula, dU[ξ] = dM[ξ] · V[ξ]ᵀ with dM = A dY Aᵀ per
 *     tile, then dg = Gᵀ dU G.
 *
 * Three tilings (one file each): F(4x4, 3x3) (f4x4-3x3.ts, 36 products per 16 outputs),
 * F(2x2, 3x3) (f2x2-3x3.ts, 16 per 4) and, for a whole 2x2 map with padding 1, a 3x3-point
 * form that uses the zero border (f2x2-3x3-whole-map.ts, 9 per 4). `tilingFor` takes the 2x2-map
 * form where it applies, else whichever of the others needs fewer products: F(4x4) from 3x3
 * maps up, F(2x2) on smaller ones, where a 6x6 tile would be mostly padding. BNext's 3x3 units
 * run on 32x32 down to 2x2 maps.
 *
 * Precision: every transformed value and every GEMM sum is float64, and only the final output
 * is rounded to float32, so the result is within float32 rounding of the exact convolution
 * whatever the tiling. (F(4x4)'s transforms cancel heavily; with float32 intermediates it lost
 * about 2e-6 of the output's scale, which double intermediates remove.)
 *
 * Layouts: the transforms write U, V and dM directly as the GEMM's packed panels (gemmPacked in
 * gemm.ts: panels of 8 rows or columns, depth-major), which saves a packing pass per product;
 * where a value (ξ, i, j) goes is ξ·stride + iOffset[i] + jOffset[j], with offset tables built
 * here for each role. Panels are padded to multiples of 8 with whatever the scratch held: a
 * padded row or column of an operand only reaches a padded row or column of the product, which
 * nothing reads.
 *
 * Stride 2 (f4x4-3x3-stride2.ts, f2x2-3x3-stride2.ts): the same machinery with tilings for 4x4 blocks of
 * strided outputs (9x9 input patches stepping by 8, 81 products per channel pair instead of 144)
 * and 2x2 blocks (5x5 patches, 25 instead of 36). Their input gradient is the adjoint of the
 * forward instead, dV[ξ] = U[ξ]ᵀ · dM[ξ], whose patches B dV Bᵀ are added back where the forward
 * read them. What the tilings gained on BNext's layers is in docs/performance.md, "Float
 * convolution".
 *
 * BNext spends most of its training time in 3x3 convolutions, hence this file; ../conv2d.ts sends
 * a convolution here when `winogradApplies` says so and uses im2col + GEMM otherwise.
 */
import { gemmPacked, MR, NR } from '../gemm';
import type { Conv2dGeometry } from '../conv2d-geometry';
import type { StridedWinogradTiling, WinogradTiling } from './tiling';
import { F2x2 } from './f2x2-3x3';
import { F4x4 } from './f4x4-3x3';
import { F2x2_WHOLE_MAP } from './f2x2-3x3-whole-map';
import { F2x2_STRIDE2 } from './f2x2-3x3-stride2';
import { F4x4_STRIDE2 } from './f4x4-3x3-stride2';

/**
 * Most values one scratch buffer holds at once (2 MB of float64); larger batches go in chunks
 * of images, so that transformed tiles stay in cache between the transforms and the products
 * (docs/performance.md, "Float convolution").
 */
const BUDGET = 1 << 18;
/**
 * Fewest input and output channels worth it: the transforms cost a few dozen additions per
 * channel and tile, the GEMM saves 5-7 multiply-adds per channel pair and output; with one
 * channel the input gradient (a GEMM of one row, padded to 8) loses (docs/performance.md,
 * "Float convolution").
 */
const MIN_CHANNELS = 2;
/**
 * Spare values between consecutive ξ planes of a transformed buffer. A transform writes (or
 * reads) the α² values of a tile one plane apart; with plane sizes a power of two (128 channels
 * x 32 tiles...) those addresses all fall in the same cache sets and evict each other. One cache
 * line of skew per plane made the filter transform 2x faster.
 */
const SKEW = 8;

let vScratch: Float64Array = new Float64Array(0);
let mScratch: Float64Array = new Float64Array(0);
let uScratch: Float64Array = new Float64Array(0);
let pScratch: Float32Array = new Float32Array(0);
let gScratch: Float64Array = new Float64Array(0);
let offsetsA: Int32Array = new Int32Array(0);
let offsetsB: Int32Array = new Int32Array(0);

function grow64(buffer: Float64Array, size: number): Float64Array {
  return buffer.length < size ? new Float64Array(size) : buffer;
}

function grow32(buffer: Int32Array, size: number): Int32Array {
  return buffer.length < size ? new Int32Array(size) : buffer;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/**
 * The tiling for an outH x outW output of an inH x inW input padded by (padH, padW): the 2x2-map
 * form where it applies (9 products per channel pair), else F(4x4) unless F(2x2) needs fewer.
 */
export function tilingFor(outH: number, outW: number, inH: number, inW: number, padH: number, padW: number): WinogradTiling {
  if (outH === 2 && outW === 2 && inH === 2 && inW === 2 && padH === 1 && padW === 1) return F2x2_WHOLE_MAP;
  return products(F4x4, outH, outW) < products(F2x2, outH, outW) ? F4x4 : F2x2;
}

/** The stride-2 tiling with fewer products for an outH x outW output: 4x4 tiles unless 2x2 ones need fewer. */
export function stridedTilingFor(outH: number, outW: number): StridedWinogradTiling {
  return products(F4x4_STRIDE2, outH, outW) < products(F2x2_STRIDE2, outH, outW) ? F4x4_STRIDE2 : F2x2_STRIDE2;
}

/** Products per channel pair of a tiling over an outH x outW output. */
function products(t: WinogradTiling, outH: number, outW: number): number {
  return t.alpha * t.alpha * Math.ceil(outH / t.m) * Math.ceil(outW / t.m);
}

function forwardTiling(g: Conv2dGeometry): WinogradTiling {
  return g.strideH === 2 ? stridedTilingFor(g.outH, g.outW) : tilingFor(g.outH, g.outW, g.h, g.w, g.padH, g.padW);
}

/**
 * Whether this convolution is a 3x3, undilated, ungrouped one that pays off here: stride 1, or
 * stride 2 where the tiles need fewer products than the direct sum's nine per output (from
 * 2x2 outputs up, except 3x3).
 */
export function winogradApplies(g: Conv2dGeometry): boolean {
  const strided = g.strideH === 2 && products(stridedTilingFor(g.outH, g.outW), g.outH, g.outW) < 9 * g.outH * g.outW;
  const stride = g.strideH === g.strideW && (g.strideH === 1 || strided);
  return stride && g.kh === 3 && g.kw === 3 && g.dilH === 1 && g.dilW === 1
    && g.groups === 1 && g.padH <= 2 && g.padW <= 2 && g.cIn >= MIN_CHANNELS && g.cOut >= MIN_CHANNELS
    && imageValues(forwardTiling(g), Math.max(g.cIn, g.cOut), g.outH, g.outW) <= BUDGET;
}

/** Rows (or columns) of the zero-padded input planes a tiling reads for `tiles` tiles. */
function paddedSide(t: WinogradTiling, tiles: number): number {
  return t.step * (tiles - 1) + t.patch;
}

/** Transformed values of one image, for the larger side of a product (channels padded to panels). */
function imageValues(t: WinogradTiling, channels: number, outH: number, outW: number): number {
  return t.alpha * t.alpha * roundUp(channels, 8) * Math.ceil(outH / t.m) * Math.ceil(outW / t.m);
}

/**
 * Images per chunk so that the transformed buffers stay within about BUDGET (one image always
 * goes), the batch split into equal chunks: a short last chunk would cost a GEMM pass for little.
 */
function chunkImages(t: WinogradTiling, n: number, channels: number, outH: number, outW: number): number {
  const most = Math.max(1, Math.min(n, Math.floor(BUDGET / imageValues(t, channels, outH, outW))));
  return Math.ceil(n / Math.ceil(n / most));
}

/** offsets[i] = i·step, for the depth index of a packed panel (step 8). */
function depthOffsets(buffer: Int32Array, count: number, step: number): Int32Array {
  for (let i = 0; i < count; i++) buffer[i] = i * step;
  return buffer;
}

/** offsets[i] for the panel index of a packed operand of the given depth: panel i / 8, lane i % 8. */
function panelOffsets(buffer: Int32Array, count: number, depth: number): Int32Array {
  for (let i = 0; i < count; i++) buffer[i] = (i >> 3) * depth * 8 + (i & 7);
  return buffer;
}

/** out = conv(x, w) + bias; out is overwritten. */
export function winogradForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Conv2dGeometry, out: Float32Array): void {
  const t = forwardTiling(g);
  // U[ξ] as the GEMM's left operand: rows cOut, depth cIn.
  const rows = roundUp(g.cOut, MR);
  const xiStride = rows * g.cIn + SKEW;
  uScratch = grow64(uScratch, t.alpha * t.alpha * xiStride);
  offsetsA = grow32(offsetsA, Math.max(g.cOut, g.cIn));
  offsetsB = grow32(offsetsB, Math.max(g.cOut, g.cIn));
  t.filterTransform(w, g.cOut, g.cIn, false, uScratch, xiStride, panelOffsets(offsetsA, g.cOut, g.cIn), depthOffsets(offsetsB, g.cIn, 8));
  convolve(t, x, g.n, g.cIn, g.h, g.w, g.padH, g.padW, uScratch, xiStride, g.cOut, g.outH, g.outW, bias, out);
}

/** dx = gradient of the forward with respect to x, given dy; dx is overwritten. */
export function winogradBackwardInput(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  if (g.strideH === 2) return backwardInputByAdjoint(stridedTilingFor(g.outH, g.outW), dy, w, g, dx);
  const t = tilingFor(g.h, g.w, g.outH, g.outW, 2 - g.padH, 2 - g.padW);
  // The rotated filters, input and output channels swapped: rows cIn, depth cOut.
  const rows = roundUp(g.cIn, MR);
  const xiStride = rows * g.cOut + SKEW;
  uScratch = grow64(uScratch, t.alpha * t.alpha * xiStride);
  offsetsA = grow32(offsetsA, Math.max(g.cOut, g.cIn));
  offsetsB = grow32(offsetsB, Math.max(g.cOut, g.cIn));
  t.filterTransform(w, g.cOut, g.cIn, true, uScratch, xiStride, depthOffsets(offsetsA, g.cOut, 8), panelOffsets(offsetsB, g.cIn, g.cOut));
  convolve(t, dy, g.n, g.cOut, g.outH, g.outW, 2 - g.padH, 2 - g.padW, uScratch, xiStride, g.cIn, g.h, g.w, null, dx);
}

/**
 * dst [n, rows, dstH, dstW] = the stride-1 3x3 convolution of src [n, channels, h, w], padded by
 * (padH, padW), with the transformed filters u (packed: rows x depth `channels`, plane ξ at
 * ξ·uStride); plus bias when given.
 */
function convolve(
  t: WinogradTiling, src: Float32Array, n: number, channels: number, h: number, w: number, padH: number, padW: number,
  u: Float64Array, uStride: number, rows: number, dstH: number, dstW: number, bias: Float32Array | null, dst: Float32Array,
): void {
  const xis = t.alpha * t.alpha;
  const tilesH = Math.ceil(dstH / t.m);
  const tilesW = Math.ceil(dstW / t.m);
  const images = chunkImages(t, n, Math.max(channels, rows), dstH, dstW);
  const rowsPadded = roundUp(rows, MR);
  const maxTiles = roundUp(images * tilesH * tilesW, NR);
  vScratch = grow64(vScratch, xis * (channels * maxTiles + SKEW));
  mScratch = grow64(mScratch, xis * (rowsPadded * maxTiles + SKEW));
  offsetsA = grow32(offsetsA, Math.max(channels, maxTiles));
  offsetsB = grow32(offsetsB, Math.max(channels, maxTiles));
  const v = vScratch;
  const m = mScratch;
  for (let n0 = 0; n0 < n; n0 += images) {
    const count = Math.min(images, n - n0);
    const tiles = roundUp(count * tilesH * tilesW, NR);
    // V[ξ] as the GEMM's right operand: depth `channels`, columns the tiles.
    const vStride = channels * tiles + SKEW;
    const ph = paddedSide(t, tilesH);
    const pw = paddedSide(t, tilesW);
    const padded = padPlanes(src, n0, count, channels, h, w, padH, padW, ph, pw);
    t.inputTransform(padded, count, channels, ph, pw, tilesH, tilesW, v, vStride,
      depthOffsets(offsetsA, channels, 8), panelOffsets(offsetsB, count * tilesH * tilesW, channels));
    const mStride = rowsPadded * tiles + SKEW;
    for (let xi = 0; xi < xis; xi++) {
      gemmPacked(rowsPadded / MR, tiles / NR, channels, u, xi * uStride, v, xi * vStride, m, xi * mStride, tiles, false);
    }
    t.outputTransform(m, mStride, tiles, rows, n0, count, tilesH, tilesW, dstH, dstW, bias, dst);
  }
}

/** dw = gradient of the forward with respect to w, given dy, summed over the batch; dw is overwritten. */
export function winogradBackwardFilter(dy: Float32Array, x: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  const t = forwardTiling(g);
  const xis = t.alpha * t.alpha;
  const tilesH = Math.ceil(g.outH / t.m);
  const tilesW = Math.ceil(g.outW / t.m);
  const images = chunkImages(t, g.n, Math.max(g.cIn, g.cOut), g.outH, g.outW);
  const maxTiles = images * tilesH * tilesW;
  // dM[ξ] is the left operand (rows cOut, depth the tiles), V[ξ] the right (depth the tiles, columns cIn).
  const rows = roundUp(g.cOut, MR);
  const cols = roundUp(g.cIn, NR);
  vScratch = grow64(vScratch, xis * (cols * maxTiles + SKEW));
  mScratch = grow64(mScratch, xis * (rows * maxTiles + SKEW));
  const duStride = rows * cols + SKEW;
  uScratch = grow64(uScratch, xis * duStride);
  offsetsA = grow32(offsetsA, Math.max(g.cIn, g.cOut, maxTiles));
  offsetsB = grow32(offsetsB, Math.max(g.cIn, g.cOut, maxTiles));
  const v = vScratch;
  const dm = mScratch;
  const du = uScratch;
  for (let n0 = 0; n0 < g.n; n0 += images) {
    const count = Math.min(images, g.n - n0);
    const tiles = count * tilesH * tilesW;
    const vStride = cols * tiles + SKEW;
    const dmStride = rows * tiles + SKEW;
    const ph = paddedSide(t, tilesH);
    const pw = paddedSide(t, tilesW);
    const padded = padPlanes(x, n0, count, g.cIn, g.h, g.w, g.padH, g.padW, ph, pw);
    const tileOffsets = depthOffsets(offsetsB, tiles, 8);
    t.inputTransform(padded, count, g.cIn, ph, pw, tilesH, tilesW, v, vStride,
      panelOffsets(offsetsA, g.cIn, tiles), tileOffsets);
    t.outputGradientTransform(dy, n0, count, g.cOut, g.outH, g.outW, tilesH, tilesW, dm, dmStride,
      panelOffsets(offsetsA, g.cOut, tiles), tileOffsets);
    for (let xi = 0; xi < xis; xi++) {
      gemmPacked(rows / MR, cols / NR, tiles, dm, xi * dmStride, v, xi * vStride, du, xi * duStride, cols, n0 > 0);
    }
  }
  t.filterGradientTransform(du, duStride, cols, g.cOut, g.cIn, dw);
}

/**
 * dx = gradient of the forward with respect to x, as the adjoint of the forward: per chunk of
 * images, dM = A dY Aᵀ, then dV[ξ] = U[ξ]ᵀ · dM[ξ], then B dV Bᵀ added into zero-padded planes
 * at the patches the forward read, whose image part is dx. For tilings whose input gradient is
 * not a convolution of the same kind (stride 2).
 */
function backwardInputByAdjoint(t: StridedWinogradTiling, dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  const xis = t.alpha * t.alpha;
  // Uᵀ as the GEMM's left operand: rows cIn, depth cOut.
  const rows = roundUp(g.cIn, MR);
  const uStride = rows * g.cOut + SKEW;
  uScratch = grow64(uScratch, xis * uStride);
  offsetsA = grow32(offsetsA, Math.max(g.cOut, g.cIn));
  offsetsB = grow32(offsetsB, Math.max(g.cOut, g.cIn));
  t.filterTransform(w, g.cOut, g.cIn, false, uScratch, uStride, depthOffsets(offsetsA, g.cOut, 8), panelOffsets(offsetsB, g.cIn, g.cOut));
  const u = uScratch;
  const tilesH = Math.ceil(g.outH / t.m);
  const tilesW = Math.ceil(g.outW / t.m);
  const ph = paddedSide(t, tilesH);
  const pw = paddedSide(t, tilesW);
  const images = chunkImages(t, g.n, Math.max(g.cIn, g.cOut), g.outH, g.outW);
  const maxTiles = roundUp(images * tilesH * tilesW, NR);
  vScratch = grow64(vScratch, xis * (rows * maxTiles + SKEW));
  mScratch = grow64(mScratch, xis * (g.cOut * maxTiles + SKEW));
  offsetsA = grow32(offsetsA, Math.max(g.cOut, maxTiles));
  offsetsB = grow32(offsetsB, Math.max(g.cOut, maxTiles));
  gScratch = grow64(gScratch, images * g.cIn * ph * pw);
  const dv = vScratch;
  const dm = mScratch;
  const padded = gScratch;
  for (let n0 = 0; n0 < g.n; n0 += images) {
    const count = Math.min(images, g.n - n0);
    const tiles = roundUp(count * tilesH * tilesW, NR);
    // dM[ξ] as the GEMM's right operand: depth cOut, columns the tiles.
    const dmStride = g.cOut * tiles + SKEW;
    t.outputGradientTransform(dy, n0, count, g.cOut, g.outH, g.outW, tilesH, tilesW, dm, dmStride,
      depthOffsets(offsetsA, g.cOut, 8), panelOffsets(offsetsB, count * tilesH * tilesW, g.cOut));
    const dvStride = rows * tiles + SKEW;
    for (let xi = 0; xi < xis; xi++) {
      gemmPacked(rows / MR, tiles / NR, g.cOut, u, xi * uStride, dm, xi * dmStride, dv, xi * dvStride, tiles, false);
    }
    padded.fill(0, 0, count * g.cIn * ph * pw);
    t.inputGradientTransform(dv, dvStride, tiles, g.cIn, count, tilesH, tilesW, padded, ph, pw);
    cropPlanes(padded, count, g.cIn, ph, pw, g.padH, g.padW, g.h, g.w, dx, n0);
  }
}

/**
 * Copies images n0 .. n0+count-1 of src [N, channels, h, w] into scratch planes of ph x pw with
 * the image at (padH, padW) and zeros around it, so that the input transform reads every tile's
 * patch without a bounds test (on small maps every tile touches the border). Rows and columns
 * past the plane (which no output reads, as with stride 2 and no padding) are left out.
 */
function padPlanes(
  src: Float32Array, n0: number, count: number, channels: number, h: number, w: number, padH: number, padW: number,
  ph: number, pw: number,
): Float32Array {
  const size = count * channels * ph * pw;
  if (pScratch.length < size) pScratch = new Float32Array(size);
  const padded = pScratch;
  padded.fill(0, 0, size);
  const rows = Math.min(h, ph - padH);
  const cols = Math.min(w, pw - padW);
  for (let p = 0; p < count * channels; p++) {
    const from = (n0 * channels + p) * h * w;
    const to = p * ph * pw + padH * pw + padW;
    for (let y = 0; y < rows; y++) {
      const s = from + y * w;
      const d = to + y * pw;
      for (let x = 0; x < cols; x++) padded[d + x] = src[s + x];
    }
  }
  return padded;
}

/**
 * The adjoint of padPlanes: the image part of each padded plane into images n0 .. of
 * dst [N, channels, h, w], rounded to float32; rows and columns past the plane get zero.
 */
function cropPlanes(
  padded: Float64Array, count: number, channels: number, ph: number, pw: number, padH: number, padW: number,
  h: number, w: number, dst: Float32Array, n0: number,
): void {
  const rows = Math.min(h, ph - padH);
  const cols = Math.min(w, pw - padW);
  for (let p = 0; p < count * channels; p++) {
    const from = p * ph * pw + padH * pw + padW;
    const to = (n0 * channels + p) * h * w;
    dst.fill(0, to, to + h * w);
    for (let y = 0; y < rows; y++) {
      const s = from + y * pw;
      const d = to + y * w;
      for (let x = 0; x < cols; x++) dst[d + x] = padded[s + x];
    }
  }
}
