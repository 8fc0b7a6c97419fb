/**
 * A central finite-difference check of backward rules, in float32 (our only float type).
 *
 * For inputs x and a fixed random r, the scalar L(x) = Σ f(x)·r is summed in float64 from the
 * float32 outputs. Its gradient by backward (f(x).backward(r)) is compared with
 *     (L(x + ε e_i) - L(x - ε e_i)) / (x⁺ - x⁻)
 * where x± are the float32-rounded perturbed values (so the step is the one really taken).
 *
 * Error of the numerical derivative: (1) float32 rounding of the outputs, about m·k·6e-8·|r|·|y|
 * divided by 2ε, for the m outputs an element moves, each carrying k roundings (k ~ 1 for an
 * elementwise op, ~K for a K-term sum; outputs not touched by e_i are computed bit-identically and
 * cancel); (2) truncation, ε²/6·|f'''|, which is zero for ops linear or quadratic in each input and
 * for piecewise-linear ops whose kinks are farther than ε. Each case picks ε accordingly: 0.5 for
 * linear ops (then (1) is ~1e-6 and (2) vanishes), below the distance to the nearest kink for
 * piecewise-linear ones, 3e-3..2e-2 for smooth nonlinear ones, and a tolerance on
 * |numeric - analytic| of tol · max(1, max |analytic|) with tol = 1e-3 by default: at least 10x
 * the bound above for the small inputs used here, while a wrong rule errs by O(1).
 */
import { expect } from 'chai';
import { noGrad } from '../../src/autograd/record';
import type { OpName } from '../../src/autograd/op-attrs';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { stridesOf } from '../../src/tensor/shape';
import { backward } from '../../src/autograd/graph';

export interface GradCase {
  /** What the case exercises (the test title). */
  title: string;
  /** Leaves, fresh each call; float32 tensors, drawn from the seeded generator. */
  inputs: (rng: Rng) => Tensor[];
  /** The computation; it must record the op under test. */
  f: (xs: Tensor[]) => Tensor;
  /** Finite-difference step. */
  eps: number;
  /** Defaults to 1e-3 (see the module comment). */
  tol?: number;
  /** Inputs that are not differentiated (constants such as running statistics). */
  constant?: number[];
}

/** The op names recorded in the graph that produced `t`. */
export function recordedOps(t: Tensor): Set<OpName> {
  const ops = new Set<OpName>();
  const stack = [t];
  const seen = new Set<Tensor>();
  while (stack.length > 0) {
    const u = stack.pop()!;
    if (seen.has(u) || !u.node) continue;
    seen.add(u);
    ops.add(u.node.op);
    stack.push(...u.node.inputs);
  }
  return ops;
}

function dot64(y: Float32Array, r: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}

function indexString(flat: number, shape: readonly number[]): string {
  const strides = stridesOf(shape);
  return `[${strides.map((s, d) => Math.floor(flat / s) % shape[d]).join(', ')}]`;
}

/** Runs the check for one case; fails naming the input, the element and both derivatives. Returns the worst error. */
export function gradcheck(op: OpName, c: GradCase, seed = 1): number {
  const rng = new Rng(`gradcheck ${op} ${c.title} ${seed}`);
  const xs = c.inputs(rng);
  const constant = new Set(c.constant ?? []);
  xs.forEach((x, i) => {
    if (!constant.has(i)) x.requireGrad();
  });
  const y = c.f(xs);
  const ops = recordedOps(y);
  if (!ops.has(op)) expect.fail(`gradcheck ${op} (${c.title}): the computation records [${[...ops].join(', ')}], not ${op}`);
  const r = new Float32Array(y.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.normal();
  backward(y, new Tensor(r, y.shape));

  const tol = c.tol ?? 1e-3;
  let worstOverall = 0;
  xs.forEach((x, k) => {
    if (constant.has(k)) return;
    const analytic = x.grad;
    if (!analytic) expect.fail(`gradcheck ${op} (${c.title}): input ${k} got no gradient`);
    let scale = 1;
    for (const v of analytic.data) scale = Math.max(scale, Math.abs(v));
    const numeric = new Float64Array(x.size);
    const d = x.data;
    for (let i = 0; i < x.size; i++) {
      const orig = d[i];
      const plus = Math.fround(orig + c.eps);
      const minus = Math.fround(orig - c.eps);
      d[i] = plus;
      const lp = noGrad(() => dot64(c.f(xs).data, r));
      d[i] = minus;
      const lm = noGrad(() => dot64(c.f(xs).data, r));
      d[i] = orig;
      numeric[i] = (lp - lm) / (plus - minus);
    }
    let worst = -1;
    let worstError = 0;
    for (let i = 0; i < x.size; i++) {
      const e = Math.abs(numeric[i] - analytic.data[i]) / scale;
      if (!(e <= worstError) || worst < 0) {
        worstError = Number.isNaN(e) ? Infinity : e;
        worst = i;
      }
    }
    worstOverall = Math.max(worstOverall, worstError);
    if (!(worstError <= tol)) {
      expect.fail(
        `gradcheck ${op} (${c.title}): input ${k} element ${indexString(worst, x.shape)}: backward ${analytic.data[worst]}, ` +
        `finite difference ${numeric[worst]} (eps ${c.eps}); error ${worstError.toExponential(3)} > ${tol} of scale ${scale.toPrecision(3)}`,
      );
    }
  });
  return worstOverall;
}

// --- seeded inputs ----------------------------------------------------------------------------

export function normal(rng: Rng, shape: number[], scale = 1, shift = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = shift + scale * rng.normal();
  return new Tensor(data, shape);
}

export function uniform(rng: Rng, shape: number[], lo: number, hi: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.uniform();
  return new Tensor(data, shape);
}

/** Normal values at least `margin` away from every kink: the op is linear between them. */
export function awayFrom(rng: Rng, shape: number[], kinks: number[], margin = 0.1, scale = 1, shift = 0): Tensor {
  const t = normal(rng, shape, scale, shift);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    for (const k of kinks) {
      if (Math.abs(d[i] - k) < margin) d[i] = d[i] >= k ? k + margin + (d[i] - k) : k - margin + (d[i] - k);
    }
  }
  return t;
}

/** A shuffled grid with spacing `gap`: no two values closer than gap (no near-ties for max). */
export function distinct(rng: Rng, shape: number[], gap = 0.1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = rng.permutation(n);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (perm[i] - n / 2) * gap;
  return new Tensor(data, shape);
}
