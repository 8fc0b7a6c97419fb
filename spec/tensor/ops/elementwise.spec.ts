/**
 * Elementwise ops against PyTorch (fixtures/ops/elementwise.safetensors): unary ops, broadcasting
 * binary ops (also with a plain number as one operand), where, comparisons and sumToShape.
 *
 * Tolerances (rules in spec/helpers/golden.ts):
 * - forward and same-shape gradients: `elementwise` 1e-6 (per element, relative above 1);
 * - gradient of a broadcast input (summed over the broadcast dims): `scale` 1e-5;
 * - sumToShape forward (a sum): `scale` 1e-5; comparisons: exact.
 */
import * as T from '../../../src/tensor/ops/index';
import { asBool, asFloat, describeGolden, ELEMENTWISE, EXACT, type GoldenInput, ints, type Kwargs, optNum, type OpSpec, REDUCTION, str } from '../../helpers/golden';
import type { Tensor } from '../../../src/tensor/tensor';

type Unary = (x: Tensor) => Tensor;
type Binary = (a: T.TensorLike, b: T.TensorLike) => Tensor;

function unary(fn: Unary): OpSpec {
  return { run: ([x]) => fn(asFloat(x, 'x')), forward: ELEMENTWISE };
}

/** Inputs [a, b], or one input plus kwargs `a` or `b` holding the number on that side. */
function binaryOperands(inputs: GoldenInput[], kwargs: Kwargs): [T.TensorLike, T.TensorLike] {
  const a = optNum(kwargs, 'a');
  const b = optNum(kwargs, 'b');
  if (a !== undefined) return [a, asFloat(inputs[0], 'b')];
  if (b !== undefined) return [asFloat(inputs[0], 'a'), b];
  return [asFloat(inputs[0], 'a'), asFloat(inputs[1], 'b')];
}

function binary(fn: Binary): OpSpec {
  return { run: (inputs, kwargs) => fn(...binaryOperands(inputs, kwargs)), forward: ELEMENTWISE, broadcastGrad: REDUCTION };
}

const COMPARE_OPS: readonly T.CompareOp[] = ['gt', 'ge', 'lt', 'le', 'eq', 'ne'];

describeGolden('elementwise', {
  neg: unary(T.neg),
  exp: unary(T.exp),
  log: unary(T.log),
  sqrt: unary(T.sqrt),
  abs: unary(T.abs),
  sign: unary(T.sign),
  relu: unary(T.relu),
  relu6: unary(T.relu6),
  sigmoid: unary(T.sigmoid),
  hardSigmoid: unary(T.hardSigmoid),
  tanh: unary(T.tanh),
  powScalar: { run: ([x], kw) => T.powScalar(asFloat(x, 'x'), optNum(kw, 'exponent') ?? NaN), forward: ELEMENTWISE },
  clamp: { run: ([x], kw) => T.clamp(asFloat(x, 'x'), optNum(kw, 'min') ?? -Infinity, optNum(kw, 'max') ?? Infinity), forward: ELEMENTWISE },
  add: binary(T.add),
  sub: binary(T.sub),
  mul: binary(T.mul),
  div: binary(T.div),
  pow: binary(T.pow),
  maximum: binary(T.maximum),
  minimum: binary(T.minimum),
  where: {
    run: (inputs, kw) => {
      const b = optNum(kw, 'b');
      return T.where(asBool(inputs[0], 'condition'), asFloat(inputs[1], 'a'), b ?? asFloat(inputs[2], 'b'));
    },
    forward: ELEMENTWISE,
    broadcastGrad: REDUCTION,
  },
  compare: {
    run: ([a, b], kw) => {
      const op = str(kw, 'op');
      const found = COMPARE_OPS.find((o) => o === op);
      if (!found) throw new Error(`unknown comparison ${op}`);
      return T.compare(found, asFloat(a, 'a'), asFloat(b, 'b'));
    },
    forward: EXACT,
  },
  sumToShape: { run: ([x], kw) => T.sumToShape(asFloat(x, 'x'), ints(kw, 'shape')), forward: REDUCTION },
});
