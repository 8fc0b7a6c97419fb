/** torch.nn.PReLU: one learnable negative slope per channel (init 0.25 unless given). */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';
import { prelu } from '../../tensor/ops/activation';

/** PReLU with one learned slope per channel (or one shared). */
export class PReLU extends Module {
  readonly weight: Tensor;

  constructor(readonly numParameters = 1, init = 0.25) {
    super();
    this.weight = this.registerParameter('weight', new Tensor(new Float32Array(numParameters).fill(init), [numParameters]));
  }

  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
}
