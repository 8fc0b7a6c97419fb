/**
 * Comparing a backend's result with the expected array under a case's tolerance
 * (docs/golden-testing.md, "Reading the report"): the largest absolute error, the largest
 * relative error (over expected elements that are not 0), the largest distance in float32 ULPs
 * (units in the last place: how many float32 values lie between the two), and the first element
 * outside the tolerance.
 */
import type { StoredArray } from '../io/stored';
import type { Tolerance } from './manifest';

/**
 * How far a result is from the expected array: largest absolute, relative and float32-ULP
 * errors, and the first element outside the tolerance.
 */
export interface Errors {
  maxAbs: number;
  maxRel: number;
  /** Float32 arrays only; null otherwise. */
  maxUlps: number | null;
  /** Flat index of the first element outside the tolerance, or -1. */
  firstBad: number;
  /** The allowance the tolerance gives that element (0 when none fails). */
  allowed: number;
  /** The largest error as a fraction of its element's allowance (above 1: out of tolerance). */
  usedTolerance: number;
}

/** Elements as numbers (int64 exactly while below 2^53, which every bundle array is). */
export function numbersOf(a: StoredArray): ArrayLike<number> {
  if (a.dtype === 'I64') return Array.from(a.data, Number);
  if (a.dtype === 'F16' || a.dtype === 'BF16') throw new Error('numbersOf: half-precision arrays are not used in bundles');
  return a.data;
}

const f32 = new Float32Array(1);
const u32 = new Int32Array(f32.buffer);

/** A float32's bits on a line where consecutive floats are consecutive integers (-0 = +0). */
function ordered(v: number): number {
  f32[0] = v;
  const bits = u32[0];
  return bits < 0 ? -(bits & 0x7fffffff) : bits;
}

/** The distance in float32 ULPs of two float32 values (0 for equal values, Infinity with NaN). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  return Math.abs(ordered(a) - ordered(b));
}

/** A result array's errors against the expected one under a case's tolerance. */
export function compareArrays(result: StoredArray, expected: StoredArray, tol: Tolerance): Errors {
  const r = numbersOf(result);
  const e = numbersOf(expected);
  const isFloat32 = expected.dtype === 'F32';
  let scale = 0;
  if (tol.atolOfMax > 0) for (let i = 0; i < e.length; i++) if (Math.abs(e[i]) > scale) scale = Math.abs(e[i]);
  const base = tol.atol + tol.atolOfMax * scale;
  const out: Errors = { maxAbs: 0, maxRel: 0, maxUlps: isFloat32 ? 0 : null, firstBad: -1, allowed: 0, usedTolerance: 0 };
  for (let i = 0; i < e.length; i++) {
    const x = r[i];
    const y = e[i];
    const bothNaN = Number.isNaN(x) && Number.isNaN(y);
    const diff = bothNaN ? 0 : x === y ? 0 : Math.abs(x - y);
    const d = Number.isNaN(diff) ? Infinity : diff;
    if (d > out.maxAbs) out.maxAbs = d;
    if (y !== 0 && !Number.isNaN(y) && d / Math.abs(y) > out.maxRel) out.maxRel = d / Math.abs(y);
    if (isFloat32) {
      const u = ulpDistance(x, y);
      if (u > (out.maxUlps ?? 0)) out.maxUlps = u;
    }
    const allowed = base + tol.rtol * Math.abs(y);
    const used = d === 0 ? 0 : allowed > 0 ? d / allowed : Infinity;
    if (used > out.usedTolerance) out.usedTolerance = used;
    if (out.firstBad < 0 && !(d <= allowed)) {
      out.firstBad = i;
      out.allowed = allowed;
    }
  }
  return out;
}

/** The multi-index of a flat position, as [i, j, ...]. */
export function indexOf(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}
