/**
 * Pickle-aware mutations for the fuzzer: a pickle is split into opcodes (argument lengths as
 * Python's `pickletools` documents them) and one opcode is rewritten: an integer argument set
 * to a value that breaks sizes, a length prefix set past the data, a memo index moved, or the
 * opcode deleted, duplicated or replaced.
 */
import type { Rng } from '../../src/tensor/random';
import { interestingValue, type Mutated } from '../mutate';

interface Token {
  at: number;
  op: number;
  /** Bytes after the opcode byte. */
  length: number;
}

const FIXED: Readonly<Record<number, number>> = {
  0x80: 1, 0x4b: 1, 0x71: 1, 0x68: 1, 0x4d: 2, 0x4a: 4, 0x72: 4, 0x6a: 4, 0x47: 8, 0x95: 8,
};
const LENGTH1 = new Set([0x8a, 0x8c, 0x55, 0x43]);
const LENGTH4 = new Set([0x8b, 0x58, 0x42, 0x54]);
/** Opcodes without an argument, used as replacements. */
const BARE = [0x28, 0x2e, 0x30, 0x31, 0x4e, 0x88, 0x89, 0x29, 0x5d, 0x7d, 0x74, 0x85, 0x86, 0x87, 0x61, 0x65, 0x73, 0x75, 0x52, 0x62, 0x51, 0x93, 0x94];

/** The opcodes of the pickle starting at `start`, up to its STOP (or the first one not understood). */
export function tokenize(bytes: Uint8Array, start = 0): Token[] {
  const tokens: Token[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = start;
  while (at < bytes.length) {
    const op = bytes[at];
    let length: number;
    if (op in FIXED) length = FIXED[op];
    else if (LENGTH1.has(op)) length = 1 + (bytes[at + 1] ?? 0);
    else if (LENGTH4.has(op)) length = at + 5 <= bytes.length ? 4 + view.getUint32(at + 1, true) : 4;
    else if (op === 0x63) {
      const first = bytes.indexOf(0x0a, at + 1);
      const second = first < 0 ? -1 : bytes.indexOf(0x0a, first + 1);
      if (second < 0) break;
      length = second - at;
    } else if (BARE.includes(op)) length = 0;
    else break;
    tokens.push({ at, op, length });
    at += 1 + length;
    if (op === 0x2e) break;
  }
  return tokens;
}

function int4(value: bigint): number[] {
  const v = Number(BigInt.asIntN(32, value));
  return [0x4a, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function long1(value: bigint): number[] {
  const out = [0x8a, 8];
  for (let i = 0; i < 8; i++) out.push(Number((BigInt.asIntN(64, value) >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** One opcode of `pickle` (the bytes from `start`) rewritten; the rest of `bytes` unchanged. */
export function mutatePickle(bytes: Uint8Array, rng: Rng, start = 0): Mutated {
  const tokens = tokenize(bytes, start);
  if (tokens.length === 0) return { bytes, what: 'no opcodes: unchanged' };
  const t = tokens[rng.int(tokens.length)];
  const end = Math.min(bytes.length, t.at + 1 + t.length);
  let replacement: number[];
  let what: string;
  const choice = rng.int(6);
  if ((t.op === 0x4b || t.op === 0x4d || t.op === 0x4a || t.op === 0x8a) && choice < 3) {
    const value = interestingValue(rng, t.op === 0x4b ? bytes[t.at + 1] : undefined);
    replacement = value >= -(2n ** 31n) && value < 2n ** 31n ? int4(value) : long1(value);
    what = `integer at ${t.at} = ${value}`;
  } else if ((LENGTH1.has(t.op) || LENGTH4.has(t.op)) && choice < 3) {
    const value = interestingValue(rng, t.length);
    const copy = [...bytes.subarray(t.at, end)];
    if (LENGTH1.has(t.op)) copy[1] = Number(value & 0xffn);
    else for (let i = 0; i < 4; i++) copy[1 + i] = Number((value >> BigInt(8 * i)) & 0xffn);
    replacement = copy;
    what = `length at ${t.at} = ${value}`;
  } else if ((t.op === 0x68 || t.op === 0x71 || t.op === 0x6a || t.op === 0x72) && choice < 3) {
    const copy = [...bytes.subarray(t.at, end)];
    copy[1] = rng.int(256);
    replacement = copy;
    what = `memo index at ${t.at} = ${copy[1]}`;
  } else if (choice === 3) {
    replacement = [];
    what = `delete opcode 0x${t.op.toString(16)} at ${t.at}`;
  } else if (choice === 4) {
    replacement = [...bytes.subarray(t.at, end), ...bytes.subarray(t.at, end)];
    what = `duplicate opcode 0x${t.op.toString(16)} at ${t.at}`;
  } else {
    const op = BARE[rng.int(BARE.length)];
    replacement = [op];
    what = `replace opcode 0x${t.op.toString(16)} at ${t.at} by 0x${op.toString(16)}`;
  }
  const out = new Uint8Array(bytes.length - (end - t.at) + replacement.length);
  out.set(bytes.subarray(0, t.at));
  out.set(replacement, t.at);
  out.set(bytes.subarray(end), t.at + replacement.length);
  return { bytes: out, what };
}
