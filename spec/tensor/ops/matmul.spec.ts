/**
 * Batched matmul against PyTorch (fixtures/ops/matmul.safetensors): 2-D, batched, broadcast
 * batch dims (including a 2-D operand against a 3-D one), size-1 M/N/K and odd sizes.
 *
 * Tolerance (rule in spec/helpers/golden.ts): forward and both gradients `scale` 1e-5 (GEMM sums
 * K products in a different order from PyTorch's; the gradient of a broadcast operand also sums
 * over the batch).
 */
import * as T from '../../../src/tensor/ops/index';
import { asFloat, describeGolden, REDUCTION } from '../../helpers/golden';

describeGolden('matmul', {
  matmul: { run: ([a, b]) => T.matmul(asFloat(a, 'a'), asFloat(b, 'b')), forward: REDUCTION },
});
