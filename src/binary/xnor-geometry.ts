/**
 * The geometry of a binary convolution as BNext's binary convs have it (odd square kernel k,
 * zero padding k//2, stride s): packed input and weights checked against each other, and the
 * output size floor((H + 2·(k//2) - k) / s) + 1. The fast and the reference XNOR convolutions
 * (xnor-conv.ts, reference/xnor-conv.ts) both work from it.
 */
import type { PackedActivations, PackedWeights } from './packed-layout';

export interface XnorGeometry {
  n: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  pad: number;
  outHeight: number;
  outWidth: number;
}

/** Checks that packed input and weights fit together and gives the output size. */
export function xnorGeometry(input: PackedActivations, weights: PackedWeights, stride: number): XnorGeometry {
  const k = weights.kernelSize;
  const pad = k >> 1;
  const what = `xnorConv2d: input [${input.n}, ${input.channels}, ${input.height}, ${input.width}], weight [${weights.outChannels}, ${weights.inChannels}, ${k}, ${k}]`;
  if (input.channels !== weights.inChannels) throw new Error(`${what}: input has ${input.channels} channels, the weight expects ${weights.inChannels}`);
  if (k % 2 !== 1) throw new Error(`${what}: kernel size must be odd (padding k//2 on both sides)`);
  if (input.pad !== pad) throw new Error(`${what}: the input was packed with a border of ${input.pad}, the kernel needs ${pad}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${what}: stride must be a positive integer, got ${stride}`);
  const outHeight = Math.floor((input.height + 2 * pad - k) / stride) + 1;
  const outWidth = Math.floor((input.width + 2 * pad - k) / stride) + 1;
  if (outHeight < 1 || outWidth < 1) throw new Error(`${what}: the input is smaller than the kernel`);
  return {
    n: input.n, inChannels: input.channels, height: input.height, width: input.width,
    outChannels: weights.outChannels, kernelSize: k, stride, pad, outHeight, outWidth,
  };
}

