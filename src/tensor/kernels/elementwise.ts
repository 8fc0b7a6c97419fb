/**
 * Elementwise kernels on flat Float32Arrays. Each takes an op code and switches once, outside
 * its loop, so every loop body is a single expression V8 can keep tight. Broadcasting walks
 * strided loops (see broadcastLoops in shape.ts) rather than per-element index maps: the index
 * maps cost as much as the arithmetic, and allocated an Int32Array per operand per op.
 */
import type { BroadcastLoops } from '../shape';

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sign'
  | 'relu' | 'relu6' | 'sigmoid' | 'hardSigmoid' | 'tanh';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

/** torch.sign: -1, 0 or +1 (NaN stays NaN). */
export function signOf(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : v;
}

export function unaryKernel(op: UnaryOp, x: Float32Array, out: Float32Array): void {
  const n = x.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; break;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]); break;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]); break;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]); break;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]); break;
    case 'sign': for (let i = 0; i < n; i++) out[i] = signOf(x[i]); break;
    case 'relu': for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0; break;
    case 'relu6': for (let i = 0; i < n; i++) out[i] = x[i] > 6 ? 6 : x[i] > 0 ? x[i] : 0; break;
    case 'sigmoid': for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[i])); break;
    // torch.nn.functional.hardsigmoid: relu6(x + 3) / 6
    case 'hardSigmoid': for (let i = 0; i < n; i++) { const v = x[i] + 3; out[i] = (v > 6 ? 6 : v > 0 ? v : 0) / 6; } break;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); break;
  }
}

/** out[k] = a[k] op b[k] for operands of the output's own shape. */
export function binaryKernel(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  switch (op) {
    case 'add': for (let k = 0; k < n; k++) out[k] = a[k] + b[k]; return;
    case 'sub': for (let k = 0; k < n; k++) out[k] = a[k] - b[k]; return;
    case 'mul': for (let k = 0; k < n; k++) out[k] = a[k] * b[k]; return;
    case 'div': for (let k = 0; k < n; k++) out[k] = a[k] / b[k]; return;
    case 'pow': for (let k = 0; k < n; k++) out[k] = Math.pow(a[k], b[k]); return;
    case 'maximum': for (let k = 0; k < n; k++) out[k] = maximumOf(a[k], b[k]); return;
    case 'minimum': for (let k = 0; k < n; k++) out[k] = minimumOf(a[k], b[k]); return;
  }
}

/**
 * out = a op b with broadcasting, walking `loops` (from broadcastLoops([a.shape, b.shape], out
 * shape)): the last coalesced dimension is one call of binaryRow, the others an odometer, so no
 * per-element index is ever computed or stored.
 */
export function binaryBroadcastKernel(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, loops: BroadcastLoops): void {
  const { sizes, strides: [sa, sb] } = loops;
  const inner = sizes.length - 1;
  const n = sizes[inner];
  const counter = new Int32Array(inner);
  let ia = 0;
  let ib = 0;
  for (let k = 0; k < out.length; k += n) {
    binaryRow(op, a, ia, sa[inner], b, ib, sb[inner], out, k, n);
    for (let d = inner - 1; d >= 0; d--) {
      ia += sa[d];
      ib += sb[d];
      if (++counter[d] < sizes[d]) break;
      ia -= sa[d] * sizes[d];
      ib -= sb[d] * sizes[d];
      counter[d] = 0;
    }
  }
}

/**
 * out[k + j] = a[ia + j·sa] op b[ib + j·sb] for j < n. One switch per row keeps each loop a
 * single expression. Rows where both operands are walked, or one is a constant (BNext's
 * per-channel bias, scale and gate), get loops without the stride arithmetic.
 */
function binaryRow(op: BinaryOp, a: Float32Array, ia: number, sa: number, b: Float32Array, ib: number, sb: number, out: Float32Array, k: number, n: number): void {
  if (sa === 1 && sb === 1) return contiguousRow(op, a, ia, b, ib, out, k, n);
  if (sa === 1 && sb === 0) return constantRightRow(op, a, ia, b[ib], out, k, n);
  if (sa === 0 && sb === 1) return constantLeftRow(op, a[ia], b, ib, out, k, n);
  const end = k + n;
  switch (op) {
    case 'add': for (; k < end; k++, ia += sa, ib += sb) out[k] = a[ia] + b[ib]; return;
    case 'sub': for (; k < end; k++, ia += sa, ib += sb) out[k] = a[ia] - b[ib]; return;
    case 'mul': for (; k < end; k++, ia += sa, ib += sb) out[k] = a[ia] * b[ib]; return;
    case 'div': for (; k < end; k++, ia += sa, ib += sb) out[k] = a[ia] / b[ib]; return;
    case 'pow': for (; k < end; k++, ia += sa, ib += sb) out[k] = Math.pow(a[ia], b[ib]); return;
    case 'maximum': for (; k < end; k++, ia += sa, ib += sb) out[k] = maximumOf(a[ia], b[ib]); return;
    case 'minimum': for (; k < end; k++, ia += sa, ib += sb) out[k] = minimumOf(a[ia], b[ib]); return;
  }
}

function contiguousRow(op: BinaryOp, a: Float32Array, ia: number, b: Float32Array, ib: number, out: Float32Array, k: number, n: number): void {
  const d = ia - k;
  const e = ib - k;
  const end = k + n;
  switch (op) {
    case 'add': for (; k < end; k++) out[k] = a[k + d] + b[k + e]; return;
    case 'sub': for (; k < end; k++) out[k] = a[k + d] - b[k + e]; return;
    case 'mul': for (; k < end; k++) out[k] = a[k + d] * b[k + e]; return;
    case 'div': for (; k < end; k++) out[k] = a[k + d] / b[k + e]; return;
    case 'pow': for (; k < end; k++) out[k] = Math.pow(a[k + d], b[k + e]); return;
    case 'maximum': for (; k < end; k++) out[k] = maximumOf(a[k + d], b[k + e]); return;
    case 'minimum': for (; k < end; k++) out[k] = minimumOf(a[k + d], b[k + e]); return;
  }
}

function constantRightRow(op: BinaryOp, a: Float32Array, ia: number, v: number, out: Float32Array, k: number, n: number): void {
  const d = ia - k;
  const end = k + n;
  switch (op) {
    case 'add': for (; k < end; k++) out[k] = a[k + d] + v; return;
    case 'sub': for (; k < end; k++) out[k] = a[k + d] - v; return;
    case 'mul': for (; k < end; k++) out[k] = a[k + d] * v; return;
    case 'div': for (; k < end; k++) out[k] = a[k + d] / v; return;
    case 'pow': for (; k < end; k++) out[k] = Math.pow(a[k + d], v); return;
    case 'maximum': for (; k < end; k++) out[k] = maximumOf(a[k + d], v); return;
    case 'minimum': for (; k < end; k++) out[k] = minimumOf(a[k + d], v); return;
  }
}

function constantLeftRow(op: BinaryOp, u: number, b: Float32Array, ib: number, out: Float32Array, k: number, n: number): void {
  const e = ib - k;
  const end = k + n;
  switch (op) {
    case 'add': for (; k < end; k++) out[k] = u + b[k + e]; return;
    case 'sub': for (; k < end; k++) out[k] = u - b[k + e]; return;
    case 'mul': for (; k < end; k++) out[k] = u * b[k + e]; return;
    case 'div': for (; k < end; k++) out[k] = u / b[k + e]; return;
    case 'pow': for (; k < end; k++) out[k] = Math.pow(u, b[k + e]); return;
    case 'maximum': for (; k < end; k++) out[k] = maximumOf(u, b[k + e]); return;
    case 'minimum': for (; k < end; k++) out[k] = minimumOf(u, b[k + e]); return;
  }
}

/** torch.maximum / torch.minimum: a NaN on either side wins. */
function maximumOf(u: number, v: number): number {
  return u >= v || u !== u ? u : v;
}

function minimumOf(u: number, v: number): number {
  return u <= v || u !== u ? u : v;
}

/**
 * Sums x (contiguous, of the broadcast shape) onto the smaller shape it was broadcast from:
 * `loops` is broadcastLoops([small], x's shape) and `sums` has the small shape's size. When
 * `factor` is given, sums x·factor instead, with factor broadcast like any operand (its strides
 * are loops.strides[1]): the gradient of a broadcast product without the full-size product.
 * Sums are in float64 (each product of two float32 values is exact there), rounded by the caller.
 */
export function sumToShapeKernel(x: Float32Array, loops: BroadcastLoops, sums: Float64Array, factor: Float32Array | null = null): void {
  const { sizes, strides } = loops;
  const so = strides[0];
  const sf = factor ? strides[1] : so;
  const inner = sizes.length - 1;
  const n = sizes[inner];
  const step = so[inner];
  const fStep = sf[inner];
  const counter = new Int32Array(inner);
  let io = 0;
  let jf = 0;
  for (let k = 0; k < x.length; k += n) {
    if (step === 0) {
      // The whole row lands on one element: sum it in a register first.
      let s = 0;
      if (factor) for (let j = 0, f = jf; j < n; j++, f += fStep) s += x[k + j] * factor[f];
      else for (let j = 0; j < n; j++) s += x[k + j];
      sums[io] += s;
    } else if (factor) {
      for (let j = 0, o = io, f = jf; j < n; j++, o += step, f += fStep) sums[o] += x[k + j] * factor[f];
    } else {
      for (let j = 0, o = io; j < n; j++, o += step) sums[o] += x[k + j];
    }
    for (let d = inner - 1; d >= 0; d--) {
      io += so[d];
      jf += sf[d];
      if (++counter[d] < sizes[d]) break;
      io -= so[d] * sizes[d];
      jf -= sf[d] * sizes[d];
      counter[d] = 0;
    }
  }
}
