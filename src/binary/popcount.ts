/**
 * Population count of 32-bit words, the "popcount" of XNOR-popcount (paper Sec. 3.1: a binary
 * dot product of n bits is n - 2·popcount(a XOR w)). JavaScript has no popcount instruction:
 *
 * - a 16-bit lookup table, two table loads per word: faster in the XNOR kernel than counting by
 *   shifts and masks (SWAR) or an 8-bit table (docs/performance.md, "Popcount");
 * - a full adder (carry-save adder) in front of the table: three words x0, x1, x2 give
 *   ones = x0 ^ x1 ^ x2 (the bit sum's low bit) and twos = majority(x0, x1, x2) (its carry), so
 *   popcount(x0) + popcount(x1) + popcount(x2) = popcount(ones) + 2·popcount(twos): 4 lookups
 *   instead of 6 for five bitwise operations. The 3x3 kernel uses it on the three tap rows
 *   (`popcount3` is that identity, written out there).
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

/** popcount32(x0) + popcount32(x1) + popcount32(x2), by a full adder and four lookups. */
export function popcount3(x0: number, x1: number, x2: number): number {
  const half = x0 ^ x1;
  const ones = half ^ x2;
  const twos = (x0 & x1) | (half & x2);
  return popcount32(ones) + 2 * popcount32(twos);
}
