/**
 * torch.nn.BatchNorm2d (eps 1e-5, momentum 0.1): learnable weight/bias, running statistics and
 * the int64 `num_batches_tracked` counter, incremented by every training forward. As in PyTorch,
 * `momentum = null` makes the running statistics the cumulative average of every batch since the
 * last `resetRunningStats()` (factor 1 / num_batches_tracked), what BatchNorm recalibration uses.
 */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';
import { IntTensor } from '../../tensor/int-tensor';
import { batchNorm } from '../../tensor/ops/normalization';
import { formatShape } from '../../tensor/shape';

/**
 * Batch normalization over N, H, W per channel, with running statistics for evaluation (as
 * PyTorch).
 */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: IntTensor;

  constructor(readonly numFeatures: number, readonly eps = 1e-5, public momentum: number | null = 0.1) {
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
    const momentum = this.momentum ?? 1 / this.numBatchesTracked.data[0];
    return batchNorm(x, this.weight, this.bias, this.runningMean, this.runningVar, { training: this.training, momentum, eps: this.eps });
  }

  /** Running mean 0, running variance 1, no batches tracked: torch's reset_running_stats. */
  resetRunningStats(): void {
    this.runningMean.data.fill(0);
    this.runningVar.data.fill(1);
    this.numBatchesTracked.data[0] = 0;
  }
}
