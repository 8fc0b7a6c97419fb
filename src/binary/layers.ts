/**
 * The binary building blocks of BNext as modules (docs/paper-map.md, "Units and blocks"): the
 * binary activation (HardSign) and the binary convolution (HardBinaryConv), each with its
 * `temperature` buffer.
 */
import { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { conv2d } from '../tensor/ops/conv';
import type { Rng } from '../tensor/random';
import { normalTensor } from '../nn/init';
import { binaryActivation, binarizeWeight, BNEXT_SIGN_THRESHOLD, isFullyBinary } from './binarize';
import { binaryConv2d } from './binary-conv-op';

/** sign(x) with the straight-through gradient of clamp(x, -1.5, 1.5). */
export class BinaryActivation extends Module {
  /**
   * Kept for state_dict compatibility; it does not change the value (docs/paper-map.md,
   * "Progressive binarization").
   */
  readonly temperature: Tensor;

  constructor(readonly offset = 0) {
    super();
    this.temperature = this.registerBuffer('temperature', new Tensor(new Float32Array([1]), [1]));
  }

  forward(x: Tensor): Tensor {
    return binaryActivation(x, { clip: 1.5, offset: this.offset });
  }
}

export interface BinaryConv2dOptions {
  stride?: number;
  /** Temperature below which weights are sign(w) (BNext 1e-7, BNext-18 1e-5). */
  threshold?: number;
  /** Also clamp the latent weight in evaluation mode (BNext-18 does). */
  clampInEval?: boolean;
  rng?: Rng;
}

/**
 * Convolution with binarized weights, zero padding k//2, no bias. Latent weights start as
 * N(0, 1)·0.001 and are clamped in place to [-1.5, 1.5] before each training forward.
 */
export class BinaryConv2d extends Module {
  readonly weight: Tensor;
  readonly temperature: Tensor;
  readonly stride: number;
  readonly threshold: number;
  readonly clampInEval: boolean;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, options: BinaryConv2dOptions = {}) {
    super();
    this.weight = this.registerParameter('weight', normalTensor([outChannels, inChannels, kernelSize, kernelSize], 0.001, options.rng));
    this.temperature = this.registerBuffer('temperature', new Tensor(new Float32Array([1]), [1]));
    this.stride = options.stride ?? 1;
    this.threshold = options.threshold ?? BNEXT_SIGN_THRESHOLD;
    this.clampInEval = options.clampInEval ?? false;
  }

  /** The weight the convolution uses at the current temperature. */
  binaryWeight(): Tensor {
    return binarizeWeight(this.weight, this.temperature.data[0], this.training, this.threshold);
  }

  forward(x: Tensor): Tensor {
    if (this.training || this.clampInEval) clampInPlace(this.weight, -1.5, 1.5);
    const options = { stride: this.stride, padding: Math.floor(this.kernelSize / 2) };
    // With sign(w) the forward runs on packed bits and gives the exact integers, where a float
    // kernel (Winograd's transforms) may leave 1e-14 on an exact 0 that the next sign turns into
    // +1; the backward stays the float one (binary-conv-op.ts).
    if (isFullyBinary(this.temperature.data[0], this.threshold)) return binaryConv2d(x, this.binaryWeight(), options);
    return conv2d(x, this.binaryWeight(), null, options);
  }
}

/**
 * The official code's `tensor.data.clamp_(lo, hi)`: an in-place change outside the graph. Only
 * the values outside the range are written: latent weights are rarely there, so the branches
 * predict well, and the pass reads the weights without writing them all back.
 */
export function clampInPlace(t: Tensor, lo: number, hi: number): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < lo) d[i] = lo;
    else if (v > hi) d[i] = hi;
  }
}
