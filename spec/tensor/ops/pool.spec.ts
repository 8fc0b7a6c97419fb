/**
 * Pooling against PyTorch (fixtures/ops/pool.safetensors): average pooling (with and without
 * counting padded zeros), max pooling (padding, non-square kernels and strides, overlapping
 * windows, ties: the first maximal element in row-major order wins in both), adaptive average
 * pooling (divisible and non-divisible bins, output larger than input).
 *
 * Tolerances (rules in spec/helpers/golden.ts): average pools `scale` 1e-5 (window sums); max
 * pooling forward exact (it selects), its gradient `scale` 1e-5 (overlapping windows add
 * gradients into one element).
 */
import * as T from '../../../src/tensor/ops/index';
import { asFloat, bool, describeGolden, EXACT, pairArg, REDUCTION } from '../../helpers/golden';

describeGolden('pool', {
  avgPool2d: {
    run: ([x], kw) => T.avgPool2d(asFloat(x, 'x'), pairArg(kw, 'kernel'), {
      stride: pairArg(kw, 'stride'), padding: pairArg(kw, 'padding'), countIncludePad: bool(kw, 'countIncludePad'),
    }),
    forward: REDUCTION,
  },
  maxPool2d: {
    run: ([x], kw) => T.maxPool2d(asFloat(x, 'x'), pairArg(kw, 'kernel'), { stride: pairArg(kw, 'stride'), padding: pairArg(kw, 'padding') }),
    forward: EXACT,
    grad: REDUCTION,
  },
  adaptiveAvgPool2d: { run: ([x], kw) => T.adaptiveAvgPool2d(asFloat(x, 'x'), pairArg(kw, 'outputSize')), forward: REDUCTION },
});
