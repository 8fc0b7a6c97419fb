/**
 * 2-D pooling kernels in NCHW with PyTorch's conventions (pool2d-geometry.ts): average, max and
 * adaptive average pooling, forward and backward.
 *
 * Average pooling has one fast path, BNext's downsampling shortcut (2x2 windows, stride 2, no
 * padding), which sums the same four values in the same order as the general loops without
 * computing window bounds, so it gives the same bits; every other geometry, and every call when
 * the reference kernels are chosen (kernel-choice.ts), runs the plain loops of
 * reference/pool2d.ts. Max pooling and adaptive average pooling have no fast variant: their
 * loops below are already the definition.
 */
import type { PoolGeometry } from './pool2d-geometry';
import { adaptiveBins } from './pool2d-geometry';
import { usingReferenceKernels } from './kernel-choice';
import { avgPool2dBackwardReference, avgPool2dForwardReference } from './reference/pool2d';

/** 2x2 windows with stride 2 and no padding: BNext's downsampling shortcut, worth its own loops. */
function isHalving(g: PoolGeometry): boolean {
  return g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.ph === 0 && g.pw === 0;
}

export function avgPool2dForward(x: Float32Array, g: PoolGeometry, countIncludePad: boolean, out: Float32Array): void {
  if (isHalving(g) && !usingReferenceKernels()) halvingAverage(x, g, out);
  else avgPool2dForwardReference(x, g, countIncludePad, out);
}

/** Overwrites dx. */
export function avgPool2dBackward(dy: Float32Array, g: PoolGeometry, countIncludePad: boolean, dx: Float32Array): void {
  if (isHalving(g) && !usingReferenceKernels()) halvingAverageBackward(dy, g, dx);
  else avgPool2dBackwardReference(dy, g, countIncludePad, dx);
}

/**
 * avgPool2dForward for 2x2 windows, stride 2: the same sums in the same order, without the window
 * bounds. It and its backward below walk the same planes and rows, each with its own arithmetic
 * inline (a shared walk would call it per output): the repeat is the price of speed.
 */
function halvingAverage(x: Float32Array, g: PoolGeometry, out: Float32Array): void {
  const planes = g.n * g.c;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xBase = p * g.h * g.w;
    for (let oy = 0; oy < g.outH; oy++) {
      let top = xBase + 2 * oy * g.w;
      for (let ox = 0; ox < g.outW; ox++, top += 2) out[o++] = (x[top] + x[top + 1] + x[top + g.w] + x[top + g.w + 1]) / 4;
    }
  }
}

/** avgPool2dBackward for 2x2 windows, stride 2: each input gets a quarter of its one window's gradient. */
function halvingAverageBackward(dy: Float32Array, g: PoolGeometry, dx: Float32Array): void {
  // An odd last row or column lies in no window.
  if (g.h % 2 === 1 || g.w % 2 === 1) dx.fill(0, 0, g.n * g.c * g.h * g.w);
  const planes = g.n * g.c;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xBase = p * g.h * g.w;
    for (let oy = 0; oy < g.outH; oy++) {
      let top = xBase + 2 * oy * g.w;
      for (let ox = 0; ox < g.outW; ox++, top += 2) {
        const d = dy[o++] / 4;
        dx[top] = d;
        dx[top + 1] = d;
        dx[top + g.w] = d;
        dx[top + g.w + 1] = d;
      }
    }
  }
}

/** Max pooling; `argmax` receives the flat input index of each chosen element. */
export function maxPool2dForward(x: Float32Array, g: PoolGeometry, out: Float32Array, argmax: Int32Array): void {
  const planes = g.n * g.c;
  for (let p = 0; p < planes; p++) {
    const xBase = p * g.h * g.w;
    const oBase = p * g.outH * g.outW;
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = oy * g.sh - g.ph;
      for (let ox = 0; ox < g.outW; ox++) {
        const x0 = ox * g.sw - g.pw;
        let best = -Infinity;
        let at = -1;
        for (let y = Math.max(y0, 0); y < Math.min(y0 + g.kh, g.h); y++) {
          for (let xx = Math.max(x0, 0); xx < Math.min(x0 + g.kw, g.w); xx++) {
            const v = x[xBase + y * g.w + xx];
            // NaN propagates, as in PyTorch.
            if (v > best || v !== v || at < 0) {
              best = v;
              at = xBase + y * g.w + xx;
              if (v !== v) break;
            }
          }
        }
        out[oBase + oy * g.outW + ox] = best;
        argmax[oBase + oy * g.outW + ox] = at;
      }
    }
  }
}

/** The bins [start, end) of every output index, computed once per call rather than per plane. */
function adaptiveBinTable(inSize: number, outSize: number): Int32Array {
  const table = new Int32Array(2 * outSize);
  for (let i = 0; i < outSize; i++) [table[2 * i], table[2 * i + 1]] = adaptiveBins(inSize, outSize, i);
  return table;
}

/**
 * Calls visit for every output of adaptive pooling over n·c planes of h x w: its flat index, the
 * flat index of its plane's first input, and its bin, rows [y0, y1) by columns [x0, x1).
 */
function forEachAdaptiveBin(
  n: number, c: number, h: number, w: number, outH: number, outW: number,
  visit: (o: number, plane: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  const rows = adaptiveBinTable(h, outH);
  const cols = adaptiveBinTable(w, outW);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) visit((p * outH + oy) * outW + ox, p * h * w, rows[2 * oy], rows[2 * oy + 1], cols[2 * ox], cols[2 * ox + 1]);
    }
  }
}

export function adaptiveAvgPool2dForward(x: Float32Array, n: number, c: number, h: number, w: number, outH: number, outW: number, out: Float32Array): void {
  forEachAdaptiveBin(n, c, h, w, outH, outW, (o, plane, y0, y1, x0, x1) => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += x[plane + y * w + xx];
    out[o] = s / ((y1 - y0) * (x1 - x0));
  });
}

/** Overwrites dx. */
export function adaptiveAvgPool2dBackward(dy: Float32Array, n: number, c: number, h: number, w: number, outH: number, outW: number, dx: Float32Array): void {
  dx.fill(0);
  forEachAdaptiveBin(n, c, h, w, outH, outW, (o, plane, y0, y1, x0, x1) => {
    const d = dy[o] / ((y1 - y0) * (x1 - x0));
    for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) dx[plane + y * w + xx] += d;
  });
}
