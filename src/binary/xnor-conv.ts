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
 * with S the popcount sum over all k² taps and tapSum = Σ of the tap's ±1 weights; `base` is
 * computed once per packed weight (pack.ts, `borderBase`).
 *
 * The loops (xnor-kernel.ts) block 4 output pixels by 8 output channels and count bits with a
 * 16-bit table; this file prepares their per-pixel tables (start offset, output offset, border
 * class), so the loops hold no test for stride or border.
 *
 * Exact zeros (sign 0, packed as +1 and listed by pack.ts) are subtracted afterwards, one by
 * one: true = computed - Σ_{zero inputs} w' - Σ_{zero weights} a, with w' the packed weight
 * and a the true input sign (0 at zero inputs). They are rare in real data (a value exactly
 * 0), so that pass usually does not run.
 *
 * The optional epilogue (channel-epilogue.ts) applies, per output channel, an evaluation-mode
 * BatchNorm and a PReLU with exactly the float ops' arithmetic (tensor/ops/normalization.ts,
 * activation.ts), so fusing them into the store changes no bit of their result.
 */
import { OUT_CHANNEL_BLOCK, type PackedActivations, type PackedWeights, packedSign, position4, signBit, weightWord } from './packed-layout';
import { applyChannelEpilogue, type ChannelEpilogue } from './channel-epilogue';
import { type KernelTables, PIXEL_BLOCK, xnorKernel } from './xnor-kernel';
import { type XnorGeometry, xnorGeometry } from './xnor-geometry';
import { usingReferenceKernels } from '../tensor/kernels/kernel-choice';
import { xnorConv2dReference } from './reference/xnor-conv';
import { packActivations, packWeights } from './pack';
import { identityEpilogue } from './channel-epilogue';

/** Per-pixel tables, grown on demand and reused from call to call. */
const tables: KernelTables = {
  start: new Int32Array(0), outAt: new Int32Array(0), classAt: new Int32Array(0), base: new Int32Array(0), sums: new Int32Array(PIXEL_BLOCK * OUT_CHANNEL_BLOCK),
};

function growTables(pixels: number): void {
  if (tables.start.length < pixels) {
    tables.start = new Int32Array(pixels);
    tables.outAt = new Int32Array(pixels);
    tables.classAt = new Int32Array(pixels);
  }
}

/**
 * out [N, Cout, outH, outW] (float32, NCHW) = the convolution of the packed signs, then the
 * epilogue (identity when null). Overwrites out. The loops allocate nothing; per-pixel tables
 * are module scratch, grown on demand.
 */
export function xnorConv2d(input: PackedActivations, weights: PackedWeights, stride: number, out: Float32Array, epilogue: ChannelEpilogue | null = null): XnorGeometry {
  const g = xnorGeometry(input, weights, stride);
  const size = g.n * g.outChannels * g.outHeight * g.outWidth;
  if (out.length < size) throw new Error(`xnorConv2d: output buffer has ${out.length} values, needs ${size} for [${g.n}, ${g.outChannels}, ${g.outHeight}, ${g.outWidth}]`);
  if (usingReferenceKernels()) {
    xnorConv2dReference(input, weights, g, out, epilogue);
    return g;
  }
  if (!warmedUp) warmUp();
  const hasZeros = input.zeros.length > 0 || weights.zeros.length > 0;
  if (!hasZeros) {
    runBlocked(input, weights, g, out, epilogue);
    return g;
  }
  // Zeros: raw integer sums first, corrected, then the epilogue.
  runBlocked(input, weights, g, out, null);
  subtractZeroInputs(input, weights, g, out);
  subtractZeroWeights(input, weights, g, out);
  if (epilogue) applyEpilogue(out, g, epilogue);
  return g;
}

/** Fills the per-pixel tables and the border table, then runs the blocked kernel. */
function runBlocked(input: PackedActivations, weights: PackedWeights, g: XnorGeometry, out: Float32Array, e: ChannelEpilogue | null): void {
  const { kernelSize: k, pad, stride: s, outHeight: oh, outWidth: ow } = g;
  const wpp = input.wordsPerPixel;
  const hp = g.height + 2 * pad;
  const wp = g.width + 2 * pad;
  const plane = oh * ow;
  const pixels = g.n * plane;
  const side = pad + 1;
  const coutPad = weights.paddedOutChannels;
  growTables(pixels);
  tables.base = weights.borderBase;
  for (let b = 0, p = 0; b < g.n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const rowClass = Math.max(0, pad - oy * s) * side + Math.max(0, oy * s - pad + k - g.height);
      for (let ox = 0; ox < ow; ox++, p++) {
        const colClass = Math.max(0, pad - ox * s) * side + Math.max(0, ox * s - pad + k - g.width);
        tables.start[p] = ((b * hp + oy * s) * wp + ox * s) * wpp;
        tables.outAt[p] = b * g.outChannels * plane + oy * ow + ox;
        tables.classAt[p] = (rowClass * side * side + colClass) * coutPad;
      }
    }
  }
  if (coutPad % OUT_CHANNEL_BLOCK !== 0) throw new Error(`xnorConv2d: packed weights have ${coutPad} output channel rows, not a multiple of the kernel's block of ${OUT_CHANNEL_BLOCK}`);
  xnorKernel(input.words, weights.words, tables, { pixels, k, wordsPerPixel: wpp, rowStride: wp * wpp, coutPad, cout: g.outChannels, plane }, out, e);
}

/** Each zero input was counted as +1 times the packed weight of every tap that reads it. */
function subtractZeroInputs(input: PackedActivations, weights: PackedWeights, g: XnorGeometry, out: Float32Array): void {
  const { kernelSize: k, pad, stride: s, outHeight: oh, outWidth: ow, height: h, width: w, outChannels: cout } = g;
  for (let i = 0; i < input.zeros.length; i++) {
    const [b, ci, iy, ix] = position4(input.zeros[i], g.inChannels, h, w);
    for (let ky = 0; ky < k; ky++) {
      const ty = iy + pad - ky;
      if (ty < 0 || ty % s !== 0 || ty / s >= oh) continue;
      for (let kx = 0; kx < k; kx++) {
        const tx = ix + pad - kx;
        if (tx < 0 || tx % s !== 0 || tx / s >= ow) continue;
        const o = b * cout * oh * ow + (ty / s) * ow + tx / s;
        for (let co = 0; co < cout; co++) {
          out[o + co * oh * ow] -= 1 - 2 * signBit(weights.words[weightWord(weights, co, ci, ky, kx)], ci);
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
    const [co, ci, ky, kx] = position4(weights.zeros[i], c, k, k);
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
      for (let i = 0; i < plane; i++) out[o + i] = applyChannelEpilogue(e, co, out[o + i]);
    }
  }
}

let warmedUp = false;

/**
 * Runs every path of the kernel once on tiny inputs (3x3 and 1x1, full and partial blocks, with
 * and without the epilogue) before the first real call. V8 optimizes a function with the type
 * feedback it has seen; a path never run has none, so the first convolution that takes it throws
 * the optimized kernel away and compiles it again. Without this, the first forward of BNext-T
 * compiled xnorKernel 7-8 times (docs/performance.md, "Start-up").
 */
function warmUp(): void {
  warmedUp = true;
  // 70 channels are 3 words a pixel (the 1x1 loop's word pairs and its odd last word); 9 output
  // channels and 18 or 8 output pixels make full and partial blocks; values of x.5 are never 0.
  const channels = 70;
  const x = new Float32Array(2 * channels * 3 * 3);
  for (let i = 0; i < x.length; i++) x[i] = (i * 7919) % 13 - 6.5;
  for (const k of [3, 1]) {
    const w = new Float32Array(9 * channels * k * k);
    for (let i = 0; i < w.length; i++) w[i] = (i * 104729) % 11 - 5.5;
    const input = packActivations(x, [2, channels, 3, 3], (k - 1) / 2);
    const weights = packWeights(w, [9, channels, k, k]);
    const out = new Float32Array(2 * 9 * 3 * 3);
    for (const e of [null, fractionalEpilogue(9)]) {
      for (const stride of [1, 2]) xnorConv2d(input, weights, stride, out, e);
    }
  }
}

/**
 * An epilogue of non-integer values: with whole numbers V8 records small-integer arithmetic and
 * the first real BatchNorm's fractions would throw the optimized code away again.
 */
function fractionalEpilogue(channels: number): ChannelEpilogue {
  const e = identityEpilogue(channels);
  e.center.fill(0.25);
  e.scale.fill(0.5);
  e.shift.fill(-0.125);
  for (let c = 0; c < channels; c++) e.gain[2 * c] = 0.25;
  return e;
}
