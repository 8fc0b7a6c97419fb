/**
 * Population count of 32-bit words, the "popcount" of XNOR-popcount (paper Sec. 3.1: a binary
 * dot product of n bits is n - 2·popcount(a XOR b)). JavaScript has no popcount instruction, so
 * two software forms are offered and measured against each other in bench/xnor.ts:
 *
 * - a 16-bit lookup table: two table loads per word (5-30% faster than SWAR in the kernel on
 *   this machine, bench/xnor.ts; shared/notes/cpu-kernels.md found the same);
 * - SWAR ("SIMD within a register"): bit counts of pairs, nibbles and bytes summed by shifts
 *   and masks, then the four byte counts added by one multiplication.
 *
 * Words are int32 (the bits of a Uint32): V8 keeps int32 values unboxed, while Uint32 values of
 * 2^31 and more become doubles.
 */

/** POPCOUNT16[i] = number of set bits of i, for 0 <= i < 65536. */
export const POPCOUNT16: Uint8Array = buildTable();

function buildTable(): Uint8Array {
  const t = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) t[i] = (i & 1) + t[i >> 1];
  return t;
}

/** Set bits of a 32-bit word by two 16-bit table lookups. */
export function popcount32(x: number): number {
  return POPCOUNT16[x & 0xffff] + POPCOUNT16[x >>> 16];
}

/** Set bits of a 32-bit word by SWAR arithmetic. */
export function popcount32Swar(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
