/**
 * Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ (PyTorch 1.13, 2-norm):
 * the total norm is the 2-norm of all gradients concatenated; every gradient is multiplied by
 * min(1, maxNorm / (total + 1e-6)). The official script clips at 5 after each backward
 * (docs/paper-map.md, "Gradient clipping").
 *
 * Parameters without a gradient are ignored. A non-finite total is not an error (PyTorch's
 * default `error_if_nonfinite=False`): the gradients are scaled by the resulting NaN/0 as there.
 */
import type { Tensor } from '../tensor/tensor';

/** The script's clipping threshold. */
export const BNEXT_MAX_GRAD_NORM = 5;

/** Clips the gradients in place; returns the total norm before clipping (0 when none has a gradient). */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  const grads: Float32Array[] = [];
  for (const p of params) if (p.grad) grads.push(p.grad.data);
  if (grads.length === 0) return 0;
  // Summed in float64 (PyTorch sums each tensor in float32, then the per-tensor norms): the same
  // value to a float32 rounding, and independent of how the gradients are split into tensors.
  let squares = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
  const total = Math.fround(Math.sqrt(squares));
  const coefficient = Math.min(Math.fround(maxNorm / Math.fround(total + 1e-6)), 1);
  if (coefficient !== 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coefficient;
  return total;
}
