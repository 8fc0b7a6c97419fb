/**
 * Asymmetric min-max fake quantization (paper appendix 7.5, Eq. 5), with the official code's
 * exact arithmetic (its asymmetric quantizer; docs/paper-map.md, "Quantization details"):
 *
 *     x  <- clamp of x to [-clip, clip]                     (clip: 1000 for convs, 25 for the classifier)
 *     low = min(x), span = (max(x) - min(x)) + 1e-8          over one group (see below), float32
 *     q   = round((x - low) / span * (2^n - 1))              round half to even (torch.round)
 *     x_q = q / (2^n - 1) * span + low
 *
 * Eq. 5 writes α = (2^n - 1) / (max - min); the code divides by span = (max - min) + 1e-8
 * instead, which keeps a group whose values are all equal finite (q = 0, x_q = low). Every step
 * is one float32 operation (the 1e-8 itself is rounded to float32 first), in this order, so that
 * x_q is the official value bit for bit.
 *
 * Groups: the official quantizer takes min and max over the last dimension of a 2-D input (or
 * over the trailing dimensions per [d0, d1] of a 4-D one): for activations that is one row per
 * sample (an SE input [N, C, 1, 1] is squeezed to [N, C] first, the classifier input is [N, C]),
 * computed at run time from the batch itself, so no calibration is needed and a sample's result
 * does not depend on the others in its batch.
 */
import { roundHalfEven } from '../tensor/rounding';

/** float32(1e-8), added to every range. */
export const SPAN_EPSILON = Math.fround(1e-8);

/** One group's range: its minimum and (max - min) + 1e-8, both float32. */
export interface Range {
  low: number;
  span: number;
}

/** 2^n - 1, the largest code of n bits. */
export function levelsOf(bits: number): number {
  return 2 ** bits - 1;
}

/**
 * The official clamp, torch.where(x < clip, x, clip) then torch.where(x > -clip, x, -clip):
 * a NaN becomes +clip, as there.
 */
export function clipped(x: number, clip: number): number {
  const upper = x < clip ? x : clip;
  return upper > -clip ? upper : -clip;
}

/** The range of values[start, start + count) (already clipped). */
export function rangeOf(values: ArrayLike<number>, start: number, count: number): Range {
  let lo = values[start];
  let hi = values[start];
  for (let i = start + 1; i < start + count; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { low: lo, span: Math.fround(Math.fround(hi - lo) + SPAN_EPSILON) };
}

/** The integer code of v (clipped, inside the group of `range`). */
export function codeOf(v: number, range: Range, levels: number): number {
  const normalized = Math.fround(Math.fround(v - range.low) / range.span);
  return roundHalfEven(Math.fround(normalized * levels));
}

/** The float32 value a code stands for. */
export function valueOf(code: number, range: Range, levels: number): number {
  return Math.fround(Math.fround(Math.fround(code / levels) * range.span) + range.low);
}

/**
 * Eq. 5 on activations: each of the `rows` rows of `cols` values of x is clipped and fake
 * quantized to `bits` bits over its own range, into `out` (which may be x).
 */
export function fakeQuantizeRows(x: Float32Array, rows: number, cols: number, bits: number, clip: number, out: Float32Array): void {
  const levels = levelsOf(bits);
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    for (let i = start; i < start + cols; i++) out[i] = clipped(x[i], clip);
    const range = rangeOf(out, start, cols);
    for (let i = start; i < start + cols; i++) out[i] = valueOf(codeOf(out[i], range, levels), range, levels);
  }
}
