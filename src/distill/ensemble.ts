/**
 * The gap-sensitive knowledge ensemble (paper Sec. 4.2, Eq. 4; docs/paper-map.md, "The ensemble's
 * form"), as the official script computes it.
 *
 * With teachers [assistant, strong] (in that order, as the script lists them), for each sample b
 * and teacher i let g_bi = -sum_c softmax(t_i)_bc * log_softmax(s)_bc, the soft-target
 * cross-entropy between the student and teacher i (the per-sample distribution loss). The weights
 * alpha_b = softmax_i(g_b) are treated as constants (detached): the teacher farther from the
 * student weighs more. Two readings of the loss:
 *
 *   - 'script' (default): (1/n) * sum_i KD_i * mean_b(alpha_bi), KD_i the batch-mean distribution
 *     loss of teacher i and n the number of teachers. This is what the script's
 *     mean(sum_i KD_i * alpha[:, i] / n) reduces to, KD_i being a scalar there.
 *   - 'per-sample': mean_b sum_i alpha_bi * g_bi, the paper's Eq. 4 applied per sample (the
 *     weights sum to one, so there is no 1/n: it is twice the script's scale with two teachers).
 *
 * With a single teacher there is no ensemble: the script replaces the weights by the constant
 * 0.5, so the loss is 0.5 * KD in both forms. (The script enables the ensemble exactly when it
 * has two teachers; with more, this module applies the same softmax over all of them.)
 */
import { Tensor } from '../tensor/tensor';
import { add, mul } from '../tensor/ops/elementwise';
import { mean } from '../tensor/ops/reduce';
import { distributionLoss } from '../nn/losses';

/**
 * How the gap-sensitive ensemble weighs teachers: 'script' (the official script's batch form) or
 * 'per-sample' (Eq. 4 per sample).
 */
export type EnsembleForm = 'script' | 'per-sample';
/** Every `EnsembleForm`. */
export const ENSEMBLE_FORMS: readonly EnsembleForm[] = ['script', 'per-sample'];

/** The weight of a lone teacher in the script. */
export const SINGLE_TEACHER_WEIGHT = 0.5;

/** `gapSensitiveLoss`'s result. */
export interface DistillationLoss {
  /** The scalar loss, differentiable with respect to the student logits. */
  loss: Tensor;
  /** alpha as [N, T] row-major: the weight of teacher i for sample b at b * T + i. */
  weights: Float32Array;
  /** Batch mean of each teacher's weight (the script logs the assistant's, the first). */
  meanWeights: number[];
  /** Each teacher's batch-mean distribution loss KD_i. */
  teacherLosses: number[];
}

/**
 * alpha = softmax over teachers of the gaps, per sample; `gaps[i]` holds teacher i's g for
 * the N samples. Returns [N, T] row-major.
 */
export function gapWeights(gaps: readonly Float32Array[]): Float32Array {
  const t = gaps.length;
  const n = t > 0 ? gaps[0].length : 0;
  const out = new Float32Array(n * t);
  for (let b = 0; b < n; b++) {
    let max = -Infinity;
    for (let i = 0; i < t; i++) if (gaps[i][b] > max) max = gaps[i][b];
    let total = 0;
    for (let i = 0; i < t; i++) total += Math.exp(gaps[i][b] - max);
    for (let i = 0; i < t; i++) out[b * t + i] = Math.exp(gaps[i][b] - max) / total;
  }
  return out;
}

/** The distillation loss of a student against one or more teachers' logits, all [N, C]. */
export function gapSensitiveLoss(student: Tensor, teachers: readonly Tensor[], form: EnsembleForm = 'script'): DistillationLoss {
  if (teachers.length === 0) throw new Error('gapSensitiveLoss: needs at least one teacher');
  if (!ENSEMBLE_FORMS.includes(form)) throw new Error(`gapSensitiveLoss: unknown form '${form}' (expected ${ENSEMBLE_FORMS.join(' or ')})`);
  const t = teachers.length;
  const perSample = teachers.map((teacher) => distributionLoss(student, teacher, 'none'));
  const n = perSample[0].size;
  const weights = t === 1 ? new Float32Array(n).fill(SINGLE_TEACHER_WEIGHT) : gapWeights(perSample.map((g) => g.data));
  const meanWeights = teachers.map((_, i) => {
    let sum = 0;
    for (let b = 0; b < n; b++) sum += weights[b * t + i];
    return sum / n;
  });
  const kd = perSample.map((g) => mean(g));
  let loss: Tensor;
  if (form === 'script' || t === 1) {
    loss = mul(kd[0], meanWeights[0] / t);
    for (let i = 1; i < t; i++) loss = add(loss, mul(kd[i], meanWeights[i] / t));
  } else {
    const column = (i: number): Tensor => {
      const w = new Float32Array(n);
      for (let b = 0; b < n; b++) w[b] = weights[b * t + i];
      return new Tensor(w, [n]);
    };
    let weighted = mul(perSample[0], column(0));
    for (let i = 1; i < t; i++) weighted = add(weighted, mul(perSample[i], column(i)));
    loss = mean(weighted);
  }
  return { loss, weights, meanWeights, teacherLosses: kd.map((k) => k.item()) };
}
