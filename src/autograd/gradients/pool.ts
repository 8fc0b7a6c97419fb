/** Backward rules of the pooling ops. */
import { Tensor } from '../../tensor/tensor';
import { adaptiveAvgPool2dBackward, avgPool2dBackward } from '../../tensor/kernels/pool2d';
import { poolGeometry } from '../../tensor/kernels/pool2d-geometry';
import type { GradientRule } from '../gradient-rule';
import { uninitializedArray } from '../buffer-pool';

export const avgPool2dGrad: GradientRule<'AvgPool2d'> = (dy, { inputs: [x], attrs }) => {
  const g = poolGeometry(x.shape, attrs.kernel, attrs.stride, attrs.padding, 'avgPool2d');
  // avgPool2dBackward zeroes it first.
  const dx = uninitializedArray(x.size);
  avgPool2dBackward(dy.data, g, attrs.countIncludePad, dx);
  return [new Tensor(dx, x.shape)];
};

/** Each output's gradient goes to the input element that was the window's maximum. */
export const maxPool2dGrad: GradientRule<'MaxPool2d'> = (dy, { inputs: [x], attrs: { argmax } }) => {
  const dx = new Float32Array(x.size);
  for (let o = 0; o < argmax.length; o++) dx[argmax[o]] += dy.data[o];
  return [new Tensor(dx, x.shape)];
};

export const adaptiveAvgPool2dGrad: GradientRule<'AdaptiveAvgPool2d'> = (dy, { inputs: [x], attrs }) => {
  const [n, c, h, w] = x.shape;
  // adaptiveAvgPool2dBackward zeroes it first.
  const dx = uninitializedArray(x.size);
  adaptiveAvgPool2dBackward(dy.data, n, c, h, w, attrs.outH, attrs.outW, dx);
  return [new Tensor(dx, x.shape)];
};
