/**
 * The transforms of Winograd's F(4x4, 3x3) (Lavin & Gray 2016, interpolation points 0, ±1, ±2
 * and infinity): 4x4 outputs from a 6x6 input patch with 36 multiplications per channel pair,
 * against 16 per 2x2 outputs for F(2x2, 3x3), 1.78x fewer per output. With d a 6x6 patch and
 * g a 3x3 filter, Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A where
 *
 *        | 4  0 -5  0  1  0 |         |  1/4     0     0  |
 *        | 0 -4 -4  1  1  0 |         | -1/6  -1/6  -1/6  |        | 1  1  1  1  1  0 |
 *   Bᵀ = | 0  4 -4 -1  1  0 |     G = | -1/6   1/6  -1/6  |   Aᵀ = | 0  1 -1  2 -2  0 |
 *        | 0 -2 -1  2  1  0 |         |  1/24  1/12  1/6  |        | 0  1  1  4  4  0 |
 *        | 0  2 -1 -2  1  0 |         |  1/24 -1/12  1/6  |        | 0  1 -1  8 -8  1 |
 *        | 0  4  0 -5  0  1 |         |  0     0     1    |
 *
 * Its entries (up to 8, down to 1/24) make the transformed values cancel heavily on the way
 * back: kept in float32 they lose about 2e-6 of the output's scale. Everything here is float64
 * (inputs are float32, outputs of the last transform are rounded once to float32), so the
 * cancellation costs only float64 rounding and the result is float32-exact like a direct
 * convolution's.
 *
 * Each transform is separable: a 1-D transform down the columns of the patch, into `stage`,
 * then the same 1-D transform along the rows of that. The layouts of the transformed values
 * (offset tables, strides) are the driver's (conv3x3.ts); see WinogradTiling (tiling.ts).
 */
import type { WinogradTiling } from './tiling';

/** The 6x6 (or 6x4, 6x3) intermediate of a separable transform. */
const stage = new Float64Array(36);

function inputTransform(
  padded: Float32Array, count: number, channels: number, ph: number, pw: number, tilesH: number, tilesW: number,
  v: Float64Array, vStride: number, cOff: Int32Array, tOff: Int32Array,
): void {
  const s = stage;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      const plane = (i * channels + c) * ph * pw;
      const co = cOff[c];
      let t = i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        for (let tx = 0; tx < tilesW; tx++, t++) {
          const at = plane + 4 * ty * pw + 4 * tx;
          // Bᵀ d: column j of the patch gives column j of the 6x6 stage.
          for (let j = 0; j < 6; j++) {
            const p = at + j;
            const x0 = padded[p], x1 = padded[p + pw], x2 = padded[p + 2 * pw];
            const x3 = padded[p + 3 * pw], x4 = padded[p + 4 * pw], x5 = padded[p + 5 * pw];
            const a = x4 - 4 * x2, b = 4 * x1 - x3, e = x4 - x2, f = 2 * (x1 - x3);
            s[j] = 4 * x0 - 5 * x2 + x4;
            s[6 + j] = a - b;
            s[12 + j] = a + b;
            s[18 + j] = e - f;
            s[24 + j] = e + f;
            s[30 + j] = 4 * x1 - 5 * x3 + x5;
          }
          // (Bᵀ d) B: row r of the stage gives the values ξ = 6r .. 6r + 5.
          let o = co + tOff[t];
          for (let r = 0; r < 36; r += 6) {
            const x0 = s[r], x1 = s[r + 1], x2 = s[r + 2], x3 = s[r + 3], x4 = s[r + 4], x5 = s[r + 5];
            const a = x4 - 4 * x2, b = 4 * x1 - x3, e = x4 - x2, f = 2 * (x1 - x3);
            v[o] = 4 * x0 - 5 * x2 + x4; o += vStride;
            v[o] = a - b; o += vStride;
            v[o] = a + b; o += vStride;
            v[o] = e - f; o += vStride;
            v[o] = e + f; o += vStride;
            v[o] = 4 * x1 - 5 * x3 + x5; o += vStride;
          }
        }
      }
    }
  }
}

function outputTransform(
  m: Float64Array, mStride: number, ldm: number, rows: number, n0: number, count: number, tilesH: number, tilesW: number,
  dstH: number, dstW: number, bias: Float32Array | null, dst: Float32Array,
): void {
  const s = stage;
  const tilesPerImage = tilesH * tilesW;
  for (let r = 0; r < rows; r++) {
    const b = bias ? bias[r] : 0;
    for (let i = 0; i < count; i++) {
      const plane = ((n0 + i) * rows + r) * dstH * dstW;
      let at = r * ldm + i * tilesPerImage;
      for (let ty = 0; ty < tilesH; ty++) {
        const y0 = 4 * ty;
        const height = Math.min(4, dstH - y0);
        for (let tx = 0; tx < tilesW; tx++, at++) {
          const x0 = 4 * tx;
          const width = Math.min(4, dstW - x0);
          // Aᵀ M: column j of the 6x6 values (ξ = j, 6 + j, ...) gives column j of a 4x6 stage.
          for (let j = 0; j < 6; j++) {
            const o = at + j * mStride;
            const m0 = m[o], m1 = m[o + 6 * mStride], m2 = m[o + 12 * mStride];
            const m3 = m[o + 18 * mStride], m4 = m[o + 24 * mStride], m5 = m[o + 30 * mStride];
            const p = m1 + m2, q = m1 - m2, u = m3 + m4, w = m3 - m4;
            s[j] = m0 + p + u;
            s[6 + j] = q + 2 * w;
            s[12 + j] = p + 4 * u;
            s[18 + j] = q + 8 * w + m5;
          }
          // (Aᵀ M) A: row y of the stage gives output row y; parts past the map are dropped.
          for (let y = 0; y < height; y++) {
            const k = 6 * y;
            const m0 = s[k], m1 = s[k + 1], m2 = s[k + 2], m3 = s[k + 3], m4 = s[k + 4], m5 = s[k + 5];
            const p = m1 + m2, q = m1 - m2, u = m3 + m4, w = m3 - m4;
            const row = plane + (y0 + y) * dstW + x0;
            dst[row] = m0 + p + u + b;
            if (width > 1) dst[row + 1] = q + 2 * w + b;
            if (width > 2) dst[row + 2] = p + 4 * u + b;
            if (width > 3) dst[row + 3] = q + 8 * w + m5 + b;
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
  const s = stage;
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < rows; r++) {
      const plane = ((n0 + i) * rows + r) * outH * outW;
      const ro = rOff[r];
      let t = i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        const y0 = 4 * ty;
        const height = Math.min(4, outH - y0);
        for (let tx = 0; tx < tilesW; tx++, t++) {
          const x0 = 4 * tx;
          const width = Math.min(4, outW - x0);
          // A dY: column j of the 4x4 gradient block (zero past the map) gives column j of a 6x4 stage.
          for (let j = 0; j < 4; j++) {
            let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
            if (j < width) {
              const p = plane + y0 * outW + x0 + j;
              g0 = dy[p];
              if (height > 1) g1 = dy[p + outW];
              if (height > 2) g2 = dy[p + 2 * outW];
              if (height > 3) g3 = dy[p + 3 * outW];
            }
            const a = g0 + g2, b = g1 + g3, e = g0 + 4 * g2, f = 2 * g1 + 8 * g3;
            s[j] = g0;
            s[4 + j] = a + b;
            s[8 + j] = a - b;
            s[12 + j] = e + f;
            s[16 + j] = e - f;
            s[20 + j] = g3;
          }
          // (A dY) Aᵀ: row r of the stage gives the values ξ = 6r .. 6r + 5.
          let o = ro + tOff[t];
          for (let k = 0; k < 24; k += 4) {
            const g0 = s[k], g1 = s[k + 1], g2 = s[k + 2], g3 = s[k + 3];
            const a = g0 + g2, b = g1 + g3, e = g0 + 4 * g2, f = 2 * g1 + 8 * g3;
            dm[o] = g0; o += dmStride;
            dm[o] = a + b; o += dmStride;
            dm[o] = a - b; o += dmStride;
            dm[o] = e + f; o += dmStride;
            dm[o] = e - f; o += dmStride;
            dm[o] = g3; o += dmStride;
          }
        }
      }
    }
  }
}

/** G's fractions as factors: a multiplication costs a fraction of a division (float64 either way). */
const QUARTER = 1 / 4;
const SIXTH = 1 / 6;
const TWELFTH = 1 / 12;
const TWENTY_FOURTH = 1 / 24;

function filterTransform(
  w: Float32Array, cOut: number, cIn: number, flip: boolean, u: Float64Array, uStride: number, coOff: Int32Array, ciOff: Int32Array,
): void {
  const s = stage;
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      // Rotating a filter by 180 degrees reads its 9 taps backwards.
      const f = flip ? (co * cIn + ci) * 9 + 8 : (co * cIn + ci) * 9;
      const step = flip ? -1 : 1;
      // G g: column j of the filter gives column j of a 6x3 stage.
      for (let j = 0; j < 3; j++) {
        const g0 = w[f + j * step], g1 = w[f + (3 + j) * step], g2 = w[f + (6 + j) * step];
        const a = (g0 + g2) * SIXTH;
        const e = g0 * TWENTY_FOURTH + g2 * SIXTH;
        const b = g1 * SIXTH;
        const c = g1 * TWELFTH;
        s[j] = g0 * QUARTER;
        s[3 + j] = -a - b;
        s[6 + j] = b - a;
        s[9 + j] = e + c;
        s[12 + j] = e - c;
        s[15 + j] = g2;
      }
      // (G g) Gᵀ: row r of the stage gives the values ξ = 6r .. 6r + 5.
      let o = coOff[co] + ciOff[ci];
      for (let k = 0; k < 18; k += 3) {
        const g0 = s[k], g1 = s[k + 1], g2 = s[k + 2];
        const a = (g0 + g2) * SIXTH;
        const e = g0 * TWENTY_FOURTH + g2 * SIXTH;
        const b = g1 * SIXTH;
        const c = g1 * TWELFTH;
        u[o] = g0 * QUARTER; o += uStride;
        u[o] = -a - b; o += uStride;
        u[o] = b - a; o += uStride;
        u[o] = e + c; o += uStride;
        u[o] = e - c; o += uStride;
        u[o] = g2; o += uStride;
      }
    }
  }
}

function filterGradientTransform(du: Float64Array, duStride: number, ldu: number, cOut: number, cIn: number, dw: Float32Array): void {
  const s = stage;
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      const at = co * ldu + ci;
      // Gᵀ dU: column j of the 6x6 gradient gives column j of a 3x6 stage.
      for (let j = 0; j < 6; j++) {
        const o = at + j * duStride;
        const u0 = du[o], u1 = du[o + 6 * duStride], u2 = du[o + 12 * duStride];
        const u3 = du[o + 18 * duStride], u4 = du[o + 24 * duStride], u5 = du[o + 30 * duStride];
        const p = u1 + u2, q = u3 + u4;
        s[j] = u0 * QUARTER - p * SIXTH + q * TWENTY_FOURTH;
        s[6 + j] = (u2 - u1) * SIXTH + (u3 - u4) * TWELFTH;
        s[12 + j] = (q - p) * SIXTH + u5;
      }
      // (Gᵀ dU) G: row y of the stage gives filter row y.
      const f = (co * cIn + ci) * 9;
      for (let y = 0; y < 3; y++) {
        const k = 6 * y;
        const u0 = s[k], u1 = s[k + 1], u2 = s[k + 2], u3 = s[k + 3], u4 = s[k + 4], u5 = s[k + 5];
        const p = u1 + u2, q = u3 + u4;
        dw[f + 3 * y] = u0 * QUARTER - p * SIXTH + q * TWENTY_FOURTH;
        dw[f + 3 * y + 1] = (u2 - u1) * SIXTH + (u3 - u4) * TWELFTH;
        dw[f + 3 * y + 2] = (q - p) * SIXTH + u5;
      }
    }
  }
}

export const F4x4: WinogradTiling = {
  name: 'F(4x4, 3x3)', m: 4, alpha: 6, step: 4, patch: 6,
  inputTransform, outputTransform, outputGradientTransform, filterTransform, filterGradientTransform,
};
