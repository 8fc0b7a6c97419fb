/**
 * im2col and col2im for NCHW convolution: lay out the input patches a convolution reads as
 * the columns of a matrix, so that the convolution becomes one GEMM with the weights.
 *
 * For channels [0, channels) of one image (plane c at xOffset + c * h * w) and the output rows
 * [oy0, oy1), the column matrix has one row per (c, ky, kx), in the order of the weight's
 * [Cin/groups, kH, kW] axes, and one column per output position (oy, ox):
 *   col[((c * kH + ky) * kW + kx) * width + (oy - oy0) * outW + ox]
 *     = x[c, oy * strideH - padH + ky * dilH, ox * strideW - padW + kx * dilW]
 * with zero where that position falls in the padding; width = (oy1 - oy0) * outW.
 * col2im is the adjoint: it adds every column entry back onto the input position it was read
 * from (several entries meet on one position when windows overlap).
 *
 * Working on a band of output rows bounds the column buffer on large images. Several images can
 * share one column matrix side by side (one GEMM for the whole batch, see conv2d.ts): `colOffset`
 * is where this image's first column starts and `ldCol` the row stride of the whole matrix.
 *
 * BNext's late stages have 4x4 and 2x2 maps, so a row segment here is often 2-4 values: the
 * padding is zeroed with plain loops, not `fill`, whose call costs more than such a write.
 * The two functions walk the same (channel, tap, row) nest, each with its copy loop inside: a
 * shared walk would call the copy through a function per row segment, in the hottest loops of
 * training after the GEMM. The repeat is the price of speed.
 */
import type { Conv2dGeometry } from './conv2d-geometry';

export function im2col(
  x: Float32Array, xOffset: number, g: Conv2dGeometry, channels: number, oy0: number, oy1: number,
  col: Float32Array, colOffset = 0, ldCol = (oy1 - oy0) * g.outW,
): void {
  const { h, w, outW, kh, kw, strideH, strideW, padH, padW, dilH, dilW } = g;
  let row = colOffset;
  for (let c = 0; c < channels; c++) {
    const plane = xOffset + c * h * w;
    for (let ky = 0; ky < kh; ky++) {
      const yShift = ky * dilH - padH;
      for (let kx = 0; kx < kw; kx++) {
        const xShift = kx * dilW - padW;
        const oxLo = firstValid(xShift, strideW, outW);
        const oxHi = endValid(xShift, strideW, w, outW, oxLo);
        let d = row;
        for (let oy = oy0; oy < oy1; oy++) {
          const iy = oy * strideH + yShift;
          if (iy < 0 || iy >= h) {
            for (let ox = 0; ox < outW; ox++) col[d + ox] = 0;
          } else {
            for (let ox = 0; ox < oxLo; ox++) col[d + ox] = 0;
            let s = plane + iy * w + oxLo * strideW + xShift;
            if (strideW === 1) {
              for (let ox = oxLo; ox < oxHi; ox++) col[d + ox] = x[s++];
            } else {
              for (let ox = oxLo; ox < oxHi; ox++) {
                col[d + ox] = x[s];
                s += strideW;
              }
            }
            for (let ox = oxHi; ox < outW; ox++) col[d + ox] = 0;
          }
          d += outW;
        }
        row += ldCol;
      }
    }
  }
}

/** Adds col (laid out as im2col writes it) onto dx; positions in the padding are dropped. */
export function col2im(
  col: Float32Array, g: Conv2dGeometry, channels: number, oy0: number, oy1: number, dx: Float32Array, dxOffset: number,
  colOffset = 0, ldCol = (oy1 - oy0) * g.outW,
): void {
  const { h, w, outW, kh, kw, strideH, strideW, padH, padW, dilH, dilW } = g;
  let row = colOffset;
  for (let c = 0; c < channels; c++) {
    const plane = dxOffset + c * h * w;
    for (let ky = 0; ky < kh; ky++) {
      const yShift = ky * dilH - padH;
      for (let kx = 0; kx < kw; kx++) {
        const xShift = kx * dilW - padW;
        const oxLo = firstValid(xShift, strideW, outW);
        const oxHi = endValid(xShift, strideW, w, outW, oxLo);
        let d = row;
        for (let oy = oy0; oy < oy1; oy++) {
          const iy = oy * strideH + yShift;
          if (iy >= 0 && iy < h) {
            let s = plane + iy * w + oxLo * strideW + xShift;
            for (let ox = oxLo; ox < oxHi; ox++) {
              dx[s] += col[d + ox];
              s += strideW;
            }
          }
          d += outW;
        }
        row += ldCol;
      }
    }
  }
}

/**
 * The output columns [lo, hi) whose input column ox * stride + shift lies inside [0, size) (the
 * others read padding), computed once per kernel column so the copy loops need no test.
 */
function firstValid(shift: number, stride: number, outSize: number): number {
  return shift >= 0 ? 0 : Math.min(outSize, Math.ceil(-shift / stride));
}

function endValid(shift: number, stride: number, size: number, outSize: number, lo: number): number {
  const last = size - 1 - shift;
  return last < 0 ? lo : Math.max(lo, Math.min(outSize, Math.floor(last / stride) + 1));
}
