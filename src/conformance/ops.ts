/**
 * The ops a conformance bundle may name (docs/golden-testing.md, "Cases"), each with what a
 * backend computes from the case's inputs. A manifest naming any other op is refused: a reader
 * cannot check a case whose meaning it does not know.
 */
export interface OpInfo {
  name: string;
  summary: string;
}

export const OPS: readonly OpInfo[] = [
  { name: 'sign', summary: 'y = sign(x) with sign(0) = 0 (float32)' },
  { name: 'sign_ste_grad', summary: 'dx = dy where -clip <= x <= clip, else 0: the straight-through gradient of the binary activation' },
  { name: 'pack_activations', summary: 'NCHW float signs to NHWC int32 words: bit c%32 of word c/32, bit 1 = negative, tail bits 0' },
  { name: 'pack_weights', summary: '[Cout, Cin, k, k] float signs to [Cout, k, k, ceil(Cin/32)] int32 words, the same bit convention' },
  { name: 'xnor_conv2d', summary: 'conv2d(sign(x), sign(w)), zero padding k//2, as exact integers (int32)' },
  { name: 'binarize_weight', summary: 'progressive binarization: clamp(w / max(t, 1e-8), -1, 1), or sign(w) when t < threshold; in training (b - w) + w in float32' },
  { name: 'quantize_activation', summary: 'paper Eq. 5: per-row asymmetric min-max fake quantization to n bits after clipping' },
  { name: 'quantize_weight', summary: 'paper Eq. 6: per-output-channel scaled weights, Eq. 5 per group, rescaled' },
  { name: 'cross_entropy', summary: 'mean cross-entropy of logits against class indices (optional label smoothing) and its gradient' },
  { name: 'distribution_loss', summary: 'batch mean of -sum softmax(teacher) * log_softmax(student) and its gradient' },
  { name: 'gap_ensemble_loss', summary: 'paper Eq. 4: the gap-sensitive ensemble of teachers: weights, loss and gradient' },
  { name: 'lr_schedule', summary: 'the warm-up cosine learning rate at each epoch (float64)' },
  { name: 'temperature_schedule', summary: 'the float32 temperature of progressive binarization at each epoch (1, times 0.9 per epoch)' },
  { name: 'clip_grad_norm', summary: 'gradients scaled by min(1, max_norm / (total 2-norm + 1e-6)), and the total norm' },
  { name: 'adamw_step', summary: 'one AdamW step of named parameters in the official parameter groups' },
  { name: 'layer', summary: 'one layer or unit (official module and state_dict names): forward with upstream gradient dy, gradients, state after' },
  { name: 'model_forward', summary: 'a whole model in evaluation mode: logits and every module\'s output' },
  { name: 'model_backward', summary: 'a whole model in training mode with the mean cross-entropy: logits, loss, every module\'s output, every gradient, the state after' },
  { name: 'packed_model_forward', summary: 'a .bnx packed model in evaluation mode: logits' },
  { name: 'train_step', summary: 'one training step: forward, loss, backward, gradient clipping, AdamW at the schedule\'s learning rate: the loss and the state after' },
];

export const OP_NAMES: readonly string[] = OPS.map((o) => o.name);
