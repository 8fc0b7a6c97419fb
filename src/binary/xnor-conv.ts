/**
 * The XNOR-popcount convolution (paper Sec. 3.1 and Eq. 1): for ±1 vectors a and w of C
 * channels stored as bits (pack.ts), a·w = C - 2·popcount(a XOR w). A k x k convolution of
 * sign(x) by sign(w) with zero padding (stride s, padding k//2, as the binary convs of BNext)
 * is, per output pixel and channel, that dot product summed over the taps that fall inside
 * the image. It equals the float convolution of the sign tensors exactly: both are integers.
 *
 * Zero padding is handled as Larq Compute Engine handles it: the input is packed with a border
 * of zero words (+1), every tap is read, and what the border taps added is taken away again by a
 * correction that depends only on the output channel and on which tap rows and columns lie in
 * the border (the pixel's "border class": 16 for 3x3, 1 for 1x1). The correction is folded
 * into the constant of the final store:
 *     out = base[class][co] - 2·S,   base[class][co] = k²·C - Σ_{border taps} tapSum[co][tap]
 * with S the popcount sum over all k² taps and tapSum = Σ of the tap's ±1 weights.
 *
 * Blocking: 4 output pixels (consecutive in N·outH·outW order, so a block may span rows and
 * images) by 4 output channels; every loaded word serves 4 XORs. The popcount is a 16-bit table
 * lookup (popcount.ts; bench/xnor.ts measures SWAR against it). The inner loop allocates nothing
 * and tests nothing: stride and border are in the per-pixel start offsets.
 *
 * Exact zeros (sign 0, packed as +1 and listed by pack.ts) are subtracted afterwards, one by
 * one: true = computed - Σ_{zero inputs} w' - Σ_{zero weights} a, with w' the packed weight
 * and a the true input sign (0 at zero inputs). They are rare in real data (a value exactly
 * 0), so that pass usually does not run.
 *
 * The optional epilogue applies, per output channel, an evaluation-mode BatchNorm and a PReLU
 * with exactly the float ops' arithmetic (tensor/ops/normalization.ts, activation.ts), so fusing
 * them into the store changes no bit of their result.
 */
import { formatShape } from '../tensor/shape';
import type { PackedActivations, PackedWeights } from './pack';
import { packedSign } from './pack';
import { POPCOUNT16 } from './popcount';

export interface XnorGeometry {
  n: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  pad: number;
  outHeight: number;
  outWidth: number;
}

/**
 * Per output channel c: y = float32((v - center[c]) · scale[c] + shift[c]), then the PReLU
 * y > 0 ? y : slope · y, computed as y · gain[2c + (y > 0)] with gain[2c] = slope and
 * gain[2c + 1] = 1: the same product, without a branch that random signs would mispredict.
 * With center 0, scale 1, shift 0 and slope 1 the output is v itself.
 */
export interface ChannelEpilogue {
  center: Float64Array;
  scale: Float64Array;
  shift: Float64Array;
  gain: Float64Array;
}

export function identityEpilogue(channels: number): ChannelEpilogue {
  return {
    center: new Float64Array(channels),
    scale: new Float64Array(channels).fill(1),
    shift: new Float64Array(channels),
    gain: new Float64Array(2 * channels).fill(1),
  };
}

/**
 * BatchNorm in evaluation mode, then PReLU (or none), computed as the float ops compute them:
 * scale = float32(1 / sqrt(var + eps)) · weight unrounded, then (v - mean)·scale + bias.
 */
export function batchNormEpilogue(mean: Float32Array, variance: Float32Array, weight: Float32Array, bias: Float32Array, eps: number, preluWeight: Float32Array | null): ChannelEpilogue {
  const c = mean.length;
  const e = identityEpilogue(c);
  for (let i = 0; i < c; i++) {
    e.center[i] = mean[i];
    e.scale[i] = Math.fround(1 / Math.sqrt(variance[i] + eps)) * weight[i];
    e.shift[i] = bias[i];
    e.gain[2 * i] = preluWeight ? preluWeight[i] : 1;
  }
  return e;
}

/** The popcount of the inner loop: 16-bit table (default, faster here) or SWAR, for measurement. */
export type Popcount = 'table' | 'swar';

/** Checks that packed input and weights fit together and gives the output size. */
export function xnorGeometry(input: PackedActivations, weights: PackedWeights, stride: number): XnorGeometry {
  const k = weights.kernelSize;
  const pad = k >> 1;
  const what = `xnorConv2d: input [${input.n}, ${input.channels}, ${input.height}, ${input.width}], weight [${weights.outChannels}, ${weights.inChannels}, ${k}, ${k}]`;
  if (input.channels !== weights.inChannels) throw new Error(`${what}: input has ${input.channels} channels, the weight expects ${weights.inChannels}`);
  if (k % 2 !== 1) throw new Error(`${what}: kernel size must be odd (padding k//2 on both sides)`);
  if (input.pad !== pad) throw new Error(`${what}: the input was packed with a border of ${input.pad}, the kernel needs ${pad}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${what}: stride must be a positive integer, got ${stride}`);
  const outHeight = Math.floor((input.height + 2 * pad - k) / stride) + 1;
  const outWidth = Math.floor((input.width + 2 * pad - k) / stride) + 1;
  if (outHeight < 1 || outWidth < 1) throw new Error(`${what}: the input is smaller than the kernel`);
  return {
    n: input.n, inChannels: input.channels, height: input.height, width: input.width,
    outChannels: weights.outChannels, kernelSize: k, stride, pad, outHeight, outWidth,
  };
}

/** Per-pixel scratch, grown on demand and reused: start offset, output offset, border class row. */
let pixelStart = new Int32Array(0);
let pixelOut = new Int32Array(0);
let pixelBase = new Int32Array(0);
let baseTable = new Int32Array(0);
/** The 16 sums of one block, on their way to the store. */
const blockSums = new Int32Array(16);

function scratch(pixels: number, classes: number): void {
  if (pixelStart.length < pixels) {
    pixelStart = new Int32Array(pixels);
    pixelOut = new Int32Array(pixels);
    pixelBase = new Int32Array(pixels);
  }
  if (baseTable.length < classes) baseTable = new Int32Array(classes);
}

/**
 * out [N, Cout, outH, outW] (float32, NCHW) = the convolution of the packed signs, then the
 * epilogue (identity when null). Overwrites out. The loops allocate nothing; per-pixel tables
 * are module scratch, grown on demand.
 */
export function xnorConv2d(input: PackedActivations, weights: PackedWeights, stride: number, out: Float32Array, epilogue: ChannelEpilogue | null = null, popcount: Popcount = 'table'): XnorGeometry {
  const g = xnorGeometry(input, weights, stride);
  const size = g.n * g.outChannels * g.outHeight * g.outWidth;
  if (out.length < size) throw new Error(`xnorConv2d: output buffer has ${out.length} values, needs ${size} for [${g.n}, ${g.outChannels}, ${g.outHeight}, ${g.outWidth}]`);
  const hasZeros = input.zeros.length > 0 || weights.zeros.length > 0;
  const final = epilogue ?? identityEpilogue(g.outChannels);
  if (!hasZeros) {
    runBlocked(input, weights, g, out, final, popcount);
    return g;
  }
  // Zeros: raw integer sums first, corrected, then the epilogue.
  runBlocked(input, weights, g, out, identityEpilogue(g.outChannels), popcount);
  subtractZeroInputs(input, weights, g, out);
  subtractZeroWeights(input, weights, g, out);
  if (epilogue) applyEpilogue(out, g, epilogue);
  return g;
}

/** Fills the per-pixel tables and the border table, then runs the blocked kernel. */
function runBlocked(input: PackedActivations, weights: PackedWeights, g: XnorGeometry, out: Float32Array, e: ChannelEpilogue, popcount: Popcount): void {
  const { kernelSize: k, pad, stride: s, outHeight: oh, outWidth: ow } = g;
  const wpp = input.wordsPerPixel;
  const hp = g.height + 2 * pad;
  const wp = g.width + 2 * pad;
  const plane = oh * ow;
  const pixels = g.n * plane;
  const side = pad + 1;
  const classes = side * side * side * side;
  const coutPad = weights.paddedOutChannels;
  scratch(pixels, classes * coutPad);
  borderTable(weights, pad, baseTable);
  for (let b = 0, p = 0; b < g.n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const rowClass = Math.max(0, pad - oy * s) * side + Math.max(0, oy * s - pad + k - g.height);
      for (let ox = 0; ox < ow; ox++, p++) {
        const colClass = Math.max(0, pad - ox * s) * side + Math.max(0, ox * s - pad + k - g.width);
        pixelStart[p] = ((b * hp + oy * s) * wp + ox * s) * wpp;
        pixelOut[p] = b * g.outChannels * plane + oy * ow + ox;
        pixelBase[p] = (rowClass * side * side + colClass) * coutPad;
      }
    }
  }
  const kernel = popcount === 'table' ? blockedKernel : blockedKernelSwar;
  kernel(input.words, weights.words, pixels, k, wpp, wp * wpp, coutPad, g.outChannels, plane, out, e);
}

/**
 * base[class][co] = k²·C minus the ±1 sums of the taps that class puts in the border. A class
 * is (top rows, bottom rows, left columns, right columns) in the border, each 0..pad.
 */
function borderTable(w: PackedWeights, pad: number, base: Int32Array): void {
  const k = w.kernelSize;
  const side = pad + 1;
  const coutPad = w.paddedOutChannels;
  const full = k * k * w.inChannels;
  for (let top = 0; top < side; top++) for (let bottom = 0; bottom < side; bottom++) {
    for (let left = 0; left < side; left++) for (let right = 0; right < side; right++) {
      const cls = ((top * side + bottom) * side + left) * side + right;
      for (let co = 0; co < coutPad; co++) {
        let v = full;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const border = ky < top || ky >= k - bottom || kx < left || kx >= k - right;
            if (border) v -= w.tapSums[co * k * k + ky * k + kx];
          }
        }
        base[cls * coutPad + co] = v;
      }
    }
  }
}

/** float32((v - center)·scale + shift), then PReLU: the fused BatchNorm + PReLU of one value. */
function finish(v: number, e: ChannelEpilogue, c: number): number {
  const y = Math.fround((v - e.center[c]) * e.scale[c] + e.shift[c]);
  return y * e.gain[2 * c + +(y > 0)];
}

/**
 * The hot loop: 4 pixels x 4 output channels, 16 popcount sums over the k rows of k·wpp
 * contiguous words (the k taps of a row are adjacent pixels in the padded input and adjacent
 * taps in the weights), popcount by 16-bit table; then the store of the block.
 */
function blockedKernel(a: Int32Array, wt: Int32Array, pixels: number, k: number, wpp: number, rowStride: number, coutPad: number, cout: number, plane: number, out: Float32Array, e: ChannelEpilogue): void {
  const T = POPCOUNT16;
  const start = pixelStart, sums = blockSums;
  const rowLen = k * wpp;
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
      sums[0] = s00; sums[1] = s01; sums[2] = s02; sums[3] = s03;
      sums[4] = s10; sums[5] = s11; sums[6] = s12; sums[7] = s13;
      sums[8] = s20; sums[9] = s21; sums[10] = s22; sums[11] = s23;
      sums[12] = s30; sums[13] = s31; sums[14] = s32; sums[15] = s33;
      storeBlock(out, e, p0, co, pixels, cout, plane);
    }
  }
}

/** The same loop with the SWAR popcount (popcount.ts), kept to measure against the table (bench/xnor.ts). */
function blockedKernelSwar(a: Int32Array, wt: Int32Array, pixels: number, k: number, wpp: number, rowStride: number, coutPad: number, cout: number, plane: number, out: Float32Array, e: ChannelEpilogue): void {
  const start = pixelStart, sums = blockSums;
  const rowLen = k * wpp;
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
      sums[0] = s00; sums[1] = s01; sums[2] = s02; sums[3] = s03;
      sums[4] = s10; sums[5] = s11; sums[6] = s12; sums[7] = s13;
      sums[8] = s20; sums[9] = s21; sums[10] = s22; sums[11] = s23;
      sums[12] = s30; sums[13] = s31; sums[14] = s32; sums[15] = s33;
      storeBlock(out, e, p0, co, pixels, cout, plane);
    }
  }
}

/**
 * Stores one block: out = base[class][co] - 2·S through the epilogue (finish() written out,
 * the same float32 arithmetic as BatchNorm then PReLU), skipping repeated pixels and padding
 * channels.
 */
function storeBlock(out: Float32Array, e: ChannelEpilogue, p0: number, co: number, pixels: number, cout: number, plane: number): void {
  const base = baseTable, sums = blockSums;
  const center = e.center, scale = e.scale, shift = e.shift, gain = e.gain;
  const channels = Math.min(4, cout - co);
  const count = Math.min(4, pixels - p0);
  for (let i = 0; i < count; i++) {
    const o = pixelOut[p0 + i] + co * plane;
    const bt = pixelBase[p0 + i] + co;
    for (let c = 0; c < channels; c++) {
      const ch = co + c;
      const y = Math.fround((base[bt + c] - 2 * sums[4 * i + c] - center[ch]) * scale[ch] + shift[ch]);
      out[o + c * plane] = y * gain[2 * ch + +(y > 0)];
    }
  }
}

/** Each zero input was counted as +1 times the packed weight of every tap that reads it. */
function subtractZeroInputs(input: PackedActivations, weights: PackedWeights, g: XnorGeometry, out: Float32Array): void {
  const { kernelSize: k, pad, stride: s, outHeight: oh, outWidth: ow, height: h, width: w, outChannels: cout } = g;
  const c = g.inChannels;
  const wpp = weights.wordsPerPixel;
  for (let i = 0; i < input.zeros.length; i++) {
    const z = input.zeros[i];
    const ix = z % w;
    const iy = Math.floor(z / w) % h;
    const ci = Math.floor(z / (w * h)) % c;
    const b = Math.floor(z / (w * h * c));
    for (let ky = 0; ky < k; ky++) {
      const ty = iy + pad - ky;
      if (ty < 0 || ty % s !== 0 || ty / s >= oh) continue;
      for (let kx = 0; kx < k; kx++) {
        const tx = ix + pad - kx;
        if (tx < 0 || tx % s !== 0 || tx / s >= ow) continue;
        const o = b * cout * oh * ow + (ty / s) * ow + tx / s;
        for (let co = 0; co < cout; co++) {
          const word = weights.words[((co * k + ky) * k + kx) * wpp + (ci >>> 5)];
          out[o + co * oh * ow] -= 1 - 2 * ((word >>> (ci & 31)) & 1);
        }
      }
    }
  }
}

/** Each zero weight was counted as +1 times the true sign of every input it reads (0 at zeros). */
function subtractZeroWeights(input: PackedActivations, weights: PackedWeights, g: XnorGeometry, out: Float32Array): void {
  if (weights.zeros.length === 0) return;
  const { kernelSize: k, pad, stride: s, outHeight: oh, outWidth: ow, height: h, width: w, outChannels: cout } = g;
  const c = g.inChannels;
  const zeroInput = new Uint8Array(g.n * c * h * w);
  for (let i = 0; i < input.zeros.length; i++) zeroInput[input.zeros[i]] = 1;
  for (let i = 0; i < weights.zeros.length; i++) {
    const z = weights.zeros[i];
    const kx = z % k;
    const ky = Math.floor(z / k) % k;
    const ci = Math.floor(z / (k * k)) % c;
    const co = Math.floor(z / (k * k * c));
    for (let b = 0; b < g.n; b++) {
      for (let oy = 0; oy < oh; oy++) {
        const iy = oy * s - pad + ky;
        if (iy < 0 || iy >= h) continue;
        for (let ox = 0; ox < ow; ox++) {
          const ix = ox * s - pad + kx;
          if (ix < 0 || ix >= w) continue;
          if (zeroInput[((b * c + ci) * h + iy) * w + ix]) continue;
          out[((b * cout + co) * oh + oy) * ow + ox] -= packedSign(input, b, ci, iy, ix);
        }
      }
    }
  }
}

function applyEpilogue(out: Float32Array, g: XnorGeometry, e: ChannelEpilogue): void {
  const plane = g.outHeight * g.outWidth;
  for (let b = 0; b < g.n; b++) {
    for (let co = 0; co < g.outChannels; co++) {
      const o = (b * g.outChannels + co) * plane;
      for (let i = 0; i < plane; i++) out[o + i] = finish(out[o + i], e, co);
    }
  }
}

/** The output shape [N, Cout, outH, outW] of a geometry. */
export function outputShape(g: XnorGeometry): number[] {
  return [g.n, g.outChannels, g.outHeight, g.outWidth];
}

export function describeGeometry(g: XnorGeometry): string {
  return `${formatShape([g.n, g.inChannels, g.height, g.width])} * ${g.kernelSize}x${g.kernelSize}/${g.stride} -> ${formatShape(outputShape(g))}`;
}
