/**
 * The blocked GEMM (gemm.ts) against the triple loop of reference/gemm.ts: sizes around the
 * micro-tile (8) and across the depth block (256), all four transposes, with and without
 * accumulation, each element within FLOAT_ROUNDINGS roundings of the magnitude it sums.
 */
import { expect } from 'chai';
import { Rng } from '../../../../src/tensor/random';
import { sgemm } from '../../../../src/tensor/kernels/gemm';
import { type MatrixRef, sgemmReference } from '../../../../src/tensor/kernels/reference/gemm';
import { withKernels } from '../../../../src/tensor/kernels/kernel-choice';
import { absolute, FLOAT_ROUNDINGS, gridValues, RoundingMeter } from '../../../helpers/kernel-grid';

/** op(X) [rows x cols] stored at an offset, with a padded leading dimension, transposed when asked. */
function operand(rng: Rng, rows: number, cols: number, trans: boolean, zeros: number): MatrixRef {
  const ld = (trans ? rows : cols) + 2;
  return { data: gridValues(rng, 3 + (trans ? cols : rows) * ld, zeros), offset: 3, ld, trans };
}

const absOf = (m: MatrixRef): MatrixRef => ({ ...m, data: absolute(m.data) });

describe('reference/gemm', () => {
  it('is the textbook product, transposes and accumulation included', () => {
    // A = [[1, 2], [3, 4]] stored transposed; B = [[5], [6]]; C starts at [10, 20].
    const A: MatrixRef = { data: Float32Array.of(1, 3, 2, 4), offset: 0, ld: 2, trans: true };
    const B: MatrixRef = { data: Float32Array.of(5, 6), offset: 0, ld: 1, trans: false };
    const C = Float32Array.of(10, 20);
    sgemmReference(2, 1, 2, A, B, C, 0, 1, true);
    expect([...C]).to.deep.equal([27, 59]);
    sgemmReference(2, 1, 2, A, B, C, 0, 1, false);
    expect([...C]).to.deep.equal([17, 39]);
  });

  it(`the blocked GEMM agrees with it within ${FLOAT_ROUNDINGS} roundings of each element's magnitude`, () => {
    const rng = new Rng('gemm-grid');
    const meter = new RoundingMeter();
    const sizes = [1, 7, 8, 9, 33, 130];
    for (const M of sizes) for (const N of sizes) for (const K of [1, 9, 130, 257, 600]) {
      const transA = rng.uniform() < 0.5, transB = rng.uniform() < 0.5, accumulate = rng.uniform() < 0.5;
      const zeros = rng.uniform() < 0.3 ? 0.2 : 0;
      const A = operand(rng, M, K, transA, zeros);
      const B = operand(rng, K, N, transB, zeros);
      const C0 = gridValues(rng, 1 + M * (N + 1));
      const fast = C0.slice();
      const ref = C0.slice();
      const magnitude = absolute(C0);
      withKernels('fast', () => sgemm(M, N, K, A, B, fast, 1, N + 1, accumulate));
      sgemmReference(M, N, K, A, B, ref, 1, N + 1, accumulate);
      sgemmReference(M, N, K, absOf(A), absOf(B), magnitude, 1, N + 1, accumulate);
      meter.check(fast, ref, magnitude, `M=${M} N=${N} K=${K} transA=${transA} transB=${transB} accumulate=${accumulate}`);
    }
    if (process.env.KERNEL_REPORT) console.log(`gemm: worst ${meter.worst.toFixed(2)} roundings`);
  });
});
