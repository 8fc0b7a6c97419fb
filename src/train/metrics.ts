/** Accuracy bookkeeping: top-k hits of a batch, and running sums over an epoch. */
import type { Tensor } from '../tensor/tensor';
import type { IntTensor } from '../tensor/int-tensor';

/** How many rows of logits [N, C] have their target among the k largest logits. */
export function topKHits(logits: Tensor, target: IntTensor, k: number): number {
  const [n, c] = logits.shape;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const row = i * c;
    const t = logits.data[row + target.data[i]];
    // The target is in the top k when fewer than k classes beat it (ties count for the target).
    let better = 0;
    for (let j = 0; j < c; j++) if (logits.data[row + j] > t) better++;
    if (better < k) hits++;
  }
  return hits;
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

export function addBatch(m: RunningMetrics, logits: Tensor, target: IntTensor, meanLoss: number): void {
  const n = logits.shape[0];
  m.samples += n;
  m.lossSum += meanLoss * n;
  m.top1 += topKHits(logits, target, 1);
  m.top5 += topKHits(logits, target, Math.min(5, logits.shape[1]));
}

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
