/**
 * Elementwise ops with NumPy/PyTorch broadcasting. Numbers passed where a tensor is expected
 * are treated as constant scalars (no gradient).
 */
import { record } from '../../autograd/record';
import { broadcastIndex, broadcastLoops, broadcastShapes, formatShape, type Shape, shapesEqual, sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { BoolTensor } from '../bool-tensor';
import { binaryBroadcastKernel, binaryKernel, type BinaryOp, sumToShapeKernel, unaryKernel, type UnaryOp } from '../kernels/elementwise';
import { uninitializedArray } from '../../autograd/buffer-pool';

export type TensorLike = Tensor | number;

export function asTensor(v: TensorLike): Tensor {
  return typeof v === 'number' ? new Tensor(new Float32Array([v]), []) : v;
}

function unary(op: UnaryOp, name: 'Neg' | 'Exp' | 'Log' | 'Sqrt' | 'Abs' | 'Sign' | 'Relu' | 'Relu6' | 'Sigmoid' | 'HardSigmoid' | 'Tanh', x: Tensor): Tensor {
  const out = uninitializedArray(x.size);
  unaryKernel(op, x.data, out);
  return record(name, [x], new Tensor(out, x.shape), {});
}

export const neg = (x: Tensor): Tensor => unary('neg', 'Neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', 'Exp', x);
export const log = (x: Tensor): Tensor => unary('log', 'Log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', 'Sqrt', x);
export const abs = (x: Tensor): Tensor => unary('abs', 'Abs', x);
/** sign(x) in {-1, 0, +1}, as torch.sign; its gradient is zero (see binary/ for the STE). */
export const sign = (x: Tensor): Tensor => unary('sign', 'Sign', x);
export const relu = (x: Tensor): Tensor => unary('relu', 'Relu', x);
export const relu6 = (x: Tensor): Tensor => unary('relu6', 'Relu6', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', 'Sigmoid', x);
/** relu6(x + 3) / 6, as torch.nn.functional.hardsigmoid. */
export const hardSigmoid = (x: Tensor): Tensor => unary('hardSigmoid', 'HardSigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', 'Tanh', x);

/** x ** exponent for a constant exponent. */
export function powScalar(x: Tensor, exponent: number): Tensor {
  const out = new Float32Array(x.size);
  const d = x.data;
  for (let i = 0; i < out.length; i++) out[i] = Math.pow(d[i], exponent);
  return record('PowScalar', [x], new Tensor(out, x.shape), { exponent });
}

/** Clamps into [min, max]; either bound may be infinite. */
export function clamp(x: Tensor, min: number, max: number): Tensor {
  if (min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  const out = new Float32Array(x.size);
  const d = x.data;
  for (let i = 0; i < out.length; i++) {
    const v = d[i];
    out[i] = v < min ? min : v > max ? max : v;
  }
  return record('Clamp', [x], new Tensor(out, x.shape), { min, max });
}

function binary(op: BinaryOp, name: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Maximum' | 'Minimum', av: TensorLike, bv: TensorLike): Tensor {
  const a = asTensor(av);
  const b = asTensor(bv);
  if (shapesEqual(a.shape, b.shape)) {
    const out = uninitializedArray(a.size);
    binaryKernel(op, a.data, b.data, out);
    return record(name, [a, b], new Tensor(out, a.shape), {});
  }
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = uninitializedArray(sizeOf(shape));
  binaryBroadcastKernel(op, a.data, b.data, out, broadcastLoops([a.shape, b.shape], shape));
  return record(name, [a, b], new Tensor(out, shape), {});
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', 'Add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', 'Sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', 'Mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', 'Div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', 'Pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', 'Maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', 'Minimum', a, b);

/** condition ? a : b, elementwise with broadcasting of all three. */
export function where(condition: BoolTensor, av: TensorLike, bv: TensorLike): Tensor {
  const a = asTensor(av);
  const b = asTensor(bv);
  const shape = broadcastShapes(broadcastShapes(condition.shape, a.shape, 'where'), b.shape, 'where');
  const n = sizeOf(shape);
  const ic = broadcastIndex(condition.shape, shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const out = new Float32Array(n);
  const c = condition.data;
  for (let k = 0; k < n; k++) out[k] = c[ic[k]] ? a.data[ia[k]] : b.data[ib[k]];
  return record('Where', [a, b], new Tensor(out, shape), { condition });
}

export type CompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

/** Elementwise comparison with broadcasting, giving a mask for `where`. */
export function compare(op: CompareOp, av: TensorLike, bv: TensorLike): BoolTensor {
  const a = asTensor(av);
  const b = asTensor(bv);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const n = sizeOf(shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const u = a.data[ia[k]];
    const v = b.data[ib[k]];
    out[k] = op === 'gt' ? +(u > v) : op === 'ge' ? +(u >= v) : op === 'lt' ? +(u < v) : op === 'le' ? +(u <= v) : op === 'eq' ? +(u === v) : +(u !== v);
  }
  return new BoolTensor(out, shape);
}

/** Checks that `shape` broadcasts to `full` (the shape of a broadcast result), naming both otherwise. */
function checkBroadcastsTo(shape: Shape, full: Shape, op: string): void {
  const target = broadcastShapes(shape, full, op);
  if (!shapesEqual(target, full)) throw new Error(`${op}: ${formatShape(shape)} does not broadcast to ${formatShape(full)}`);
}

/** Sums `t` (a broadcast result) back down to `shape`: the gradient rule of broadcasting. */
export function sumToShape(t: Tensor, shape: Shape): Tensor {
  if (shapesEqual(t.shape, shape)) return t;
  checkBroadcastsTo(shape, t.shape, 'sumToShape');
  const sums = new Float64Array(sizeOf(shape));
  sumToShapeKernel(t.data, broadcastLoops([shape], t.shape), sums);
  return new Tensor(Float32Array.from(sums), shape);
}
