/**
 * The geometry of 2-D pooling in NCHW with PyTorch's conventions (torch.nn.functional): floor
 * output size (ceil_mode off), padding at most half the window, and adaptive pooling's bins
 * [floor(i·H/out), ceil((i+1)·H/out)). Every pooling kernel (pool2d.ts, reference/pool2d.ts)
 * works from it.
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

/** The input range [start, end) that adaptive pooling averages for output index i. */
export function adaptiveBins(inSize: number, outSize: number, i: number): [number, number] {
  return [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)];
}
