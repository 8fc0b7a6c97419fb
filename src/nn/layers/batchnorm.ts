/**
 * torch.nn.BatchNorm2d (eps 1e-5, momentum 0.1): learnable weight/bias, running statistics and
 * the int64 `num_batches_tracked` counter, incremented by every training forward.
 */
import { Module } from '../module';
import { IntTensor, Tensor } from '../../tensor/tensor';
import { batchNorm } from '../../tensor/ops/normalization';
import { formatShape } from '../../tensor/shape';

export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: IntTensor;

  constructor(readonly numFeatures: number, readonly eps = 1e-5, readonly momentum = 0.1) {
    super();
    this.weight = this.registerParameter('weight', new Tensor(new Float32Array(numFeatures).fill(1), [numFeatures]));
    this.bias = this.registerParameter('bias', new Tensor(new Float32Array(numFeatures), [numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', new Tensor(new Float32Array(numFeatures), [numFeatures]));
    this.runningVar = this.registerBuffer('running_var', new Tensor(new Float32Array(numFeatures).fill(1), [numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', new IntTensor(new Int32Array(1), []));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new Error(`BatchNorm2d: expected input [N, ${this.numFeatures}, H, W], got ${formatShape(x.shape)}`);
    }
    if (this.training) this.numBatchesTracked.data[0] += 1;
    return batchNorm(x, this.weight, this.bias, this.runningMean, this.runningVar, { training: this.training, momentum: this.momentum, eps: this.eps });
  }
}
