/**
 * The loss a BNext student trains on (paper Sec. 4.2 and Algorithm 1; docs/paper-map.md,
 * "Sec. 4"): with no teacher in use, cross-entropy with the labels; with teachers, the
 * gap-sensitive ensemble of the teachers in use this epoch (Eq. 4, ensemble.ts), without the
 * labels, as the official script distils. One definition for the single-thread trainer
 * (train/trainer.ts) and every data-parallel replica (parallel/replica.ts), so both compute the
 * same loss on the same batch.
 */
import type { Tensor } from '../tensor/tensor';
import type { IntTensor } from '../tensor/int-tensor';
import { crossEntropy } from '../nn/losses';
import { type EnsembleForm, gapSensitiveLoss } from './ensemble';
import type { Teacher, TeacherBatch } from './teacher';

export function studentLoss(logits: Tensor, labels: IntTensor, teachers: readonly Teacher[], batch: TeacherBatch, form: EnsembleForm): Tensor {
  if (teachers.length === 0) return crossEntropy(logits, labels);
  return gapSensitiveLoss(logits, teachers.map((t) => t.logits(batch)), form).loss;
}
