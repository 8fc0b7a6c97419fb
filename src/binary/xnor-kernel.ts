/**
 * The inner loops of the XNOR-popcount convolution (xnor-conv.ts prepares their tables).
 *
 * Register blocking: 4 output pixels by 4 output channels, 16 popcount sums in locals, so every
 * loaded word serves 4 XORs (shared/notes/cpu-kernels.md: twice as fast as one pair at a time).
 * For each of the k tap rows the loop runs over k·wpp contiguous words: the k taps of a row are
 * adjacent pixels of the padded input and adjacent taps of the weights. The 4 pixels are any 4
 * consecutive outputs in N·outH·outW order, with their own start offsets (`start`), so stride,
 * row ends and image ends cost nothing inside the loop.
 *
 * The store turns each sum S into base[class][co] - 2·S (the border correction, xnor-conv.ts)
 * and applies the epilogue: y = float32((v - center)·scale + shift), then y·gain[2c + (y > 0)]
 * (BatchNorm then PReLU, without a branch). Nothing is allocated; there is no test in the
 * inner loop.
 *
 * Two popcounts: a 16-bit table (the default) and SWAR, the same loop otherwise, so the
 * benchmark (bench/xnor.ts) compares only the popcount.
 */
import { POPCOUNT16 } from './popcount';
import type { ChannelEpilogue } from './xnor-conv';

/** Per-call tables, indexed by output pixel p in N·outH·outW order. */
export interface KernelTables {
  /** Word offset of the pixel's top-left tap in the padded input. */
  start: Int32Array;
  /** Offset of the pixel's channel 0 in the NCHW output. */
  outAt: Int32Array;
  /** Row of `base` for the pixel's border class (class · paddedOutChannels). */
  classAt: Int32Array;
  /** base[class · paddedOutChannels + co] = k²·C minus the class's border taps' ±1 sums. */
  base: Int32Array;
  /** The 16 sums of a partial block, on their way to `storePartial`. */
  sums: Int32Array;
}

export interface KernelGeometry {
  pixels: number;
  k: number;
  wordsPerPixel: number;
  /** Words per padded input row. */
  rowStride: number;
  coutPad: number;
  cout: number;
  /** outH · outW. */
  plane: number;
}

/** The blocked loop with the 16-bit table popcount. */
export function xnorKernelTable(a: Int32Array, wt: Int32Array, t: KernelTables, g: KernelGeometry, out: Float32Array, e: ChannelEpilogue): void {
  const T = POPCOUNT16;
  const { pixels, k, rowStride, coutPad, cout, plane } = g;
  const start = t.start, base = t.base;
  const center = e.center, scale = e.scale, shift = e.shift, gain = e.gain;
  const rowLen = k * g.wordsPerPixel;
  const wStride = k * rowLen;
  for (let p0 = 0; p0 < pixels; p0 += 4) {
    // A last, partial block repeats its last pixel; the repeats are not stored.
    const b0 = start[p0];
    const b1 = start[Math.min(p0 + 1, pixels - 1)];
    const b2 = start[Math.min(p0 + 2, pixels - 1)];
    const b3 = start[Math.min(p0 + 3, pixels - 1)];
    for (let co = 0; co < coutPad; co += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      const wb = co * wStride;
      for (let ky = 0; ky < k; ky++) {
        const ao = ky * rowStride;
        const i0 = b0 + ao, i1 = b1 + ao, i2 = b2 + ao, i3 = b3 + ao;
        const q0 = wb + ky * rowLen, q1 = q0 + wStride, q2 = q1 + wStride, q3 = q2 + wStride;
        for (let j = 0; j < rowLen; j++) {
          const a0 = a[i0 + j], a1 = a[i1 + j], a2 = a[i2 + j], a3 = a[i3 + j];
          const w0 = wt[q0 + j], w1 = wt[q1 + j], w2 = wt[q2 + j], w3 = wt[q3 + j];
          let x = 0;
          x = a0 ^ w0; s00 += T[x & 0xffff] + T[x >>> 16];
          x = a0 ^ w1; s01 += T[x & 0xffff] + T[x >>> 16];
          x = a0 ^ w2; s02 += T[x & 0xffff] + T[x >>> 16];
          x = a0 ^ w3; s03 += T[x & 0xffff] + T[x >>> 16];
          x = a1 ^ w0; s10 += T[x & 0xffff] + T[x >>> 16];
          x = a1 ^ w1; s11 += T[x & 0xffff] + T[x >>> 16];
          x = a1 ^ w2; s12 += T[x & 0xffff] + T[x >>> 16];
          x = a1 ^ w3; s13 += T[x & 0xffff] + T[x >>> 16];
          x = a2 ^ w0; s20 += T[x & 0xffff] + T[x >>> 16];
          x = a2 ^ w1; s21 += T[x & 0xffff] + T[x >>> 16];
          x = a2 ^ w2; s22 += T[x & 0xffff] + T[x >>> 16];
          x = a2 ^ w3; s23 += T[x & 0xffff] + T[x >>> 16];
          x = a3 ^ w0; s30 += T[x & 0xffff] + T[x >>> 16];
          x = a3 ^ w1; s31 += T[x & 0xffff] + T[x >>> 16];
          x = a3 ^ w2; s32 += T[x & 0xffff] + T[x >>> 16];
          x = a3 ^ w3; s33 += T[x & 0xffff] + T[x >>> 16];
        }
      }
      if (p0 + 4 > pixels || co + 4 > cout) {
        const sums = t.sums;
        sums[0] = s00; sums[1] = s01; sums[2] = s02; sums[3] = s03;
        sums[4] = s10; sums[5] = s11; sums[6] = s12; sums[7] = s13;
        sums[8] = s20; sums[9] = s21; sums[10] = s22; sums[11] = s23;
        sums[12] = s30; sums[13] = s31; sums[14] = s32; sums[15] = s33;
        storePartial(t, g, e, p0, co, out);
        continue;
      }
      // The full block's 16 stores, written out (a loop over the sums costs 10-30% here).
      const m0 = center[co], m1 = center[co + 1], m2 = center[co + 2], m3 = center[co + 3];
      const c0 = scale[co], c1 = scale[co + 1], c2 = scale[co + 2], c3 = scale[co + 3];
      const h0 = shift[co], h1 = shift[co + 1], h2 = shift[co + 2], h3 = shift[co + 3];
      const gb = 2 * co;
      let o = 0, bt = 0, y = 0;
      o = t.outAt[p0] + co * plane;
      bt = t.classAt[p0] + co;
      y = Math.fround((base[bt] - 2 * s00 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s01 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s02 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s03 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      o = t.outAt[p0 + 1] + co * plane;
      bt = t.classAt[p0 + 1] + co;
      y = Math.fround((base[bt] - 2 * s10 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s11 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s12 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s13 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      o = t.outAt[p0 + 2] + co * plane;
      bt = t.classAt[p0 + 2] + co;
      y = Math.fround((base[bt] - 2 * s20 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s21 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s22 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s23 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      o = t.outAt[p0 + 3] + co * plane;
      bt = t.classAt[p0 + 3] + co;
      y = Math.fround((base[bt] - 2 * s30 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s31 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s32 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s33 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
    }
  }
}

/** The same loop with the SWAR popcount. */
export function xnorKernelSwar(a: Int32Array, wt: Int32Array, t: KernelTables, g: KernelGeometry, out: Float32Array, e: ChannelEpilogue): void {
  const { pixels, k, rowStride, coutPad, cout, plane } = g;
  const start = t.start, base = t.base;
  const center = e.center, scale = e.scale, shift = e.shift, gain = e.gain;
  const rowLen = k * g.wordsPerPixel;
  const wStride = k * rowLen;
  for (let p0 = 0; p0 < pixels; p0 += 4) {
    // A last, partial block repeats its last pixel; the repeats are not stored.
    const b0 = start[p0];
    const b1 = start[Math.min(p0 + 1, pixels - 1)];
    const b2 = start[Math.min(p0 + 2, pixels - 1)];
    const b3 = start[Math.min(p0 + 3, pixels - 1)];
    for (let co = 0; co < coutPad; co += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      const wb = co * wStride;
      for (let ky = 0; ky < k; ky++) {
        const ao = ky * rowStride;
        const i0 = b0 + ao, i1 = b1 + ao, i2 = b2 + ao, i3 = b3 + ao;
        const q0 = wb + ky * rowLen, q1 = q0 + wStride, q2 = q1 + wStride, q3 = q2 + wStride;
        for (let j = 0; j < rowLen; j++) {
          const a0 = a[i0 + j], a1 = a[i1 + j], a2 = a[i2 + j], a3 = a[i3 + j];
          const w0 = wt[q0 + j], w1 = wt[q1 + j], w2 = wt[q2 + j], w3 = wt[q3 + j];
          let x = 0;
          x = a0 ^ w0; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s00 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a0 ^ w1; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s01 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a0 ^ w2; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s02 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a0 ^ w3; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s03 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a1 ^ w0; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s10 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a1 ^ w1; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s11 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a1 ^ w2; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s12 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a1 ^ w3; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s13 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a2 ^ w0; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s20 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a2 ^ w1; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s21 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a2 ^ w2; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s22 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a2 ^ w3; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s23 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a3 ^ w0; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s30 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a3 ^ w1; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s31 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a3 ^ w2; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s32 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
          x = a3 ^ w3; x -= (x >>> 1) & 0x55555555; x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); s33 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        }
      }
      if (p0 + 4 > pixels || co + 4 > cout) {
        const sums = t.sums;
        sums[0] = s00; sums[1] = s01; sums[2] = s02; sums[3] = s03;
        sums[4] = s10; sums[5] = s11; sums[6] = s12; sums[7] = s13;
        sums[8] = s20; sums[9] = s21; sums[10] = s22; sums[11] = s23;
        sums[12] = s30; sums[13] = s31; sums[14] = s32; sums[15] = s33;
        storePartial(t, g, e, p0, co, out);
        continue;
      }
      // The full block's 16 stores, written out (a loop over the sums costs 10-30% here).
      const m0 = center[co], m1 = center[co + 1], m2 = center[co + 2], m3 = center[co + 3];
      const c0 = scale[co], c1 = scale[co + 1], c2 = scale[co + 2], c3 = scale[co + 3];
      const h0 = shift[co], h1 = shift[co + 1], h2 = shift[co + 2], h3 = shift[co + 3];
      const gb = 2 * co;
      let o = 0, bt = 0, y = 0;
      o = t.outAt[p0] + co * plane;
      bt = t.classAt[p0] + co;
      y = Math.fround((base[bt] - 2 * s00 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s01 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s02 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s03 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      o = t.outAt[p0 + 1] + co * plane;
      bt = t.classAt[p0 + 1] + co;
      y = Math.fround((base[bt] - 2 * s10 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s11 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s12 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s13 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      o = t.outAt[p0 + 2] + co * plane;
      bt = t.classAt[p0 + 2] + co;
      y = Math.fround((base[bt] - 2 * s20 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s21 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s22 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s23 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      o = t.outAt[p0 + 3] + co * plane;
      bt = t.classAt[p0 + 3] + co;
      y = Math.fround((base[bt] - 2 * s30 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s31 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s32 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s33 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
    }
  }
}

/** The store of a block at the end of the pixels or channels: skips repeats and padding channels. */
function storePartial(t: KernelTables, g: KernelGeometry, e: ChannelEpilogue, p0: number, co: number, out: Float32Array): void {
  const channels = Math.min(4, g.cout - co);
  const count = Math.min(4, g.pixels - p0);
  for (let i = 0; i < count; i++) {
    const o = t.outAt[p0 + i] + co * g.plane;
    const bt = t.classAt[p0 + i] + co;
    for (let c = 0; c < channels; c++) {
      const ch = co + c;
      const y = Math.fround((t.base[bt + c] - 2 * t.sums[4 * i + c] - e.center[ch]) * e.scale[ch] + e.shift[ch]);
      out[o + c * g.plane] = y * e.gain[2 * ch + +(y > 0)];
    }
  }
}
