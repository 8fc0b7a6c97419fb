/**
 * BNext-18 (docs/paper-map.md, "BNext-18"): BNext's units on a ResNet-18 backbone,
 * four layers of two blocks (64, 128, 256, 512 channels; both settable for small variants). Each block is an ELM-Attention unit
 * (with a pooled 1x1-conv shortcut where the shape changes) then an FFN_3x3, both with
 * Info-Recoupling. Its units differ in small ways from BNext's (see `BNEXT18_FLAVOR`).
 */
import { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { add, mul } from '../tensor/ops/elementwise';
import { flatten } from '../tensor/ops/layout';
import { formatShape } from '../tensor/shape';
import { Conv2d } from '../nn/layers/conv2d';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { PReLU } from '../nn/layers/prelu';
import { Linear } from '../nn/layers/linear';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from '../nn/layers/pooling';
import { Sequential } from '../nn/layers/sequential';
import { BNEXT18_SIGN_THRESHOLD } from '../binary/binarize';
import { BinaryUnit, type UnitFlavor, type UnitOptions } from './units';
import { type BNext18Config, validateConfig } from './config';

/** BNext-18's units: sign below t = 1e-5, latent clamp in eval too, HardSign's +1 offset. */
export const BNEXT18_FLAVOR: UnitFlavor = { signThreshold: BNEXT18_SIGN_THRESHOLD, clampWeightsInEval: true, activationOffset: 1 };

/** ELM-Attention with the shortcut: res = downsample(PReLU(input)); mix uses res. */
class ElmAttention18 extends BinaryUnit {
  readonly downsample: Sequential | null;
  constructor(inplanes: number, planes: number, stride: number) {
    const o: UnitOptions = { kernelSize: 3, stride, recoupling: true, seChannels: planes, flavor: BNEXT18_FLAVOR };
    super(inplanes, planes, o);
    this.downsample = stride !== 1 || inplanes !== planes
      ? this.registerModule('downsample', new Sequential(new AvgPool2d(2, stride), new Conv2d(inplanes, planes, 1, { bias: false }), new BatchNorm2d(planes)))
      : null;
  }

  forward(input: Tensor): Tensor {
    if (this.training) this.clampScale();
    let res = this.activation1.call(input);
    if (this.downsample) res = this.downsample.call(res);
    let main = this.binaryPath(input);
    main = this.recouple(res, main, this.scale!, this.se!);
    return add(this.norm2.call(mul(main, res)), res);
  }
}

/** FFN_3x3 of BNext-18: clamps `scale` in evaluation mode too; stride 1 only. */
class Ffn18 extends BinaryUnit {
  constructor(planes: number) {
    super(planes, planes, { kernelSize: 3, stride: 1, recoupling: true, seChannels: planes, flavor: BNEXT18_FLAVOR });
  }

  forward(input: Tensor): Tensor {
    this.clampScale();
    const main = this.recouple(input, this.binaryPath(input), this.scale!, this.se!);
    return add(this.norm2.call(main), input);
  }
}

class Block18 extends Module {
  readonly attention: ElmAttention18;
  readonly ffn: Ffn18;
  constructor(inplanes: number, planes: number, stride: number) {
    super();
    this.attention = this.registerModule('Attention', new ElmAttention18(inplanes, planes, stride));
    this.ffn = this.registerModule('FFN', new Ffn18(planes));
  }

  forward(x: Tensor): Tensor {
    return this.ffn.call(this.attention.call(x));
  }
}

/**
 * BNext-18: ResNet-18's layout with BNext's units (paper Table 1), with the
 * official state_dict names.
 */
export class BNext18 extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly maxpool: MaxPool2d | null;
  readonly layers: Sequential[];
  readonly prelu: PReLU;
  readonly pool1: AdaptiveAvgPool2d;
  readonly fc: Linear;

  constructor(readonly config: BNext18Config) {
    super();
    validateConfig(config);
    const imagenet = config.numClasses === 1000;
    // ImageNet: 7x7 stride-2 stem and max pool; otherwise a 3x3 stride-1 stem (CIFAR-style).
    const C = config.baseWidth;
    this.conv1 = this.registerModule('conv1', imagenet
      ? new Conv2d(config.inChannels, C, 7, { stride: 2, padding: 3, bias: false })
      : new Conv2d(config.inChannels, C, 3, { stride: 1, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(C));
    this.maxpool = imagenet ? this.registerModule('maxpool', new MaxPool2d(3, 2, 1)) : null;
    let inplanes = C;
    this.layers = [C, 2 * C, 4 * C, 8 * C].map((planes, i) => {
      const blocks = [new Block18(inplanes, planes, i === 0 ? 1 : 2)];
      for (let b = 1; b < config.blocksPerLayer[i]; b++) blocks.push(new Block18(planes, planes, 1));
      inplanes = planes;
      return this.registerModule(`layer${i}`, new Sequential(...blocks));
    });
    this.prelu = this.registerModule('prelu', new PReLU(8 * C));
    this.pool1 = this.registerModule('pool1', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(8 * C, config.numClasses));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.config.inChannels) {
      throw new Error(`BNext-18: input must be [N, ${this.config.inChannels}, H, W], got ${formatShape(x.shape)}`);
    }
    // Layers 1-3 halve with a strided conv (ceil) beside a 2x2 pooled shortcut (floor).
    const stemScale = this.maxpool ? 4 : 1;
    const [h, w] = [Math.ceil(x.shape[2] / stemScale), Math.ceil(x.shape[3] / stemScale)];
    if (h % 8 !== 0 || w % 8 !== 0) {
      throw new Error(`BNext-18: input ${x.shape[2]}x${x.shape[3]} gives a ${h}x${w} map after the stem; its three stride-2 layers need multiples of 8 there`);
    }
    let y = this.bn1.call(this.conv1.call(x));
    if (this.maxpool) y = this.maxpool.call(y);
    for (const layer of this.layers) y = layer.call(y);
    return this.fc.call(flatten(this.pool1.call(this.prelu.call(y)), 1));
  }
}
