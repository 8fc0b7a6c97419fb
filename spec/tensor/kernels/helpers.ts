import { expect } from 'chai';
import type { Rng } from '../../../src/tensor/random';

/** Uniform values in [-1, 1) from the seeded generator. */
export function randomArray(rng: Rng, length: number): Float32Array {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = 2 * rng.uniform() - 1;
  return a;
}

/**
 * Element-wise closeness relative to the scale of the expected output (its largest magnitude):
 * blocked and direct summation round differently, by about 1e-7 of that scale.
 */
export function expectClose(actual: Float32Array, expected: Float32Array, what: string, rtol = 1e-5): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const tol = rtol * Math.max(scale, 1e-30);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol)) expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
  }
}
