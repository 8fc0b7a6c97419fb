/**
 * Weight quantization (paper appendix 7.5, Eq. 6) as integer codes plus the float32 numbers that
 * turn them back into exactly the fake-quantized weights the official code computes
 * (its quantized conv and linear layers; docs/paper-map.md, "Quantization details"):
 *
 *     Norm    = 2 · mean|W| per output channel         (Eq. 6's "absolute mean"; the code doubles
 *                                                       it, so the scaled weights have mean |·| 1/2)
 *     scaled  = clamp(W / Norm, -clip, clip)            (clip 1000 for convs, 25 for the classifier)
 *     q       = Eq. 5's code of `scaled` in its group    (asymmetric.ts)
 *     W_q     = (q / (2^n - 1) · span + low) · Norm      every step one float32 operation
 *
 * Norm is computed as torch computes it: for a 4-D weight the mean over kernel columns, then
 * rows, then input channels (three float32 means, each a float32 sum in torch's order, then a
 * division; torch-sum.ts); for a 2-D weight the mean over its row.
 *
 * Groups (where min and max are taken): a 1x1 convolution's weight is squeezed to 2-D and a
 * linear weight is 2-D, so one group per output channel; a k x k convolution (k > 1, the stem)
 * keeps 4-D and the official quantizer then takes min/max over the k·k taps of each (output,
 * input) channel pair. `groupSize` records which: the number of consecutive weights that share
 * one (low, span).
 *
 * An output channel whose weights are all 0 has Norm 0; the official code would divide 0 by 0
 * (NaN weights). Here its scaled weights are 0, so it stays exactly 0.
 */
import { formatShape, sizeOf } from '../tensor/shape';
import { codeOf, clipped, levelsOf, rangeOf, valueOf } from './asymmetric';
import { torchMean } from './torch-sum';

/** A weight tensor as n-bit codes and the parameters that reconstruct it. */
export interface QuantizedWeight {
  /** The float weight's shape, output channels first. */
  shape: number[];
  /** Bits per code: 1 < bits <= 8. */
  bits: number;
  /** Consecutive weights (row-major) sharing one low and span; divides the weights per channel. */
  groupSize: number;
  /** One code per weight, 0 .. 2^bits - 1. */
  codes: Uint8Array;
  /** Per output channel: 2 · mean|W|. */
  norm: Float32Array;
  /** Per group: the minimum of the scaled weights. */
  low: Float32Array;
  /** Per group: (max - min) of the scaled weights + float32(1e-8). */
  span: Float32Array;
}

/** Where the official quantizer takes min and max: per k·k taps (4-D, k > 1), else per output channel. */
export function groupSizeOf(shape: readonly number[]): number {
  const perChannel = sizeOf(shape) / shape[0];
  const taps = shape.length === 4 ? shape[2] * shape[3] : 1;
  return taps > 1 ? taps : perChannel;
}

/** 2 · mean|W| of each output channel, in torch's float32 arithmetic. */
export function channelNorms(w: Float32Array, shape: readonly number[]): Float32Array {
  const abs = Float32Array.from(w, Math.abs);
  // Mean over the last dimension, then the next, ... down to dimension 1 (keepdim each time).
  let values = abs;
  for (let d = shape.length - 1; d >= 1; d--) {
    const n = shape[d];
    const means = new Float32Array(values.length / n);
    for (let r = 0; r < means.length; r++) means[r] = torchMean(values, r * n, n);
    values = means;
  }
  return values.map((m) => 2 * m);
}

/** Eq. 6: the codes and parameters of a float weight at `bits` bits. `name` starts every error. */
export function quantizeWeight(w: Float32Array, shape: readonly number[], bits: number, clip: number, name: string): QuantizedWeight {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new Error(`${name}: cannot quantize to ${bits} bits: 2 to 8 bits are supported`);
  if (shape.length !== 2 && shape.length !== 4) throw new Error(`${name}: only 2-D (linear) and 4-D (conv) weights are quantized, got shape ${formatShape(shape)}`);
  if (w.length !== sizeOf(shape) || w.length === 0) throw new Error(`${name}: ${w.length} values do not fill shape ${formatShape(shape)}`);
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw new Error(`${name}: weight ${i} is ${w[i]}, quantization needs finite weights`);
  }
  const cout = shape[0];
  const perChannel = w.length / cout;
  const groupSize = groupSizeOf(shape);
  const norm = channelNorms(w, shape);
  const scaled = new Float32Array(w.length);
  for (let c = 0; c < cout; c++) {
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) scaled[i] = norm[c] === 0 ? 0 : clipped(Math.fround(w[i] / norm[c]), clip);
  }
  const groups = w.length / groupSize;
  const low = new Float32Array(groups);
  const span = new Float32Array(groups);
  const codes = new Uint8Array(w.length);
  const levels = levelsOf(bits);
  for (let g = 0; g < groups; g++) {
    const range = rangeOf(scaled, g * groupSize, groupSize);
    low[g] = range.low;
    span[g] = range.span;
    for (let i = g * groupSize; i < (g + 1) * groupSize; i++) codes[i] = codeOf(scaled[i], range, levels);
  }
  return { shape: [...shape], bits, groupSize, codes, norm, low, span };
}

/** The fake-quantized float32 weights W_q of Eq. 6 (what the official layer convolves with). */
export function dequantizeWeight(q: QuantizedWeight): Float32Array {
  const out = new Float32Array(q.codes.length);
  const perChannel = out.length / q.shape[0];
  const levels = levelsOf(q.bits);
  for (let i = 0; i < out.length; i++) {
    const g = Math.floor(i / q.groupSize);
    const v = valueOf(q.codes[i], { low: q.low[g], span: q.span[g] }, levels);
    out[i] = Math.fround(v * q.norm[Math.floor(i / perChannel)]);
  }
  return out;
}
