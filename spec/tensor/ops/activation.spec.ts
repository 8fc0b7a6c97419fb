/**
 * PReLU, softmax and log-softmax against PyTorch (fixtures/ops/activation.safetensors): per-channel
 * and shared PReLU weights on 2-D, 3-D and 4-D inputs; softmax over every dim (negative too), a
 * size-1 softmax dim, and large logits (x30) that overflow exp without the max shift.
 *
 * Tolerances (rules in spec/helpers/golden.ts): PReLU forward and input gradient `elementwise`
 * 1e-6, its weight gradient (a sum over batch and pixels) `scale` 1e-5; softmax and log-softmax
 * forward and gradient `scale` 1e-5 (sums along the dim).
 */
import * as T from '../../../src/tensor/ops/index';
import { asFloat, describeGolden, ELEMENTWISE, num, REDUCTION } from '../../helpers/golden';

describeGolden('activation', {
  prelu: { run: ([x, w]) => T.prelu(asFloat(x, 'x'), asFloat(w, 'weight')), forward: ELEMENTWISE, broadcastGrad: REDUCTION },
  softmax: { run: ([x], kw) => T.softmax(asFloat(x, 'x'), num(kw, 'dim')), forward: REDUCTION },
  logSoftmax: { run: ([x], kw) => T.logSoftmax(asFloat(x, 'x'), num(kw, 'dim')), forward: REDUCTION },
});
