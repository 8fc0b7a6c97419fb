/**
 * 3x3 convolutions with stride 2 (BNext's downsampling units) by minimal filtering: each 4x4
 * block of outputs from the 9x9 input patch under it in 81 products per channel pair, against
 * 144 for the direct sum (1.78x fewer).
 *
 * Along one axis the four outputs are y_o = w0·d_2o + w1·d_2o+1 + w2·d_2o+2 over the patch
 * d_0 .. d_8. The middle tap meets only odd patch entries: four products w1·d_1, w1·d_3, w1·d_5,
 * w1·d_7. The outer taps form a 2-tap correlation over the even entries s = (d_0, d_2, .., d_8),
 * y_o += w0·s_o + w2·s_o+1, which Winograd's F(4, 2) computes in five products (points 0, ±1,
 * 2, infinity; derived as the transpose of Toom-Cook linear convolution). Together, per axis,
 * nine products, Y = Aᵀ [(G g) ⊙ (Bᵀ d)] with (rows of F(4, 2) scaled to integers in Bᵀ, the
 * factors moved into G):
 *
 *        | 0  1  0  0  0  0  0  0  0 |       | 0    1  0   |
 *        | 0  0  0  1  0  0  0  0  0 |       | 0    1  0   |
 *        | 0  0  0  0  0  1  0  0  0 |       | 0    1  0   |      | 1 0 0 0 1 1  1 1 0 |
 *        | 0  0  0  0  0  0  0  1  0 |       | 0    1  0   | Aᵀ = | 0 1 0 0 0 1 -1 2 0 |
 *   Bᵀ = | 2  0 -1  0 -2  0  1  0  0 |   G = | 1/2  0  0   |      | 0 0 1 0 0 1  1 4 0 |
 *        | 0  0  2  0  1  0 -1  0  0 |       | 1/2  0  1/2 |      | 0 0 0 1 0 1 -1 8 1 |
 *        | 0  0 -2  0  3  0 -1  0  0 |       | 1/6  0 -1/6 |
 *        | 0  0 -1  0  0  0  1  0  0 |       | 1/6  0  1/3 |
 *        | 0  0  2  0 -1  0 -2  0  1 |       | 0    0  1   |
 *
 * and in 2-D the same along both axes, Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A. Tiles step by 8 in the
 * input and overlap by one row and column.
 *
 * The gradient for the input cannot be a convolution with the rotated filter here (that would
 * be a transposed, upsampling one), so this tiling also has the adjoint of its input transform,
 * B dV Bᵀ, whose 9x9 patches the driver (conv3x3.ts) adds back where they were read.
 *
 * Every value is float64 until the last transform rounds to float32. Each 2-D transform is the
 * 1-D one down the columns into `stage`, then along the rows of that; the 1-D transforms take
 * their inputs as arguments and write at (offset, offset + stride, ...), so each is one plain
 * function V8 inlines.
 */
import type { StridedWinogradTiling } from './tiling';

const stage = new Float64Array(81);

/** Bᵀ x along one axis: 9 transformed values from 9 patch values. */
function inputAxis(
  x0: number, x1: number, x2: number, x3: number, x4: number, x5: number, x6: number, x7: number, x8: number,
  out: Float64Array, at: number, stride: number,
): void {
  out[at] = x1;
  out[at + stride] = x3;
  out[at + 2 * stride] = x5;
  out[at + 3 * stride] = x7;
  out[at + 4 * stride] = 2 * (x0 - x4) - x2 + x6;
  out[at + 5 * stride] = 2 * x2 + x4 - x6;
  out[at + 6 * stride] = 3 * x4 - 2 * x2 - x6;
  out[at + 7 * stride] = x6 - x2;
  out[at + 8 * stride] = 2 * (x2 - x6) - x4 + x8;
}

/** B v along one axis (the adjoint of inputAxis): 9 patch values from 9 transformed values. */
function inputGradientAxis(
  v0: number, v1: number, v2: number, v3: number, v4: number, v5: number, v6: number, v7: number, v8: number,
  out: Float64Array, at: number, stride: number,
): void {
  out[at] = 2 * v4;
  out[at + stride] = v0;
  out[at + 2 * stride] = 2 * (v5 - v6 + v8) - v4 - v7;
  out[at + 3 * stride] = v1;
  out[at + 4 * stride] = v5 + 3 * v6 - 2 * v4 - v8;
  out[at + 5 * stride] = v2;
  out[at + 6 * stride] = v4 - v5 - v6 + v7 - 2 * v8;
  out[at + 7 * stride] = v3;
  out[at + 8 * stride] = v8;
}

/** A y along one axis (the adjoint of the output transform): 9 values from 4 output gradients. */
function outputGradientAxis(y0: number, y1: number, y2: number, y3: number, out: Float64Array, at: number, stride: number): void {
  out[at] = y0;
  out[at + stride] = y1;
  out[at + 2 * stride] = y2;
  out[at + 3 * stride] = y3;
  out[at + 4 * stride] = y0;
  out[at + 5 * stride] = y0 + y1 + y2 + y3;
  out[at + 6 * stride] = y0 - y1 + y2 - y3;
  out[at + 7 * stride] = y0 + 2 * y1 + 4 * y2 + 8 * y3;
  out[at + 8 * stride] = y3;
}

const HALF = 1 / 2;
const SIXTH = 1 / 6;
const THIRD = 1 / 3;

/** G g along one axis: 9 values from the 3 taps. */
function filterAxis(g0: number, g1: number, g2: number, out: Float64Array, at: number, stride: number): void {
  out[at] = g1;
  out[at + stride] = g1;
  out[at + 2 * stride] = g1;
  out[at + 3 * stride] = g1;
  out[at + 4 * stride] = g0 * HALF;
  out[at + 5 * stride] = (g0 + g2) * HALF;
  out[at + 6 * stride] = (g0 - g2) * SIXTH;
  out[at + 7 * stride] = g0 * SIXTH + g2 * THIRD;
  out[at + 8 * stride] = g2;
}

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
          const at = plane + 8 * ty * pw + 8 * tx;
          // Bᵀ d: column j of the patch gives column j of the stage.
          for (let j = 0; j < 9; j++) {
            const p = at + j;
            inputAxis(padded[p], padded[p + pw], padded[p + 2 * pw], padded[p + 3 * pw], padded[p + 4 * pw],
              padded[p + 5 * pw], padded[p + 6 * pw], padded[p + 7 * pw], padded[p + 8 * pw], s, j, 9);
          }
          // (Bᵀ d) B: row r of the stage gives the values ξ = 9r .. 9r + 8.
          const o = co + tOff[t];
          for (let r = 0; r < 81; r += 9) {
            inputAxis(s[r], s[r + 1], s[r + 2], s[r + 3], s[r + 4], s[r + 5], s[r + 6], s[r + 7], s[r + 8], v, o + r * vStride, vStride);
          }
        }
      }
    }
  }
}

function inputGradientTransform(
  dv: Float64Array, dvStride: number, ldv: number, channels: number, count: number, tilesH: number, tilesW: number,
  padded: Float64Array, ph: number, pw: number,
): void {
  const s = stage;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < count; i++) {
      const plane = (i * channels + c) * ph * pw;
      let t = c * ldv + i * tilesH * tilesW;
      for (let ty = 0; ty < tilesH; ty++) {
        for (let tx = 0; tx < tilesW; tx++, t++) {
          // B dV: column j of the 9x9 values (ξ = j, 9 + j, ...) gives column j of the stage.
          for (let j = 0; j < 9; j++) {
            const o = t + j * dvStride;
            const q = 9 * dvStride;
            inputGradientAxis(dv[o], dv[o + q], dv[o + 2 * q], dv[o + 3 * q], dv[o + 4 * q], dv[o + 5 * q], dv[o + 6 * q],
              dv[o + 7 * q], dv[o + 8 * q], s, j, 9);
          }
          // (B dV) Bᵀ: row r of the stage gives patch row r, added where the patch was read
          // (neighbouring tiles share their edge row and column).
          const at = plane + 8 * ty * pw + 8 * tx;
          for (let r = 0; r < 9; r++) {
            const k = 9 * r;
            const row = at + r * pw;
            const v0 = s[k], v1 = s[k + 1], v2 = s[k + 2], v3 = s[k + 3], v4 = s[k + 4];
            const v5 = s[k + 5], v6 = s[k + 6], v7 = s[k + 7], v8 = s[k + 8];
            padded[row] += 2 * v4;
            padded[row + 1] += v0;
            padded[row + 2] += 2 * (v5 - v6 + v8) - v4 - v7;
            padded[row + 3] += v1;
            padded[row + 4] += v5 + 3 * v6 - 2 * v4 - v8;
            padded[row + 5] += v2;
            padded[row + 6] += v4 - v5 - v6 + v7 - 2 * v8;
            padded[row + 7] += v3;
            padded[row + 8] += v8;
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
  const q = 9 * mStride;
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
          // Aᵀ M: column j of the 9x9 values gives column j of a 4x9 stage.
          for (let j = 0; j < 9; j++) {
            const o = at + j * mStride;
            const t0 = m[o], t1 = m[o + q], t2 = m[o + 2 * q], t3 = m[o + 3 * q], t4 = m[o + 4 * q];
            const t5 = m[o + 5 * q], t6 = m[o + 6 * q], t7 = m[o + 7 * q], t8 = m[o + 8 * q];
            const p = t5 + t6, d = t5 - t6;
            s[j] = t0 + t4 + p + t7;
            s[9 + j] = t1 + d + 2 * t7;
            s[18 + j] = t2 + p + 4 * t7;
            s[27 + j] = t3 + d + 8 * t7 + t8;
          }
          // (Aᵀ M) A: row y of the stage gives output row y; parts past the map are dropped.
          for (let y = 0; y < height; y++) {
            const k = 9 * y;
            const t0 = s[k], t1 = s[k + 1], t2 = s[k + 2], t3 = s[k + 3], t4 = s[k + 4];
            const t5 = s[k + 5], t6 = s[k + 6], t7 = s[k + 7], t8 = s[k + 8];
            const p = t5 + t6, d = t5 - t6;
            const row = plane + (y0 + y) * dstW + x0;
            dst[row] = t0 + t4 + p + t7 + b;
            if (width > 1) dst[row + 1] = t1 + d + 2 * t7 + b;
            if (width > 2) dst[row + 2] = t2 + p + 4 * t7 + b;
            if (width > 3) dst[row + 3] = t3 + d + 8 * t7 + t8 + b;
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
          // A dY: column j of the 4x4 gradient block (zero past the map) gives column j of a 9x4 stage.
          for (let j = 0; j < 4; j++) {
            let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
            if (j < width) {
              const p = plane + y0 * outW + x0 + j;
              g0 = dy[p];
              if (height > 1) g1 = dy[p + outW];
              if (height > 2) g2 = dy[p + 2 * outW];
              if (height > 3) g3 = dy[p + 3 * outW];
            }
            outputGradientAxis(g0, g1, g2, g3, s, j, 4);
          }
          // (A dY) Aᵀ: row r of the stage gives the values ξ = 9r .. 9r + 8.
          const o = ro + tOff[t];
          for (let k = 0; k < 9; k++) outputGradientAxis(s[4 * k], s[4 * k + 1], s[4 * k + 2], s[4 * k + 3], dm, o + 9 * k * dmStride, dmStride);
        }
      }
    }
  }
}

function filterTransform(
  w: Float32Array, cOut: number, cIn: number, flip: boolean, u: Float64Array, uStride: number, coOff: Int32Array, ciOff: Int32Array,
): void {
  if (flip) throw new Error('winograd-s4: a stride-2 tiling takes its input gradient by the adjoint, not by a rotated filter');
  const s = stage;
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      const f = (co * cIn + ci) * 9;
      // G g: column j of the filter gives column j of a 9x3 stage.
      for (let j = 0; j < 3; j++) filterAxis(w[f + j], w[f + 3 + j], w[f + 6 + j], s, j, 3);
      // (G g) Gᵀ: row r of the stage gives the values ξ = 9r .. 9r + 8.
      const o = coOff[co] + ciOff[ci];
      for (let r = 0; r < 9; r++) filterAxis(s[3 * r], s[3 * r + 1], s[3 * r + 2], u, o + 9 * r * uStride, uStride);
    }
  }
}

function filterGradientTransform(du: Float64Array, duStride: number, ldu: number, cOut: number, cIn: number, dw: Float32Array): void {
  const s = stage;
  const q = 9 * duStride;
  for (let co = 0; co < cOut; co++) {
    for (let ci = 0; ci < cIn; ci++) {
      const at = co * ldu + ci;
      // Gᵀ dU: column j of the 9x9 gradient gives column j of a 3x9 stage.
      for (let j = 0; j < 9; j++) {
        const o = at + j * duStride;
        const u0 = du[o], u1 = du[o + q], u2 = du[o + 2 * q], u3 = du[o + 3 * q], u4 = du[o + 4 * q];
        const u5 = du[o + 5 * q], u6 = du[o + 6 * q], u7 = du[o + 7 * q], u8 = du[o + 8 * q];
        s[j] = (u4 + u5) * HALF + (u6 + u7) * SIXTH;
        s[9 + j] = u0 + u1 + u2 + u3;
        s[18 + j] = u5 * HALF - u6 * SIXTH + u7 * THIRD + u8;
      }
      // (Gᵀ dU) G: row y of the stage gives filter row y.
      const f = (co * cIn + ci) * 9;
      for (let y = 0; y < 3; y++) {
        const k = 9 * y;
        const u0 = s[k], u1 = s[k + 1], u2 = s[k + 2], u3 = s[k + 3], u4 = s[k + 4];
        const u5 = s[k + 5], u6 = s[k + 6], u7 = s[k + 7], u8 = s[k + 8];
        dw[f + 3 * y] = (u4 + u5) * HALF + (u6 + u7) * SIXTH;
        dw[f + 3 * y + 1] = u0 + u1 + u2 + u3;
        dw[f + 3 * y + 2] = u5 * HALF - u6 * SIXTH + u7 * THIRD + u8;
      }
    }
  }
}

export const F4x4_STRIDE2: StridedWinogradTiling = {
  name: 'stride 2, 4x4 outputs', m: 4, alpha: 9, step: 8, patch: 9,
  inputTransform, inputGradientTransform, outputTransform, outputGradientTransform, filterTransform, filterGradientTransform,
};
