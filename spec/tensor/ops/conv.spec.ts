/**
 * conv2d against PyTorch (fixtures/ops/conv.safetensors): 3x3/1x1/5x5/non-square kernels, stride
 * 1-3 (also per axis), padding (also per axis), dilation, groups (grouped and depthwise), with and
 * without bias, odd spatial sizes, a 1x1 image.
 *
 * Tolerance (rule in spec/helpers/golden.ts): forward and the gradients of input, weight and bias
 * `scale` 1e-5 (each is a sum of products accumulated in a different order from PyTorch's).
 */
import * as T from '../../../src/tensor/ops/index';
import { asFloat, describeGolden, num, pairArg, REDUCTION } from '../../helpers/golden';

describeGolden('conv', {
  conv2d: {
    run: ([x, w, b], kw) => T.conv2d(asFloat(x, 'x'), asFloat(w, 'weight'), b ? asFloat(b, 'bias') : null, {
      stride: pairArg(kw, 'stride'),
      padding: pairArg(kw, 'padding'),
      dilation: pairArg(kw, 'dilation'),
      groups: num(kw, 'groups'),
    }),
    forward: REDUCTION,
  },
});
