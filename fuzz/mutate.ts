/**
 * Format-blind mutations of a file's bytes, each seeded: bit flips, byte overwrites, truncation,
 * insertion, deletion and duplication of ranges, little-endian integers overwritten with values
 * that break size arithmetic (0, -1, 2^31, 2^32 - 1, 2^53, ...), and splicing with another file.
 */
import type { Rng } from '../src/tensor/random';

/** A mutation: what it did (for the report) and the new bytes. */
export interface Mutated {
  bytes: Uint8Array;
  what: string;
}

export type Mutator = (bytes: Uint8Array, rng: Rng, others: readonly Uint8Array[]) => Mutated;

/** Integers that break size and offset arithmetic, as 64-bit patterns (low, high 32 bits). */
export const INTERESTING: readonly bigint[] = [
  0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

/** A random position in [0, n]. */
const position = (rng: Rng, n: number): number => rng.int(n + 1);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

/** Writes `value` as `width` little-endian bytes at `at` (bytes past the end are dropped). */
export function writeLittleEndian(bytes: Uint8Array, at: number, width: number, value: bigint): void {
  for (let i = 0; i < width && at + i < bytes.length; i++) bytes[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

export function interestingValue(rng: Rng, near?: number): bigint {
  if (near !== undefined && rng.uniform() < 0.3) return BigInt(Math.max(0, near + rng.int(17) - 8));
  const v = INTERESTING[rng.int(INTERESTING.length)];
  return rng.uniform() < 0.1 ? -v : v;
}

export const GENERIC_MUTATORS: readonly Mutator[] = [
  function flipBits(bytes, rng) {
    const out = bytes.slice();
    const n = 1 + rng.int(8);
    for (let i = 0; i < n && out.length > 0; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return { bytes: out, what: `flip ${n} bits` };
  },
  function setBytes(bytes, rng) {
    const out = bytes.slice();
    if (out.length === 0) return { bytes: out, what: 'set nothing' };
    const at = rng.int(out.length);
    const n = 1 + rng.int(4);
    const value = [0x00, 0xff, 0x7f, 0x80, rng.int(256)][rng.int(5)];
    out.fill(value, at, at + n);
    return { bytes: out, what: `set ${n} bytes at ${at} to 0x${value.toString(16)}` };
  },
  function truncate(bytes, rng) {
    const at = position(rng, Math.max(0, bytes.length - 1));
    return { bytes: bytes.slice(0, at), what: `truncate to ${at} bytes` };
  },
  function insert(bytes, rng) {
    const at = position(rng, bytes.length);
    const n = 1 + rng.int(64);
    return { bytes: concat(bytes.subarray(0, at), randomBytes(rng, n), bytes.subarray(at)), what: `insert ${n} bytes at ${at}` };
  },
  function remove(bytes, rng) {
    const at = position(rng, bytes.length);
    const n = 1 + rng.int(64);
    return { bytes: concat(bytes.subarray(0, at), bytes.subarray(at + n)), what: `delete ${n} bytes at ${at}` };
  },
  function duplicate(bytes, rng) {
    const from = position(rng, bytes.length);
    const n = 1 + rng.int(256);
    const at = position(rng, bytes.length);
    return { bytes: concat(bytes.subarray(0, at), bytes.subarray(from, from + n), bytes.subarray(at)), what: `copy ${n} bytes from ${from} to ${at}` };
  },
  function overwriteInteger(bytes, rng) {
    const out = bytes.slice();
    const width = [1, 2, 4, 8][rng.int(4)];
    const at = rng.int(Math.max(1, out.length));
    const value = interestingValue(rng);
    writeLittleEndian(out, at, width, value);
    return { bytes: out, what: `write ${value} as ${width} bytes at ${at}` };
  },
  function splice(bytes, rng, others) {
    const other = others[rng.int(others.length)];
    const at = position(rng, bytes.length);
    const from = position(rng, other.length);
    return { bytes: concat(bytes.subarray(0, at), other.subarray(from)), what: `splice another file from its byte ${from} at ${at}` };
  },
];
