/** torch.nn.Linear: y = x·Wᵀ + b with weight [out, in], default initialisation. */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';
import { add } from '../../tensor/ops/elementwise';
import { matmul } from '../../tensor/ops/matmul';
import { transpose } from '../../tensor/ops/layout';
import { formatShape } from '../../tensor/shape';
import { defaultBias, defaultWeight } from '../init';
import type { Rng } from '../../tensor/random';

/** A fully connected layer, y = x W^T + b, with PyTorch's default initialisation. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean; rng?: Rng } = {}) {
    super();
    this.weight = this.registerParameter('weight', defaultWeight([outFeatures, inFeatures], inFeatures, options.rng));
    this.bias = options.bias === false ? null : this.registerParameter('bias', defaultBias(outFeatures, inFeatures, options.rng));
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new Error(`Linear: input ${formatShape(x.shape)} has ${x.shape[x.ndim - 1]} features, expected ${this.inFeatures}`);
    }
    const y = matmul(x, transpose(this.weight));
    return this.bias ? add(y, this.bias) : y;
  }
}
