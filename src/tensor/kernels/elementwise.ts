/**
 * Elementwise kernels on flat Float32Arrays. Each takes an op code and switches once, outside
 * its loop, so every loop body is a single expression V8 can keep tight.
 */

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

/**
 * out[k] = a[ia[k]] op b[ib[k]]; `ia`/`ib` are broadcast index maps, or null when that operand
 * already has the output's shape.
 */
export function binaryKernel(op: BinaryOp, a: Float32Array, ia: Int32Array | null, b: Float32Array, ib: Int32Array | null, out: Float32Array): void {
  const n = out.length;
  if (ia === null && ib === null) {
    switch (op) {
      case 'add': for (let k = 0; k < n; k++) out[k] = a[k] + b[k]; return;
      case 'sub': for (let k = 0; k < n; k++) out[k] = a[k] - b[k]; return;
      case 'mul': for (let k = 0; k < n; k++) out[k] = a[k] * b[k]; return;
      case 'div': for (let k = 0; k < n; k++) out[k] = a[k] / b[k]; return;
      case 'pow': for (let k = 0; k < n; k++) out[k] = Math.pow(a[k], b[k]); return;
      case 'maximum': for (let k = 0; k < n; k++) out[k] = a[k] >= b[k] || a[k] !== a[k] ? a[k] : b[k]; return;
      case 'minimum': for (let k = 0; k < n; k++) out[k] = a[k] <= b[k] || a[k] !== a[k] ? a[k] : b[k]; return;
    }
  }
  const ja = ia ?? identity(n);
  const jb = ib ?? identity(n);
  switch (op) {
    case 'add': for (let k = 0; k < n; k++) out[k] = a[ja[k]] + b[jb[k]]; return;
    case 'sub': for (let k = 0; k < n; k++) out[k] = a[ja[k]] - b[jb[k]]; return;
    case 'mul': for (let k = 0; k < n; k++) out[k] = a[ja[k]] * b[jb[k]]; return;
    case 'div': for (let k = 0; k < n; k++) out[k] = a[ja[k]] / b[jb[k]]; return;
    case 'pow': for (let k = 0; k < n; k++) out[k] = Math.pow(a[ja[k]], b[jb[k]]); return;
    case 'maximum': for (let k = 0; k < n; k++) { const u = a[ja[k]]; const v = b[jb[k]]; out[k] = u >= v || u !== u ? u : v; } return;
    case 'minimum': for (let k = 0; k < n; k++) { const u = a[ja[k]]; const v = b[jb[k]]; out[k] = u <= v || u !== u ? u : v; } return;
  }
}

let identityCache = new Int32Array(0);
/** 0..n-1, cached: the index map of an operand that is not broadcast. */
function identity(n: number): Int32Array {
  if (identityCache.length < n) {
    identityCache = new Int32Array(n);
    for (let i = 0; i < n; i++) identityCache[i] = i;
  }
  return identityCache;
}

/** out[index[k]] += x[k]: sums a broadcast gradient back onto the smaller shape. */
export function scatterAdd(x: Float32Array, index: Int32Array, out: Float32Array): void {
  for (let k = 0; k < x.length; k++) out[index[k]] += x[k];
}
