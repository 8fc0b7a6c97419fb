/**
 * A 1x1 convolution of 1x1 maps is a dense layer: with the input [N, Cin, 1, 1] read as the
 * matrix X [N x Cin] and the weight [Cout, Cin, 1, 1] as W [Cout x Cin],
 *   forward          Y  [N x Cout]   = X · Wᵀ (+ bias)
 *   backward input   dX [N x Cin]    = dY · W
 *   backward filter  dW [Cout x Cin] = dYᵀ · X
 * each one GEMM on the tensors as they are. BNext's squeeze-and-expand layers are such
 * convolutions (after global pooling); through im2col they paid a column copy per image and a
 * gather back, and took 1.8x as long (forward and both gradients, 8 to 256 channels, batch 32),
 * for the same bits. conv2d.ts sends a convolution here when `denseApplies` says so.
 */
import { sgemm } from './gemm';
import type { Conv2dGeometry } from './conv2d-geometry';

/** Whether this convolution is a 1x1 kernel on 1x1 maps without padding or groups. */
export function denseApplies(g: Conv2dGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.h === 1 && g.w === 1 && g.padH === 0 && g.padW === 0 && g.groups === 1;
}

/** out = x · Wᵀ + bias; out is overwritten. */
export function denseForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Conv2dGeometry, out: Float32Array): void {
  // The GEMM adds onto the bias, as the im2col path does, so both round alike.
  if (bias) for (let n = 0; n < g.n; n++) out.set(bias, n * g.cOut);
  sgemm(g.n, g.cOut, g.cIn, { data: x, offset: 0, ld: g.cIn, trans: false }, { data: w, offset: 0, ld: g.cIn, trans: true }, out, 0, g.cOut, bias !== null);
}

/** dx = dy · W; dx is overwritten. */
export function denseBackwardInput(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  sgemm(g.n, g.cIn, g.cOut, { data: dy, offset: 0, ld: g.cOut, trans: false }, { data: w, offset: 0, ld: g.cIn, trans: false }, dx, 0, g.cIn, false);
}

/** dw = dyᵀ · x, summed over the batch; dw is overwritten. */
export function denseBackwardFilter(dy: Float32Array, x: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  sgemm(g.cOut, g.cIn, g.n, { data: dy, offset: 0, ld: g.cOut, trans: true }, { data: x, offset: 0, ld: g.cIn, trans: false }, dw, 0, g.cIn, false);
}
