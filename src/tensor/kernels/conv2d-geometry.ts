/**
 * The geometry of a 2-D convolution in NCHW (PyTorch's conv2d: stride, zero padding, dilation,
 * groups): the input and weight shapes checked against the parameters, and the output size
 *   out = floor((in + 2·pad - dil·(k - 1) - 1) / stride) + 1
 * that every convolution kernel (conv2d.ts, im2col.ts, conv2d-dense.ts, winograd/) works from.
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
