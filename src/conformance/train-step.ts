/**
 * One training step as the official script takes it (docs/paper-map.md, "Sec. 5.1";
 * docs/golden-testing.md, "Training steps"): forward in training mode, the loss (cross-entropy, or
 * with teachers the gap-sensitive distillation loss of paper Eq. 4), backward, gradient clipping by
 * global norm, and an AdamW step over the recipe's two parameter groups at the schedule's learning
 * rate. `bnext step` and the bundle's train_step cases run it.
 */
import { backward } from '../autograd/graph';
import type { EnsembleForm } from '../distill/ensemble';
import { studentLoss } from '../distill/student-loss';
import type { Module } from '../nn/module';
import { AdamW } from '../optim/adamw';
import { clipGradNorm } from '../optim/clip';
import { bnextSchedule, cosineLr } from '../optim/lr-schedule';
import { bnextParamGroups } from '../optim/param-groups';
import type { Tensor } from '../tensor/tensor';
import type { IntTensor } from '../tensor/int-tensor';

/**
 * A training step's settings: the learning rate of an epoch of the recipe's schedule, AdamW's
 * betas and eps, clipping, the ensemble form.
 */
export interface StepSettings {
  /** The base learning rate the schedule scales (the recipe's 1e-3). */
  baseLr: number;
  /** The epoch whose learning rate the step uses, of a run of `epochs` epochs (5 of warm-up). */
  epoch: number;
  epochs: number;
  betas: [number, number];
  eps: number;
  /** Clip gradients to this global 2-norm (the script's 5); null: no clipping. */
  maxNorm: number | null;
  /** How the teachers' losses combine when there are teachers. */
  ensemble: EnsembleForm;
}

export const DEFAULT_STEP: Readonly<StepSettings> = { baseLr: 1e-3, epoch: 0, epochs: 20, betas: [0.99, 0.999], eps: 1e-8, maxNorm: 5, ensemble: 'script' };

/** The schedule's learning rate for the settings' epoch. */
export function stepLr(s: StepSettings): number {
  return cosineLr(s.epoch, s.baseLr, bnextSchedule(s.epochs));
}

/** An AdamW over the recipe's parameter groups at the settings' learning rate. */
export function recipeOptimizer(model: Module, s: StepSettings): AdamW {
  return new AdamW(bnextParamGroups(model, { lr: stepLr(s), betas: s.betas, eps: s.eps }));
}

/** What `trainStep` returns: the loss and the gradients' norm before clipping. */
export interface StepResult {
  loss: number;
  /** The gradients' global 2-norm before clipping (null without clipping). */
  totalNorm: number | null;
}

/**
 * One step on a batch. `teachers` (logits [N, classes]) switch the loss from cross-entropy
 * against `target` to distillation, as in the script (the target is then not used).
 */
export function trainStep(model: Module, optimizer: AdamW, x: Tensor, target: IntTensor, teachers: readonly Tensor[], s: StepSettings): StepResult {
  model.train();
  optimizer.zeroGrad(true);
  const logits = model.call(x);
  const loss = studentLoss(logits, target, teachers, s.ensemble);
  backward(loss);
  const totalNorm = s.maxNorm === null ? null : clipGradNorm(model.parameters(), s.maxNorm);
  optimizer.step();
  return { loss: loss.item(), totalNorm };
}
