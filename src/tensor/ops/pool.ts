/** Average, max and adaptive-average pooling over NCHW tensors (torch.nn.functional semantics). */
import { record } from '../../autograd/record';
import { formatShape, pairOf } from '../shape';
import { Tensor } from '../tensor';
import { adaptiveAvgPool2dForward, avgPool2dForward, maxPool2dForward } from '../kernels/pool2d';
import { poolGeometry } from '../kernels/pool2d-geometry';

export interface Pool2dOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: number | [number, number];
  padding?: number | [number, number];
}

export function avgPool2d(x: Tensor, kernel: number | [number, number], options: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  const k = pairOf(kernel);
  const stride = pairOf(options.stride ?? k);
  const padding = pairOf(options.padding ?? 0);
  const countIncludePad = options.countIncludePad ?? true;
  const g = poolGeometry(x.shape, k, stride, padding, 'avgPool2d');
  const out = new Float32Array(g.n * g.c * g.outH * g.outW);
  avgPool2dForward(x.data, g, countIncludePad, out);
  return record('AvgPool2d', [x], new Tensor(out, [g.n, g.c, g.outH, g.outW]), { kernel: k, stride, padding, countIncludePad });
}

export function maxPool2d(x: Tensor, kernel: number | [number, number], options: Pool2dOptions = {}): Tensor {
  const k = pairOf(kernel);
  const stride = pairOf(options.stride ?? k);
  const padding = pairOf(options.padding ?? 0);
  const g = poolGeometry(x.shape, k, stride, padding, 'maxPool2d');
  const n = g.n * g.c * g.outH * g.outW;
  const out = new Float32Array(n);
  const argmax = new Int32Array(n);
  maxPool2dForward(x.data, g, out, argmax);
  return record('MaxPool2d', [x], new Tensor(out, [g.n, g.c, g.outH, g.outW]), { kernel: k, stride, padding, argmax });
}

export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number, number]): Tensor {
  if (x.ndim !== 4) throw new Error(`adaptiveAvgPool2d: input must be 4-D NCHW, got shape ${formatShape(x.shape)}`);
  const [outH, outW] = pairOf(outputSize);
  if (outH < 1 || outW < 1) throw new Error(`adaptiveAvgPool2d: output size ${outputSize} must be positive`);
  const [n, c, h, w] = x.shape;
  const out = new Float32Array(n * c * outH * outW);
  adaptiveAvgPool2dForward(x.data, n, c, h, w, outH, outW, out);
  return record('AdaptiveAvgPool2d', [x], new Tensor(out, [n, c, outH, outW]), { outH, outW });
}
