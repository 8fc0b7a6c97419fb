/**
 * Seeded inputs for the conformance cases. Every case draws from its own generator, seeded by
 * the bundle seed and the case id, so adding or removing a case changes no other case's data.
 */
import type { StoredArray } from '../io/stored';
import { Rng } from '../tensor/random';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export function caseRng(seed: number, id: string): Rng {
  return new Rng(`${seed}/${id}`);
}

export function f32(shape: readonly number[], data: Float32Array): StoredArray {
  return { dtype: 'F32', shape: [...shape], data };
}

export function i32(shape: readonly number[], data: Int32Array): StoredArray {
  return { dtype: 'I32', shape: [...shape], data };
}

export function i64(shape: readonly number[], values: ArrayLike<number>): StoredArray {
  return { dtype: 'I64', shape: [...shape], data: BigInt64Array.from(Array.from(values), (v) => BigInt(v)) };
}

export function f64(shape: readonly number[], data: Float64Array): StoredArray {
  return { dtype: 'F64', shape: [...shape], data };
}

export function scalar(v: number): StoredArray {
  return f32([], new Float32Array([v]));
}

/** A copy of a tensor's values as a stored array. */
export function stored(t: Tensor): StoredArray {
  return f32(t.shape, t.data.slice());
}

export function normal(rng: Rng, shape: readonly number[], std = 1, mean = 0): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = mean + std * rng.normal();
  return out;
}

export function uniform(rng: Rng, shape: readonly number[], lo: number, hi: number): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** Sets about `fraction` of the values to exactly 0 (sign 0: the trap of every binary backend). */
export function withZeros(rng: Rng, data: Float32Array, fraction: number): Float32Array {
  for (let i = 0; i < data.length; i++) if (rng.uniform() < fraction) data[i] = 0;
  return data;
}

/**
 * Latent binary weights: random signs, magnitudes 0.05-1.2, and about 3% beyond the in-place
 * clamp at 1.5 (so the clamp has work to do).
 */
export function latentWeights(rng: Rng, shape: readonly number[]): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) {
    const magnitude = rng.uniform() < 0.03 ? 1.55 + 0.45 * rng.uniform() : 0.05 + 1.15 * rng.uniform();
    out[i] = rng.uniform() < 0.5 ? -magnitude : magnitude;
  }
  return out;
}

export function tensor(shape: readonly number[], data: Float32Array, requiresGrad = false): Tensor {
  return new Tensor(data, shape, requiresGrad);
}
