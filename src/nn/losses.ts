/**
 * Losses, as torch.nn.functional defines them: cross-entropy (class indices or probability
 * targets, optional label smoothing), the distillation "distribution loss" of the official
 * training script (docs/paper-map.md, "The ensemble's form"), and mean squared error.
 */
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import { add, mul, neg, sub } from '../tensor/ops/elementwise';
import { mean, sum } from '../tensor/ops/reduce';
import { gather, reshape } from '../tensor/ops/layout';
import { logSoftmax, softmax } from '../tensor/ops/activation';

/** How a loss reduces over the batch: 'mean', 'sum', or 'none' (one value per sample). */
export type Reduction = 'mean' | 'sum' | 'none';

function reduce(perSample: Tensor, reduction: Reduction): Tensor {
  return reduction === 'mean' ? mean(perSample) : reduction === 'sum' ? sum(perSample) : perSample;
}

/** `crossEntropy`'s options, as torch.nn.functional.cross_entropy's. */
export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** ε in [0, 1]: the target becomes (1 - ε)·target + ε/C, as in torch. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, C] against class indices [N] or probabilities [N, C].
 * Per sample: -Σ_c q_c log softmax(x)_c with q the (smoothed) target distribution.
 */
export function crossEntropy(logits: Tensor, target: IntTensor | Tensor, options: CrossEntropyOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  const eps = options.labelSmoothing ?? 0;
  if (logits.ndim !== 2) throw new Error(`crossEntropy: logits must be [N, C], got shape ${formatShape(logits.shape)}`);
  if (eps < 0 || eps > 1) throw new Error(`crossEntropy: label smoothing ${eps} must be in [0, 1]`);
  const [n, c] = logits.shape;
  const logp = logSoftmax(logits, 1);
  if (target instanceof IntTensor) {
    if (target.shape.length !== 1 || target.shape[0] !== n) {
      throw new Error(`crossEntropy: class-index target must be [${n}], got shape ${formatShape(target.shape)}`);
    }
    for (const t of target.data) {
      if (t < 0 || t >= c) throw new Error(`crossEntropy: target class ${t} is out of range for ${c} classes`);
    }
    const picked = reshape(gather(logp, 1, new IntTensor(target.data, [n, 1])), [n]);
    let perSample = neg(picked);
    if (eps > 0) {
      // torch: (1-ε)·nll + ε·mean over classes of -log p
      perSample = add(mul(perSample, 1 - eps), mul(neg(mean(logp, 1)), eps));
    }
    return reduce(perSample, reduction);
  }
  if (target.ndim !== 2 || target.shape[0] !== n || target.shape[1] !== c) {
    throw new Error(`crossEntropy: probability target must be ${formatShape(logits.shape)}, got ${formatShape(target.shape)}`);
  }
  const q = eps > 0 ? add(mul(target, 1 - eps), eps / c) : target;
  return reduce(neg(sum(mul(q, logp), 1)), reduction);
}

/**
 * The distillation loss of one teacher: batch mean of -Σ softmax(teacher)·log_softmax(student).
 * The teacher is treated as a constant (its logits are detached). Same gradient as KL divergence.
 */
export function distributionLoss(studentLogits: Tensor, teacherLogits: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (studentLogits.ndim !== 2 || teacherLogits.ndim !== 2 || studentLogits.shape[0] !== teacherLogits.shape[0] || studentLogits.shape[1] !== teacherLogits.shape[1]) {
    throw new Error(`distributionLoss: student ${formatShape(studentLogits.shape)} and teacher ${formatShape(teacherLogits.shape)} logits must both be [N, C]`);
  }
  const q = softmax(teacherLogits.detach(), 1);
  return reduce(neg(sum(mul(q, logSoftmax(studentLogits, 1)), 1)), reduction);
}

/** Mean squared error (or summed / per element). */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (!shapesEqual(input.shape, target.shape)) {
    throw new Error(`mseLoss: input ${formatShape(input.shape)} and target ${formatShape(target.shape)} differ in shape`);
  }
  const d = sub(input, target);
  return reduce(mul(d, d), reduction);
}
