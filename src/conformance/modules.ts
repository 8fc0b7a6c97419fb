/**
 * Seeded parameters for the layer and model cases, and running a module to get what a case
 * expects: its output, every module's output (a trace), the gradients of a scalar, and the state
 * after the run (in-place clamps, BatchNorm running statistics).
 *
 * The parameters exercise every clamp and kink of BNext's forward: latent binary weights beyond
 * the in-place clamp at 1.5, Info-Recoupling scales outside [0, 1], negative PReLU slopes, shifts
 * before binarization; squeeze biases keep the squeeze-and-expand ReLU alive (a dead one makes
 * the gate constant over the batch, and a training-mode BatchNorm after it then cancels its
 * gradient into float32 noise that no two backends agree on).
 */
import { backward } from '../autograd/graph';
import { noGrad } from '../autograd/record';
import { BinaryActivation, BinaryConv2d } from '../binary/layers';
import type { StoredArray } from '../io/stored';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { Conv2d } from '../nn/layers/conv2d';
import { Linear } from '../nn/layers/linear';
import { PReLU } from '../nn/layers/prelu';
import { type Module, withActivationHook } from '../nn/module';
import { storedOf } from '../nn/serialize';
import type { Rng } from '../tensor/random';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import { f32, latentWeights, normal, stored, uniform } from './data';

export interface RandomizeOptions {
  /** Temperature of every binary conv and binary activation. */
  temperature: number;
  /** Draw BatchNorm running statistics (layer cases); models calibrate them instead. */
  runningStats: boolean;
}

function fill(t: Tensor, values: Float32Array): void {
  t.data.set(values);
}

/** Seeded parameters (see the file comment). */
export function randomize(model: Module, rng: Rng, o: RandomizeOptions): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof BinaryConv2d) {
      fill(m.weight, latentWeights(rng, m.weight.shape));
      m.temperature.data[0] = o.temperature;
    } else if (m instanceof BinaryActivation) {
      m.temperature.data[0] = o.temperature;
    } else if (m instanceof BatchNorm2d) {
      fill(m.weight, uniform(rng, m.weight.shape, 0.5, 1.5));
      fill(m.bias, normal(rng, m.bias.shape, 0.2));
      if (o.runningStats) {
        fill(m.runningMean, normal(rng, m.runningMean.shape, 0.1));
        fill(m.runningVar, uniform(rng, m.runningVar.shape, 0.5, 1.5));
        m.numBatchesTracked.data[0] = 3;
      }
    } else if (m instanceof PReLU) {
      fill(m.weight, uniform(rng, m.weight.shape, -0.1, 0.5));
    } else if (m instanceof Conv2d || m instanceof Linear) {
      // Variance 1 / fan_in keeps activations O(1).
      const fanIn = sizeOf(m.weight.shape) / m.weight.shape[0];
      const bound = 1 / Math.sqrt(fanIn);
      fill(m.weight, uniform(rng, m.weight.shape, -bound * Math.sqrt(3), bound * Math.sqrt(3)));
      if (m.bias) fill(m.bias, uniform(rng, m.bias.shape, -bound, bound));
    }
  }
  for (const [name, p] of model.namedParameters()) {
    if (name.endsWith('se.se.1.bias')) fill(p, uniform(rng, p.shape, 1, 2));
    else if (name === 'scale' || name.endsWith('.scale')) fill(p, uniform(rng, p.shape, -0.25, 1.25));
    else if (name === 'bias' && p.ndim === 4) fill(p, normal(rng, p.shape, 0.2));
    else if (name.endsWith('move.bias')) fill(p, normal(rng, p.shape, 0.2));
  }
}

/**
 * Images whose samples differ in contrast and per-channel brightness: with identically
 * distributed samples a small batch's squeeze-and-expand outputs are nearly equal, and a
 * training-mode BatchNorm after them turns their gradients into rounding noise.
 */
export function sampleInput(rng: Rng, shape: readonly number[]): Float32Array {
  const [n, c, h, w] = shape;
  const out = normal(rng, shape);
  for (let b = 0; b < n; b++) {
    const contrast = 0.5 + 1.5 * rng.uniform();
    for (let ch = 0; ch < c; ch++) {
      const brightness = rng.normal();
      for (let i = 0; i < h * w; i++) {
        const k = (b * c + ch) * h * w + i;
        out[k] = contrast * out[k] + brightness;
      }
    }
  }
  return out;
}

/**
 * BatchNorm running statistics from a few training-mode batches (cumulative averages), as a
 * trained model has them. Training-mode forwards clamp weights and scales in place, so every
 * parameter is put back afterwards.
 */
export function calibrateBatchNorm(model: Module, rng: Rng, inputShape: readonly number[], batches = 4): void {
  const saved = model.namedParameters().map(([, p]) => [p, p.data.slice()] as const);
  const norms = model.namedModules().map(([, m]) => m).filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
  for (const bn of norms) {
    bn.resetRunningStats();
    bn.momentum = null;
  }
  model.train();
  noGrad(() => {
    for (let i = 0; i < batches; i++) model.call(new Tensor(sampleInput(rng, inputShape), inputShape));
  });
  for (const bn of norms) bn.momentum = 0.1;
  for (const [p, data] of saved) p.data.set(data);
}

/** The state_dict as stored arrays (copies), in state_dict order. */
export function stateArrays(model: Module): [string, StoredArray][] {
  return [...model.stateDict()].map(([k, v]): [string, StoredArray] => {
    const s = storedOf(v);
    return [k, v instanceof IntTensor ? s : f32(s.shape, (s.data as Float32Array).slice())];
  });
}

/** Float state only: what an in-place clamp or a BatchNorm update may change. */
export function floatStateArrays(model: Module): [string, StoredArray][] {
  return stateArrays(model).filter(([, a]) => a.dtype === 'F32');
}

/** The entries of `after` whose values differ from `before`, except those `skip` names. */
export function changedState(before: ReadonlyMap<string, StoredArray>, after: [string, StoredArray][], skip: (key: string) => boolean = () => false): [string, StoredArray][] {
  return after.filter(([key, a]) => {
    if (skip(key)) return false;
    const b = before.get(key);
    return !b || a.data.some((v, i) => v !== b.data[i]);
  });
}

export interface Run {
  output: Tensor;
  /** Every module's output by dotted path, in the order the modules finished. */
  trace: [string, StoredArray][];
}

/** Runs `fn` recording every module's output (copies); the root module (path '') is left out. */
export function traced(model: Module, fn: () => Tensor): Run {
  const paths = new Map<Module, string>(model.namedModules().map(([p, m]) => [m, p]));
  const seen = new Map<string, StoredArray>();
  const output = withActivationHook((m, y) => {
    const path = paths.get(m);
    if (!path) return;
    seen.delete(path); // a module called twice is listed where its last call finished
    seen.set(path, stored(y));
  }, fn);
  return { output, trace: [...seen] };
}

/**
 * Gradients after `backward`: every parameter that received one, in the order back-propagation
 * reaches them (reverse registration order), with the input's gradient last under `input`.
 */
export function gradientArrays(model: Module, input: Tensor | null): [string, StoredArray][] {
  const out: [string, StoredArray][] = [];
  for (const [name, p] of model.namedParameters().reverse()) if (p.grad) out.push([name, stored(p.grad)]);
  if (input?.grad) out.push(['input', stored(input.grad)]);
  return out;
}

/** Backward from sum(y · dy): the gradient of the output is dy. */
export function backwardWith(y: Tensor, dy: Float32Array): void {
  backward(y, new Tensor(dy, y.shape));
}
