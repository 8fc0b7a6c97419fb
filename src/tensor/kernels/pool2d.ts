/**
 * 2-D pooling kernels in NCHW, with PyTorch's conventions: floor output size (ceil_mode off),
 * max pooling pads with -infinity, average pooling counts padded zeros unless told otherwise,
 * and adaptive pooling uses the bins [floor(i*H/out), ceil((i+1)*H/out)).
 */
import { formatShape, type Shape } from '../shape';

export interface PoolGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  outH: number;
  outW: number;
}

export function poolGeometry(shape: Shape, kernel: [number, number], stride: [number, number], padding: [number, number], op: string): PoolGeometry {
  if (shape.length !== 4) throw new Error(`${op}: input must be 4-D NCHW, got shape ${formatShape(shape)}`);
  const [n, c, h, w] = shape;
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [ph, pw] = padding;
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1) throw new Error(`${op}: kernel ${kernel} and stride ${stride} must be positive`);
  if (2 * ph > kh || 2 * pw > kw) throw new Error(`${op}: padding ${padding} must be at most half the kernel ${kernel}`);
  const outH = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const outW = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (outH < 1 || outW < 1) throw new Error(`${op}: input ${formatShape(shape)} is smaller than the kernel ${kernel}`);
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, outH, outW };
}

/** 2x2 windows with stride 2 and no padding: BNext's downsampling shortcut, worth its own loops. */
function isHalving(g: PoolGeometry): boolean {
  return g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.ph === 0 && g.pw === 0;
}

export function avgPool2dForward(x: Float32Array, g: PoolGeometry, countIncludePad: boolean, out: Float32Array): void {
  if (isHalving(g)) return halvingAverage(x, g, out);
  const planes = g.n * g.c;
  for (let p = 0; p < planes; p++) {
    const xBase = p * g.h * g.w;
    const oBase = p * g.outH * g.outW;
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = oy * g.sh - g.ph;
      const y1 = Math.min(y0 + g.kh, g.h + g.ph);
      for (let ox = 0; ox < g.outW; ox++) {
        const x0 = ox * g.sw - g.pw;
        const x1 = Math.min(x0 + g.kw, g.w + g.pw);
        const padded = (y1 - y0) * (x1 - x0);
        let s = 0;
        let count = 0;
        for (let y = Math.max(y0, 0); y < Math.min(y1, g.h); y++) {
          for (let xx = Math.max(x0, 0); xx < Math.min(x1, g.w); xx++) {
            s += x[xBase + y * g.w + xx];
            count++;
          }
        }
        out[oBase + oy * g.outW + ox] = s / (countIncludePad ? padded : count);
      }
    }
  }
}

export function avgPool2dBackward(dy: Float32Array, g: PoolGeometry, countIncludePad: boolean, dx: Float32Array): void {
  dx.fill(0);
  if (isHalving(g)) return halvingAverageBackward(dy, g, dx);
  const planes = g.n * g.c;
  for (let p = 0; p < planes; p++) {
    const xBase = p * g.h * g.w;
    const oBase = p * g.outH * g.outW;
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = oy * g.sh - g.ph;
      const y1 = Math.min(y0 + g.kh, g.h + g.ph);
      for (let ox = 0; ox < g.outW; ox++) {
        const x0 = ox * g.sw - g.pw;
        const x1 = Math.min(x0 + g.kw, g.w + g.pw);
        const ya = Math.max(y0, 0);
        const yb = Math.min(y1, g.h);
        const xa = Math.max(x0, 0);
        const xb = Math.min(x1, g.w);
        const divisor = countIncludePad ? (y1 - y0) * (x1 - x0) : (yb - ya) * (xb - xa);
        const d = dy[oBase + oy * g.outW + ox] / divisor;
        for (let y = ya; y < yb; y++) for (let xx = xa; xx < xb; xx++) dx[xBase + y * g.w + xx] += d;
      }
    }
  }
}

/** avgPool2dForward for 2x2 windows, stride 2: the same sums in the same order, without the window bounds. */
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

export function adaptiveBins(inSize: number, outSize: number, i: number): [number, number] {
  return [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)];
}

/** The bins [start, end) of every output index, computed once per call rather than per plane. */
function adaptiveBinTable(inSize: number, outSize: number): Int32Array {
  const table = new Int32Array(2 * outSize);
  for (let i = 0; i < outSize; i++) [table[2 * i], table[2 * i + 1]] = adaptiveBins(inSize, outSize, i);
  return table;
}

export function adaptiveAvgPool2dForward(x: Float32Array, n: number, c: number, h: number, w: number, outH: number, outW: number, out: Float32Array): void {
  const rows = adaptiveBinTable(h, outH);
  const cols = adaptiveBinTable(w, outW);
  for (let p = 0; p < n * c; p++) {
    const xBase = p * h * w;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = rows[2 * oy], y1 = rows[2 * oy + 1];
      for (let ox = 0; ox < outW; ox++) {
        const x0 = cols[2 * ox], x1 = cols[2 * ox + 1];
        let s = 0;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += x[xBase + y * w + xx];
        out[(p * outH + oy) * outW + ox] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
}

export function adaptiveAvgPool2dBackward(dy: Float32Array, n: number, c: number, h: number, w: number, outH: number, outW: number, dx: Float32Array): void {
  dx.fill(0);
  const rows = adaptiveBinTable(h, outH);
  const cols = adaptiveBinTable(w, outW);
  for (let p = 0; p < n * c; p++) {
    const xBase = p * h * w;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = rows[2 * oy], y1 = rows[2 * oy + 1];
      for (let ox = 0; ox < outW; ox++) {
        const x0 = cols[2 * ox], x1 = cols[2 * ox + 1];
        const d = dy[(p * outH + oy) * outW + ox] / ((y1 - y0) * (x1 - x0));
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) dx[xBase + y * w + xx] += d;
      }
    }
  }
}
