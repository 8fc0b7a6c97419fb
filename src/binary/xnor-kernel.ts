/**
 * The inner loops of the XNOR-popcount convolution (xnor-conv.ts prepares their tables;
 * reference/xnor-conv.ts is the same computation in plain loops). Output pixels go in blocks of
 * PIXEL_BLOCK = 4 and output channels in blocks of OUT_CHANNEL_BLOCK = 8, and for each block:
 *
 *   1. the block's pixels: their start offsets in the padded input (`start`). The 4 pixels are
 *      any 4 consecutive outputs in N·outH·outW order, so stride, row ends and image ends cost
 *      nothing inside the loops; a last, partial block repeats its last pixel;
 *   2. its 32 sums S = Σ popcount(a XOR w) over the k² taps and the words of a tap, by one of
 *      two loops: 3x3 kernels (every 3x3 conv of BNext) add one word of each of the three tap
 *      rows by a full adder (popcount.ts) and look up 4 table entries for 3 word pairs; other
 *      kernels (1x1) take the tap rows one after the other, two words a step;
 *   3. its store, v = base[class][co] - 2·S (the border correction of xnor-conv.ts): a partial
 *      block through `storePartial`, a full block written out either as integers (the packed
 *      forward of training) or through the epilogue, float32((v - center)·scale + shift) ·
 *      gain[2c + (y > 0)] (BatchNorm then PReLU, branch-free: the packed engine).
 *
 * The three steps share one function because the 32 sums live in local variables, which V8
 * keeps in registers or fixed stack slots: handing them to a function for step 3 (32 arguments)
 * measured 3-8% slower, through a scratch array 5-50% (docs/performance.md, "XNOR kernel").
 * That is also why the sums, the per-channel loads and the 32 stores are written out, and the
 * stores twice (integers, epilogue): each repeat here is the price of speed. Nothing is
 * allocated. What costs is the work per (activation word, weight word) pair: scalar code, a
 * bounds check on every typed-array load, and no popcount instruction in JavaScript; the
 * measurements behind the block shape, the full adder and the table are in docs/performance.md.
 */
import { POPCOUNT16 } from './popcount';
import { applyChannelEpilogue, type ChannelEpilogue } from './channel-epilogue';
import { OUT_CHANNEL_BLOCK } from './packed-layout';

/** Output pixels per register block; its output channels are the packed weights' block, OUT_CHANNEL_BLOCK. */
export const PIXEL_BLOCK = 4;

/**
 * The table as a constant of this module: TurboFan embeds its address and length in the code,
 * where through the imported binding it reloads and checks them on every lookup.
 */
const POPCOUNT: Uint8Array = POPCOUNT16;

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
  /** The PIXEL_BLOCK · OUT_CHANNEL_BLOCK sums of a partial block, on their way to `storePartial`. */
  sums: Int32Array;
}

export interface KernelGeometry {
  pixels: number;
  k: number;
  wordsPerPixel: number;
  /** Words per padded input row. */
  rowStride: number;
  /** Output channels rounded up to OUT_CHANNEL_BLOCK (rows of zero weight words). */
  coutPad: number;
  cout: number;
  /** outH · outW. */
  plane: number;
}

/** out = the convolution's sums, stored through the epilogue (or as they are, when it is null). */
export function xnorKernel(a: Int32Array, wt: Int32Array, t: KernelTables, g: KernelGeometry, out: Float32Array, e: ChannelEpilogue | null): void {
  const T = POPCOUNT;
  const { pixels, k, rowStride, coutPad, cout, plane } = g;
  const start = t.start, base = t.base, outAt = t.outAt, classAt = t.classAt;
  const rowLen = k * g.wordsPerPixel;
  const wStride = k * rowLen;
  // The three tap rows of a 3x3: input rows rowStride apart, weight rows rowLen apart.
  const r1 = rowStride, r2 = 2 * rowStride, l1 = rowLen, l2 = 2 * rowLen;
  for (let p0 = 0; p0 < pixels; p0 += 4) {
    // 1. The block's pixels.
    const b0 = start[p0];
    const b1 = start[Math.min(p0 + 1, pixels - 1)];
    const b2 = start[Math.min(p0 + 2, pixels - 1)];
    const b3 = start[Math.min(p0 + 3, pixels - 1)];
    for (let co = 0; co < coutPad; co += 8) {
      // 2. The block's sums: s<pixel><channel>, weight rows q0..q7 of output channels co..co+7.
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s04 = 0, s05 = 0, s06 = 0, s07 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0, s16 = 0, s17 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s24 = 0, s25 = 0, s26 = 0, s27 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0, s34 = 0, s35 = 0, s36 = 0, s37 = 0;
      const q0 = co * wStride, q1 = q0 + wStride, q2 = q1 + wStride, q3 = q2 + wStride;
      const q4 = q3 + wStride, q5 = q4 + wStride, q6 = q5 + wStride, q7 = q6 + wStride;
      let x0 = 0, x1 = 0;
      if (k === 3) {
        // 2a. 3x3: word j of the three tap rows, a full adder, then 4 lookups for 3 pairs.
        let x2 = 0, half = 0, ones = 0, twos = 0;
        for (let j = 0; j < rowLen; j++) {
          const w00 = wt[q0 + j], w01 = wt[q0 + j + l1], w02 = wt[q0 + j + l2];
          const w10 = wt[q1 + j], w11 = wt[q1 + j + l1], w12 = wt[q1 + j + l2];
          const w20 = wt[q2 + j], w21 = wt[q2 + j + l1], w22 = wt[q2 + j + l2];
          const w30 = wt[q3 + j], w31 = wt[q3 + j + l1], w32 = wt[q3 + j + l2];
          const w40 = wt[q4 + j], w41 = wt[q4 + j + l1], w42 = wt[q4 + j + l2];
          const w50 = wt[q5 + j], w51 = wt[q5 + j + l1], w52 = wt[q5 + j + l2];
          const w60 = wt[q6 + j], w61 = wt[q6 + j + l1], w62 = wt[q6 + j + l2];
          const w70 = wt[q7 + j], w71 = wt[q7 + j + l1], w72 = wt[q7 + j + l2];
          const a00 = a[b0 + j], a01 = a[b0 + j + r1], a02 = a[b0 + j + r2];
          x0 = a00 ^ w00; x1 = a01 ^ w01; x2 = a02 ^ w02; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s00 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a00 ^ w10; x1 = a01 ^ w11; x2 = a02 ^ w12; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s01 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a00 ^ w20; x1 = a01 ^ w21; x2 = a02 ^ w22; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s02 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a00 ^ w30; x1 = a01 ^ w31; x2 = a02 ^ w32; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s03 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a00 ^ w40; x1 = a01 ^ w41; x2 = a02 ^ w42; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s04 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a00 ^ w50; x1 = a01 ^ w51; x2 = a02 ^ w52; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s05 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a00 ^ w60; x1 = a01 ^ w61; x2 = a02 ^ w62; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s06 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a00 ^ w70; x1 = a01 ^ w71; x2 = a02 ^ w72; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s07 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          const a10 = a[b1 + j], a11 = a[b1 + j + r1], a12 = a[b1 + j + r2];
          x0 = a10 ^ w00; x1 = a11 ^ w01; x2 = a12 ^ w02; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s10 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a10 ^ w10; x1 = a11 ^ w11; x2 = a12 ^ w12; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s11 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a10 ^ w20; x1 = a11 ^ w21; x2 = a12 ^ w22; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s12 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a10 ^ w30; x1 = a11 ^ w31; x2 = a12 ^ w32; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s13 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a10 ^ w40; x1 = a11 ^ w41; x2 = a12 ^ w42; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s14 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a10 ^ w50; x1 = a11 ^ w51; x2 = a12 ^ w52; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s15 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a10 ^ w60; x1 = a11 ^ w61; x2 = a12 ^ w62; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s16 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a10 ^ w70; x1 = a11 ^ w71; x2 = a12 ^ w72; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s17 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          const a20 = a[b2 + j], a21 = a[b2 + j + r1], a22 = a[b2 + j + r2];
          x0 = a20 ^ w00; x1 = a21 ^ w01; x2 = a22 ^ w02; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s20 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a20 ^ w10; x1 = a21 ^ w11; x2 = a22 ^ w12; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s21 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a20 ^ w20; x1 = a21 ^ w21; x2 = a22 ^ w22; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s22 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a20 ^ w30; x1 = a21 ^ w31; x2 = a22 ^ w32; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s23 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a20 ^ w40; x1 = a21 ^ w41; x2 = a22 ^ w42; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s24 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a20 ^ w50; x1 = a21 ^ w51; x2 = a22 ^ w52; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s25 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a20 ^ w60; x1 = a21 ^ w61; x2 = a22 ^ w62; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s26 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a20 ^ w70; x1 = a21 ^ w71; x2 = a22 ^ w72; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s27 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          const a30 = a[b3 + j], a31 = a[b3 + j + r1], a32 = a[b3 + j + r2];
          x0 = a30 ^ w00; x1 = a31 ^ w01; x2 = a32 ^ w02; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s30 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a30 ^ w10; x1 = a31 ^ w11; x2 = a32 ^ w12; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s31 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a30 ^ w20; x1 = a31 ^ w21; x2 = a32 ^ w22; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s32 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a30 ^ w30; x1 = a31 ^ w31; x2 = a32 ^ w32; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s33 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a30 ^ w40; x1 = a31 ^ w41; x2 = a32 ^ w42; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s34 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a30 ^ w50; x1 = a31 ^ w51; x2 = a32 ^ w52; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s35 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a30 ^ w60; x1 = a31 ^ w61; x2 = a32 ^ w62; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s36 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
          x0 = a30 ^ w70; x1 = a31 ^ w71; x2 = a32 ^ w72; half = x0 ^ x1; ones = half ^ x2; twos = (x0 & x1) | (half & x2);
          s37 += T[ones & 0xffff] + T[ones >>> 16] + 2 * (T[twos & 0xffff] + T[twos >>> 16]);
        }
      } else {
        // 2b. Other k: tap rows one after the other; j runs over the weight row, the input
        // offsets follow it; two words a step, then a last odd word.
        for (let ky = 0; ky < k; ky++) {
          const ao = ky * rowStride, wo = ky * rowLen, end = wo + rowLen;
          const i0 = b0 + ao - wo, i1 = b1 + ao - wo, i2 = b2 + ao - wo, i3 = b3 + ao - wo;
          let j = wo;
          for (; j + 1 < end; j += 2) {
            const w00 = wt[q0 + j], w01 = wt[q0 + j + 1];
            const w10 = wt[q1 + j], w11 = wt[q1 + j + 1];
            const w20 = wt[q2 + j], w21 = wt[q2 + j + 1];
            const w30 = wt[q3 + j], w31 = wt[q3 + j + 1];
            const w40 = wt[q4 + j], w41 = wt[q4 + j + 1];
            const w50 = wt[q5 + j], w51 = wt[q5 + j + 1];
            const w60 = wt[q6 + j], w61 = wt[q6 + j + 1];
            const w70 = wt[q7 + j], w71 = wt[q7 + j + 1];
            const a00 = a[i0 + j], a01 = a[i0 + j + 1];
            x0 = a00 ^ w00; x1 = a01 ^ w01; s00 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a00 ^ w10; x1 = a01 ^ w11; s01 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a00 ^ w20; x1 = a01 ^ w21; s02 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a00 ^ w30; x1 = a01 ^ w31; s03 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a00 ^ w40; x1 = a01 ^ w41; s04 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a00 ^ w50; x1 = a01 ^ w51; s05 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a00 ^ w60; x1 = a01 ^ w61; s06 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a00 ^ w70; x1 = a01 ^ w71; s07 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            const a10 = a[i1 + j], a11 = a[i1 + j + 1];
            x0 = a10 ^ w00; x1 = a11 ^ w01; s10 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a10 ^ w10; x1 = a11 ^ w11; s11 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a10 ^ w20; x1 = a11 ^ w21; s12 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a10 ^ w30; x1 = a11 ^ w31; s13 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a10 ^ w40; x1 = a11 ^ w41; s14 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a10 ^ w50; x1 = a11 ^ w51; s15 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a10 ^ w60; x1 = a11 ^ w61; s16 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a10 ^ w70; x1 = a11 ^ w71; s17 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            const a20 = a[i2 + j], a21 = a[i2 + j + 1];
            x0 = a20 ^ w00; x1 = a21 ^ w01; s20 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a20 ^ w10; x1 = a21 ^ w11; s21 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a20 ^ w20; x1 = a21 ^ w21; s22 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a20 ^ w30; x1 = a21 ^ w31; s23 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a20 ^ w40; x1 = a21 ^ w41; s24 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a20 ^ w50; x1 = a21 ^ w51; s25 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a20 ^ w60; x1 = a21 ^ w61; s26 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a20 ^ w70; x1 = a21 ^ w71; s27 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            const a30 = a[i3 + j], a31 = a[i3 + j + 1];
            x0 = a30 ^ w00; x1 = a31 ^ w01; s30 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a30 ^ w10; x1 = a31 ^ w11; s31 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a30 ^ w20; x1 = a31 ^ w21; s32 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a30 ^ w30; x1 = a31 ^ w31; s33 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a30 ^ w40; x1 = a31 ^ w41; s34 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a30 ^ w50; x1 = a31 ^ w51; s35 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a30 ^ w60; x1 = a31 ^ w61; s36 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a30 ^ w70; x1 = a31 ^ w71; s37 += T[x0 & 0xffff] + T[x0 >>> 16] + T[x1 & 0xffff] + T[x1 >>> 16];
          }
          if (j < end) {
            const w0 = wt[q0 + j], w1 = wt[q1 + j], w2 = wt[q2 + j], w3 = wt[q3 + j], w4 = wt[q4 + j], w5 = wt[q5 + j], w6 = wt[q6 + j], w7 = wt[q7 + j];
            const a0 = a[i0 + j];
            x0 = a0 ^ w0; s00 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a0 ^ w1; s01 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a0 ^ w2; s02 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a0 ^ w3; s03 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a0 ^ w4; s04 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a0 ^ w5; s05 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a0 ^ w6; s06 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a0 ^ w7; s07 += T[x1 & 0xffff] + T[x1 >>> 16];
            const a1 = a[i1 + j];
            x0 = a1 ^ w0; s10 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a1 ^ w1; s11 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a1 ^ w2; s12 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a1 ^ w3; s13 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a1 ^ w4; s14 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a1 ^ w5; s15 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a1 ^ w6; s16 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a1 ^ w7; s17 += T[x1 & 0xffff] + T[x1 >>> 16];
            const a2 = a[i2 + j];
            x0 = a2 ^ w0; s20 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a2 ^ w1; s21 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a2 ^ w2; s22 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a2 ^ w3; s23 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a2 ^ w4; s24 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a2 ^ w5; s25 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a2 ^ w6; s26 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a2 ^ w7; s27 += T[x1 & 0xffff] + T[x1 >>> 16];
            const a3 = a[i3 + j];
            x0 = a3 ^ w0; s30 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a3 ^ w1; s31 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a3 ^ w2; s32 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a3 ^ w3; s33 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a3 ^ w4; s34 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a3 ^ w5; s35 += T[x1 & 0xffff] + T[x1 >>> 16];
            x0 = a3 ^ w6; s36 += T[x0 & 0xffff] + T[x0 >>> 16]; x1 = a3 ^ w7; s37 += T[x1 & 0xffff] + T[x1 >>> 16];
          }
        }
      }
      // 3. The store: a partial block (last pixels, padding channels) through scratch.
      if (p0 + 4 > pixels || co + 8 > cout) {
        const sums = t.sums;
        sums[0] = s00; sums[1] = s01; sums[2] = s02; sums[3] = s03; sums[4] = s04; sums[5] = s05; sums[6] = s06; sums[7] = s07;
        sums[8] = s10; sums[9] = s11; sums[10] = s12; sums[11] = s13; sums[12] = s14; sums[13] = s15; sums[14] = s16; sums[15] = s17;
        sums[16] = s20; sums[17] = s21; sums[18] = s22; sums[19] = s23; sums[20] = s24; sums[21] = s25; sums[22] = s26; sums[23] = s27;
        sums[24] = s30; sums[25] = s31; sums[26] = s32; sums[27] = s33; sums[28] = s34; sums[29] = s35; sums[30] = s36; sums[31] = s37;
        storePartial(t, g, e, p0, co, out);
        continue;
      }
      // 3a. A full block as integers (no epilogue: the packed forward of training).
      let o = 0, bt = 0;
      if (e === null) {
        o = outAt[p0] + co * plane;
        bt = classAt[p0] + co;
        out[o] = base[bt] - 2 * s00;
        out[o + plane] = base[bt + 1] - 2 * s01;
        out[o + 2 * plane] = base[bt + 2] - 2 * s02;
        out[o + 3 * plane] = base[bt + 3] - 2 * s03;
        out[o + 4 * plane] = base[bt + 4] - 2 * s04;
        out[o + 5 * plane] = base[bt + 5] - 2 * s05;
        out[o + 6 * plane] = base[bt + 6] - 2 * s06;
        out[o + 7 * plane] = base[bt + 7] - 2 * s07;
        o = outAt[p0 + 1] + co * plane;
        bt = classAt[p0 + 1] + co;
        out[o] = base[bt] - 2 * s10;
        out[o + plane] = base[bt + 1] - 2 * s11;
        out[o + 2 * plane] = base[bt + 2] - 2 * s12;
        out[o + 3 * plane] = base[bt + 3] - 2 * s13;
        out[o + 4 * plane] = base[bt + 4] - 2 * s14;
        out[o + 5 * plane] = base[bt + 5] - 2 * s15;
        out[o + 6 * plane] = base[bt + 6] - 2 * s16;
        out[o + 7 * plane] = base[bt + 7] - 2 * s17;
        o = outAt[p0 + 2] + co * plane;
        bt = classAt[p0 + 2] + co;
        out[o] = base[bt] - 2 * s20;
        out[o + plane] = base[bt + 1] - 2 * s21;
        out[o + 2 * plane] = base[bt + 2] - 2 * s22;
        out[o + 3 * plane] = base[bt + 3] - 2 * s23;
        out[o + 4 * plane] = base[bt + 4] - 2 * s24;
        out[o + 5 * plane] = base[bt + 5] - 2 * s25;
        out[o + 6 * plane] = base[bt + 6] - 2 * s26;
        out[o + 7 * plane] = base[bt + 7] - 2 * s27;
        o = outAt[p0 + 3] + co * plane;
        bt = classAt[p0 + 3] + co;
        out[o] = base[bt] - 2 * s30;
        out[o + plane] = base[bt + 1] - 2 * s31;
        out[o + 2 * plane] = base[bt + 2] - 2 * s32;
        out[o + 3 * plane] = base[bt + 3] - 2 * s33;
        out[o + 4 * plane] = base[bt + 4] - 2 * s34;
        out[o + 5 * plane] = base[bt + 5] - 2 * s35;
        out[o + 6 * plane] = base[bt + 6] - 2 * s36;
        out[o + 7 * plane] = base[bt + 7] - 2 * s37;
        continue;
      }
      // 3b. A full block through BatchNorm + PReLU (the packed engine).
      const center = e.center, scale = e.scale, shift = e.shift, gain = e.gain;
      const gb = 2 * co;
      let y = 0;
      const m0 = center[co + 0], c0 = scale[co + 0], h0 = shift[co + 0];
      const m1 = center[co + 1], c1 = scale[co + 1], h1 = shift[co + 1];
      const m2 = center[co + 2], c2 = scale[co + 2], h2 = shift[co + 2];
      const m3 = center[co + 3], c3 = scale[co + 3], h3 = shift[co + 3];
      const m4 = center[co + 4], c4 = scale[co + 4], h4 = shift[co + 4];
      const m5 = center[co + 5], c5 = scale[co + 5], h5 = shift[co + 5];
      const m6 = center[co + 6], c6 = scale[co + 6], h6 = shift[co + 6];
      const m7 = center[co + 7], c7 = scale[co + 7], h7 = shift[co + 7];
      o = outAt[p0] + co * plane;
      bt = classAt[p0] + co;
      y = Math.fround((base[bt] - 2 * s00 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s01 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s02 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s03 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      y = Math.fround((base[bt + 4] - 2 * s04 - m4) * c4 + h4);
      out[o + 4 * plane] = y * gain[gb + 8 + +(y > 0)];
      y = Math.fround((base[bt + 5] - 2 * s05 - m5) * c5 + h5);
      out[o + 5 * plane] = y * gain[gb + 10 + +(y > 0)];
      y = Math.fround((base[bt + 6] - 2 * s06 - m6) * c6 + h6);
      out[o + 6 * plane] = y * gain[gb + 12 + +(y > 0)];
      y = Math.fround((base[bt + 7] - 2 * s07 - m7) * c7 + h7);
      out[o + 7 * plane] = y * gain[gb + 14 + +(y > 0)];
      o = outAt[p0 + 1] + co * plane;
      bt = classAt[p0 + 1] + co;
      y = Math.fround((base[bt] - 2 * s10 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s11 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s12 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s13 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      y = Math.fround((base[bt + 4] - 2 * s14 - m4) * c4 + h4);
      out[o + 4 * plane] = y * gain[gb + 8 + +(y > 0)];
      y = Math.fround((base[bt + 5] - 2 * s15 - m5) * c5 + h5);
      out[o + 5 * plane] = y * gain[gb + 10 + +(y > 0)];
      y = Math.fround((base[bt + 6] - 2 * s16 - m6) * c6 + h6);
      out[o + 6 * plane] = y * gain[gb + 12 + +(y > 0)];
      y = Math.fround((base[bt + 7] - 2 * s17 - m7) * c7 + h7);
      out[o + 7 * plane] = y * gain[gb + 14 + +(y > 0)];
      o = outAt[p0 + 2] + co * plane;
      bt = classAt[p0 + 2] + co;
      y = Math.fround((base[bt] - 2 * s20 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s21 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s22 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s23 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      y = Math.fround((base[bt + 4] - 2 * s24 - m4) * c4 + h4);
      out[o + 4 * plane] = y * gain[gb + 8 + +(y > 0)];
      y = Math.fround((base[bt + 5] - 2 * s25 - m5) * c5 + h5);
      out[o + 5 * plane] = y * gain[gb + 10 + +(y > 0)];
      y = Math.fround((base[bt + 6] - 2 * s26 - m6) * c6 + h6);
      out[o + 6 * plane] = y * gain[gb + 12 + +(y > 0)];
      y = Math.fround((base[bt + 7] - 2 * s27 - m7) * c7 + h7);
      out[o + 7 * plane] = y * gain[gb + 14 + +(y > 0)];
      o = outAt[p0 + 3] + co * plane;
      bt = classAt[p0 + 3] + co;
      y = Math.fround((base[bt] - 2 * s30 - m0) * c0 + h0);
      out[o] = y * gain[gb + +(y > 0)];
      y = Math.fround((base[bt + 1] - 2 * s31 - m1) * c1 + h1);
      out[o + plane] = y * gain[gb + 2 + +(y > 0)];
      y = Math.fround((base[bt + 2] - 2 * s32 - m2) * c2 + h2);
      out[o + 2 * plane] = y * gain[gb + 4 + +(y > 0)];
      y = Math.fround((base[bt + 3] - 2 * s33 - m3) * c3 + h3);
      out[o + 3 * plane] = y * gain[gb + 6 + +(y > 0)];
      y = Math.fround((base[bt + 4] - 2 * s34 - m4) * c4 + h4);
      out[o + 4 * plane] = y * gain[gb + 8 + +(y > 0)];
      y = Math.fround((base[bt + 5] - 2 * s35 - m5) * c5 + h5);
      out[o + 5 * plane] = y * gain[gb + 10 + +(y > 0)];
      y = Math.fround((base[bt + 6] - 2 * s36 - m6) * c6 + h6);
      out[o + 6 * plane] = y * gain[gb + 12 + +(y > 0)];
      y = Math.fround((base[bt + 7] - 2 * s37 - m7) * c7 + h7);
      out[o + 7 * plane] = y * gain[gb + 14 + +(y > 0)];
    }
  }
}

/** The store of a block at the end of the pixels or channels: skips repeats and padding channels. */
function storePartial(t: KernelTables, g: KernelGeometry, e: ChannelEpilogue | null, p0: number, co: number, out: Float32Array): void {
  const channels = Math.min(OUT_CHANNEL_BLOCK, g.cout - co);
  const count = Math.min(PIXEL_BLOCK, g.pixels - p0);
  for (let i = 0; i < count; i++) {
    const o = t.outAt[p0 + i] + co * g.plane;
    const bt = t.classAt[p0 + i] + co;
    for (let c = 0; c < channels; c++) {
      const v = t.base[bt + c] - 2 * t.sums[OUT_CHANNEL_BLOCK * i + c];
      out[o + c * g.plane] = e === null ? v : applyChannelEpilogue(e, co + c, v);
    }
  }
}
