/**
 * 2-D convolution kernels in NCHW (cross-correlation, as PyTorch's conv2d), with stride,
 * zero padding, dilation and groups: the forward pass and the two gradients.
 *
 * PLACEHOLDER: direct loops; to be replaced by im2col + the blocked GEMM.
 */
import { formatShape, type Shape } from '../shape';

export interface Conv2dGeometry {
  n: number;
  cIn: number;
  h: number;
  w: number;
  cOut: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilH: number;
  dilW: number;
  groups: number;
  outH: number;
  outW: number;
}

export interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Validates input and weight shapes against the parameters; errors name both shapes. */
export function conv2dGeometry(xShape: Shape, wShape: Shape, p: Conv2dParams, op = 'conv2d'): Conv2dGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: input must be 4-D NCHW, got shape ${formatShape(xShape)}`);
  if (wShape.length !== 4) throw new Error(`${op}: weight must be 4-D [Cout, Cin/groups, kH, kW], got shape ${formatShape(wShape)}`);
  const [n, cIn, h, w] = xShape;
  const [cOut, cInG, kh, kw] = wShape;
  const g = p.groups;
  if (!Number.isInteger(g) || g < 1 || cIn % g !== 0 || cOut % g !== 0) {
    throw new Error(`${op}: groups=${g} must divide input channels ${cIn} and output channels ${cOut}`);
  }
  if (cInG * g !== cIn) {
    throw new Error(`${op}: weight ${formatShape(wShape)} expects ${cInG * g} input channels (groups=${g}), input ${formatShape(xShape)} has ${cIn}`);
  }
  for (const v of [...p.stride, ...p.dilation]) if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: stride and dilation must be positive integers, got stride ${p.stride} dilation ${p.dilation}`);
  for (const v of p.padding) if (!Number.isInteger(v) || v < 0) throw new Error(`${op}: padding must be non-negative integers, got ${p.padding}`);
  const outH = Math.floor((h + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1;
  const outW = Math.floor((w + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1;
  if (outH < 1 || outW < 1) {
    throw new Error(`${op}: input ${formatShape(xShape)} is smaller than the dilated kernel ${formatShape(wShape)} with padding ${p.padding}`);
  }
  return {
    n, cIn, h, w, cOut, kh, kw,
    strideH: p.stride[0], strideW: p.stride[1],
    padH: p.padding[0], padW: p.padding[1],
    dilH: p.dilation[0], dilW: p.dilation[1],
    groups: g, outH, outW,
  };
}

/** out[n, co, oy, ox] = bias[co] + sum over ci, ky, kx of x[...] * w[...] */
export function conv2dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Conv2dGeometry, out: Float32Array): void {
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  for (let n = 0; n < g.n; n++) {
    for (let co = 0; co < g.cOut; co++) {
      const grp = Math.floor(co / cOutG);
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          let s = bias ? bias[co] : 0;
          for (let ci = 0; ci < cInG; ci++) {
            const c = grp * cInG + ci;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padH + ky * g.dilH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padW + kx * g.dilW;
                if (ix < 0 || ix >= g.w) continue;
                s += x[((n * g.cIn + c) * g.h + iy) * g.w + ix] * w[((co * cInG + ci) * g.kh + ky) * g.kw + kx];
              }
            }
          }
          out[((n * g.cOut + co) * g.outH + oy) * g.outW + ox] = s;
        }
      }
    }
  }
}

/** dx = gradient of the forward with respect to x, given dy. Overwrites dx. */
export function conv2dBackwardInput(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  dx.fill(0);
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  for (let n = 0; n < g.n; n++) {
    for (let co = 0; co < g.cOut; co++) {
      const grp = Math.floor(co / cOutG);
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const d = dy[((n * g.cOut + co) * g.outH + oy) * g.outW + ox];
          for (let ci = 0; ci < cInG; ci++) {
            const c = grp * cInG + ci;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padH + ky * g.dilH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padW + kx * g.dilW;
                if (ix < 0 || ix >= g.w) continue;
                dx[((n * g.cIn + c) * g.h + iy) * g.w + ix] += d * w[((co * cInG + ci) * g.kh + ky) * g.kw + kx];
              }
            }
          }
        }
      }
    }
  }
}

/** dw = gradient of the forward with respect to w, given dy. Overwrites dw. */
export function conv2dBackwardFilter(dy: Float32Array, x: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  dw.fill(0);
  const cInG = g.cIn / g.groups;
  const cOutG = g.cOut / g.groups;
  for (let n = 0; n < g.n; n++) {
    for (let co = 0; co < g.cOut; co++) {
      const grp = Math.floor(co / cOutG);
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const d = dy[((n * g.cOut + co) * g.outH + oy) * g.outW + ox];
          for (let ci = 0; ci < cInG; ci++) {
            const c = grp * cInG + ci;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padH + ky * g.dilH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padW + kx * g.dilW;
                if (ix < 0 || ix >= g.w) continue;
                dw[((co * cInG + ci) * g.kh + ky) * g.kw + kx] += d * x[((n * g.cIn + c) * g.h + iy) * g.w + ix];
              }
            }
          }
        }
      }
    }
  }
}
