/** Random, fully binary models for the engine specs: every float parameter and statistic drawn. */
import { withoutInit } from '../../src/nn/init';
import { buildModel, resolveConfig, type ArchOptions, type BNextModel } from '../../src/models/factory';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';

/**
 * A model with random weights and BatchNorm statistics, every temperature 1e-8 (fully binary),
 * in evaluation mode. Scales fall in [-0.25, 1.25] so the [0, 1] clamps matter.
 */
export function randomModel(options: ArchOptions, seed: string): BNextModel {
  const rng = new Rng(seed);
  const model = withoutInit(() => buildModel(resolveConfig(options)));
  for (const [name, t] of [...model.namedParameters(), ...model.namedBuffers()]) {
    if (!(t instanceof Tensor)) continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (name.endsWith('running_var')) d[i] = 0.2 + rng.uniform();
      else if (name.endsWith('scale')) d[i] = 1.5 * rng.uniform() - 0.25;
      else if (name.endsWith('temperature')) d[i] = 1e-8;
      else if (/(prelu|activation\d)\.weight$/.test(name)) d[i] = 0.5 * rng.uniform();
      else d[i] = 0.5 * rng.normal();
    }
  }
  return model.eval();
}

export function randomInput(rng: Rng, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal();
  return new Tensor(d, shape);
}

export { relativeError } from '../helpers/model-cases';

export function argmaxRows(t: Tensor): number[] {
  const [n, k] = t.shape;
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (t.data[r * k + j] > t.data[r * k + best]) best = j;
    out.push(best);
  }
  return out;
}
