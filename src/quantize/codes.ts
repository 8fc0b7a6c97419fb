/**
 * Integer codes in bytes (docs/bnx-format.md, "Q8 and Q4"): 8-bit codes one per byte; 4-bit
 * codes two per byte, the first in the low nibble, and a zero high nibble after an odd count.
 */

/** The bit widths a file can store. */
export const STORED_BITS: readonly number[] = [4, 8];

/** Bytes that `count` codes of `bits` bits take. */
export function codeBytes(count: number, bits: number): number {
  return bits === 4 ? Math.ceil(count / 2) : count;
}

function requireStored(bits: number, what: string): void {
  if (!STORED_BITS.includes(bits)) throw new Error(`${what}: ${bits}-bit codes cannot be stored (4 or 8 bits)`);
}

/** Packs codes (each below 2^bits) into bytes. */
export function packCodes(codes: Uint8Array, bits: number): Uint8Array {
  requireStored(bits, 'packCodes');
  if (bits === 8) return codes.slice();
  const out = new Uint8Array(codeBytes(codes.length, 4));
  for (let i = 0; i < codes.length; i++) out[i >> 1] |= (codes[i] & 0x0f) << ((i & 1) * 4);
  return out;
}

/** Unpacks `count` codes; refuses a non-zero pad nibble. `what` starts the error message. */
export function unpackCodes(bytes: Uint8Array, count: number, bits: number, what: string): Uint8Array {
  requireStored(bits, what);
  if (bytes.length !== codeBytes(count, bits)) throw new Error(`${what}: ${bytes.length} code bytes, ${count} ${bits}-bit codes need ${codeBytes(count, bits)}`);
  if (bits === 8) return bytes.slice();
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >> 1] >> ((i & 1) * 4)) & 0x0f;
  if (count % 2 === 1 && bytes[bytes.length - 1] >> 4 !== 0) throw new Error(`${what}: the pad nibble after the last 4-bit code is not 0`);
  return out;
}
