/**
 * The binary units of BNext (paper Sec. 3.2, Fig. 3; docs/paper-map.md, "Units and blocks"): every
 * unit binarizes its input and convolves it, then
 *   - Info-Recoupling (Info-RCP): rescales the conv output with BatchNorm + PReLU and recouples
 *     it with the unit input through a squeeze-and-expand attention over
 *     mix = scale·input + (1 - scale)·main;
 *   - ELM-Attention: multiplies the result elementwise with a PReLU of the input (the bypass).
 * Three kinds exist: ELM-Attention (3x3), FFN_3x3 and FFN_1x1. State_dict names follow the
 * official modules exactly (`move.bias`, `binary_conv.weight`, `se.se.1.weight`, …).
 */
import { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { add, mul } from '../tensor/ops/elementwise';
import { recouplingMean } from '../tensor/ops/recouple';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { PReLU } from '../nn/layers/prelu';
import { Conv2d } from '../nn/layers/conv2d';
import { ReLU, Sigmoid } from '../nn/layers/activations';
import { AdaptiveAvgPool2d, AvgPool2d } from '../nn/layers/pooling';
import { Sequential } from '../nn/layers/sequential';
import { BinaryActivation, BinaryConv2d, clampInPlace } from '../binary/layers';
import { BNEXT_SIGN_THRESHOLD } from '../binary/binarize';

/** A learnable per-channel shift before binarization (the official `LearnableBias`). */
export class LearnableBias extends Module {
  readonly bias: Tensor;
  constructor(channels: number) {
    super();
    this.bias = this.registerParameter('bias', new Tensor(new Float32Array(channels), [1, channels, 1, 1]));
  }

  forward(x: Tensor): Tensor {
    return add(x, this.bias);
  }
}

/** sigmoid(conv(relu(conv(avgpool(x))))) with a reduction ratio of 8: a per-channel gate. */
export class SqueezeAndExpand extends Module {
  readonly se: Sequential;
  readonly attention: Sigmoid;
  constructor(channels: number, planes: number, ratio = 8) {
    super();
    const hidden = Math.floor(channels / ratio);
    if (hidden < 1) throw new Error(`SqueezeAndExpand: ${channels} channels / ratio ${ratio} leaves no hidden channel (need at least ${ratio} channels)`);
    this.se = this.registerModule('se', new Sequential(
      new AdaptiveAvgPool2d(1),
      new Conv2d(channels, hidden, 1),
      new ReLU(),
      new Conv2d(hidden, planes, 1),
    ));
    this.attention = this.registerModule('attention', new Sigmoid());
  }

  forward(x: Tensor): Tensor {
    return this.attention.call(this.se.call(x));
  }
}

/** How a unit's details differ between BNext and BNext-18 (docs/paper-map.md, "BNext-18"). */
export interface UnitFlavor {
  /** Temperature below which binary weights are sign(w). */
  signThreshold: number;
  /** Clamp latent binary weights in evaluation mode too. */
  clampWeightsInEval: boolean;
  /** Float32 rounding detail of the binary activation (see binarize.ts). */
  activationOffset: number;
}

export const BNEXT_FLAVOR: UnitFlavor = { signThreshold: BNEXT_SIGN_THRESHOLD, clampWeightsInEval: false, activationOffset: 0 };

export interface UnitOptions {
  kernelSize: 1 | 3;
  stride: number;
  /** Info-Recoupling on (scale + squeeze-and-expand) or off (paper Table 4 ablation). */
  recoupling: boolean;
  /** Input channels of the squeeze-and-expand branch. */
  seChannels: number;
  flavor: UnitFlavor;
}

/** What every unit has: the binary path and its normalisations, in the official order. */
export abstract class BinaryUnit extends Module {
  readonly scale: Tensor | null;
  readonly move: LearnableBias;
  readonly binaryActivation: BinaryActivation;
  readonly binaryConv: BinaryConv2d;
  readonly norm1: BatchNorm2d;
  readonly norm2: BatchNorm2d;
  readonly activation1: PReLU;
  readonly activation2: PReLU;
  readonly pooling: AvgPool2d | null;
  readonly se: SqueezeAndExpand | null;
  readonly stride: number;

  constructor(readonly inChannels: number, readonly outChannels: number, o: UnitOptions) {
    super();
    this.stride = o.stride;
    // Own parameters come first in a PyTorch state_dict, whatever the attribute order.
    this.scale = o.recoupling ? this.registerParameter('scale', new Tensor(new Float32Array(outChannels).fill(0.5), [1, outChannels, 1, 1])) : null;
    this.move = this.registerModule('move', new LearnableBias(inChannels));
    this.binaryActivation = this.registerModule('binary_activation', new BinaryActivation(o.flavor.activationOffset));
    this.binaryConv = this.registerModule('binary_conv', new BinaryConv2d(inChannels, outChannels, o.kernelSize, {
      stride: o.stride, threshold: o.flavor.signThreshold, clampInEval: o.flavor.clampWeightsInEval,
    }));
    this.norm1 = this.registerModule('norm1', new BatchNorm2d(outChannels));
    this.norm2 = this.registerModule('norm2', new BatchNorm2d(outChannels));
    this.activation1 = this.registerModule('activation1', new PReLU(inChannels));
    this.activation2 = this.registerModule('activation2', new PReLU(outChannels));
    this.pooling = o.stride === 2 ? this.registerModule('pooling', new AvgPool2d(2, 2)) : null;
    this.se = o.recoupling ? this.registerModule('se', new SqueezeAndExpand(o.seChannels, outChannels)) : null;
  }

  /** activation2(norm1(binary_conv(sign(move(x))))): the binary path. */
  protected binaryPath(input: Tensor): Tensor {
    const x = this.binaryActivation.call(this.move.call(input));
    return this.activation2.call(this.norm1.call(this.binaryConv.call(x)));
  }

  /** The input at the output's resolution (2x2 average pooled for stride 2). */
  protected downsampled(input: Tensor): Tensor {
    return this.pooling ? this.pooling.call(input) : input;
  }

  /**
   * Info-Recoupling: se(scale·inp + (1 - scale)·main) · main. The squeeze-and-expand starts by
   * averaging its input over H x W, so it gets that mean of the mix, computed fused (the mix is
   * never stored; ops/recouple.ts, bit-identical). Its pooling layer then averages a 1x1 map,
   * which returns it unchanged, and every module still runs, for the activation hooks.
   */
  protected recouple(inp: Tensor, main: Tensor, scale: Tensor, se: SqueezeAndExpand): Tensor {
    return mul(se.call(recouplingMean(scale, inp, main)), main);
  }

  /** The official `scale.data.clamp_(0, 1)`. */
  protected clampScale(): void {
    if (this.scale) clampInPlace(this.scale, 0, 1);
  }
}

/**
 * ELM-Attention (BNext): out = norm2(main · res) + res with res = PReLU(input), where main is
 * recoupled with the (pooled) input when Info-Recoupling is on.
 */
export class ElmAttention extends BinaryUnit {
  forward(input: Tensor): Tensor {
    const res = this.downsampled(this.activation1.call(input));
    let main = this.binaryPath(input);
    if (this.scale && this.se) {
      if (this.training) this.clampScale();
      main = this.recouple(this.downsampled(input), main, this.scale, this.se);
    }
    return add(this.norm2.call(mul(main, res)), res);
  }
}

/**
 * FFN units (3x3 or 1x1): out = norm2(recoupled main) + input, or main + input without
 * Info-Recoupling (norm2 then unused). FFN_1x1 clamps `scale` in evaluation mode too.
 */
export class FeedForwardUnit extends BinaryUnit {
  forward(input: Tensor): Tensor {
    const res = this.downsampled(input);
    const main = this.binaryPath(input);
    if (!this.scale || !this.se) return add(main, res);
    if (this.training || this.binaryConv.kernelSize === 1) this.clampScale();
    // The recoupled input is the shortcut itself (the official code pools the input twice).
    return add(this.norm2.call(this.recouple(res, main, this.scale, this.se)), res);
  }
}
