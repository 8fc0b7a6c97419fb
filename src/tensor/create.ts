/** Creating tensors: from values, constant fills, ranges, and seeded random draws. */
import { checkShape, type Shape, sizeOf } from './shape';
import { Tensor } from './tensor';
import type { Rng } from './random';

/** A tensor from flat values in row-major order; the shape defaults to 1-D. */
export function tensor(values: ArrayLike<number>, shape: Shape = [values.length], requiresGrad = false): Tensor {
  return new Tensor(Float32Array.from(values), shape, requiresGrad);
}

/** A 0-D tensor holding one value. */
export function scalar(value: number): Tensor {
  return new Tensor(new Float32Array([value]), []);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, requiresGrad = false): Tensor {
  checkShape(shape, 'full');
  return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape, requiresGrad);
}

/** A tensor of zeros. */
export function zeros(shape: Shape, requiresGrad = false): Tensor {
  checkShape(shape, 'zeros');
  return new Tensor(new Float32Array(sizeOf(shape)), shape, requiresGrad);
}

/** A tensor of ones. */
export function ones(shape: Shape, requiresGrad = false): Tensor {
  return full(shape, 1, requiresGrad);
}

/** A tensor of zeros with `t`'s shape. */
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape);
}

/** Values start, start+step, ... below end (as torch.arange). */
export function arange(start: number, end?: number, step = 1): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new Error('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** Uniform on [low, high) from the seeded generator. */
export function rand(shape: Shape, rng: Rng, low = 0, high = 1): Tensor {
  checkShape(shape, 'rand');
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rng.uniform();
  return new Tensor(data, shape);
}

/** Normal with the given mean and standard deviation from the seeded generator. */
export function randn(shape: Shape, rng: Rng, mean = 0, std = 1): Tensor {
  checkShape(shape, 'randn');
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
  return new Tensor(data, shape);
}
