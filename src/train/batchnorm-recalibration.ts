/**
 * BatchNorm recalibration: replaces every BatchNorm's running statistics by their average over
 * given batches, computed with the final weights. It is torch.optim.swa_utils.update_bn: reset
 * the statistics, set momentum to None (a cumulative average), run the batches in training
 * mode without gradients, restore each momentum and the model's mode.
 *
 * Why the recipe needs it: the running statistics are an exponential average (momentum 0.1) of
 * the last few dozen training batches, taken while a binary network's weights still flip and on
 * shifted (augmented) digits, whereas held-out digits are centred. Only training images are
 * used. Its measured effect on the digits recipe is in docs/performance.md, "The digits recipe".
 */
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor/tensor';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { noGrad } from '../autograd/record';
import { Rng } from '../tensor/random';
import type { Dataset } from './dataset';

/** Recalibrates in place; returns how many BatchNorm layers were updated. */
export function recalibrateBatchNorm(model: Module, batches: Iterable<Tensor>): number {
  const norms: BatchNorm2d[] = [];
  for (const [, m] of model.namedModules()) if (m instanceof BatchNorm2d) norms.push(m);
  if (norms.length === 0) return 0;
  const momenta = norms.map((bn) => bn.momentum);
  const wasTraining = model.training;
  for (const bn of norms) {
    bn.resetRunningStats();
    bn.momentum = null;
  }
  model.train();
  try {
    noGrad(() => {
      for (const x of batches) model.call(x);
    });
  } finally {
    norms.forEach((bn, i) => (bn.momentum = momenta[i]));
    model.train(wasTraining);
  }
  return norms.length;
}

/**
 * The batches of a recalibration on training data: `samples` images of `data` in a seeded random
 * order (so every class is in every batch), without augmentation, `batchSize` at a time. Lazy,
 * so only one batch is in memory.
 */
export function* recalibrationBatches(data: Dataset, samples: number, seed: number | string, batchSize = 256): Generator<Tensor> {
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`BatchNorm recalibration: samples must be a positive integer, got ${samples}`);
  const order = new Rng(`${seed}:batchnorm`).permutation(data.count).subarray(0, Math.min(samples, data.count));
  for (let start = 0; start < order.length; start += batchSize) {
    yield data.batch(order.subarray(start, Math.min(start + batchSize, order.length)), null).x;
  }
}
