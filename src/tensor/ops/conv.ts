/** 2-D convolution in NCHW (cross-correlation, as torch.nn.functional.conv2d). */
import { record } from '../../autograd/record';
import { formatShape, pairOf } from '../shape';
import { Tensor } from '../tensor';
import { conv2dForward } from '../kernels/conv2d';
import { conv2dGeometry } from '../kernels/conv2d-geometry';
import type { Conv2dAttrs } from '../../autograd/op-attrs';
import { uninitializedArray } from '../../autograd/buffer-pool';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

export function conv2dAttrs(options: Conv2dOptions): Conv2dAttrs {
  return {
    stride: pairOf(options.stride ?? 1),
    padding: pairOf(options.padding ?? 0),
    dilation: pairOf(options.dilation ?? 1),
    groups: options.groups ?? 1,
  };
}

/** x [N, Cin, H, W], weight [Cout, Cin/groups, kH, kW], bias [Cout] or null. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  const attrs = conv2dAttrs(options);
  const g = conv2dGeometry(x.shape, weight.shape, attrs);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== g.cOut)) {
    throw new Error(`conv2d: bias shape ${formatShape(bias.shape)} does not match ${g.cOut} output channels`);
  }
  // Every kernel path writes every output.
  const out = uninitializedArray(g.n * g.cOut * g.outH * g.outW);
  conv2dForward(x.data, weight.data, bias ? bias.data : null, g, out);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('Conv2d', inputs, new Tensor(out, [g.n, g.cOut, g.outH, g.outW]), attrs);
}
