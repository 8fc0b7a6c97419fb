/**
 * Binarization with straight-through gradients (paper Eq. 1 and 2; docs/paper-map.md, "sign(0)",
 * "The STE clip", "How the binarized value is formed").
 *
 * - Activations: value sign(x) (sign(0) = 0, as torch.sign); gradient that of
 *   clamp(x, -1.5, 1.5), i.e. the incoming gradient where |x| <= 1.5, else 0.
 * - Weights (progressive binarization): with temperature t, clamp(w / max(t, 1e-8), -1, 1),
 *   and sign(w) once t is below a threshold (1e-7 in BNext, 1e-5 in BNext-18). In training the
 *   gradient passes to the latent weight unchanged; in evaluation the value has no
 *   straight-through term, so the gradient is that of the expression itself: sign's (zero) or
 *   the clamp's (dy / t where -1 <= w / t <= 1), as the official evaluation forward gives.
 *
 * The official code forms the training-mode values as `(b - r).detach() + r`. In float32 that
 * sum is not always exactly b (e.g. 1 - 0.1 rounds, and adding 0.1 back may land one ulp off),
 * so we evaluate the same expression with float32 rounding to compute the very same numbers.
 */
import { record } from '../autograd/record';
import { Tensor } from '../tensor/tensor';
import { signOf } from '../tensor/kernels/elementwise';
import { uninitializedArray } from '../autograd/buffer-pool';

const f32 = Math.fround;

export interface BinaryActivationOptions {
  /** The straight-through range: gradient flows where -clip <= x <= clip. */
  clip?: number;
  /**
   * A constant the official code adds to both sides of `(sign - replace) + replace`
   * (1 in BNext-18's HardSign, 0 in BNext's); it only changes float32 rounding.
   */
  offset?: number;
}

/** sign(x) forward, clamp(x, -clip, clip) backward. */
export function binaryActivation(x: Tensor, options: BinaryActivationOptions = {}): Tensor {
  const clip = options.clip ?? 1.5;
  const offset = options.offset ?? 0;
  const out = uninitializedArray(x.size);
  if (offset === 0 && clip === f32(clip)) signOfClamped(x.data, clip, out);
  else signOfShifted(x.data, clip, offset, out);
  return record('SignSTE', [x], new Tensor(out, x.shape), { clip });
}

/*
 * In both loops the clamp is by min and max and the sign comes from the comparisons as numbers:
 * no branch, as the sign of an activation is a coin flip, which V8's branches mispredict (about
 * 3x slower measured; min/max instead of a conditional clamp, 20% faster). sign(NaN) = 0 here,
 * where signOf gives NaN, and sign(-0) = +0: the result is the same, as replace is NaN then and
 * (±0 - r) + r rounds alike.
 */

/** out = (sign(v) - r) + r in float32, r = clamp(v) + offset. */
function signOfShifted(d: Float32Array, clip: number, offset: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = d[i];
    const replace = f32(Math.max(-clip, Math.min(clip, v)) + offset);
    const sign = +(v > 0) - +(v < 0);
    out[i] = f32(f32(sign - replace) + replace);
  }
}

/** The same with offset 0 (BNext): clamp(v) is already a float32, one rounding less per value. */
function signOfClamped(d: Float32Array, clip: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = d[i];
    const replace = Math.max(-clip, Math.min(clip, v));
    const sign = +(v > 0) - +(v < 0);
    out[i] = f32(f32(sign - replace) + replace);
  }
}

/** The float32 threshold below which a temperature means "fully binary". */
export const BNEXT_SIGN_THRESHOLD = 1e-7;
/** BNext-18's threshold (the official code's, larger than BNext's). */
export const BNEXT18_SIGN_THRESHOLD = 1e-5;

/** Whether weights at this temperature are exactly sign(w). */
export function isFullyBinary(temperature: number, threshold = BNEXT_SIGN_THRESHOLD): boolean {
  // torch compares the float32 buffer with the threshold rounded to float32.
  return f32(temperature) < f32(threshold);
}

/**
 * The binary (or, while t is above the threshold, soft-clamped) weight used by the convolution.
 * In training the value is formed as (b - w) + w in float32, like the official code, and the
 * gradient is the identity (straight-through); in evaluation it is b, with b's own gradient.
 */
export function binarizeWeight(w: Tensor, temperature: number, training: boolean, threshold = BNEXT_SIGN_THRESHOLD): Tensor {
  const out = new Float32Array(w.size);
  const d = w.data;
  const sign = isFullyBinary(temperature, threshold);
  const t = f32(Math.max(f32(temperature), f32(1e-8)));
  for (let i = 0; i < out.length; i++) {
    const v = d[i];
    let b: number;
    if (sign) {
      b = signOf(v);
    } else {
      const q = f32(v / t);
      b = q < -1 ? -1 : q > 1 ? 1 : q;
    }
    out[i] = training ? f32(f32(b - v) + v) : b;
  }
  const gradient = training ? 'straight-through' : sign ? 'sign' : 'clamp';
  return record('BinaryWeight', [w], new Tensor(out, w.shape), { gradient, temperature: t });
}
