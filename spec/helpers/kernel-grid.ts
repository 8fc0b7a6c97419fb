/**
 * The grid of geometries on which the fast kernels are compared with their references
 * (spec/tensor/kernels/reference/, spec/binary/reference/), and the float tolerance they are
 * held to (docs/conventions.md, "Tolerances").
 *
 * The grid crosses input channels 1-130 (the word boundaries 31/32/33 and 64/65 of packed signs,
 * 130 = four words and two bits), kernel 1 and 3, stride 1 and 2, odd and even map sizes down to
 * 1x1, batch 1 and 3, and inputs with exact zeros or without; the output channels cycle through
 * values around the XNOR kernel's block of 8 and the GEMM's tile of 8.
 */
import { expect } from 'chai';
import type { Rng } from '../../src/tensor/random';

export interface GridCase {
  n: number;
  cIn: number;
  cOut: number;
  h: number;
  w: number;
  k: 1 | 3;
  stride: 1 | 2;
  /** Fraction of input values that are exactly 0. */
  zeros: number;
}

export const GRID_CHANNELS = [1, 3, 31, 32, 33, 64, 65, 100, 130];
const OUT_CHANNELS = [1, 7, 8, 9, 17, 33];
const SIZES: [number, number][] = [[1, 1], [5, 7], [8, 8], [9, 6]];

/** Every combination of the grid: 9 channel counts x 2 kernels x 2 strides x 4 sizes x 2 batches x 2 zero rates. */
export function kernelGrid(): GridCase[] {
  const cases: GridCase[] = [];
  let i = 0;
  for (const cIn of GRID_CHANNELS) for (const k of [1, 3] as const) for (const stride of [1, 2] as const) {
    for (const [h, w] of SIZES) for (const n of [1, 3]) for (const zeros of [0, 0.2]) {
      cases.push({ n, cIn, cOut: OUT_CHANNELS[i++ % OUT_CHANNELS.length], h, w, k, stride, zeros });
    }
  }
  return cases;
}

export function describeGridCase(c: GridCase): string {
  return `[${c.n}, ${c.cIn}, ${c.h}, ${c.w}] * ${c.cOut}x${c.cIn}x${c.k}x${c.k} stride ${c.stride}${c.zeros > 0 ? ', with zeros' : ''}`;
}

/** Normal values, about `zeroRate` of them exactly 0 (at least one when the rate is not 0). */
export function gridValues(rng: Rng, length: number, zeroRate = 0): Float32Array {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = rng.uniform() < zeroRate ? 0 : rng.normal();
  if (zeroRate > 0 && length > 0) a[rng.int(length)] = 0;
  return a;
}

export function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`${what}: element ${i} is ${actual[i]}, the reference gives ${expected[i]}`);
  }
}

/** float32's unit roundoff, 2^-24. */
export const UNIT_ROUNDOFF = 2 ** -24;

/**
 * The float tolerance: |fast - reference| <= FLOAT_ROUNDINGS · 2^-24 · S per element, S being
 * the sum of the magnitudes of everything the element sums (Σ|x·w| + |bias|, computed by the
 * reference on absolute values). A float32 rounding of a partial sum moves it by at most 2^-24
 * of that partial sum's magnitude, itself at most S. The reference rounds once; the fast kernels
 * round once per 256-deep GEMM block, once more adding onto the bias or onto an earlier image's
 * filter gradient, and once at the end of Winograd (its transforms run in float64). On the grid
 * that is at most 7 roundings (a filter gradient over 3 images in 2 depth blocks); 16 leaves
 * room, and nothing for a wrong formula. Winograd also mixes each element with its neighbours in
 * the tile, in float64: that roundoff (2^-53 times the transforms' growth, well under 2^13) can
 * leave a trace where the exact answer is 0, hence a floor of FLOAT64_FLOOR of the largest
 * magnitude in the tensor.
 */
export const FLOAT_ROUNDINGS = 16;

/** The floor, as a fraction of the tensor's largest magnitude (see FLOAT_ROUNDINGS). */
export const FLOAT64_FLOOR = 2 ** -40;

/** Tracks the largest |fast - reference| / (2^-24 · S) seen, and fails above FLOAT_ROUNDINGS. */
export class RoundingMeter {
  worst = 0;

  check(fast: Float32Array, reference: Float32Array, magnitude: Float32Array | Float64Array, what: string): void {
    expect(fast.length, `${what}: length`).to.equal(reference.length);
    let largest = 0;
    for (let i = 0; i < magnitude.length; i++) largest = Math.max(largest, magnitude[i]);
    for (let i = 0; i < reference.length; i++) {
      const diff = Math.abs(fast[i] - reference[i]);
      const bound = FLOAT_ROUNDINGS * UNIT_ROUNDOFF * magnitude[i] + FLOAT64_FLOOR * largest;
      if (!(diff <= bound)) expect.fail(`${what}: element ${i} is ${fast[i]}, the reference gives ${reference[i]}: ${diff.toExponential(2)} apart, more than ${FLOAT_ROUNDINGS} roundings of ${magnitude[i]}`);
      if (diff > 0 && magnitude[i] > 0) this.worst = Math.max(this.worst, diff / (UNIT_ROUNDOFF * magnitude[i]));
    }
  }
}

export function absolute(a: Float32Array): Float32Array {
  return a.map(Math.abs);
}
