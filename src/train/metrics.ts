/**
 * Accuracy bookkeeping: top-k hits of a batch, and running sums over an epoch. The conventions,
 * ties and non-finite logits among them, are docs/metrics.md's.
 */
import type { Tensor } from '../tensor/tensor';
import type { IntTensor } from '../tensor/int-tensor';

/**
 * Logits that are NaN or infinite: no class ranking (and no loss) can be read from them, so
 * accuracy is refused rather than scored (docs/metrics.md "Non-finite logits").
 */
export class NonFiniteLogitsError extends Error {
  constructor(readonly sample: number, readonly classIndex: number, readonly value: number, context: string) {
    super(`${context}: the logits of sample ${sample} are not finite (class ${classIndex} is ${value}); the model's weights or its input hold NaN or infinite values, so its accuracy is undefined`);
  }
}

/**
 * How many rows of logits [N, C] have their target among the k largest logits. A class that ties
 * with the target counts as ranked above it: the target is a hit only when it is in the top k
 * whatever order the ties take, because PyTorch's `topk` leaves that order unspecified
 * (docs/metrics.md "Ties"). So a classifier whose logits are all equal scores 0, not 100%.
 */
export function topKHits(logits: Tensor, target: IntTensor, k: number): number {
  const [n, c] = logits.shape;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const row = i * c;
    const t = target.data[i];
    const value = logits.data[row + t];
    let ahead = 0;
    for (let j = 0; j < c; j++) if (j !== t && logits.data[row + j] >= value) ahead++;
    if (ahead < k) hits++;
  }
  return hits;
}

/** Throws NonFiniteLogitsError for the first NaN or infinite logit; `first` numbers the batch's first sample. */
export function checkFiniteLogits(logits: Tensor, context: string, first = 0): void {
  const c = logits.shape[1];
  const d = logits.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new NonFiniteLogitsError(first + Math.floor(i / c), i % c, d[i], context);
  }
}

/** Sums of loss (per sample) and top-1/top-5 hits, as JSON for checkpoints. */
export interface RunningMetrics {
  samples: number;
  lossSum: number;
  top1: number;
  top5: number;
}

export function emptyMetrics(): RunningMetrics {
  return { samples: 0, lossSum: 0, top1: 0, top5: 0 };
}

/**
 * Adds a batch's hits and mean loss. Logits with a NaN or infinite value are refused
 * (NonFiniteLogitsError, naming `context` and the sample, counted from the samples seen so far).
 */
export function addBatch(m: RunningMetrics, logits: Tensor, target: IntTensor, meanLoss: number, context = 'accuracy'): void {
  checkFiniteLogits(logits, context, m.samples);
  const n = logits.shape[0];
  m.samples += n;
  m.lossSum += meanLoss * n;
  m.top1 += topKHits(logits, target, 1);
  m.top5 += topKHits(logits, target, Math.min(5, logits.shape[1]));
}

/** Mean cross-entropy and top-1/top-5 accuracy in percent. */
export interface EpochMetrics {
  loss: number;
  top1: number;
  top5: number;
}

/** Means over the samples seen; accuracies in percent. */
export function summarize(m: RunningMetrics): EpochMetrics {
  const n = Math.max(1, m.samples);
  return { loss: m.lossSum / n, top1: (100 * m.top1) / n, top5: (100 * m.top5) / n };
}
