/**
 * Average pooling written from its definition, in plain loops: each output is the mean of its
 * window, the window clipped to the padded input; with `countIncludePad` (PyTorch's default)
 * the divisor counts the padding positions inside the window too, else only the input
 * positions. The backward gives each input position the sum of (output gradient / divisor)
 * over the windows it falls in. pool2d.ts runs these for every geometry but its 2x2 stride-2
 * fast path, and for all of them when the reference kernels are chosen (kernel-choice.ts).
 */
import type { PoolGeometry } from '../pool2d-geometry';

/** The window of output (oy, ox): rows [y0, y1), columns [x0, x1), in padded coordinates. */
function windowOf(g: PoolGeometry, oy: number, ox: number): { y0: number; y1: number; x0: number; x1: number } {
  const y0 = oy * g.sh - g.ph;
  const x0 = ox * g.sw - g.pw;
  return { y0, y1: Math.min(y0 + g.kh, g.h + g.ph), x0, x1: Math.min(x0 + g.kw, g.w + g.pw) };
}

export function avgPool2dForwardReference(x: Float32Array, g: PoolGeometry, countIncludePad: boolean, out: Float32Array): void {
  for (let p = 0; p < g.n * g.c; p++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const { y0, y1, x0, x1 } = windowOf(g, oy, ox);
        let sum = 0;
        let count = 0;
        for (let y = Math.max(y0, 0); y < Math.min(y1, g.h); y++) {
          for (let xx = Math.max(x0, 0); xx < Math.min(x1, g.w); xx++) {
            sum += x[(p * g.h + y) * g.w + xx];
            count++;
          }
        }
        out[(p * g.outH + oy) * g.outW + ox] = sum / (countIncludePad ? (y1 - y0) * (x1 - x0) : count);
      }
    }
  }
}

/** Overwrites dx. */
export function avgPool2dBackwardReference(dy: Float32Array, g: PoolGeometry, countIncludePad: boolean, dx: Float32Array): void {
  dx.fill(0, 0, g.n * g.c * g.h * g.w);
  for (let p = 0; p < g.n * g.c; p++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const { y0, y1, x0, x1 } = windowOf(g, oy, ox);
        const ya = Math.max(y0, 0), yb = Math.min(y1, g.h), xa = Math.max(x0, 0), xb = Math.min(x1, g.w);
        const divisor = countIncludePad ? (y1 - y0) * (x1 - x0) : (yb - ya) * (xb - xa);
        const d = dy[(p * g.outH + oy) * g.outW + ox] / divisor;
        for (let y = ya; y < yb; y++) for (let xx = xa; xx < xb; xx++) dx[(p * g.h + y) * g.w + xx] += d;
      }
    }
  }
}
