/**
 * Batch normalisation against PyTorch's F.batch_norm (fixtures/ops/normalization.safetensors), in
 * training (batch statistics; the running statistics are updated in place with the unbiased
 * variance) and evaluation (running statistics), on 2-D, 3-D and 4-D inputs.
 *
 * Tolerance (rule in spec/helpers/golden.ts): forward, updated running statistics and the gradients
 * of input, weight and bias `scale` 1e-5 (per-channel sums over batch and pixels).
 */
import * as T from '../../../src/tensor/ops/index';
import { asFloat, bool, describeGolden, num, REDUCTION } from '../../helpers/golden';

describeGolden('normalization', {
  batchNorm: {
    run: ([x, w, b, rm, rv], kw) => T.batchNorm(asFloat(x, 'x'), asFloat(w, 'weight'), asFloat(b, 'bias'), asFloat(rm, 'running mean'), asFloat(rv, 'running var'), {
      training: bool(kw, 'training'), momentum: num(kw, 'momentum'), eps: num(kw, 'eps'),
    }),
    forward: REDUCTION,
  },
});
