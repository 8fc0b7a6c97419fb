/** Evaluation over a whole data set in batches: mean cross-entropy, top-1 and top-5 (percent). */
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor/tensor';
import type { IntTensor } from '../tensor/int-tensor';
import { noGrad } from '../autograd/record';
import { crossEntropy } from '../nn/losses';
import type { Dataset } from './dataset';
import { BATCH_SIZE, checkNumber } from '../tensor/arguments';
import { addBatch, emptyMetrics, type EpochMetrics, type RunningMetrics, summarize } from './metrics';

/** Anything that maps a batch to logits: a float model, or the packed XNOR engine. */
export type Classifier = (x: Tensor) => Tensor;

/** Runs `visit` on the whole data set, unaugmented, in order, `batchSize` samples at a time. */
function forEachBatch(data: Dataset, batchSize: number, visit: (x: Tensor, y: IntTensor, start: number) => void): void {
  checkNumber(batchSize, 'evaluate: batchSize', BATCH_SIZE);
  for (let start = 0; start < data.count; start += batchSize) {
    const idx = new Int32Array(Math.min(batchSize, data.count - start));
    for (let i = 0; i < idx.length; i++) idx[i] = start + i;
    const { x, y } = data.batch(idx, null);
    visit(x, y, start);
  }
}

/** Refuses NaN or infinite logits (metrics.ts NonFiniteLogitsError), naming the data set. */
function score(m: RunningMetrics, logits: Tensor, y: IntTensor, data: Dataset): void {
  addBatch(m, logits, y, noGrad(() => crossEntropy(logits, y)).item(), data.name);
}

/**
 * Mean loss, top-1 and top-5 of `run` on the whole data set. Throws NonFiniteLogitsError when the
 * model gives a NaN or infinite logit: such a model has no accuracy (docs/metrics.md).
 */
export function evaluate(run: Classifier, data: Dataset, batchSize = 256): EpochMetrics {
  const m = emptyMetrics();
  forEachBatch(data, batchSize, (x, y) => score(m, run(x), y, data));
  return summarize(m);
}

/**
 * `evaluate` with the batches' logits computed elsewhere, all batches at once (the trainer's
 * worker threads, DataParallel.predict): the same batches in, the same metrics out.
 */
export async function evaluateBatches(predict: (batches: Tensor[]) => Promise<Tensor[]>, data: Dataset, batchSize = 256): Promise<EpochMetrics> {
  const xs: Tensor[] = [];
  const ys: IntTensor[] = [];
  forEachBatch(data, batchSize, (x, y) => {
    xs.push(x);
    ys.push(y);
  });
  const logits = await predict(xs);
  const m = emptyMetrics();
  ys.forEach((y, k) => score(m, logits[k], y, data));
  return summarize(m);
}

/** The logits of every sample, unaugmented, as [data.count, classes] row-major. */
export function predictLogits(run: Classifier, data: Dataset, batchSize = 256): Float32Array {
  const out = new Float32Array(data.count * data.numClasses);
  forEachBatch(data, batchSize, (x, _y, start) => {
    const logits = run(x);
    if (logits.size !== x.shape[0] * data.numClasses) throw new Error(`predictLogits: ${data.name}: expected ${data.numClasses} logits per sample, got shape [${logits.shape.join(', ')}]`);
    out.set(logits.data, start * data.numClasses);
  });
  return out;
}

/** A float model in evaluation mode as a classifier. */
export function floatClassifier(model: Module): Classifier {
  return (x) => {
    model.eval();
    return noGrad(() => model.call(x));
  };
}
