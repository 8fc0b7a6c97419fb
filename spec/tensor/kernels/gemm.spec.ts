import { expect } from 'chai';
import { Rng } from '../../../src/tensor/random';
import { gemmPacked, KC, MC, MR, NC, NR, sgemm } from '../../../src/tensor/kernels/gemm';
import { type MatrixRef, sgemmReference } from '../../../src/tensor/kernels/reference/gemm';
import { expectClose, randomArray } from './helpers';

/**
 * Stores op(X)[rows x cols] inside a larger buffer (offset and padded leading dimension), as the
 * transpose when asked, so the specs exercise offsets and leading dimensions too.
 */
function operand(rng: Rng, rows: number, cols: number, trans: boolean): MatrixRef {
  const storedRows = trans ? cols : rows;
  const storedCols = trans ? rows : cols;
  const ld = storedCols + rng.int(3);
  const offset = rng.int(5);
  return { data: randomArray(rng, offset + storedRows * ld + rng.int(3)), offset, ld, trans };
}

interface Case { M: number; N: number; K: number }

function check(rng: Rng, { M, N, K }: Case, transA: boolean, transB: boolean, accumulate: boolean): void {
  const A = operand(rng, M, K, transA);
  const B = operand(rng, K, N, transB);
  const ldc = N + rng.int(3);
  const cOffset = rng.int(4);
  const C0 = randomArray(rng, cOffset + M * ldc + 2);
  const expected = C0.slice();
  const actual = C0.slice();
  sgemmReference(M, N, K, A, B, expected, cOffset, ldc, accumulate);
  sgemm(M, N, K, A, B, actual, cOffset, ldc, accumulate);
  expectClose(actual, expected, `M=${M} N=${N} K=${K} transA=${transA} transB=${transB} accumulate=${accumulate}`);
}

const transposes: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

describe('sgemm', () => {
  it('computes a known 2x3 * 3x2 product', () => {
    const A = { data: Float32Array.of(1, 2, 3, 4, 5, 6), offset: 0, ld: 3, trans: false };
    const B = { data: Float32Array.of(7, 8, 9, 10, 11, 12), offset: 0, ld: 2, trans: false };
    const C = new Float32Array(4);
    sgemm(2, 2, 3, A, B, C, 0, 2, false);
    expect(Array.from(C)).to.deep.equal([58, 64, 139, 154]);
  });

  it('matches the reference on 1-sized, odd and block-straddling shapes, all transposes, with and without accumulate', () => {
    const rng = new Rng('sgemm-shapes');
    const sizes = [1, 2, MR - 1, MR + 1, NR + 3, 17, 33];
    const cases: Case[] = [];
    for (const M of sizes) for (const N of sizes) cases.push({ M, N, K: 1 + rng.int(40) });
    for (const c of cases) {
      const [ta, tb] = transposes[rng.int(4)];
      check(rng, c, ta, tb, rng.uniform() < 0.5);
    }
    for (const [ta, tb] of transposes) for (const acc of [false, true]) check(rng, { M: 13, N: 11, K: 7 }, ta, tb, acc);
  });

  it('matches the reference when M, N and K cross the cache blocks', () => {
    const rng = new Rng('sgemm-blocks');
    const cases: Case[] = [
      { M: MC + 5, N: 9, K: KC + 3 },
      { M: 3, N: NC + 11, K: 2 * KC + 1 },
      { M: MC + MR + 1, N: NR * 3 + 1, K: KC },
    ];
    for (const c of cases) for (const [ta, tb] of transposes) check(rng, c, ta, tb, rng.uniform() < 0.5);
  });

  it('matches the reference on random shapes', () => {
    const rng = new Rng('sgemm-random');
    for (let t = 0; t < 40; t++) {
      const [ta, tb] = transposes[t % 4];
      check(rng, { M: 1 + rng.int(70), N: 1 + rng.int(70), K: 1 + rng.int(300) }, ta, tb, t % 3 === 0);
    }
  });

  it('with K = 0 stores zeros, or leaves C alone when accumulating', () => {
    const A = { data: new Float32Array(0), offset: 0, ld: 0, trans: false };
    const C = Float32Array.of(1, 2, 3, 4, 5, 6);
    sgemm(2, 2, 0, A, A, C, 1, 3, true);
    expect(Array.from(C)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    sgemm(2, 2, 0, A, A, C, 1, 3, false);
    expect(Array.from(C)).to.deep.equal([1, 0, 0, 4, 0, 0]);
  });

  it('gives each element of C the same bits whatever the size of the call (full or edge tile), with and without accumulate', () => {
    // A batch's rows are the rows of C: a row must not change when the batch grows (parallel inference relies on it).
    const rng = new Rng('gemm-edges');
    for (const [M, N, K] of [[17, 11, 5], [9, 19, KC + 3]]) {
      const A = { data: randomArray(rng, M * K), offset: 0, ld: K, trans: false };
      const B = { data: randomArray(rng, K * N), offset: 0, ld: N, trans: false };
      for (const accumulate of [false, true]) {
        const C0 = randomArray(rng, M * N);
        const whole = C0.slice();
        sgemm(M, N, K, A, B, whole, 0, N, accumulate);
        for (let i = 0; i < M; i++) {
          // Row i alone (an edge tile of one row) and its first N - 3 columns (an edge tile in N).
          const row = C0.slice(i * N, (i + 1) * N);
          sgemm(1, N, K, { ...A, offset: i * K }, B, row, 0, N, accumulate);
          expect([...row], `M=${M} N=${N} K=${K} row ${i} accumulate=${accumulate}`).to.deep.equal([...whole.subarray(i * N, (i + 1) * N)]);
          const part = C0.slice(i * N, (i + 1) * N);
          sgemm(1, N - 3, K, { ...A, offset: i * K }, B, part, 0, N, accumulate);
          expect([...part.subarray(0, N - 3)], `M=${M} N=${N} K=${K} row ${i}, ${N - 3} columns`).to.deep.equal([...whole.subarray(i * N, i * N + N - 3)]);
        }
      }
    }
  });

  it('does not write outside the addressed sub-matrix of C', () => {
    const rng = new Rng('sgemm-bounds');
    const M = 11, N = 13, K = 5, ldc = 20, cOffset = 7;
    const A = operand(rng, M, K, false);
    const B = operand(rng, K, N, true);
    const C = new Float32Array(cOffset + M * ldc + 10).fill(-3);
    sgemm(M, N, K, A, B, C, cOffset, ldc, false);
    for (let i = 0; i < C.length; i++) {
      const r = Math.floor((i - cOffset) / ldc);
      const c = (i - cOffset) % ldc;
      const inside = i >= cOffset && r < M && c < N;
      if (!inside) expect(C[i], `C[${i}]`).to.equal(-3);
    }
  });
});

describe('gemmPacked', () => {
  /** Packs a rows x depth matrix (element (r, k) at m[r * depth + k]) as panels of 8 rows, depth-major, zero-padded. */
  function pack(m: Float64Array, rows: number, depth: number): Float64Array {
    const panels = Math.ceil(rows / 8);
    const out = new Float64Array(panels * depth * 8);
    for (let r = 0; r < rows; r++) for (let k = 0; k < depth; k++) out[(r >> 3) * depth * 8 + k * 8 + (r & 7)] = m[r * depth + k];
    return out;
  }

  it('multiplies pre-packed panels into a padded float64 C, across depth blocks, with and without accumulate', () => {
    const rng = new Rng('gemm-packed');
    for (const [M, N, K] of [[8, 8, 1], [13, 21, 7], [16, 40, KC + 37], [3, 9, 2 * KC + 1]]) {
      const a = Float64Array.from(randomArray(rng, M * K));
      const bt = Float64Array.from(randomArray(rng, N * K));
      const mPanels = Math.ceil(M / MR);
      const nPanels = Math.ceil(N / NR);
      const ldc = nPanels * NR + 3;
      const start = Float64Array.from(randomArray(rng, 5 + mPanels * MR * ldc));
      for (const accumulate of [false, true]) {
        const c = start.slice();
        gemmPacked(mPanels, nPanels, K, pack(a, M, K), 0, pack(bt, N, K), 0, c, 5, ldc, accumulate);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = accumulate ? start[5 + i * ldc + j] : 0;
            for (let k = 0; k < K; k++) s += a[i * K + k] * bt[j * K + k];
            expect(Math.abs(c[5 + i * ldc + j] - s), `M=${M} N=${N} K=${K} (${i}, ${j})`).to.be.below(1e-12 * K);
          }
        }
        expect(c[4], 'before C').to.equal(start[4]);
      }
    }
  });
});
