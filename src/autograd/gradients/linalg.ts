/** Backward rules of matmul and conv2d. */
import { Tensor } from '../../tensor/tensor';
import { matmulRaw } from '../../tensor/ops/matmul';
import { sumToShape } from '../../tensor/ops/elementwise';
import { conv2dBackwardFilter, conv2dBackwardInput } from '../../tensor/kernels/conv2d';
import { conv2dGeometry } from '../../tensor/kernels/conv2d-geometry';
import type { GradientRule } from '../gradient-rule';
import { uninitializedArray } from '../buffer-pool';

/** For y = a @ b: da = dy @ bᵀ, db = aᵀ @ dy, each summed over broadcast batch dims. */
export const matmulGrad: GradientRule<'MatMul'> = (dy, { inputs: [a, b] }) => [
  a.requiresGrad ? sumToShape(matmulRaw(dy, b, false, true), a.shape) : null,
  b.requiresGrad ? sumToShape(matmulRaw(a, dy, true, false), b.shape) : null,
];

/** dx is the transposed convolution of dy; dw correlates dy with x; db sums dy per channel. */
export const conv2dGrad: GradientRule<'Conv2d'> = (dy, { inputs, attrs }) => {
  const [x, w, bias] = inputs;
  const g = conv2dGeometry(x.shape, w.shape, attrs);
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (x.requiresGrad) {
    dx = new Tensor(uninitializedArray(x.size), x.shape);
    conv2dBackwardInput(dy.data, w.data, g, dx.data);
  }
  if (w.requiresGrad) {
    dw = new Tensor(uninitializedArray(w.size), w.shape);
    conv2dBackwardFilter(dy.data, x.data, g, dw.data);
  }
  if (bias && bias.requiresGrad) {
    const sums = new Float64Array(g.cOut);
    const plane = g.outH * g.outW;
    for (let n = 0; n < g.n; n++) {
      for (let c = 0; c < g.cOut; c++) {
        const base = (n * g.cOut + c) * plane;
        let s = 0;
        for (let i = 0; i < plane; i++) s += dy.data[base + i];
        sums[c] += s;
      }
    }
    db = new Tensor(Float32Array.from(sums), bias.shape);
  }
  return [dx, dw, db];
};
