/**
 * The loss a BNext student trains on (paper Sec. 4.2 and Algorithm 1; docs/paper-map.md,
 * "Sec. 4"): with no teacher in use, cross-entropy with the labels; with teachers, the
 * gap-sensitive ensemble of the teachers in use this epoch (Eq. 4, ensemble.ts), without the
 * labels, as the official script distils. One definition for the single-thread trainer
 * (train/trainer.ts), every data-parallel replica (parallel/replica.ts) and the conformance
 * kit's training step (conformance/train-step.ts), so all compute the same loss on a batch.
 */
import type { Tensor } from '../tensor/tensor';
import type { IntTensor } from '../tensor/int-tensor';
import { crossEntropy } from '../nn/losses';
import { type EnsembleForm, gapSensitiveLoss } from './ensemble';

/** The loss of the student's logits, given the labels and the logits of the teachers in use (maybe none). */
export function studentLoss(logits: Tensor, labels: IntTensor, teacherLogits: readonly Tensor[], form: EnsembleForm): Tensor {
  if (teacherLogits.length === 0) return crossEntropy(logits, labels);
  return gapSensitiveLoss(logits, teacherLogits, form).loss;
}
