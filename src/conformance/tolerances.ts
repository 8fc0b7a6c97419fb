/**
 * The tolerances of the bundle's outputs and why each is what it is (docs/golden-testing.md,
 * "Tolerances"). Float32 has a 24-bit significand: one rounding is a relative error of at most
 * 2^-24 (about 6e-8), and a sum of n terms computed in another order differs by up to about
 * n·2^-24 of the sum of the terms' magnitudes.
 */
import type { Tolerance } from './manifest';

const tol = (atol: number, rtol: number, atolOfMax: number, why: string): Tolerance => ({ atol, rtol, atolOfMax, why });

/** Integers, signs, bits, and values made by one correctly rounded float32 operation per step. */
export const EXACT = tol(0, 0, 0, 'exact: integers, signs and bits, or a fixed sequence of correctly rounded float32 operations (IEEE 754), which every correct backend reproduces bit for bit');

/** The official binary activation's (sign - r) + r, within a few ULPs of +-1. */
export const SIGN_FORMATION = tol(2 ** -21, 0, 0, 'the official binary activation forms its value as (sign - r) + r in float32, which may land a few ULPs from +-1; exact +-1 is as right (the XNOR engine uses it)');

/** Elementwise float32 ops: a few roundings of an O(1) value. */
export const ELEMENTWISE = tol(1e-6, 1e-6, 0, 'elementwise float32 arithmetic: a few roundings (2^-24 each) of O(1) values, in whatever order a backend evaluates them');

/** Softmax, losses and their gradients: sums over a row. */
export const REDUCTION = tol(1e-7, 1e-6, 1e-5, 'sums over classes or a batch (softmax, log-sum-exp, means) in another order: errors scale with the largest term, so 1e-5 of the largest magnitude');

/** A layer's forward and backward: convolutions, BatchNorm statistics, pooling. */
export const LAYER = tol(1e-6, 1e-5, 2e-5, 'convolutions, BatchNorm batch statistics and pooling sum hundreds of float32 terms in an order the backend chooses; gradients also sum over the batch: 2e-5 of the largest magnitude');

/** A unit's or block's gradients in training mode: BatchNorm's batch statistics cancel terms. */
export const UNIT_GRADIENTS = tol(1e-6, 1e-4, 1e-4, 'gradients through training-mode BatchNorm are differences of nearly equal sums (the batch mean and variance terms cancel), so float32 summation order shows at 1e-4 of the largest magnitude');

/** A whole model: errors of every layer compound, training-mode BatchNorm amplifies them. */
export const MODEL = tol(1e-6, 1e-4, 1e-4, 'a whole network compounds each layer\'s float32 summation error, and training-mode BatchNorm divides by batch standard deviations: 1e-4 of the largest magnitude (as the float64-checked PyTorch goldens)');

/** AdamW and clipping: per-element arithmetic of a few operations, sqrt and division included. */
export const OPTIMIZER = tol(1e-9, 2e-6, 0, 'per-element AdamW arithmetic (products, sqrt, division; PyTorch rounds after each and fuses some into multiply-adds): a few float32 roundings of each value');

/** One whole training step: an AdamW update that is about lr·sign(g) on the first step. */
export const TRAIN_STEP = tol(1e-6, 1e-5, 1e-4, 'the state after forward, backward, clipping and one AdamW step: the weights move by about lr·sign(gradient), so gradient errors of the whole model show through the moments; 1e-4 of the largest magnitude');

/** Float64 schedules. */
export const DOUBLE = tol(0, 1e-12, 0, 'float64 arithmetic (cos, products) in another order: a few double roundings');
