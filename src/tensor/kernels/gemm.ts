/**
 * Single-precision GEMM on row-major Float32Arrays:
 *   C[M x N] (+)= op(A)[M x K] * op(B)[K x N]
 * where op transposes when asked. Offsets and leading dimensions let callers address
 * sub-matrices of larger buffers (one image of a batch, one group of a convolution).
 *
 * `sgemm` is cache-blocked in the classic Goto/BLIS way, because plain JavaScript can only
 * go fast if every multiply-add reuses values already in registers and every load hits L1:
 *   - B is copied a KC x NC block at a time into panels NR columns wide (k-major), so the
 *     micro-kernel reads it with unit stride whatever B's layout or transpose;
 *   - A is copied an MC x KC block at a time into panels MR rows tall, likewise;
 *   - a micro-kernel keeps an MR x NR tile of C in local variables across the whole KC
 *     loop and writes it once. Edge panels are zero-padded, so the micro-kernel always
 *     computes a full tile and only the store is clipped.
 * Packing handles the transposes, so the micro-kernel has one form. Packing buffers are
 * module-level and grow on demand, so repeated calls do not allocate.
 *
 * `sgemmReference` is the plain triple loop: the oracle of the specs and the "naive" line of
 * the benchmark.
 */
export interface MatrixRef {
  data: Float32Array;
  offset: number;
  /** Row stride in elements. */
  ld: number;
  /** Whether the stored matrix is the transpose of the operand. */
  trans: boolean;
}

/** Rows of a micro-tile (rows of A per packed panel). */
export const MR = 4;
/** Columns of a micro-tile (columns of B per packed panel). */
export const NR = 4;
/** Depth of a packed block: an MR x KC panel of A and a KC x NR panel of B stay in L1. */
export const KC = 256;
/** Rows of A packed at once: an MC x KC block stays in L2. */
export const MC = 128;
/** Columns of B packed at once: a KC x NC block stays in L2/L3. */
export const NC = 2048;

let packedA = new Float32Array(MC * KC);
let packedB = new Float32Array(KC * NC);
/** Holds a micro-tile whose store is clipped at the right or bottom edge of C. */
const edgeTile = new Float32Array(MR * NR);

export function sgemm(M: number, N: number, K: number, A: MatrixRef, B: MatrixRef, C: Float32Array, cOffset: number, ldc: number, accumulate: boolean): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOffset + i * ldc, cOffset + i * ldc + N);
    return;
  }
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packB(B, pc, jc, kc, nc);
      // Later depth blocks add to what the first one wrote.
      const add = accumulate || pc > 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(A, ic, pc, mc, kc);
        macroKernel(mc, nc, kc, C, cOffset + ic * ldc + jc, ldc, add);
      }
    }
  }
}

/** Runs the micro-kernel over every tile of one packed MC x NC block of C. */
function macroKernel(mc: number, nc: number, kc: number, C: Float32Array, cOffset: number, ldc: number, add: boolean): void {
  const pa = packedA;
  const pb = packedB;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const bOff = jr * kc;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      const aOff = ir * kc;
      const cOff = cOffset + ir * ldc + jr;
      if (mr === MR && nr === NR) {
        microKernel(kc, pa, aOff, pb, bOff, C, cOff, ldc, add);
      } else {
        microKernel(kc, pa, aOff, pb, bOff, edgeTile, 0, NR, false);
        for (let i = 0; i < mr; i++) {
          for (let j = 0; j < nr; j++) {
            const c = cOff + i * ldc + j;
            C[c] = add ? C[c] + edgeTile[i * NR + j] : edgeTile[i * NR + j];
          }
        }
      }
    }
  }
}

/**
 * C tile [MR x NR] (+)= A panel [MR x kc] * B panel [kc x NR], both k-major.
 * Sixteen named accumulators: V8 keeps most in registers, which an array would not allow.
 */
function microKernel(kc: number, pa: Float32Array, aOff: number, pb: Float32Array, bOff: number, C: Float32Array, cOff: number, ldc: number, add: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ia = aOff;
  let ib = bOff;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3];
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ia += MR;
    ib += NR;
  }
  let r = cOff;
  if (add) {
    C[r] += c00; C[r + 1] += c01; C[r + 2] += c02; C[r + 3] += c03; r += ldc;
    C[r] += c10; C[r + 1] += c11; C[r + 2] += c12; C[r + 3] += c13; r += ldc;
    C[r] += c20; C[r + 1] += c21; C[r + 2] += c22; C[r + 3] += c23; r += ldc;
    C[r] += c30; C[r + 1] += c31; C[r + 2] += c32; C[r + 3] += c33;
  } else {
    C[r] = c00; C[r + 1] = c01; C[r + 2] = c02; C[r + 3] = c03; r += ldc;
    C[r] = c10; C[r + 1] = c11; C[r + 2] = c12; C[r + 3] = c13; r += ldc;
    C[r] = c20; C[r + 1] = c21; C[r + 2] = c22; C[r + 3] = c23; r += ldc;
    C[r] = c30; C[r + 1] = c31; C[r + 2] = c32; C[r + 3] = c33;
  }
}

/**
 * Copies op(A)[ic .. ic+mc, pc .. pc+kc] into packedA as ceil(mc / MR) panels, each kc
 * steps of MR consecutive rows; rows past mc are zero.
 */
function packA(A: MatrixRef, ic: number, pc: number, mc: number, kc: number): void {
  if (packedA.length < roundUp(mc, MR) * kc) packedA = new Float32Array(roundUp(mc, MR) * kc);
  const dst = packedA;
  const src = A.data;
  const ld = A.ld;
  let d = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    if (!A.trans) {
      // Element (i, k) at offset + i * ld + k: each panel row is contiguous in memory.
      const row = A.offset + (ic + ir) * ld + pc;
      if (mr === MR) {
        let s0 = row, s1 = row + ld, s2 = row + 2 * ld, s3 = row + 3 * ld;
        for (let p = 0; p < kc; p++) {
          dst[d] = src[s0++]; dst[d + 1] = src[s1++]; dst[d + 2] = src[s2++]; dst[d + 3] = src[s3++];
          d += MR;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let i = 0; i < MR; i++) dst[d + i] = i < mr ? src[row + i * ld + p] : 0;
          d += MR;
        }
      }
    } else {
      // Element (i, k) at offset + k * ld + i: each k step of a panel is contiguous.
      let s = A.offset + pc * ld + ic + ir;
      if (mr === MR) {
        for (let p = 0; p < kc; p++) {
          dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]; dst[d + 3] = src[s + 3];
          d += MR;
          s += ld;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let i = 0; i < MR; i++) dst[d + i] = i < mr ? src[s + i] : 0;
          d += MR;
          s += ld;
        }
      }
    }
  }
}

/**
 * Copies op(B)[pc .. pc+kc, jc .. jc+nc] into packedB as ceil(nc / NR) panels, each kc
 * steps of NR consecutive columns; columns past nc are zero.
 */
function packB(B: MatrixRef, pc: number, jc: number, kc: number, nc: number): void {
  if (packedB.length < roundUp(nc, NR) * kc) packedB = new Float32Array(roundUp(nc, NR) * kc);
  const dst = packedB;
  const src = B.data;
  const ld = B.ld;
  let d = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    if (!B.trans) {
      // Element (k, j) at offset + k * ld + j: each k step of a panel is contiguous.
      let s = B.offset + pc * ld + jc + jr;
      if (nr === NR) {
        for (let p = 0; p < kc; p++) {
          dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]; dst[d + 3] = src[s + 3];
          d += NR;
          s += ld;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let j = 0; j < NR; j++) dst[d + j] = j < nr ? src[s + j] : 0;
          d += NR;
          s += ld;
        }
      }
    } else {
      // Element (k, j) at offset + j * ld + k: each panel column is contiguous.
      const col = B.offset + (jc + jr) * ld + pc;
      if (nr === NR) {
        let s0 = col, s1 = col + ld, s2 = col + 2 * ld, s3 = col + 3 * ld;
        for (let p = 0; p < kc; p++) {
          dst[d] = src[s0++]; dst[d + 1] = src[s1++]; dst[d + 2] = src[s2++]; dst[d + 3] = src[s3++];
          d += NR;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let j = 0; j < NR; j++) dst[d + j] = j < nr ? src[col + j * ld + p] : 0;
          d += NR;
        }
      }
    }
  }
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** The plain triple loop, accumulating each dot product in double precision. */
export function sgemmReference(M: number, N: number, K: number, A: MatrixRef, B: MatrixRef, C: Float32Array, cOffset: number, ldc: number, accumulate: boolean): void {
  const a = A.data;
  const b = B.data;
  // Strides of op(A) along i and k, and of op(B) along k and j.
  const aI = A.trans ? 1 : A.ld;
  const aK = A.trans ? A.ld : 1;
  const bK = B.trans ? 1 : B.ld;
  const bJ = B.trans ? B.ld : 1;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[A.offset + i * aI + k * aK] * b[B.offset + k * bK + j * bJ];
      const c = cOffset + i * ldc + j;
      C[c] = accumulate ? C[c] + s : s;
    }
  }
}
