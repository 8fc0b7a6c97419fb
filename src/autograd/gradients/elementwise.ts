/**
 * Backward rules of the elementwise ops. Broadcast inputs get their gradient summed back. The
 * binary rules skip inputs that need no gradient (constants, buffers), and form the gradient of a
 * broadcast factor of a product with one fused multiply-and-sum instead of a full-size product.
 */
import { Tensor } from '../../tensor/tensor';
import { broadcastLoops, type Shape, shapesEqual, sizeOf } from '../../tensor/shape';
import { sumToShapeKernel } from '../../tensor/kernels/elementwise';
import { compare, div, log, mul, neg, pow, powScalar, sign, sub, sumToShape, where } from '../../tensor/ops/elementwise';
import { zeros } from '../../tensor/create';
import type { GradientRule } from '../gradient-rule';
import { passInRange } from './mask';

export const negGrad: GradientRule<'Neg'> = (dy) => [neg(dy)];
export const expGrad: GradientRule<'Exp'> = (dy, { output }) => [mul(dy, output)];
export const logGrad: GradientRule<'Log'> = (dy, { inputs: [x] }) => [div(dy, x)];
export const sqrtGrad: GradientRule<'Sqrt'> = (dy, { output }) => [div(dy, mul(output, 2))];
export const absGrad: GradientRule<'Abs'> = (dy, { inputs: [x] }) => [mul(dy, sign(x))];
/** sign is flat almost everywhere: no gradient (the binary STE lives in binary/). */
export const signGrad: GradientRule<'Sign'> = (dy) => [zeros(dy.shape)];
export const reluGrad: GradientRule<'Relu'> = (dy, { inputs: [x] }) => [passInRange(dy, x, 0, Infinity, false)];
export const relu6Grad: GradientRule<'Relu6'> = (dy, { inputs: [x] }) => [passInRange(dy, x, 0, 6, false)];
export const hardSigmoidGrad: GradientRule<'HardSigmoid'> = (dy, { inputs: [x] }) => [passInRange(dy, x, -3, 3, false, 1 / 6)];
export const clampGrad: GradientRule<'Clamp'> = (dy, { inputs: [x], attrs }) => [passInRange(dy, x, attrs.min, attrs.max, true)];

export const sigmoidGrad: GradientRule<'Sigmoid'> = (dy, { output: y }) => {
  const out = new Float32Array(dy.size);
  for (let i = 0; i < out.length; i++) out[i] = dy.data[i] * y.data[i] * (1 - y.data[i]);
  return [new Tensor(out, dy.shape)];
};

export const tanhGrad: GradientRule<'Tanh'> = (dy, { output: y }) => {
  const out = new Float32Array(dy.size);
  for (let i = 0; i < out.length; i++) out[i] = dy.data[i] * (1 - y.data[i] * y.data[i]);
  return [new Tensor(out, dy.shape)];
};

/** d(x^e)/dx = e·x^(e-1); x^0 is constant, so its gradient is 0 even at x = 0 (as PyTorch's). */
export const powScalarGrad: GradientRule<'PowScalar'> = (dy, { inputs: [x], attrs: { exponent } }) => [
  exponent === 0 ? zeros(x.shape) : mul(dy, mul(powScalar(x, exponent - 1), exponent)),
];

/**
 * sumToShape(mul(t, factor), shape) without the full-size product: the gradient of the broadcast
 * operand of a product (BNext's scale [1, C, 1, 1] and attention gate [N, C, 1, 1]). `factor`
 * and `shape` broadcast to t's shape (the product's inputs do). Each product is exact in float64,
 * so this rounds once per sum.
 */
function sumProductToShape(t: Tensor, factor: Tensor, shape: Shape): Tensor {
  if (shapesEqual(shape, t.shape)) return mul(t, factor);
  const sums = new Float64Array(sizeOf(shape));
  sumToShapeKernel(t.data, broadcastLoops([shape, factor.shape], t.shape), sums, factor.data);
  return new Tensor(Float32Array.from(sums), shape);
}

export const addGrad: GradientRule<'Add'> = (dy, { inputs: [a, b] }) => [
  a.requiresGrad ? sumToShape(dy, a.shape) : null,
  b.requiresGrad ? sumToShape(dy, b.shape) : null,
];
/** Negating after the sum is exact and touches only the (often broadcast, small) gradient. */
export const subGrad: GradientRule<'Sub'> = (dy, { inputs: [a, b] }) => [
  a.requiresGrad ? sumToShape(dy, a.shape) : null,
  b.requiresGrad ? neg(sumToShape(dy, b.shape)) : null,
];
export const mulGrad: GradientRule<'Mul'> = (dy, { inputs: [a, b] }) => [
  a.requiresGrad ? sumProductToShape(dy, b, a.shape) : null,
  b.requiresGrad ? sumProductToShape(dy, a, b.shape) : null,
];
/** d(a/b)/db = -a/b² = -(a/b)/b. */
export const divGrad: GradientRule<'Div'> = (dy, { inputs: [a, b], output }) => [
  a.requiresGrad ? sumToShape(div(dy, b), a.shape) : null,
  b.requiresGrad ? sumToShape(neg(div(mul(dy, output), b)), b.shape) : null,
];

/** d(a^b)/da = b·a^(b-1); d(a^b)/db = a^b·ln a, taken as 0 where a = 0 (PyTorch's convention). */
export const powGrad: GradientRule<'Pow'> = (dy, { inputs: [a, b], output }) => {
  const da = mul(dy, mul(b, div(output, a)));
  // a^(b-1) computed as a^b / a fails at a = 0; recompute those entries directly.
  const exact = where(compare('eq', a, 0), mul(dy, mul(b, pow(a, sub(b, 1)))), da);
  const db = where(compare('eq', a, 0), 0, mul(dy, mul(output, log(a))));
  return [sumToShape(exact, a.shape), sumToShape(db, b.shape)];
};

/** The larger input gets the gradient; ties split it equally, as in PyTorch. */
export const maximumGrad: GradientRule<'Maximum'> = (dy, { inputs: [a, b] }) => {
  const half = mul(dy, 0.5);
  const ga = where(compare('gt', a, b), dy, where(compare('eq', a, b), half, 0));
  const gb = where(compare('lt', a, b), dy, where(compare('eq', a, b), half, 0));
  return [sumToShape(ga, a.shape), sumToShape(gb, b.shape)];
};

export const minimumGrad: GradientRule<'Minimum'> = (dy, { inputs: [a, b] }) => {
  const half = mul(dy, 0.5);
  const ga = where(compare('lt', a, b), dy, where(compare('eq', a, b), half, 0));
  const gb = where(compare('gt', a, b), dy, where(compare('eq', a, b), half, 0));
  return [sumToShape(ga, a.shape), sumToShape(gb, b.shape)];
};

export const whereGrad: GradientRule<'Where'> = (dy, { inputs: [a, b], attrs: { condition } }) => [
  sumToShape(where(condition, dy, 0), a.shape),
  sumToShape(where(condition, 0, dy), b.shape),
];
