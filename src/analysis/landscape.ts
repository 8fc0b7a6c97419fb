/**
 * The loss landscape around trained weights (paper Sec. 3.1 and appendix 7.1, Fig. 2 and Fig. 6,
 * which follow Li et al., "Visualizing the loss landscape of neural nets", 2018, the paper's [24]):
 * the loss L(θ* + a·d_x + b·d_y) on an evenly spaced grid of (a, b), θ* the trained weights and
 * d_x, d_y two random directions in weight space. docs/landscapes.md shows the figures.
 *
 * Filter normalization (Li et al.): each direction is drawn from a seeded standard Gaussian, then
 * every filter of it (one output channel of a convolution, one output row of a linear layer) is
 * rescaled to the norm of the same filter of θ*, so a step of 1 moves each filter by its own size
 * whatever the scale the network's normalization left it at. Only the weights of convolutions
 * (float and binary) and linear layers move. Every other parameter — BatchNorm's affine pair,
 * biases, PReLU slopes, the learnable shifts before each sign and Info-Recoupling's scales — gets
 * a zero direction, as Li et al.'s figures ignore BatchNorm and bias parameters. BatchNorm's
 * running statistics stay as trained (the model is evaluated in evaluation mode).
 *
 * A binary convolution moves its latent weights; its forward uses their signs, so the binary
 * network's loss is piecewise constant along any direction: where and how often the signs flip is
 * what the landscape of a binary network shows.
 */
import type { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv2d';
import { Linear } from '../nn/layers/linear';
import { BinaryConv2d } from '../binary/layers';
import { Tensor } from '../tensor/tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import { Rng } from '../tensor/random';
import type { Dataset } from '../train/dataset';
import { evaluate, floatClassifier } from '../train/evaluate';
import { readSafetensors, writeSafetensors } from '../io/files';
import { fromTensor, type StoredArray, toTensor } from '../io/stored';

/** A direction in weight space: one tensor per moving parameter, keyed by its state_dict name. */
export type Direction = Map<string, Tensor>;

export interface Directions {
  x: Direction;
  y: Direction;
}

/** Directions whose cosine exceeds this in magnitude span (nearly) a line, not a plane. */
export const MAX_DIRECTION_COSINE = 0.99;

/** The parameters a direction moves: the weights of convolutions (float and binary) and linear layers, in model order. */
export function movingParameters(model: Module): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const [path, m] of model.namedModules()) {
    if (m instanceof Conv2d || m instanceof BinaryConv2d || m instanceof Linear) out.push([path ? `${path}.weight` : 'weight', m.weight]);
  }
  return out;
}

/** Rescales each filter (slice along the first axis) of `d` in place to the norm of the same filter of `w`. */
export function normalizeFilters(d: Float32Array, w: Float32Array, filters: number): void {
  const size = d.length / filters;
  for (let f = 0; f < filters; f++) {
    let dd = 0;
    let ww = 0;
    for (let i = f * size; i < (f + 1) * size; i++) {
      dd += d[i] * d[i];
      ww += w[i] * w[i];
    }
    // A filter of zeros stays put (Li et al.'s d·|w|/|d| is 0 there too).
    const scale = dd > 0 ? Math.sqrt(ww) / Math.sqrt(dd) : 0;
    for (let i = f * size; i < (f + 1) * size; i++) d[i] *= scale;
  }
}

/** One filter-normalized Gaussian direction, drawn from `rng` parameter by parameter in model order. */
export function filterNormalizedDirection(model: Module, rng: Rng): Direction {
  const direction: Direction = new Map();
  for (const [name, w] of movingParameters(model)) {
    const d = new Float32Array(w.size);
    for (let i = 0; i < d.length; i++) d[i] = rng.normal();
    normalizeFilters(d, w.data, w.shape[0]);
    direction.set(name, new Tensor(d, [...w.shape]));
  }
  return direction;
}

/** The two directions of a seed: x first, then y, from one generator. */
export function randomDirections(model: Module, seed: number | string): Directions {
  const rng = new Rng(`${seed}:landscape`);
  const x = filterNormalizedDirection(model, rng);
  const y = filterNormalizedDirection(model, rng);
  return { x, y };
}

function dot(a: Direction, b: Direction): number {
  let s = 0;
  for (const [name, t] of a) {
    const u = b.get(name)!.data;
    for (let i = 0; i < t.data.length; i++) s += t.data[i] * u[i];
  }
  return s;
}

/**
 * Refuses directions that cannot span a landscape of `model`: a parameter missing, unknown or of
 * another shape, a value that is not finite, a direction of zero length, or two (nearly) parallel
 * directions. `source` names where they came from in the message.
 */
export function checkDirections(model: Module, directions: Directions, source: string): void {
  const moving = new Map(movingParameters(model));
  if (moving.size === 0) throw new Error(`${source}: the model has no convolution or linear weights to move`);
  for (const axis of ['x', 'y'] as const) {
    const d = directions[axis];
    for (const name of moving.keys()) if (!d.has(name)) throw new Error(`${source}: direction ${axis} has no tensor for ${name}`);
    for (const [name, t] of d) {
      const p = moving.get(name);
      if (!p) throw new Error(`${source}: direction ${axis} has ${name}, which is not a convolution or linear weight of the model`);
      if (!shapesEqual(p.shape, t.shape)) throw new Error(`${source}: direction ${axis}, ${name}: expected shape ${formatShape(p.shape)}, found ${formatShape(t.shape)}`);
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`${source}: direction ${axis}, ${name}: element ${bad} is ${t.data[bad]}`);
    }
    if (!(dot(d, d) > 0)) throw new Error(`${source}: direction ${axis} is zero everywhere (are the model's weights all zero?)`);
  }
  const cosine = dot(directions.x, directions.y) / Math.sqrt(dot(directions.x, directions.x) * dot(directions.y, directions.y));
  if (Math.abs(cosine) > MAX_DIRECTION_COSINE) {
    throw new Error(`${source}: directions x and y are nearly parallel (cosine ${cosine.toFixed(4)}): they span a line, not a plane`);
  }
}

/** The grid: `points` coordinates per axis, evenly spaced from -range to range. */
export interface LandscapeGrid {
  points: number;
  range: number;
}

/**
 * Refuses a grid that cannot be drawn or measured: fewer than 3 points per axis (no second
 * differences), an even count (the trained weights, (0, 0), would fall between points), more than
 * `maxPoints`, or a range that is not a positive finite number. Each message names the option a
 * command-line user sets (`--grid`, `--range`).
 */
export function checkGrid(grid: LandscapeGrid, maxPoints = 201): void {
  const n = grid.points;
  if (!Number.isInteger(n) || n < 3) throw new Error(`landscape: the grid (--grid) needs an integer of at least 3 points per axis, got ${n}`);
  if (n % 2 === 0) throw new Error(`landscape: the grid (--grid) needs an odd number of points per axis, so that the trained weights (0, 0) are a grid point; got ${n}`);
  if (n > maxPoints) throw new Error(`landscape: a grid (--grid) of ${n} points per axis asks for ${n * n} loss evaluations; at most ${maxPoints} per axis`);
  if (!(Number.isFinite(grid.range) && grid.range > 0)) throw new Error(`landscape: the range (--range) must be a positive finite number, got ${grid.range}`);
}

/** The coordinates of the grid along one axis. */
export function gridCoordinates(grid: LandscapeGrid): Float64Array {
  const c = new Float64Array(grid.points);
  const half = (grid.points - 1) / 2;
  for (let i = 0; i < grid.points; i++) c[i] = (grid.range * (i - half)) / half;
  return c;
}

export interface LandscapePoint {
  a: number;
  b: number;
  loss: number;
  top1: number;
}

export interface LandscapeOptions extends LandscapeGrid {
  model: Module;
  /** The samples the loss is the mean cross-entropy over, unaugmented. */
  data: Dataset;
  directions: Directions;
  batchSize?: number;
  /** Called after each grid point with how many are done. */
  onPoint?: (done: number, total: number, point: LandscapePoint) => void;
}

export interface Landscape {
  /** The coordinates along each axis (the same for x and y). */
  coordinates: Float64Array;
  /** Mean cross-entropy, [points, points] row-major: row j is y = coordinates[j], column i is x = coordinates[i]. */
  loss: Float32Array;
  /** Top-1 accuracy in percent, laid out as `loss`. */
  top1: Float32Array;
}

/**
 * Evaluates the loss on the grid. The model's parameters are restored when it returns or throws
 * (a convolution that clamps its weights in evaluation mode may write them in between).
 */
export function lossLandscape(o: LandscapeOptions): Landscape {
  checkGrid(o);
  checkDirections(o.model, o.directions, 'lossLandscape');
  if (o.data.count < 1) throw new Error(`lossLandscape: ${o.data.name} has no samples`);
  const moving = movingParameters(o.model);
  const saved = o.model.namedParameters().map(([, p]) => [p, Float32Array.from(p.data)] as const);
  const base = new Map(saved);
  const coordinates = gridCoordinates(o);
  const n = o.points;
  const loss = new Float32Array(n * n);
  const top1 = new Float32Array(n * n);
  const classify = floatClassifier(o.model);
  try {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const [a, b] = [coordinates[i], coordinates[j]];
        for (const [name, p] of moving) {
          const w = base.get(p)!;
          const dx = o.directions.x.get(name)!.data;
          const dy = o.directions.y.get(name)!.data;
          for (let k = 0; k < w.length; k++) p.data[k] = w[k] + a * dx[k] + b * dy[k];
        }
        const m = evaluate(classify, o.data, o.batchSize);
        loss[j * n + i] = m.loss;
        top1[j * n + i] = m.top1;
        o.onPoint?.(j * n + i + 1, n * n, { a, b, loss: m.loss, top1: m.top1 });
      }
    }
  } finally {
    for (const [p, w] of saved) p.data.set(w);
  }
  return { coordinates, loss, top1 };
}

/** `count` samples of `data` spread evenly over it (the digits are stored class by class). */
export function spreadSubset(data: Dataset, count: number): Dataset {
  if (!Number.isInteger(count) || count < 1 || count > data.count) throw new Error(`landscape: the number of samples (--samples) must be an integer from 1 to ${data.count} (${data.name}), got ${count}`);
  const rows = new Int32Array(count);
  for (let i = 0; i < count; i++) rows[i] = Math.floor((i * data.count) / count);
  return {
    name: `${data.name} (${count} of ${data.count})`,
    count,
    numClasses: data.numClasses,
    sampleShape: data.sampleShape,
    batch: (indices, rng) => data.batch(indices.map((k) => rows[k]), rng),
  };
}

/** Writes the directions as safetensors, `x.<parameter>` and `y.<parameter>`, to recompute a landscape later. */
export function writeDirections(path: string, directions: Directions): void {
  const entries = new Map<string, StoredArray>();
  for (const axis of ['x', 'y'] as const) for (const [name, t] of directions[axis]) entries.set(`${axis}.${name}`, fromTensor(t));
  writeSafetensors(path, entries, { format: 'bnext landscape directions' });
}

/** Reads directions written by `writeDirections`; `checkDirections` then checks them against a model. */
export function readDirections(path: string): Directions {
  const file = readSafetensors(path);
  const directions: Directions = { x: new Map(), y: new Map() };
  for (const [key, arr] of file.tensors) {
    const axis = key.slice(0, 2) === 'x.' ? 'x' : key.slice(0, 2) === 'y.' ? 'y' : null;
    if (axis === null) throw new Error(`${path}: tensor '${key}' is not a direction (names start with 'x.' or 'y.')`);
    directions[axis].set(key.slice(2), toTensor(arr, `${path}: tensor '${key}'`));
  }
  return directions;
}
