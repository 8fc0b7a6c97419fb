/**
 * The transforms of Winograd's F(2x2, 3x3) (Lavin & Gray 2016): 2x2 outputs from a 4x4 input
 * patch with 16 multiplications per channel pair instead of 36. With d a 4x4 patch and g a 3x3
 * filter, Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A where
 *
 *        | 1  0 -1  0 |          | 1    0    0  |
 *   Bᵀ = | 0  1  1  0 |      G = | 1/2  1/2  1/2 |      Aᵀ = | 1  1  1  0 |
 *        | 0 -1  1  0 |          | 1/2 -1/2  1/2 |           | 0  1 -1 -1 |
 *        | 0  1  0 -1 |          | 0    0    1  |
 *
 * On maps of 2x2 it needs 16 multiplications per channel pair where F(4x4, 3x3) needs 36 (its
 * tile would be mostly padding), so the driver (conv3x3.ts) uses it there. As in
 * f4x4-3x3.ts, every value is float64 until the output is rounded to float32 once.
 * Each transform is written out in full: 16 values fit in locals.
 */
import type { WinogradTiling } from './tiling';

function inputTransform(
  padded: Float32Array, count: number, channels: number, ph: number, pw: number, tilesH: number, tilesW: number,
  v: Float64Array, vStride: number, cOff: Int32Array, tOff: Int32Array,
): void {
  const d = padded;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      const plane = (i * channels + c) * ph * pw;
      const co = cOff[c];
      let t = i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        for (let tx = 0; tx < tilesW; tx++, t++) {
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
          // (Bᵀ d) B: combine columns, row by row; value ξ goes to o + ξ·vStride.
          let o = co + tOff[t];
          v[o] = a00 - a02; v[o += vStride] = a01 + a02; v[o += vStride] = a02 - a01; v[o += vStride] = a01 - a03;
          v[o += vStride] = a10 - a12; v[o += vStride] = a11 + a12; v[o += vStride] = a12 - a11; v[o += vStride] = a11 - a13;
          v[o += vStride] = a20 - a22; v[o += vStride] = a21 + a22; v[o += vStride] = a22 - a21; v[o += vStride] = a21 - a23;
          v[o += vStride] = a30 - a32; v[o += vStride] = a31 + a32; v[o += vStride] = a32 - a31; v[o += vStride] = a31 - a33;
        }
      }
    }
  }
}

function outputTransform(
  m: Float64Array, mStride: number, ldm: number, rows: number, n0: number, count: number, tilesH: number, tilesW: number,
  dstH: number, dstW: number, bias: Float32Array | null, dst: Float32Array,
): void {
  const tilesPerImage = tilesH * tilesW;
  for (let r = 0; r < rows; r++) {
    const b = bias ? bias[r] : 0;
    for (let i = 0; i < count; i++) {
      const plane = ((n0 + i) * rows + r) * dstH * dstW;
      let at = r * ldm + i * tilesPerImage;
      for (let ty = 0; ty < tilesH; ty++) {
        const y = 2 * ty;
        for (let tx = 0; tx < tilesW; tx++, at++) {
          let o = at;
          const m00 = m[o], m01 = m[o += mStride], m02 = m[o += mStride], m03 = m[o += mStride];
          const m10 = m[o += mStride], m11 = m[o += mStride], m12 = m[o += mStride], m13 = m[o += mStride];
          const m20 = m[o += mStride], m21 = m[o += mStride], m22 = m[o += mStride], m23 = m[o += mStride];
          const m30 = m[o += mStride], m31 = m[o += mStride], m32 = m[o += mStride], m33 = m[o += mStride];
          // Aᵀ m: two rows.
          const s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
          const s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
          // (Aᵀ m) A: outputs past dstH x dstW (odd sizes) are dropped.
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

function outputGradientTransform(
  dy: Float32Array, n0: number, count: number, rows: number, outH: number, outW: number, tilesH: number, tilesW: number,
  dm: Float64Array, dmStride: number, rOff: Int32Array, tOff: Int32Array,
): void {
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < rows; r++) {
      const plane = ((n0 + i) * rows + r) * outH * outW;
      const ro = rOff[r];
      let t = i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        const y = 2 * ty;
        const hasRow1 = y + 1 < outH;
        for (let tx = 0; tx < tilesW; tx++, t++) {
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
          let o = ro + tOff[t];
          dm[o] = s00; dm[o += dmStride] = s00 + s01; dm[o += dmStride] = s00 - s01; dm[o += dmStride] = -s01;
          dm[o += dmStride] = s10; dm[o += dmStride] = s10 + s11; dm[o += dmStride] = s10 - s11; dm[o += dmStride] = -s11;
          dm[o += dmStride] = s20; dm[o += dmStride] = s20 + s21; dm[o += dmStride] = s20 - s21; dm[o += dmStride] = -s21;
          dm[o += dmStride] = s30; dm[o += dmStride] = s30 + s31; dm[o += dmStride] = s30 - s31; dm[o += dmStride] = -s31;
        }
      }
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
      // G g: four rows of three.
      const a00 = g00, a01 = g01, a02 = g02;
      const a10 = (g00 + g10 + g20) * 0.5, a11 = (g01 + g11 + g21) * 0.5, a12 = (g02 + g12 + g22) * 0.5;
      const a20 = (g00 - g10 + g20) * 0.5, a21 = (g01 - g11 + g21) * 0.5, a22 = (g02 - g12 + g22) * 0.5;
      const a30 = g20, a31 = g21, a32 = g22;
      // (G g) Gᵀ: each row [a0, (a0 + a1 + a2) * 0.5, (a0 - a1 + a2) * 0.5, a2].
      let o = coOff[co] + ciOff[ci];
      u[o] = a00; u[o += uStride] = (a00 + a01 + a02) * 0.5; u[o += uStride] = (a00 - a01 + a02) * 0.5; u[o += uStride] = a02;
      u[o += uStride] = a10; u[o += uStride] = (a10 + a11 + a12) * 0.5; u[o += uStride] = (a10 - a11 + a12) * 0.5; u[o += uStride] = a12;
      u[o += uStride] = a20; u[o += uStride] = (a20 + a21 + a22) * 0.5; u[o += uStride] = (a20 - a21 + a22) * 0.5; u[o += uStride] = a22;
      u[o += uStride] = a30; u[o += uStride] = (a30 + a31 + a32) * 0.5; u[o += uStride] = (a30 - a31 + a32) * 0.5; u[o += uStride] = a32;
    }
  }
}

function filterGradientTransform(du: Float64Array, duStride: number, ldu: number, cOut: number, cIn: number, dw: Float32Array): void {
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      let o = co * ldu + ci;
      const u00 = du[o], u01 = du[o += duStride], u02 = du[o += duStride], u03 = du[o += duStride];
      const u10 = du[o += duStride], u11 = du[o += duStride], u12 = du[o += duStride], u13 = du[o += duStride];
      const u20 = du[o += duStride], u21 = du[o += duStride], u22 = du[o += duStride], u23 = du[o += duStride];
      const u30 = du[o += duStride], u31 = du[o += duStride], u32 = du[o += duStride], u33 = du[o += duStride];
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

export const F2x2: WinogradTiling = {
  name: 'F(2x2, 3x3)', m: 2, alpha: 4, step: 2, patch: 4,
  inputTransform, outputTransform, outputGradientTransform, filterTransform, filterGradientTransform,
};
