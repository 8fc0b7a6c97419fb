/** PyTorch's default initialisations, drawn from the seeded generator. */
import { Tensor } from '../tensor/tensor';
import { sizeOf, type Shape } from '../tensor/shape';
import { globalRng, type Rng } from '../tensor/random';
import { ScopedSetting } from '../tensor/scoped-setting';

const skipping = new ScopedSetting(false);

/**
 * Builds modules with zero-filled parameters and no random draws, for callers that overwrite
 * or ignore the weights (counting, loading a checkpoint): BNext-L has 326M parameters.
 */
export function withoutInit<T>(build: () => T): T {
  return skipping.during(true, build);
}

/** Uniform on (-bound, bound). */
export function uniformTensor(shape: Shape, bound: number, rng: Rng = globalRng()): Tensor {
  const data = new Float32Array(sizeOf(shape));
  if (!skipping.value) for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * bound;
  return new Tensor(data, shape);
}

/** Normal with mean 0 and standard deviation `std`. */
export function normalTensor(shape: Shape, std: number, rng: Rng = globalRng()): Tensor {
  const data = new Float32Array(sizeOf(shape));
  if (!skipping.value) for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
  return new Tensor(data, shape);
}

/**
 * kaiming_uniform_(a = √5), PyTorch's default for Conv2d and Linear weights: the bound
 * gain·√(3 / fan_in) with gain √(2 / (1 + a²)) simplifies to 1 / √fan_in.
 */
export function defaultWeight(shape: Shape, fanIn: number, rng?: Rng): Tensor {
  return uniformTensor(shape, 1 / Math.sqrt(fanIn), rng);
}

/** The default bias: uniform(±1/√fan_in). */
export function defaultBias(n: number, fanIn: number, rng?: Rng): Tensor {
  return uniformTensor([n], fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, rng);
}
