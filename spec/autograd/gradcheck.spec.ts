/**
 * Every backward rule of the registry (src/autograd/gradients/index.ts) checked against central
 * finite differences of its forward op, in float32 with the step and tolerance justified in
 * spec/helpers/gradcheck.ts. The registry's keys are iterated, so a new op without a case fails.
 *
 * SignSTE and BinaryWeight are straight-through estimators: their backward is by definition not the
 * derivative of their forward (sign is flat almost everywhere), so they are checked against their
 * defining formula instead: paper Eq. 2 with the clip c = 1.5 for activations (∂ℓ/∂x = ∂ℓ/∂x_b ·
 * 1_{|x| <= c}), and the identity for the latent weight (docs/paper-map.md, "The STE clip": the
 * gradient passes to w unchanged, no clipping).
 */
import { expect } from 'chai';
import { gradients } from '../../src/autograd/gradients/index';
import type { OpName } from '../../src/autograd/op-attrs';
import * as T from '../../src/tensor/ops/index';
import { Tensor } from '../../src/tensor/tensor';
import { BoolTensor } from '../../src/tensor/bool-tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { Rng } from '../../src/tensor/random';
import { binarizeWeight, binaryActivation } from '../../src/binary/binarize';
import { recouplingMean } from '../../src/tensor/ops/recouple';
import { crossEntropy, distributionLoss, mseLoss } from '../../src/nn/losses';
import { awayFrom, distinct, type GradCase, gradcheck, normal, recordedOps, uniform } from '../helpers/gradcheck';
import { backward } from '../../src/autograd/graph';

/** Linear (or multilinear) in each input: any step is exact up to rounding. */
const LINEAR = 0.5;
/** Piecewise linear with kinks at least 0.1 away (awayFrom / distinct): stay on one piece. */
const PIECEWISE = 0.04;
/** Smooth and nonlinear: truncation ε²/6·|f'''| ~ 1e-5. */
const SMOOTH = 1e-2;

function mask(rng: Rng, shape: number[]): BoolTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.uniform() < 0.5 ? 1 : 0;
  return new BoolTensor(m, shape);
}

function indices(rng: Rng, shape: number[], high: number): IntTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Int32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.int(high);
  return new IntTensor(d, shape);
}

/** b = a ± (0.1..1): maximum/minimum have no near-ties. */
function apart(rng: Rng, a: Tensor): Tensor {
  const d = new Float32Array(a.size);
  for (let i = 0; i < d.length; i++) d[i] = a.data[i] + (rng.uniform() < 0.5 ? -1 : 1) * (0.1 + 0.9 * rng.uniform());
  return new Tensor(d, a.shape);
}

const unary = (title: string, gen: (rng: Rng) => Tensor, fn: (x: Tensor) => Tensor, eps: number, tol?: number): GradCase => ({
  title, inputs: (rng) => [gen(rng)], f: ([x]) => fn(x), eps, tol,
});

type Checked = Exclude<OpName, 'SignSTE' | 'BinaryWeight'>;

// One fixed mask/index per case: the computation must be the same function at every evaluation.
const whereMask = mask(new Rng('where mask'), [3, 4]);
const whereMaskSmall = mask(new Rng('where mask 2'), [2, 1, 3]);
const gatherIndex = indices(new Rng('gather index'), [3, 4], 5);
const gatherIndex3 = indices(new Rng('gather index 3'), [2, 2, 3], 3);

const CASES: Record<Checked, GradCase[]> = {
  Neg: [unary('[3, 4]', (r) => normal(r, [3, 4]), T.neg, LINEAR)],
  Exp: [unary('[3, 4]', (r) => normal(r, [3, 4]), T.exp, SMOOTH)],
  Log: [unary('x in [0.5, 3]', (r) => uniform(r, [3, 4], 0.5, 3), T.log, 3e-3)],
  Sqrt: [unary('x in [0.5, 3]', (r) => uniform(r, [3, 4], 0.5, 3), T.sqrt, 3e-3)],
  Abs: [unary('|x| >= 0.1', (r) => awayFrom(r, [3, 4], [0]), T.abs, PIECEWISE)],
  Sign: [unary('|x| >= 0.1 (flat: zero gradient)', (r) => awayFrom(r, [3, 4], [0]), T.sign, PIECEWISE)],
  Relu: [unary('|x| >= 0.1', (r) => awayFrom(r, [3, 4], [0]), T.relu, PIECEWISE)],
  Relu6: [unary('x away from 0 and 6', (r) => awayFrom(r, [4, 4], [0, 6], 0.1, 4, 2), T.relu6, PIECEWISE)],
  Sigmoid: [unary('[3, 4], |x| ~ 2', (r) => normal(r, [3, 4], 2), T.sigmoid, SMOOTH)],
  HardSigmoid: [unary('x away from ±3', (r) => awayFrom(r, [4, 4], [-3, 3], 0.1, 3), T.hardSigmoid, PIECEWISE)],
  Tanh: [unary('[3, 4]', (r) => normal(r, [3, 4], 1.5), T.tanh, SMOOTH)],
  PowScalar: [
    unary('x^3', (r) => normal(r, [3, 4]), (x) => T.powScalar(x, 3), 3e-3),
    unary('x^0.5, x > 0', (r) => uniform(r, [6], 0.5, 3), (x) => T.powScalar(x, 0.5), 3e-3),
    unary('x^-1, |x| > 0.5', (r) => uniform(r, [6], 0.5, 2), (x) => T.powScalar(x, -1), 3e-3),
    unary('x^0, x = 0 included (constant: gradient 0)', () => T.tensor([0, 1.5, -2, 0]), (x) => T.powScalar(x, 0), 3e-3),
  ],
  Clamp: [
    unary('[-0.5, 0.5]', (r) => awayFrom(r, [3, 4], [-0.5, 0.5]), (x) => T.clamp(x, -0.5, 0.5), PIECEWISE),
    unary('[-inf, 0.3]', (r) => awayFrom(r, [6], [0.3]), (x) => T.clamp(x, -Infinity, 0.3), PIECEWISE),
  ],
  Add: [
    { title: 'broadcast [3, 4] + [4]', inputs: (r) => [normal(r, [3, 4]), normal(r, [4])], f: ([a, b]) => T.add(a, b), eps: LINEAR },
    { title: 'broadcast [2, 1, 3] + [4, 1]', inputs: (r) => [normal(r, [2, 1, 3]), normal(r, [4, 1])], f: ([a, b]) => T.add(a, b), eps: LINEAR },
  ],
  Sub: [{ title: 'broadcast [] - [2, 3]', inputs: (r) => [normal(r, []), normal(r, [2, 3])], f: ([a, b]) => T.sub(a, b), eps: LINEAR }],
  Mul: [{ title: 'broadcast [3, 1] * [1, 4]', inputs: (r) => [normal(r, [3, 1]), normal(r, [1, 4])], f: ([a, b]) => T.mul(a, b), eps: LINEAR }],
  Div: [{
    title: 'broadcast [3, 4] / [4], |b| in [1, 2]',
    inputs: (r) => [normal(r, [3, 4]), uniform(r, [4], 1, 2)], f: ([a, b]) => T.div(a, b), eps: 3e-3,
  }],
  Pow: [{
    title: 'broadcast [3, 4] ^ [4], a in [0.5, 2]',
    inputs: (r) => [uniform(r, [3, 4], 0.5, 2), uniform(r, [4], -1.5, 1.5)], f: ([a, b]) => T.pow(a, b), eps: 3e-3,
  }],
  Maximum: [{
    title: 'no near-ties, broadcast [2, 3] vs [2, 3]',
    inputs: (r) => { const a = normal(r, [2, 3]); return [a, apart(r, a)]; }, f: ([a, b]) => T.maximum(a, b), eps: PIECEWISE,
  }],
  Minimum: [{
    title: 'no near-ties',
    inputs: (r) => { const a = normal(r, [2, 3]); return [a, apart(r, a)]; }, f: ([a, b]) => T.minimum(a, b), eps: PIECEWISE,
  }],
  Where: [
    { title: '[3, 4] same shapes', inputs: (r) => [normal(r, [3, 4]), normal(r, [3, 4])], f: ([a, b]) => T.where(whereMask, a, b), eps: LINEAR },
    { title: 'broadcast mask [2, 1, 3], a [4, 1], b []', inputs: (r) => [normal(r, [4, 1]), normal(r, [])], f: ([a, b]) => T.where(whereMaskSmall, a, b), eps: LINEAR },
  ],
  Sum: [
    unary('all dims', (r) => normal(r, [3, 4]), (x) => T.sum(x), LINEAR),
    unary('dims [0, 2] keepdim', (r) => normal(r, [2, 3, 2]), (x) => T.sum(x, [0, 2], true), LINEAR),
  ],
  Mean: [
    unary('dim -1', (r) => normal(r, [3, 4]), (x) => T.mean(x, -1), LINEAR),
    unary('dims [0, 1] keepdim', (r) => normal(r, [2, 3, 2]), (x) => T.mean(x, [0, 1], true), LINEAR),
  ],
  Max: [
    unary('dim 1, values 0.1 apart', (r) => distinct(r, [3, 4]), (x) => T.max(x, 1), PIECEWISE),
    unary('all dims', (r) => distinct(r, [2, 3, 2]), (x) => T.max(x), PIECEWISE),
  ],
  // Quadratic: central differences are exact up to rounding.
  Variance: [
    unary('dim 1, unbiased', (r) => normal(r, [3, 5], 2, 1), (x) => T.variance(x, 1), 0.1),
    unary('all dims, biased, keepdim', (r) => normal(r, [2, 3, 2]), (x) => T.variance(x, undefined, true, 0), 0.1),
  ],
  Reshape: [unary('[2, 3, 2] -> [3, -1]', (r) => normal(r, [2, 3, 2]), (x) => T.reshape(x, [3, -1]), LINEAR)],
  Permute: [
    unary('[2, 3, 4] perm [2, 0, 1]', (r) => normal(r, [2, 3, 4]), (x) => T.permute(x, [2, 0, 1]), LINEAR),
    unary('transpose', (r) => normal(r, [3, 4]), (x) => T.transpose(x), LINEAR),
  ],
  Narrow: [unary('dim 1 [1, 3)', (r) => normal(r, [3, 4, 2]), (x) => T.narrow(x, 1, 1, 2), LINEAR)],
  Concat: [{
    title: 'three inputs along dim -1',
    inputs: (r) => [normal(r, [2, 3]), normal(r, [2, 1]), normal(r, [2, 2])], f: (xs) => T.concat(xs, -1), eps: LINEAR,
  }],
  Expand: [unary('[3, 1] -> [2, 3, 4]', (r) => normal(r, [3, 1]), (x) => T.expand(x, [2, 3, 4]), LINEAR)],
  Gather: [
    unary('dim 1, repeated indices', (r) => normal(r, [3, 5]), (x) => T.gather(x, 1, gatherIndex), LINEAR),
    unary('dim 0 of [3, 2, 3]', (r) => normal(r, [3, 2, 3]), (x) => T.gather(x, 0, gatherIndex3), LINEAR),
  ],
  MatMul: [
    { title: '[3, 4] @ [4, 2]', inputs: (r) => [normal(r, [3, 4]), normal(r, [4, 2])], f: ([a, b]) => T.matmul(a, b), eps: LINEAR },
    { title: 'broadcast batch [2, 1, 3, 4] @ [3, 4, 2]', inputs: (r) => [normal(r, [2, 1, 3, 4]), normal(r, [3, 4, 2])], f: ([a, b]) => T.matmul(a, b), eps: LINEAR },
  ],
  Conv2d: [
    {
      title: 'groups 2, stride 2, padding 1, bias',
      inputs: (r) => [normal(r, [1, 4, 5, 5]), normal(r, [4, 2, 3, 3], 0.5), normal(r, [4])],
      f: ([x, w, b]) => T.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 }), eps: LINEAR,
    },
    {
      title: 'dilation 2, padding (2, 1), no bias',
      inputs: (r) => [normal(r, [2, 2, 6, 5]), normal(r, [3, 2, 2, 3], 0.5)],
      f: ([x, w]) => T.conv2d(x, w, null, { dilation: 2, padding: [2, 1] }), eps: LINEAR,
    },
  ],
  AvgPool2d: [
    unary('3x3 stride 2 pad 1', (r) => normal(r, [1, 2, 5, 5]), (x) => T.avgPool2d(x, 3, { stride: 2, padding: 1 }), LINEAR),
    unary('countIncludePad false', (r) => normal(r, [1, 1, 5, 4]), (x) => T.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), LINEAR),
  ],
  MaxPool2d: [
    unary('3x3 stride 2 pad 1, overlapping', (r) => distinct(r, [1, 2, 5, 5]), (x) => T.maxPool2d(x, 3, { stride: 2, padding: 1 }), PIECEWISE),
  ],
  AdaptiveAvgPool2d: [unary('7x5 -> 3x2', (r) => normal(r, [1, 2, 7, 5]), (x) => T.adaptiveAvgPool2d(x, [3, 2]), LINEAR)],
  Softmax: [
    unary('dim -1', (r) => normal(r, [3, 4]), (x) => T.softmax(x, -1), SMOOTH),
    unary('dim 0 of [3, 2, 2]', (r) => normal(r, [3, 2, 2], 2), (x) => T.softmax(x, 0), SMOOTH),
  ],
  LogSoftmax: [unary('dim 1', (r) => normal(r, [3, 4, 2]), (x) => T.logSoftmax(x, 1), SMOOTH)],
  PRelu: [
    { title: 'per channel', inputs: (r) => [awayFrom(r, [2, 3, 2, 2], [0]), uniform(r, [3], -0.5, 0.5)], f: ([x, w]) => T.prelu(x, w), eps: PIECEWISE },
    { title: 'shared weight', inputs: (r) => [awayFrom(r, [4, 3], [0]), uniform(r, [1], -0.5, 0.5)], f: ([x, w]) => T.prelu(x, w), eps: PIECEWISE },
  ],
  RecouplingMean: [
    {
      title: 'scale [1, 3, 1, 1], inp and main [2, 3, 2, 3]',
      inputs: (r) => [uniform(r, [1, 3, 1, 1], 0, 1), normal(r, [2, 3, 2, 3]), normal(r, [2, 3, 2, 3])],
      f: ([s, x, m]) => recouplingMean(s, x, m),
      eps: LINEAR,
    },
  ],
  BatchNorm: [
    {
      // Nonlinear in x through the batch statistics; all 12 values of a channel move together,
      // so the rounding term is ~12x an elementwise op's: a 2e-2 step keeps it near 1e-4.
      title: 'training, [3, 2, 2, 2]',
      inputs: (r) => [normal(r, [3, 2, 2, 2], 1.5, 0.5), uniform(r, [2], 0.5, 1.5), normal(r, [2]), T.zeros([2]), T.ones([2])],
      f: ([x, w, b, rm, rv]) => T.batchNorm(x, w, b, rm, rv, { training: true, momentum: 0.1, eps: 1e-5 }),
      eps: 2e-2,
      constant: [3, 4],
    },
    {
      title: 'evaluation (linear in x, w, b)',
      inputs: (r) => [normal(r, [2, 3, 2]), uniform(r, [3], 0.5, 1.5), normal(r, [3]), normal(r, [3], 0.3), uniform(r, [3], 0.5, 2)],
      f: ([x, w, b, rm, rv]) => T.batchNorm(x, w, b, rm, rv, { training: false, momentum: 0.1, eps: 1e-5 }),
      eps: LINEAR,
      constant: [3, 4],
    },
  ],
};

const STRAIGHT_THROUGH: ReadonlySet<OpName> = new Set<OpName>(['SignSTE', 'BinaryWeight']);

describe('gradcheck: every backward rule against finite differences', () => {
  it('covers every op of the gradient registry', () => {
    const missing = Object.keys(gradients).filter((op) => !STRAIGHT_THROUGH.has(op as OpName) && !(op in CASES && CASES[op as Checked].length > 0));
    expect(missing, 'registry ops without a gradcheck case').to.deep.equal([]);
    const stale = Object.keys(CASES).filter((op) => !(op in gradients));
    expect(stale, 'gradcheck cases for ops not in the registry').to.deep.equal([]);
  });

  for (const [op, cases] of Object.entries(CASES) as [Checked, GradCase[]][]) {
    for (const c of cases) {
      it(`${op}: ${c.title}`, () => {
        const worst = gradcheck(op, c);
        if (process.env.GRADCHECK_REPORT) console.log(`    ${op} (${c.title}): worst ${worst.toExponential(2)} (eps ${c.eps})`);
      });
    }
  }
});

describe('gradcheck: losses (compositions of the ops above)', () => {
  const target = new IntTensor(new Int32Array([2, 0, 4]), [3]);
  const soft = T.softmax(normal(new Rng('soft target'), [3, 5]), 1);
  const teacher = normal(new Rng('teacher'), [3, 5], 2);
  const cases: [string, GradCase][] = [
    ['crossEntropy', unary('class indices, label smoothing 0.1', (r) => normal(r, [3, 5], 2), (x) => crossEntropy(x, target, { labelSmoothing: 0.1 }), SMOOTH)],
    ['crossEntropy', unary('probability target, sum', (r) => normal(r, [3, 5], 2), (x) => crossEntropy(x, soft, { reduction: 'sum' }), SMOOTH)],
    ['distributionLoss', unary('student gradient', (r) => normal(r, [3, 5], 2), (x) => distributionLoss(x, teacher), SMOOTH)],
    ['mseLoss', { title: 'both inputs', inputs: (r) => [normal(r, [2, 3]), normal(r, [2, 3])], f: ([a, b]) => mseLoss(a, b), eps: 0.1 }],
  ];
  for (const [name, c] of cases) {
    it(`${name}: ${c.title}`, () => {
      // LogSoftmax (or Mul for MSE) is in every one of these graphs.
      gradcheck(name === 'mseLoss' ? 'Mul' : 'LogSoftmax', c);
    });
  }
});

describe('straight-through estimators: the defining formula, not the derivative', () => {
  const dyValues = [0.3, -1.2, 2, 0.7, -0.4, 1.1, -2.5, 0.9];

  it('SignSTE (paper Eq. 2, c = 1.5): forward sign(x), gradient dy·1{|x| <= 1.5}, inclusive at ±1.5', () => {
    const xs = [-3, -1.5, -1.4999, -0.2, 0, 0.7, 1.5, 1.5001];
    const x = T.tensor(xs).requireGrad();
    const y = binaryActivation(x, { clip: 1.5 });
    expect(recordedOps(y).has('SignSTE')).to.equal(true);
    // The official (sign - clamp(x)).detach() + clamp(x) can land one float32 ulp off sign(x).
    xs.forEach((v, i) => expect(Math.abs(y.data[i] - Math.sign(v)), `sign(${v})`).to.be.at.most(2 ** -23));
    backward(y, T.tensor(dyValues));
    const expected = xs.map((v, i) => (Math.abs(Math.fround(v)) <= 1.5 ? Math.fround(dyValues[i]) : 0));
    expect(Array.from(x.grad!.data)).to.deep.equal(expected);
  });

  it('SignSTE honours another clip value', () => {
    const xs = [-1.2, -0.9, 0.5, 1.0, 1.01];
    const x = T.tensor(xs).requireGrad();
    backward(binaryActivation(x, { clip: 1 }), T.tensor(dyValues.slice(0, 5)));
    expect(Array.from(x.grad!.data)).to.deep.equal(xs.map((v, i) => (Math.abs(v) <= 1 ? Math.fround(dyValues[i]) : 0)));
  });

  for (const [temperature, label] of [[1, 'soft (t = 1)'], [1e-9, 'fully binary (t < 1e-7)']] as const) {
    it(`BinaryWeight ${label}: the gradient reaches the latent weight unchanged, even where clamp is flat`, () => {
      const ws = [-2, -1.2, -0.3, 0, 0.4, 0.99, 1.3, 3];
      const w = T.tensor(ws).requireGrad();
      const y = binarizeWeight(w, temperature, true);
      expect(recordedOps(y).has('BinaryWeight')).to.equal(true);
      backward(y, T.tensor(dyValues));
      expect(Array.from(w.grad!.data)).to.deep.equal(dyValues.map(Math.fround));
    });
  }
});
