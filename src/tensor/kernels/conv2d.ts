/**
 * 2-D convolution kernels in NCHW (cross-correlation, as PyTorch's conv2d), with stride,
 * zero padding, dilation and groups: the forward pass and the two gradients.
 *
 * 3x3 convolutions with stride 1 or 2 and at least two channels each way go to Winograd's
 * minimal filtering (winograd/conv3x3.ts: for stride 1, 36 instead of 144 multiplications per 4x4
 * outputs and channel pair; for stride 2, 81 instead of 144). A 1x1 convolution of 1x1 maps is
 * one GEMM on the tensors as they are (conv2d-dense.ts). All others are GEMMs per group over an
 * im2col matrix (see im2col.ts), with K = Cin/groups * kH * kW and P = outH * outW
 * output positions per image:
 *   forward          out_g [Cout/g x P] = W_g [Cout/g x K] * col [K x P]        (+ bias)
 *   backward input   dcol  [K x P]      = W_g^T [K x Cout/g] * dY_g [Cout/g x P], then col2im
 *   backward filter  dW_g  [Cout/g x K] += dY_g [Cout/g x P] * col^T [P x K]   (over the batch)
 * Small images are batched: the column matrices of as many images as fit in COL_BUDGET floats
 * sit side by side, so each of the three is one GEMM per chunk of images with P replaced by
 * images * P (outputs and output gradients are copied between NCHW planes and the
 * [Cout x images * P] matrix around it). An image too large for that goes alone, in bands of
 * output rows so the column buffer stays bounded. A 1x1 convolution with stride 1 and no padding
 * on a map that is not small goes image by image without im2col: its input plane already is the
 * column matrix. Buffers are module-level scratch, grown on demand.
 *
 * reference/conv2d.ts holds the direct loops these compute faster: they run instead when the
 * reference kernels are chosen (kernel-choice.ts), and are the oracle of the specs and the
 * "naive" line of the benchmark.
 */
import type { Conv2dGeometry } from './conv2d-geometry';
import { sgemm } from './gemm';
import type { MatrixRef } from './reference/gemm';
import { col2im, im2col } from './im2col';
import { winogradApplies, winogradBackwardFilter, winogradBackwardInput, winogradForward } from './winograd/conv3x3';
import { denseApplies, denseBackwardFilter, denseBackwardInput, denseForward } from './conv2d-dense';
import { usingReferenceKernels } from './kernel-choice';
import { conv2dBackwardFilterReference, conv2dBackwardInputReference, conv2dForwardReference } from './reference/conv2d';

/** Most floats the column buffer holds at once (4 MB). */
const COL_BUDGET = 1 << 20;
let colScratch = new Float32Array(0);
let rowScratch = new Float32Array(0);

function colBuffer(size: number): Float32Array {
  if (colScratch.length < size) colScratch = new Float32Array(size);
  return colScratch;
}

/** Scratch for one chunk's output (or output gradient) rows, [Cout/groups x images * P]. */
function rowBuffer(size: number): Float32Array {
  if (rowScratch.length < size) rowScratch = new Float32Array(size);
  return rowScratch;
}

/** Whether the input planes are already the column matrix (1x1, stride 1, no padding). */
function isPointwise(g: Conv2dGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
}

/** Output rows per band so that a band's column matrix fits in COL_BUDGET (at least one row). */
function bandRows(g: Conv2dGeometry, depth: number): number {
  return Math.max(1, Math.min(g.outH, Math.floor(COL_BUDGET / (depth * g.outW))));
}

/**
 * Images per GEMM. Small maps (BNext's late stages are 4x4 and 2x2) make a per-image GEMM
 * hopeless: N = P = 4 fills half a micro-tile, the weight block is re-packed for every image, and
 * the filter gradient's depth would be P (4-16 products per store of the tile). So as many
 * images as fit in COL_BUDGET go side by side into one column matrix; 1 means one image at a time,
 * in bands of output rows. A pointwise convolution on a map of POINTWISE_BATCH_BELOW positions or
 * more stays per image: it needs no column matrix then, while batching would copy every input
 * and output once, which costs more than its few multiply-adds per element.
 */
function imagesPerGemm(g: Conv2dGeometry, depth: number): number {
  const outPlane = g.outH * g.outW;
  if (isPointwise(g) && outPlane >= POINTWISE_BATCH_BELOW) return 1;
  return Math.max(1, Math.min(g.n, Math.floor(COL_BUDGET / (depth * outPlane))));
}

/** Output positions per image from which a pointwise convolution runs image by image. */
const POINTWISE_BATCH_BELOW = 32;

/**
 * How a convolution that goes to GEMMs is cut up (see above): the GEMM depth, and whether
 * `images` images share one column matrix (images > 1) or each image goes alone, without
 * im2col when `pointwise`, else in bands of `bandHeight` output rows.
 */
interface GemmPlan {
  cInG: number;
  cOutG: number;
  /** Cin/groups · kH · kW. */
  depth: number;
  inPlane: number;
  outPlane: number;
  images: number;
  pointwise: boolean;
  bandHeight: number;
}

function planOf(g: Conv2dGeometry): GemmPlan {
  const cInG = g.cIn / g.groups;
  const depth = cInG * g.kh * g.kw;
  return {
    cInG, cOutG: g.cOut / g.groups, depth, inPlane: g.h * g.w, outPlane: g.outH * g.outW,
    images: imagesPerGemm(g, depth), pointwise: isPointwise(g), bandHeight: bandRows(g, depth),
  };
}

/** Calls visit for each group and chunk of images side by side: images n0 .. n0+count-1, width = count·outPlane columns. */
function forEachChunk(g: Conv2dGeometry, p: GemmPlan, visit: (grp: number, n0: number, count: number, width: number) => void): void {
  for (let grp = 0; grp < g.groups; grp++) {
    for (let n0 = 0; n0 < g.n; n0 += p.images) {
      const count = Math.min(p.images, g.n - n0);
      visit(grp, n0, count, count * p.outPlane);
    }
  }
}

/** Calls visit for each image and group alone, with the offsets of its input and output planes. */
function forEachImage(g: Conv2dGeometry, p: GemmPlan, visit: (grp: number, inAt: number, outAt: number) => void): void {
  for (let n = 0; n < g.n; n++) {
    for (let grp = 0; grp < g.groups; grp++) visit(grp, (n * g.cIn + grp * p.cInG) * p.inPlane, (n * g.cOut + grp * p.cOutG) * p.outPlane);
  }
}

/** Calls visit for each band of output rows [oy0, oy1), width = its output positions. */
function forEachBand(g: Conv2dGeometry, p: GemmPlan, visit: (oy0: number, oy1: number, width: number) => void): void {
  for (let oy0 = 0; oy0 < g.outH; oy0 += p.bandHeight) {
    const oy1 = Math.min(g.outH, oy0 + p.bandHeight);
    visit(oy0, oy1, (oy1 - oy0) * g.outW);
  }
}

/** The column matrix of a chunk's images side by side (im2col of each). */
function chunkColumns(x: Float32Array, g: Conv2dGeometry, p: GemmPlan, grp: number, n0: number, count: number, col: Float32Array): void {
  for (let i = 0; i < count; i++) im2col(x, ((n0 + i) * g.cIn + grp * p.cInG) * p.inPlane, g, p.cInG, 0, g.outH, col, i * p.outPlane, count * p.outPlane);
}

/** A row-major matrix operand of the GEMM. */
function matrix(data: Float32Array, offset: number, ld: number, trans = false): MatrixRef {
  return { data, offset, ld, trans };
}

/** Group grp's weights [Cout/groups x depth] as an operand, transposed when asked. */
function groupWeights(w: Float32Array, p: GemmPlan, grp: number, trans: boolean): MatrixRef {
  return matrix(w, grp * p.cOutG * p.depth, p.depth, trans);
}

/**
 * Copies one chunk of NCHW planes (channels c0 .. c0+rows-1 of images n0 .. n0+images-1) into the
 * matrix [rows x images * plane], image by image along the columns, or back when `toMatrix` is
 * false (overwriting the planes).
 */
function gatherPlanes(t: Float32Array, channels: number, c0: number, rows: number, n0: number, images: number, plane: number, m: Float32Array, toMatrix: boolean): void {
  const width = images * plane;
  for (let i = 0; i < images; i++) {
    for (let r = 0; r < rows; r++) {
      const at = ((n0 + i) * channels + c0 + r) * plane;
      const mAt = r * width + i * plane;
      if (toMatrix) for (let p = 0; p < plane; p++) m[mAt + p] = t[at + p];
      else for (let p = 0; p < plane; p++) t[at + p] = m[mAt + p];
    }
  }
}

/** out[n, co, oy, ox] = bias[co] + sum over ci, ky, kx of x[n, ci, iy, ix] * w[co, ci, ky, kx]. Overwrites out. */
export function conv2dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Conv2dGeometry, out: Float32Array): void {
  if (usingReferenceKernels()) return conv2dForwardReference(x, w, bias, g, out);
  if (winogradApplies(g)) return winogradForward(x, w, bias, g, out);
  if (denseApplies(g)) return denseForward(x, w, bias, g, out);
  const p = planOf(g);
  // The GEMMs add onto the bias, in both paths, so both round alike.
  const hasBias = bias !== null;
  if (p.images > 1) {
    const col = colBuffer(p.depth * p.images * p.outPlane);
    const rows = rowBuffer(p.cOutG * p.images * p.outPlane);
    forEachChunk(g, p, (grp, n0, count, width) => {
      chunkColumns(x, g, p, grp, n0, count, col);
      if (bias) for (let co = 0; co < p.cOutG; co++) rows.fill(bias[grp * p.cOutG + co], co * width, (co + 1) * width);
      sgemm(p.cOutG, width, p.depth, groupWeights(w, p, grp, false), matrix(col, 0, width), rows, 0, width, hasBias);
      gatherPlanes(out, g.cOut, grp * p.cOutG, p.cOutG, n0, count, p.outPlane, rows, false);
    });
    return;
  }
  const col = p.pointwise ? colScratch : colBuffer(p.depth * p.bandHeight * g.outW);
  forEachImage(g, p, (grp, xAt, outAt) => {
    if (bias) for (let co = 0; co < p.cOutG; co++) out.fill(bias[grp * p.cOutG + co], outAt + co * p.outPlane, outAt + (co + 1) * p.outPlane);
    const weights = groupWeights(w, p, grp, false);
    if (p.pointwise) {
      sgemm(p.cOutG, p.outPlane, p.depth, weights, matrix(x, xAt, p.inPlane), out, outAt, p.outPlane, hasBias);
      return;
    }
    forEachBand(g, p, (oy0, oy1, width) => {
      im2col(x, xAt, g, p.cInG, oy0, oy1, col);
      sgemm(p.cOutG, width, p.depth, weights, matrix(col, 0, width), out, outAt + oy0 * g.outW, p.outPlane, hasBias);
    });
  });
}

/** dx = gradient of the forward with respect to x, given dy. Overwrites dx. */
export function conv2dBackwardInput(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  if (usingReferenceKernels()) return conv2dBackwardInputReference(dy, w, g, dx);
  if (winogradApplies(g)) return winogradBackwardInput(dy, w, g, dx);
  if (denseApplies(g)) return denseBackwardInput(dy, w, g, dx);
  const p = planOf(g);
  // col2im adds onto dx; the pointwise GEMM overwrites it.
  if (!(p.images === 1 && p.pointwise)) dx.fill(0, 0, g.n * g.cIn * p.inPlane);
  if (p.images > 1) {
    const col = colBuffer(p.depth * p.images * p.outPlane);
    const rows = rowBuffer(p.cOutG * p.images * p.outPlane);
    forEachChunk(g, p, (grp, n0, count, width) => {
      gatherPlanes(dy, g.cOut, grp * p.cOutG, p.cOutG, n0, count, p.outPlane, rows, true);
      sgemm(p.depth, width, p.cOutG, groupWeights(w, p, grp, true), matrix(rows, 0, width), col, 0, width, false);
      for (let i = 0; i < count; i++) col2im(col, g, p.cInG, 0, g.outH, dx, ((n0 + i) * g.cIn + grp * p.cInG) * p.inPlane, i * p.outPlane, width);
    });
    return;
  }
  const col = p.pointwise ? colScratch : colBuffer(p.depth * p.bandHeight * g.outW);
  forEachImage(g, p, (grp, dxAt, dyAt) => {
    const weightsT = groupWeights(w, p, grp, true);
    if (p.pointwise) {
      sgemm(p.depth, p.outPlane, p.cOutG, weightsT, matrix(dy, dyAt, p.outPlane), dx, dxAt, p.inPlane, false);
      return;
    }
    forEachBand(g, p, (oy0, oy1, width) => {
      sgemm(p.depth, width, p.cOutG, weightsT, matrix(dy, dyAt + oy0 * g.outW, p.outPlane), col, 0, width, false);
      col2im(col, g, p.cInG, oy0, oy1, dx, dxAt);
    });
  });
}

/** dw = gradient of the forward with respect to w, given dy, summed over the batch. Overwrites dw. */
export function conv2dBackwardFilter(dy: Float32Array, x: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  if (usingReferenceKernels()) return conv2dBackwardFilterReference(dy, x, g, dw);
  if (winogradApplies(g)) return winogradBackwardFilter(dy, x, g, dw);
  if (denseApplies(g)) return denseBackwardFilter(dy, x, g, dw);
  const p = planOf(g);
  // Every GEMM below adds onto dw, one chunk of images (or one image and band) at a time.
  dw.fill(0, 0, g.cOut * p.depth);
  if (p.images > 1) {
    const col = colBuffer(p.depth * p.images * p.outPlane);
    const rows = rowBuffer(p.cOutG * p.images * p.outPlane);
    forEachChunk(g, p, (grp, n0, count, width) => {
      chunkColumns(x, g, p, grp, n0, count, col);
      gatherPlanes(dy, g.cOut, grp * p.cOutG, p.cOutG, n0, count, p.outPlane, rows, true);
      sgemm(p.cOutG, p.depth, width, matrix(rows, 0, width), matrix(col, 0, width, true), dw, grp * p.cOutG * p.depth, p.depth, true);
    });
    return;
  }
  const col = p.pointwise ? colScratch : colBuffer(p.depth * p.bandHeight * g.outW);
  forEachImage(g, p, (grp, xAt, dyAt) => {
    const dwAt = grp * p.cOutG * p.depth;
    if (p.pointwise) {
      sgemm(p.cOutG, p.depth, p.outPlane, matrix(dy, dyAt, p.outPlane), matrix(x, xAt, p.inPlane, true), dw, dwAt, p.depth, true);
      return;
    }
    forEachBand(g, p, (oy0, oy1, width) => {
      im2col(x, xAt, g, p.cInG, oy0, oy1, col);
      sgemm(p.cOutG, p.depth, width, matrix(dy, dyAt + oy0 * g.outW, p.outPlane), matrix(col, 0, width, true), dw, dwAt, p.depth, true);
    });
  });
}
