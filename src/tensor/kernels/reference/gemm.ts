/**
 * The matrix product C[M x N] (+)= op(A)[M x K] · op(B)[K x N] on row-major Float32Arrays,
 * written from its definition: C[i][j] = Σ_k op(A)[i][k] · op(B)[k][j], each sum taken in
 * float64 (starting from C's value when accumulating) and rounded to float32 once. gemm.ts computes the
 * same product cache-blocked; docs/conventions.md ("Tolerances") states how closely they agree.
 */

/**
 * An operand inside a larger buffer: element (r, c) of the stored matrix is
 * data[offset + r·ld + c]; with `trans` the operand is that stored matrix's transpose.
 */
export interface MatrixRef {
  data: Float32Array;
  offset: number;
  /** Row stride in elements. */
  ld: number;
  /** Whether the stored matrix is the transpose of the operand. */
  trans: boolean;
}

/** op(X)[r][c]: the element of the operand at row r, column c. */
function at(X: MatrixRef, r: number, c: number): number {
  return X.trans ? X.data[X.offset + c * X.ld + r] : X.data[X.offset + r * X.ld + c];
}

export function sgemmReference(M: number, N: number, K: number, A: MatrixRef, B: MatrixRef, C: Float32Array, cOffset: number, ldc: number, accumulate: boolean): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += at(A, i, k) * at(B, k, j);
      const c = cOffset + i * ldc + j;
      C[c] = accumulate ? C[c] + sum : sum;
    }
  }
}
