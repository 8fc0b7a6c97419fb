/** torch.nn.Conv2d: weight [Cout, Cin/groups, kH, kW], optional bias, default initialisation. */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';
import { conv2d, type Conv2dOptions } from '../../tensor/ops/conv';
import { defaultBias, defaultWeight } from '../init';
import type { Rng } from '../../tensor/random';

/**
 * Conv2d's options: stride, padding, dilation, groups, whether it has a bias, and the generator
 * of its initial weights.
 */
export interface Conv2dLayerOptions extends Conv2dOptions {
  bias?: boolean;
  rng?: Rng;
}

/** A 2-D convolution layer with PyTorch's default initialisation. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly options: Conv2dOptions;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, options: Conv2dLayerOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`Conv2d: groups=${groups} must divide in_channels=${inChannels} and out_channels=${outChannels}`);
    }
    const fanIn = (inChannels / groups) * kernelSize * kernelSize;
    this.weight = this.registerParameter('weight', defaultWeight([outChannels, inChannels / groups, kernelSize, kernelSize], fanIn, options.rng));
    this.bias = options.bias === false ? null : this.registerParameter('bias', defaultBias(outChannels, fanIn, options.rng));
    this.options = { stride: options.stride, padding: options.padding, dilation: options.dilation, groups };
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }
}
