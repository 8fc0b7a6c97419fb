/**
 * Single-precision GEMM on row-major Float32Arrays:
 *   C[M x N] (+)= op(A)[M x K] * op(B)[K x N]
 * where op transposes when asked. Offsets and leading dimensions let callers address
 * sub-matrices of larger buffers (one image of a batch, one group of a convolution).
 *
 * `sgemm` is cache-blocked in the Goto/BLIS way. V8 compiles it to scalar SSE code with a
 * bounds check on every typed-array load, so speed comes from reusing each loaded value in
 * many multiply-adds while it is in a register, and from keeping every load in L1:
 *   - B is copied a KC x NC block at a time into panels NR columns wide, k-major, so the
 *     micro-kernel reads it with unit stride whatever B's layout or transpose;
 *   - A is copied an MC x KC block at a time into panels MR rows tall, likewise;
 *   - the micro-kernel holds an MR x NR tile of C in local variables over the whole KC-deep
 *     block and stores it once. Edge panels are zero-padded, so the micro-kernel always
 *     computes a full tile and only the store is clipped.
 * Loop order, outside in: columns of C by NC (pack B), depth by KC, rows by MC (pack A), then
 * NR-wide B panels, each staying in L1 while every MR-tall A panel of the block passes over it.
 * Packing handles the four transpose combinations, so there is one micro-kernel.
 *
 * Panels are stored as Float64 (no conversion per load) and the tile is 8x8 (each loaded value
 * feeds 8 multiply-adds, and the loads with their checks are the bottleneck); products are
 * summed in double and rounded to float32 once per KC-deep block. The measurements behind these
 * choices are in docs/performance.md, "Float GEMM". Packing buffers are module-level and grow on
 * demand, so calls do not allocate.
 *
 * `gemmPacked` runs the same micro-kernel on operands a caller has packed itself, into a
 * float64 C (Winograd's transforms write packed panels directly).
 *
 * reference/gemm.ts defines the operation (and its operands, `MatrixRef`) by the plain triple
 * loop, which runs instead when the reference kernels are chosen (kernel-choice.ts) and is the
 * oracle of the specs and the "naive" line of the benchmark.
 */
import { type MatrixRef, sgemmReference } from './reference/gemm';
import { usingReferenceKernels } from './kernel-choice';

/** Rows of a micro-tile (rows of A per packed panel). */
export const MR = 8;
/** Columns of a micro-tile (columns of B per packed panel). */
export const NR = 8;
/** Depth of a packed block: an MR x KC panel of A and a KC x NR panel of B (16 KB each) stay in L1. */
export const KC = 256;
/** Rows of A packed at once: the MC x KC block (256 KB) stays in L2 while B panels stream past. */
export const MC = 128;
/** Columns of B packed at once: the KC x NC block (1 MB) stays in L2 / L3. */
export const NC = 512;

let packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(KC * NC);
/**
 * Receives a micro-tile whose store is clipped at the right or bottom edge of C. It holds the
 * tile's sums in double, as a full tile's registers do, so that an edge element is rounded to
 * float32 once, as it would be in a full tile: an element's bits then do not depend on where
 * the edge falls, i.e. on how many rows or columns share the call (a row of a batch gets the
 * same logits whatever the batch size).
 */
const edgeTile = new Float64Array(MR * NR);

export function sgemm(M: number, N: number, K: number, A: MatrixRef, B: MatrixRef, C: Float32Array, cOffset: number, ldc: number, accumulate: boolean): void {
  if (usingReferenceKernels()) return sgemmReference(M, N, K, A, B, C, cOffset, ldc, accumulate);
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOffset + i * ldc, cOffset + i * ldc + N);
    return;
  }
  // Equal depth blocks: a short last block would pay the per-tile overhead for little work.
  const kBlock = Math.ceil(K / Math.ceil(K / KC));
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += kBlock) {
      const kc = Math.min(kBlock, K - pc);
      packB(B, pc, jc, kc, nc);
      // Depth blocks after the first add to what the first one stored.
      const add = accumulate || pc > 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(A, ic, pc, mc, kc);
        macroKernel(mc, nc, kc, C, cOffset + ic * ldc + jc, ldc, add);
      }
    }
  }
}

/**
 * C [8·mPanels x 8·nPanels] (+)= A · B for operands that the caller has already packed, all of
 * the depth k at once, in the layout packA and packB produce: A as mPanels panels of k steps of
 * 8 rows (panel i at aOffset + i·k·8), B as nPanels panels of k steps of 8 columns. C is float64
 * with row stride ldc, every tile stored whole, so the caller pads C, like the panels, to
 * multiples of 8 (rows and columns of padding hold whatever the padded panels give).
 *
 * Winograd's transforms (winograd/) write their outputs straight into this layout, saving a
 * packing pass, and keep all intermediates in double: nothing is rounded to float32 between the
 * transforms and the GEMM. Depth is still taken KC at a time, so that the two panels the
 * micro-kernel streams stay in L1; a depth step of a panel is 8 consecutive values, so a depth
 * block of a packed panel is a contiguous range of it.
 */
export function gemmPacked(
  mPanels: number, nPanels: number, k: number, a: Float64Array, aOffset: number, b: Float64Array, bOffset: number,
  c: Float64Array, cOffset: number, ldc: number, accumulate: boolean,
): void {
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < mPanels * MR; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + nPanels * NR);
    return;
  }
  const kBlock = Math.ceil(k / Math.ceil(k / KC));
  for (let pc = 0; pc < k; pc += kBlock) {
    const kc = Math.min(kBlock, k - pc);
    const add = accumulate || pc > 0;
    for (let jr = 0; jr < nPanels; jr++) {
      const bOff = bOffset + jr * k * NR + pc * NR;
      for (let ir = 0; ir < mPanels; ir++) {
        microKernel8x8Double(kc, a, aOffset + ir * k * MR + pc * MR, b, bOff, c, cOffset + ir * MR * ldc + jr * NR, ldc, add);
      }
    }
  }
}

/** Runs the micro-kernel over every tile of one MC x NC block of C, from the packed blocks. */
function macroKernel(mc: number, nc: number, kc: number, C: Float32Array, cOffset: number, ldc: number, add: boolean): void {
  const pa = packedA;
  const pb = packedB;
  // The B panel stays in L1 while every A panel of the block passes over it.
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const bOff = jr * kc;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      const aOff = ir * kc;
      const cOff = cOffset + ir * ldc + jr;
      if (mr === MR && nr === NR) {
        microKernel8x8(kc, pa, aOff, pb, bOff, C, cOff, ldc, add);
      } else {
        microKernel8x8Double(kc, pa, aOff, pb, bOff, edgeTile, 0, NR, false);
        storeEdgeTile(mr, nr, C, cOff, ldc, add);
      }
    }
  }
}

function storeEdgeTile(mr: number, nr: number, C: Float32Array, cOff: number, ldc: number, add: boolean): void {
  for (let i = 0; i < mr; i++) {
    const row = cOff + i * ldc;
    for (let j = 0; j < nr; j++) C[row + j] = add ? C[row + j] + edgeTile[i * NR + j] : edgeTile[i * NR + j];
  }
}

/**
 * C tile [8 x 8] (+)= A panel [8 x kc] * B panel [kc x 8], both packed k-major.
 * Named locals rather than an array: V8 keeps locals in registers or fixed stack slots, and
 * would bounds-check every access to an array.
 */
function microKernel8x8(kc: number, pa: Float64Array, aOff: number, pb: Float64Array, bOff: number, C: Float32Array, cOff: number, ldc: number, add: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  let c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
  let c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
  let c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
  let c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;
  let ia = aOff;
  let ib = bOff;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3], a4 = pa[ia + 4], a5 = pa[ia + 5], a6 = pa[ia + 6], a7 = pa[ia + 7];
    let b = pb[ib];
    c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; c30 += a3 * b; c40 += a4 * b; c50 += a5 * b; c60 += a6 * b; c70 += a7 * b;
    b = pb[ib + 1];
    c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; c31 += a3 * b; c41 += a4 * b; c51 += a5 * b; c61 += a6 * b; c71 += a7 * b;
    b = pb[ib + 2];
    c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; c32 += a3 * b; c42 += a4 * b; c52 += a5 * b; c62 += a6 * b; c72 += a7 * b;
    b = pb[ib + 3];
    c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; c33 += a3 * b; c43 += a4 * b; c53 += a5 * b; c63 += a6 * b; c73 += a7 * b;
    b = pb[ib + 4];
    c04 += a0 * b; c14 += a1 * b; c24 += a2 * b; c34 += a3 * b; c44 += a4 * b; c54 += a5 * b; c64 += a6 * b; c74 += a7 * b;
    b = pb[ib + 5];
    c05 += a0 * b; c15 += a1 * b; c25 += a2 * b; c35 += a3 * b; c45 += a4 * b; c55 += a5 * b; c65 += a6 * b; c75 += a7 * b;
    b = pb[ib + 6];
    c06 += a0 * b; c16 += a1 * b; c26 += a2 * b; c36 += a3 * b; c46 += a4 * b; c56 += a5 * b; c66 += a6 * b; c76 += a7 * b;
    b = pb[ib + 7];
    c07 += a0 * b; c17 += a1 * b; c27 += a2 * b; c37 += a3 * b; c47 += a4 * b; c57 += a5 * b; c67 += a6 * b; c77 += a7 * b;
    ia += 8;
    ib += 8;
  }
  let r = cOff;
  if (add) {
    C[r] += c00; C[r + 1] += c01; C[r + 2] += c02; C[r + 3] += c03; C[r + 4] += c04; C[r + 5] += c05; C[r + 6] += c06; C[r + 7] += c07; r += ldc;
    C[r] += c10; C[r + 1] += c11; C[r + 2] += c12; C[r + 3] += c13; C[r + 4] += c14; C[r + 5] += c15; C[r + 6] += c16; C[r + 7] += c17; r += ldc;
    C[r] += c20; C[r + 1] += c21; C[r + 2] += c22; C[r + 3] += c23; C[r + 4] += c24; C[r + 5] += c25; C[r + 6] += c26; C[r + 7] += c27; r += ldc;
    C[r] += c30; C[r + 1] += c31; C[r + 2] += c32; C[r + 3] += c33; C[r + 4] += c34; C[r + 5] += c35; C[r + 6] += c36; C[r + 7] += c37; r += ldc;
    C[r] += c40; C[r + 1] += c41; C[r + 2] += c42; C[r + 3] += c43; C[r + 4] += c44; C[r + 5] += c45; C[r + 6] += c46; C[r + 7] += c47; r += ldc;
    C[r] += c50; C[r + 1] += c51; C[r + 2] += c52; C[r + 3] += c53; C[r + 4] += c54; C[r + 5] += c55; C[r + 6] += c56; C[r + 7] += c57; r += ldc;
    C[r] += c60; C[r + 1] += c61; C[r + 2] += c62; C[r + 3] += c63; C[r + 4] += c64; C[r + 5] += c65; C[r + 6] += c66; C[r + 7] += c67; r += ldc;
    C[r] += c70; C[r + 1] += c71; C[r + 2] += c72; C[r + 3] += c73; C[r + 4] += c74; C[r + 5] += c75; C[r + 6] += c76; C[r + 7] += c77;
  } else {
    C[r] = c00; C[r + 1] = c01; C[r + 2] = c02; C[r + 3] = c03; C[r + 4] = c04; C[r + 5] = c05; C[r + 6] = c06; C[r + 7] = c07; r += ldc;
    C[r] = c10; C[r + 1] = c11; C[r + 2] = c12; C[r + 3] = c13; C[r + 4] = c14; C[r + 5] = c15; C[r + 6] = c16; C[r + 7] = c17; r += ldc;
    C[r] = c20; C[r + 1] = c21; C[r + 2] = c22; C[r + 3] = c23; C[r + 4] = c24; C[r + 5] = c25; C[r + 6] = c26; C[r + 7] = c27; r += ldc;
    C[r] = c30; C[r + 1] = c31; C[r + 2] = c32; C[r + 3] = c33; C[r + 4] = c34; C[r + 5] = c35; C[r + 6] = c36; C[r + 7] = c37; r += ldc;
    C[r] = c40; C[r + 1] = c41; C[r + 2] = c42; C[r + 3] = c43; C[r + 4] = c44; C[r + 5] = c45; C[r + 6] = c46; C[r + 7] = c47; r += ldc;
    C[r] = c50; C[r + 1] = c51; C[r + 2] = c52; C[r + 3] = c53; C[r + 4] = c54; C[r + 5] = c55; C[r + 6] = c56; C[r + 7] = c57; r += ldc;
    C[r] = c60; C[r + 1] = c61; C[r + 2] = c62; C[r + 3] = c63; C[r + 4] = c64; C[r + 5] = c65; C[r + 6] = c66; C[r + 7] = c67; r += ldc;
    C[r] = c70; C[r + 1] = c71; C[r + 2] = c72; C[r + 3] = c73; C[r + 4] = c74; C[r + 5] = c75; C[r + 6] = c76; C[r + 7] = c77;
  }
}

/**
 * microKernel8x8 with a float64 C, for gemmPacked: the same code, kept separate so that each
 * stores to one kind of typed array. With one kernel for both kinds, V8 compiled its stores
 * generically, boxing every stored double (docs/performance.md, "Float GEMM"): the repeat is the
 * price of speed.
 */
function microKernel8x8Double(kc: number, pa: Float64Array, aOff: number, pb: Float64Array, bOff: number, C: Float64Array, cOff: number, ldc: number, add: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  let c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
  let c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
  let c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
  let c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;
  let ia = aOff;
  let ib = bOff;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3], a4 = pa[ia + 4], a5 = pa[ia + 5], a6 = pa[ia + 6], a7 = pa[ia + 7];
    let b = pb[ib];
    c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; c30 += a3 * b; c40 += a4 * b; c50 += a5 * b; c60 += a6 * b; c70 += a7 * b;
    b = pb[ib + 1];
    c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; c31 += a3 * b; c41 += a4 * b; c51 += a5 * b; c61 += a6 * b; c71 += a7 * b;
    b = pb[ib + 2];
    c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; c32 += a3 * b; c42 += a4 * b; c52 += a5 * b; c62 += a6 * b; c72 += a7 * b;
    b = pb[ib + 3];
    c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; c33 += a3 * b; c43 += a4 * b; c53 += a5 * b; c63 += a6 * b; c73 += a7 * b;
    b = pb[ib + 4];
    c04 += a0 * b; c14 += a1 * b; c24 += a2 * b; c34 += a3 * b; c44 += a4 * b; c54 += a5 * b; c64 += a6 * b; c74 += a7 * b;
    b = pb[ib + 5];
    c05 += a0 * b; c15 += a1 * b; c25 += a2 * b; c35 += a3 * b; c45 += a4 * b; c55 += a5 * b; c65 += a6 * b; c75 += a7 * b;
    b = pb[ib + 6];
    c06 += a0 * b; c16 += a1 * b; c26 += a2 * b; c36 += a3 * b; c46 += a4 * b; c56 += a5 * b; c66 += a6 * b; c76 += a7 * b;
    b = pb[ib + 7];
    c07 += a0 * b; c17 += a1 * b; c27 += a2 * b; c37 += a3 * b; c47 += a4 * b; c57 += a5 * b; c67 += a6 * b; c77 += a7 * b;
    ia += 8;
    ib += 8;
  }
  let r = cOff;
  if (add) {
    C[r] += c00; C[r + 1] += c01; C[r + 2] += c02; C[r + 3] += c03; C[r + 4] += c04; C[r + 5] += c05; C[r + 6] += c06; C[r + 7] += c07; r += ldc;
    C[r] += c10; C[r + 1] += c11; C[r + 2] += c12; C[r + 3] += c13; C[r + 4] += c14; C[r + 5] += c15; C[r + 6] += c16; C[r + 7] += c17; r += ldc;
    C[r] += c20; C[r + 1] += c21; C[r + 2] += c22; C[r + 3] += c23; C[r + 4] += c24; C[r + 5] += c25; C[r + 6] += c26; C[r + 7] += c27; r += ldc;
    C[r] += c30; C[r + 1] += c31; C[r + 2] += c32; C[r + 3] += c33; C[r + 4] += c34; C[r + 5] += c35; C[r + 6] += c36; C[r + 7] += c37; r += ldc;
    C[r] += c40; C[r + 1] += c41; C[r + 2] += c42; C[r + 3] += c43; C[r + 4] += c44; C[r + 5] += c45; C[r + 6] += c46; C[r + 7] += c47; r += ldc;
    C[r] += c50; C[r + 1] += c51; C[r + 2] += c52; C[r + 3] += c53; C[r + 4] += c54; C[r + 5] += c55; C[r + 6] += c56; C[r + 7] += c57; r += ldc;
    C[r] += c60; C[r + 1] += c61; C[r + 2] += c62; C[r + 3] += c63; C[r + 4] += c64; C[r + 5] += c65; C[r + 6] += c66; C[r + 7] += c67; r += ldc;
    C[r] += c70; C[r + 1] += c71; C[r + 2] += c72; C[r + 3] += c73; C[r + 4] += c74; C[r + 5] += c75; C[r + 6] += c76; C[r + 7] += c77;
  } else {
    C[r] = c00; C[r + 1] = c01; C[r + 2] = c02; C[r + 3] = c03; C[r + 4] = c04; C[r + 5] = c05; C[r + 6] = c06; C[r + 7] = c07; r += ldc;
    C[r] = c10; C[r + 1] = c11; C[r + 2] = c12; C[r + 3] = c13; C[r + 4] = c14; C[r + 5] = c15; C[r + 6] = c16; C[r + 7] = c17; r += ldc;
    C[r] = c20; C[r + 1] = c21; C[r + 2] = c22; C[r + 3] = c23; C[r + 4] = c24; C[r + 5] = c25; C[r + 6] = c26; C[r + 7] = c27; r += ldc;
    C[r] = c30; C[r + 1] = c31; C[r + 2] = c32; C[r + 3] = c33; C[r + 4] = c34; C[r + 5] = c35; C[r + 6] = c36; C[r + 7] = c37; r += ldc;
    C[r] = c40; C[r + 1] = c41; C[r + 2] = c42; C[r + 3] = c43; C[r + 4] = c44; C[r + 5] = c45; C[r + 6] = c46; C[r + 7] = c47; r += ldc;
    C[r] = c50; C[r + 1] = c51; C[r + 2] = c52; C[r + 3] = c53; C[r + 4] = c54; C[r + 5] = c55; C[r + 6] = c56; C[r + 7] = c57; r += ldc;
    C[r] = c60; C[r + 1] = c61; C[r + 2] = c62; C[r + 3] = c63; C[r + 4] = c64; C[r + 5] = c65; C[r + 6] = c66; C[r + 7] = c67; r += ldc;
    C[r] = c70; C[r + 1] = c71; C[r + 2] = c72; C[r + 3] = c73; C[r + 4] = c74; C[r + 5] = c75; C[r + 6] = c76; C[r + 7] = c77;
  }
}

/**
 * Copies op(A)[ic .. ic+mc, pc .. pc+kc] into packedA as ceil(mc / MR) panels, each kc
 * steps of MR consecutive rows; rows past mc are zero.
 */
function packA(A: MatrixRef, ic: number, pc: number, mc: number, kc: number): void {
  const size = roundUp(mc, MR) * kc;
  if (packedA.length < size) packedA = new Float64Array(size);
  // Strides of op(A) along its rows (i) and its depth (k) in the stored array.
  const si = A.trans ? 1 : A.ld;
  const sk = A.trans ? A.ld : 1;
  packPanels(A.data, A.offset + ic * si + pc * sk, si, sk, mc, kc, MR, packedA);
}

/**
 * Copies op(B)[pc .. pc+kc, jc .. jc+nc] into packedB as ceil(nc / NR) panels, each kc
 * steps of NR consecutive columns; columns past nc are zero.
 */
function packB(B: MatrixRef, pc: number, jc: number, kc: number, nc: number): void {
  const size = roundUp(nc, NR) * kc;
  if (packedB.length < size) packedB = new Float64Array(size);
  // Strides of op(B) along its columns (j) and its depth (k) in the stored array.
  const sj = B.trans ? B.ld : 1;
  const sk = B.trans ? 1 : B.ld;
  packPanels(B.data, B.offset + jc * sj + pc * sk, sj, sk, nc, kc, NR, packedB);
}

/**
 * Packs a (rows x depth) operand, element (r, k) at src[start + r * sr + k * sk], into panels of
 * `width` rows: panel by panel, depth step by depth step, `width` values (zero past `rows`).
 * Whichever of sr, sk is 1, the inner copy walks memory with unit stride on one of the two
 * loops, and both strides are handled by the same code.
 */
function packPanels(src: Float32Array, start: number, sr: number, sk: number, rows: number, depth: number, width: number, dst: Float64Array): void {
  let d = 0;
  for (let r0 = 0; r0 < rows; r0 += width) {
    const w = Math.min(width, rows - r0);
    if (sk === 1 && w === 8 && width === 8) {
      // A full 8-wide panel whose rows are contiguous: gather the 8 rows' values step by step.
      let o = d;
      let s = start + r0 * sr;
      for (let k = 0; k < depth; k++, o += 8, s++) {
        dst[o] = src[s]; dst[o + 1] = src[s + sr]; dst[o + 2] = src[s + 2 * sr]; dst[o + 3] = src[s + 3 * sr];
        dst[o + 4] = src[s + 4 * sr]; dst[o + 5] = src[s + 5 * sr]; dst[o + 6] = src[s + 6 * sr]; dst[o + 7] = src[s + 7 * sr];
      }
    } else if (sk === 1) {
      // Each row of the panel is contiguous: copy row by row into the strided panel.
      for (let r = 0; r < w; r++) {
        let s = start + (r0 + r) * sr;
        let o = d + r;
        for (let k = 0; k < depth; k++) {
          dst[o] = src[s++];
          o += width;
        }
      }
    } else if (sr === 1 && w === 8 && width === 8) {
      // A full 8-wide panel whose depth steps are contiguous: one unrolled copy per step.
      let o = d;
      let s = start + r0;
      for (let k = 0; k < depth; k++, o += 8, s += sk) {
        dst[o] = src[s]; dst[o + 1] = src[s + 1]; dst[o + 2] = src[s + 2]; dst[o + 3] = src[s + 3];
        dst[o + 4] = src[s + 4]; dst[o + 5] = src[s + 5]; dst[o + 6] = src[s + 6]; dst[o + 7] = src[s + 7];
      }
    } else {
      // Each depth step of the panel is contiguous (sr === 1) or at least row-ordered.
      let o = d;
      for (let k = 0; k < depth; k++) {
        const s = start + r0 * sr + k * sk;
        for (let r = 0; r < w; r++) dst[o + r] = src[s + r * sr];
        o += width;
      }
    }
    if (w < width) {
      for (let k = 0; k < depth; k++) dst.fill(0, d + k * width + w, d + (k + 1) * width);
    }
    d += width * depth;
  }
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
