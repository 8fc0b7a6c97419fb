/**
 * A 3x3 convolution with padding 1 over a whole 2x2 map (BNext's last stage) in 9 products per
 * channel pair instead of F(2x2, 3x3)'s 16. Along each axis the two outputs are
 *     y0 = w1·x0 + w2·x1,    y1 = w0·x0 + w1·x1
 * (the taps w0 and w2 meet padding on one side each): a 2x2 Toeplitz matrix times a vector, which
 * takes three products, m1 = w1·(x0 + x1), m2 = (w2 - w1)·x1, m3 = (w0 - w1)·x0, then
 * y0 = m1 + m2 and y1 = m1 + m3. In Winograd's form Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A on the
 * padded 4x4 patch d (zero border):
 *
 *        | 0  1  1  0 |          | 0  1  0 |
 *   Bᵀ = | 0  0  1  0 |      G = | 0 -1  1 |      Aᵀ = | 1  1  0 |
 *        | 0  1  0  0 |          | 1 -1  0 |           | 1  0  1 |
 *
 * It is exact only because the patch border is zero, so the driver (conv3x3.ts) uses it only
 * when the input and output maps are both 2x2 with padding 1, the gradient for the input
 * included (dY is 2x2, padded by 2 - 1). As in the other tilings, every value is float64 until
 * the output is rounded to float32 once.
 */
import type { WinogradTiling } from './tiling';

function inputTransform(
  padded: Float32Array, count: number, channels: number, ph: number, pw: number, _tilesH: number, _tilesW: number,
  v: Float64Array, vStride: number, cOff: Int32Array, tOff: Int32Array,
): void {
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      // One tile per image: the 2x2 map inside its padded 4x4 plane.
      const at = (i * channels + c) * ph * pw + pw + 1;
      const x00 = padded[at], x01 = padded[at + 1], x10 = padded[at + pw], x11 = padded[at + pw + 1];
      // Bᵀ d: rows [x0 + x1, x1, x0], column by column; then the same along each row.
      const a0 = x00 + x10, a1 = x01 + x11;
      let o = cOff[c] + tOff[i];
      v[o] = a0 + a1; v[o += vStride] = a1; v[o += vStride] = a0;
      v[o += vStride] = x10 + x11; v[o += vStride] = x11; v[o += vStride] = x10;
      v[o += vStride] = x00 + x01; v[o += vStride] = x01; v[o += vStride] = x00;
    }
  }
}

function outputTransform(
  m: Float64Array, mStride: number, ldm: number, rows: number, n0: number, count: number, _tilesH: number, _tilesW: number,
  _dstH: number, _dstW: number, bias: Float32Array | null, dst: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const b = bias ? bias[r] : 0;
    for (let i = 0; i < count; i++) {
      let o = r * ldm + i;
      const m00 = m[o], m01 = m[o += mStride], m02 = m[o += mStride];
      const m10 = m[o += mStride], m11 = m[o += mStride], m12 = m[o += mStride];
      const m20 = m[o += mStride], m21 = m[o += mStride], m22 = m[o += mStride];
      // Aᵀ M: rows [m0 + m1, m0 + m2]; then the same along each row.
      const s00 = m00 + m10, s01 = m01 + m11, s02 = m02 + m12;
      const s10 = m00 + m20, s11 = m01 + m21, s12 = m02 + m22;
      const top = ((n0 + i) * rows + r) * 4;
      dst[top] = s00 + s01 + b;
      dst[top + 1] = s00 + s02 + b;
      dst[top + 2] = s10 + s11 + b;
      dst[top + 3] = s10 + s12 + b;
    }
  }
}

function outputGradientTransform(
  dy: Float32Array, n0: number, count: number, rows: number, _outH: number, _outW: number, _tilesH: number, _tilesW: number,
  dm: Float64Array, dmStride: number, rOff: Int32Array, tOff: Int32Array,
): void {
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < rows; r++) {
      const top = ((n0 + i) * rows + r) * 4;
      const y00 = dy[top], y01 = dy[top + 1], y10 = dy[top + 2], y11 = dy[top + 3];
      // A dY: rows [y0 + y1, y0, y1], column by column; then the same along each row.
      const c00 = y00 + y10, c01 = y01 + y11;
      let o = rOff[r] + tOff[i];
      dm[o] = c00 + c01; dm[o += dmStride] = c00; dm[o += dmStride] = c01;
      dm[o += dmStride] = y00 + y01; dm[o += dmStride] = y00; dm[o += dmStride] = y01;
      dm[o += dmStride] = y10 + y11; dm[o += dmStride] = y10; dm[o += dmStride] = y11;
    }
  }
}

function filterTransform(
  w: Float32Array, cOut: number, cIn: number, flip: boolean, u: Float64Array, uStride: number, coOff: Int32Array, ciOff: Int32Array,
): void {
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      // Rotating a filter by 180 degrees reads its 9 taps backwards.
      const f = flip ? (co * cIn + ci) * 9 + 8 : (co * cIn + ci) * 9;
      const s = flip ? -1 : 1;
      const g00 = w[f], g01 = w[f + s], g02 = w[f + 2 * s];
      const g10 = w[f + 3 * s], g11 = w[f + 4 * s], g12 = w[f + 5 * s];
      const g20 = w[f + 6 * s], g21 = w[f + 7 * s], g22 = w[f + 8 * s];
      // G g: rows [g1, g2 - g1, g0 - g1], column by column; then the same along each row.
      const a00 = g10, a01 = g11, a02 = g12;
      const a10 = g20 - g10, a11 = g21 - g11, a12 = g22 - g12;
      const a20 = g00 - g10, a21 = g01 - g11, a22 = g02 - g12;
      let o = coOff[co] + ciOff[ci];
      u[o] = a01; u[o += uStride] = a02 - a01; u[o += uStride] = a00 - a01;
      u[o += uStride] = a11; u[o += uStride] = a12 - a11; u[o += uStride] = a10 - a11;
      u[o += uStride] = a21; u[o += uStride] = a22 - a21; u[o += uStride] = a20 - a21;
    }
  }
}

function filterGradientTransform(du: Float64Array, duStride: number, ldu: number, cOut: number, cIn: number, dw: Float32Array): void {
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      let o = co * ldu + ci;
      const u00 = du[o], u01 = du[o += duStride], u02 = du[o += duStride];
      const u10 = du[o += duStride], u11 = du[o += duStride], u12 = du[o += duStride];
      const u20 = du[o += duStride], u21 = du[o += duStride], u22 = du[o += duStride];
      // Gᵀ dU: rows [u2, u0 - u1 - u2, u1], column by column; then the same along each row.
      const e00 = u20, e01 = u21, e02 = u22;
      const e10 = u00 - u10 - u20, e11 = u01 - u11 - u21, e12 = u02 - u12 - u22;
      const e20 = u10, e21 = u11, e22 = u12;
      const f = (co * cIn + ci) * 9;
      dw[f] = e02; dw[f + 1] = e00 - e01 - e02; dw[f + 2] = e01;
      dw[f + 3] = e12; dw[f + 4] = e10 - e11 - e12; dw[f + 5] = e11;
      dw[f + 6] = e22; dw[f + 7] = e20 - e21 - e22; dw[f + 8] = e21;
    }
  }
}

export const F2x2_WHOLE_MAP: WinogradTiling = {
  name: '2x2 map, padding 1', m: 2, alpha: 3, step: 2, patch: 4,
  inputTransform, outputTransform, outputGradientTransform, filterTransform, filterGradientTransform,
};
