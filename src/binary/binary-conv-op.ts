/**
 * The binary convolution as a differentiable op whose forward runs on packed bits (paper Sec. 3.1;
 * docs/architecture.md, "One training step"): when both operands are sign-valued, x conv w (zero
 * padding k//2) is a convolution of signs, an integer per output, and the XNOR-popcount kernel
 * (xnor-conv.ts) computes it. The result is recorded as the float Conv2d of the same tensors, so
 * the backward (and with it the straight-through gradients of binaryActivation and binarizeWeight)
 * is the float one, unchanged.
 *
 * "Sign-valued" allows a few ulps: in training the official binarized values are formed as
 * (b - r) + r in float32 (binarize.ts), which may land one ulp away from ±1. The packed forward
 * uses the exact signs, so it gives the exact integer where the float GEMM gives the sum of
 * those near-±1 products: the two differ by a few float32 ulps of the output, and the packed
 * one is the closer to the official float64 reference (spec/binary/binary-conv-op.spec.ts
 * measures both). Anything else (a soft weight during progressive binarization, an input that
 * is not binarized, a convolution too thin for packing to pay) takes the float path.
 */
import { record } from '../autograd/record';
import type { Conv2dAttrs } from '../autograd/op-attrs';
import { conv2d, type Conv2dOptions } from '../tensor/ops/conv';
import { Tensor } from '../tensor/tensor';
import { ScopedSetting } from '../tensor/scoped-setting';
import { packActivations, packWeights } from './pack';
import { xnorConv2d } from './xnor-conv';

/** |v| within this of 1 counts as a sign (the official (b - r) + r is within 2^-22 of ±1). */
const SIGN_SLACK = 2 ** -20;

/**
 * Below this many input values per output (Cin·k²) the float path is faster: a 1x1 conv of 16
 * channels fills half a word and its store dominates (docs/performance.md, "Packed forward in
 * training").
 */
const MIN_PACKED_DEPTH = 32;

const packedEnabled = new ScopedSetting(true);

/** Runs `fn` with every binary convolution on the float path (for measurements and tests). */
export function withFloatBinaryConvs<T>(fn: () => T): T {
  return packedEnabled.during(false, fn);
}

/** Whether every value is 0 or within SIGN_SLACK of ±1. */
export function isSignValued(d: Float32Array): boolean {
  for (let i = 0; i < d.length; i++) {
    const a = Math.abs(d[i]);
    if (a !== 0 && !(a >= 1 - SIGN_SLACK && a <= 1 + SIGN_SLACK)) return false;
  }
  return true;
}

export interface BinaryConvOptions {
  stride: number;
  /** Must be kernelSize // 2 for the packed path (BNext's binary convs). */
  padding: number;
}

/** x [N, Cin, H, W] conv w [Cout, Cin, k, k]: packed forward when both are signs, float otherwise. */
export function binaryConv2d(x: Tensor, w: Tensor, options: BinaryConvOptions): Tensor {
  const floatOptions: Conv2dOptions = { stride: options.stride, padding: options.padding };
  const k = w.shape[2];
  const packable = packedEnabled.value && x.ndim === 4 && w.ndim === 4 && w.shape[3] === k && k % 2 === 1
    && options.padding === k >> 1 && x.shape[1] === w.shape[1] && w.shape[1] * k * k >= MIN_PACKED_DEPTH
    && isSignValued(w.data) && isSignValued(x.data);
  if (!packable) return conv2d(x, w, null, floatOptions);
  const input = packActivations(x.data, x.shape, options.padding);
  const weights = packWeights(w.data, w.shape);
  const [n, , h, wd] = x.shape;
  const size = (d: number): number => Math.floor((d + 2 * options.padding - k) / options.stride) + 1;
  const shape = [n, w.shape[0], size(h), size(wd)];
  const out = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  xnorConv2d(input, weights, options.stride, out);
  const attrs: Conv2dAttrs = { stride: [options.stride, options.stride], padding: [options.padding, options.padding], dilation: [1, 1], groups: 1 };
  return record('Conv2d', [x, w], new Tensor(out, shape), attrs);
}
