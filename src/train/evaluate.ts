/** Evaluation over a whole data set in batches: mean cross-entropy, top-1 and top-5 (percent). */
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor/tensor';
import { noGrad } from '../autograd/graph';
import { crossEntropy } from '../nn/losses';
import type { Dataset } from './dataset';
import { addBatch, emptyMetrics, type EpochMetrics, summarize } from './metrics';

/** Anything that maps a batch to logits: a float model, or the packed XNOR engine. */
export type Classifier = (x: Tensor) => Tensor;

export function evaluate(run: Classifier, data: Dataset, batchSize = 256): EpochMetrics {
  const m = emptyMetrics();
  for (let start = 0; start < data.count; start += batchSize) {
    const idx = new Int32Array(Math.min(batchSize, data.count - start));
    for (let i = 0; i < idx.length; i++) idx[i] = start + i;
    const { x, y } = data.batch(idx, null);
    const logits = run(x);
    addBatch(m, logits, y, noGrad(() => crossEntropy(logits, y)).item());
  }
  return summarize(m);
}

/** A float model in evaluation mode as a classifier. */
export function floatClassifier(model: Module): Classifier {
  return (x) => {
    model.eval();
    return noGrad(() => model.call(x));
  };
}
