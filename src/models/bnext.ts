/**
 * BNext (paper Sec. 3.2, Fig. 4; docs/paper-map.md, "Units and blocks"): a stem, then feature
 * modules that each stack a 3x3 unit (ELM-Attention in even "scale" positions, FFN_3x3 in odd
 * "bias" positions) and 1x1 FFN units, then PReLU, global average pooling and a linear classifier.
 * Module names match the official `BNext` so its state_dict loads strictly.
 */
import { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { concat, flatten } from '../tensor/ops/layout';
import { Conv2d } from '../nn/layers/conv2d';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { PReLU } from '../nn/layers/prelu';
import { Linear } from '../nn/layers/linear';
import { AdaptiveAvgPool2d } from '../nn/layers/pooling';
import { formatShape } from '../tensor/shape';
import { BNEXT_FLAVOR, BinaryUnit, ElmAttention, FeedForwardUnit } from './units';
import { type BNextConfig, featureWidths, validateConfig } from './config';

/**
 * The stem: bn1(conv1(x)). Its PReLU is in the state_dict but not applied (docs/paper-map.md,
 * "Units and blocks").
 */
export class Stem extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly prelu: PReLU;
  constructor(inChannels: number, width: number, stride: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, width, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(width));
    // The official constructor passes the width as PReLU's init value too.
    this.prelu = this.registerModule('prelu', new PReLU(width, width));
  }

  forward(x: Tensor): Tensor {
    return this.bn1.call(this.conv1.call(x));
  }
}

/**
 * One feature module from `inplanes` to `planes` (= inplanes or 2·inplanes): the 3x3 unit,
 * then one FFN_1x1 or two whose outputs are concatenated on channels.
 */
export class BNextBlock extends Module {
  readonly first: BinaryUnit;
  readonly ffn: FeedForwardUnit[];

  constructor(inplanes: number, planes: number, stride: number, mode: 'scale' | 'bias', elm: boolean, recoupling: boolean) {
    super();
    if (planes !== inplanes && planes !== 2 * inplanes) throw new Error(`BNextBlock: planes ${planes} must equal inplanes ${inplanes} or twice it`);
    const unit = (kernelSize: 1 | 3, s: number) => ({ kernelSize, stride: s, recoupling, seChannels: inplanes, flavor: BNEXT_FLAVOR });
    // Without ELM-Attention the first unit is always an FFN_3x3, registered under that name.
    if (!elm) this.first = this.registerModule('FFN_3x3', new FeedForwardUnit(inplanes, inplanes, unit(3, stride)));
    else if (mode === 'scale') this.first = this.registerModule('Attention', new ElmAttention(inplanes, inplanes, unit(3, stride)));
    else this.first = this.registerModule('Attention', new FeedForwardUnit(inplanes, inplanes, unit(3, stride)));
    this.ffn = planes === inplanes
      ? [this.registerModule('FFN', new FeedForwardUnit(inplanes, inplanes, unit(1, 1)))]
      : [this.registerModule('FFN_1', new FeedForwardUnit(inplanes, inplanes, unit(1, 1))), this.registerModule('FFN_2', new FeedForwardUnit(inplanes, inplanes, unit(1, 1)))];
  }

  forward(input: Tensor): Tensor {
    const x = this.first.call(input);
    return this.ffn.length === 1 ? this.ffn[0].call(x) : concat(this.ffn.map((f) => f.call(x)), 1);
  }
}

/** An indexable list of modules (torch.nn.ModuleList): named '0', '1', …, never called itself. */
export class ModuleList<M extends Module> extends Module {
  constructor(readonly items: readonly M[]) {
    super();
    items.forEach((m, i) => this.registerModule(String(i), m));
  }

  forward(): Tensor {
    throw new Error('ModuleList is a container; call its items');
  }
}

/**
 * The BNext network (paper Sec. 3, Fig. 2, Table 2): a stem, feature modules of ELM-Attention
 * and FFN units, and a PReLU-pool-linear head, with the official state_dict names.
 */
export class BNext extends Module {
  readonly feature: ModuleList<Module>;
  readonly prelu: PReLU;
  readonly pool1: AdaptiveAvgPool2d;
  readonly fc: Linear;
  readonly widths: number[];

  constructor(readonly config: BNextConfig) {
    super();
    validateConfig(config);
    const w = featureWidths(config);
    this.widths = w;
    const blocks: Module[] = [new Stem(config.inChannels, w[0], config.stemStride)];
    for (let i = 1; i < w.length; i++) {
      const stride = i >= 2 && w[i - 1] !== w[i] ? 2 : 1;
      const mode = i >= 2 && i % 2 === 0 ? 'scale' : 'bias';
      blocks.push(new BNextBlock(w[i - 1], w[i], stride, mode, config.elmAttention, config.infoRecoupling));
    }
    this.feature = this.registerModule('feature', new ModuleList(blocks));
    this.prelu = this.registerModule('prelu', new PReLU(w[w.length - 1]));
    this.pool1 = this.registerModule('pool1', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(w[w.length - 1], config.numClasses));
  }

  /**
   * Each stride-2 unit halves its input with a strided conv (ceil) and its shortcut with 2x2
   * pooling (floor): the sizes only agree when they are even, so the input size after the stem
   * must be a multiple of 2^(stride-2 units), as in the official code.
   */
  private checkSpatialSize(h: number, w: number): void {
    const downsamplings = this.widths.filter((c, i) => i >= 2 && c !== this.widths[i - 1]).length;
    const multiple = 2 ** downsamplings;
    const s = this.config.stemStride;
    const [hs, ws] = [Math.ceil(h / s), Math.ceil(w / s)];
    if (hs % multiple !== 0 || ws % multiple !== 0) {
      throw new Error(`BNext: input ${h}x${w} gives a ${hs}x${ws} map after the stride-${s} stem; its ${downsamplings} stride-2 stages need height and width that are multiples of ${multiple} there`);
    }
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.config.inChannels) {
      throw new Error(`BNext: input must be [N, ${this.config.inChannels}, H, W], got ${formatShape(x.shape)}`);
    }
    this.checkSpatialSize(x.shape[2], x.shape[3]);
    let y = x;
    for (const block of this.feature.items) y = block.call(y);
    return this.fc.call(flatten(this.pool1.call(this.prelu.call(y)), 1));
  }
}
