/**
 * The 2-D convolution written from its definition (PyTorch's conv2d: cross-correlation in NCHW
 * with stride, zero padding, dilation and groups), in plain loops.
 *
 * A convolution pairs each output element o with the input elements i and weights k it reads:
 * output (n, co, oy, ox) reads, for every input channel ci of its group and every tap (ky, kx),
 * the input at row oy·strideH - padH + ky·dilH and column ox·strideW - padW + kx·dilW, when
 * that position is inside the image (outside it is zero padding, which adds nothing). `eachTap`
 * lists these (o, i, k) triples; the forward and both gradients are sums over them:
 *   out[o] = bias[co] + Σ x[i]·w[k]       dx[i] = Σ dy[o]·w[k]       dw[k] = Σ dy[o]·x[i]
 * Each sum is taken in float64 and rounded to float32 once, so these functions are the most
 * exact float32 answer the operands allow; the fast kernels (conv2d.ts) round more often and
 * agree with them within the tolerance of docs/conventions.md ("Tolerances").
 */
import type { Conv2dGeometry } from '../conv2d-geometry';

/**
 * Calls visit(o, i, k) for every multiply-add of the convolution: o, i, k are flat indices of
 * the output [N, Cout, outH, outW], the input [N, Cin, H, W] and the weight [Cout, Cin/groups,
 * kH, kW]. For each output, its taps come in weight order (ci, ky, kx).
 */
export function eachTap(g: Conv2dGeometry, visit: (o: number, i: number, k: number) => void): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  for (let n = 0; n < g.n; n++) {
    for (let co = 0; co < g.cOut; co++) {
      const group = Math.floor(co / cOutG);
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const o = ((n * g.cOut + co) * g.outH + oy) * g.outW + ox;
          for (let ci = 0; ci < cInG; ci++) {
            const c = group * cInG + ci;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padH + ky * g.dilH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padW + kx * g.dilW;
                if (ix < 0 || ix >= g.w) continue;
                visit(o, ((n * g.cIn + c) * g.h + iy) * g.w + ix, ((co * cInG + ci) * g.kh + ky) * g.kw + kx);
              }
            }
          }
        }
      }
    }
  }
}

/** out = bias + Σ x·w over the taps. Overwrites out; a Float64Array receives the sums unrounded. */
export function conv2dForwardReference(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Conv2dGeometry, out: Float32Array | Float64Array): void {
  const size = g.n * g.cOut * g.outH * g.outW;
  const sum = new Float64Array(size);
  const plane = g.outH * g.outW;
  if (bias) for (let o = 0; o < size; o++) sum[o] = bias[Math.floor(o / plane) % g.cOut];
  eachTap(g, (o, i, k) => {
    sum[o] += x[i] * w[k];
  });
  out.set(sum);
}

/** dx = Σ dy·w over the taps: the gradient of the forward with respect to x. Overwrites dx. */
export function conv2dBackwardInputReference(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  const sum = new Float64Array(g.n * g.cIn * g.h * g.w);
  eachTap(g, (o, i, k) => {
    sum[i] += dy[o] * w[k];
  });
  dx.set(sum);
}

/** dw = Σ dy·x over the taps (the whole batch): the gradient with respect to w. Overwrites dw. */
export function conv2dBackwardFilterReference(dy: Float32Array, x: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  const sum = new Float64Array(g.cOut * (g.cIn / g.groups) * g.kh * g.kw);
  eachTap(g, (o, i, k) => {
    sum[k] += dy[o] * x[i];
  });
  dw.set(sum);
}
