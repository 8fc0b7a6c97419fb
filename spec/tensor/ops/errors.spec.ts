/**
 * Bad input to the ops: each raises an Error that names the op and what was expected versus
 * found (both shapes for a mismatch, the dimension and rank for an out-of-range dim).
 */
import { expect } from 'chai';
import * as T from '../../../src/tensor/ops/index';
import type { Tensor } from '../../../src/tensor/tensor';
import { BoolTensor } from '../../../src/tensor/bool-tensor';
import { IntTensor } from '../../../src/tensor/int-tensor';

const x23 = (): Tensor => T.zeros([2, 3]);

describe('op errors', () => {
  describe('shape mismatches name both shapes', () => {
    it('elementwise broadcasting (add, mul, where, compare)', () => {
      expect(() => T.add(x23(), T.zeros([4]))).to.throw(/add: shapes \[2, 3\] and \[4\] cannot be broadcast together/);
      expect(() => T.mul(T.zeros([2, 3, 4]), T.zeros([3, 1, 5]))).to.throw(/mul: shapes \[2, 3, 4\] and \[3, 1, 5\]/);
      expect(() => T.where(new BoolTensor(new Uint8Array(2), [2]), x23(), 0)).to.throw(/where: shapes \[2\] and \[2, 3\]/);
      expect(() => T.compare('gt', x23(), T.zeros([2]))).to.throw(/gt: shapes \[2, 3\] and \[2\]/);
    });

    it('matmul: inner dimensions and rank', () => {
      expect(() => T.matmul(x23(), T.zeros([4, 5]))).to.throw(/matmul: inner dimensions differ: \[2, 3\] @ \[4, 5\] \(3 vs 4\)/);
      expect(() => T.matmul(T.zeros([2, 2, 3]), T.zeros([3, 3, 4]))).to.throw(/matmul: shapes \[2\] and \[3\] cannot be broadcast/);
      expect(() => T.matmul(T.zeros([3]), T.zeros([3, 2]))).to.throw(/matmul: both operands need rank >= 2, got \[3\] and \[3, 2\]/);
    });

    it('conv2d: channels, groups, rank, bias, too small an input', () => {
      const x = T.zeros([1, 4, 5, 5]);
      expect(() => T.conv2d(x, T.zeros([2, 3, 3, 3]))).to.throw(/conv2d: weight \[2, 3, 3, 3\] expects 3 input channels \(groups=1\), input \[1, 4, 5, 5\] has 4/);
      expect(() => T.conv2d(x, T.zeros([3, 2, 3, 3]), null, { groups: 2 })).to.throw(/groups=2 must divide input channels 4 and output channels 3/);
      expect(() => T.conv2d(T.zeros([4, 5, 5]), T.zeros([2, 4, 3, 3]))).to.throw(/conv2d: input must be 4-D NCHW, got shape \[4, 5, 5\]/);
      expect(() => T.conv2d(x, T.zeros([2, 4, 3]))).to.throw(/conv2d: weight must be 4-D .* got shape \[2, 4, 3\]/);
      expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), T.zeros([3]))).to.throw(/conv2d: bias shape \[3\] does not match 2 output channels/);
      expect(() => T.conv2d(x, T.zeros([2, 4, 7, 7]))).to.throw(/conv2d: input \[1, 4, 5, 5\] is smaller than the dilated kernel \[2, 4, 7, 7\]/);
      expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), null, { stride: 0 })).to.throw(/conv2d: stride and dilation must be positive integers/);
    });

    it('concat: other dimensions and rank', () => {
      expect(() => T.concat([x23(), T.zeros([2, 4])], 0)).to.throw(/concat: shapes \[2, 3\] and \[2, 4\] differ outside dimension 0/);
      expect(() => T.concat([x23(), T.zeros([2, 3, 1])], 1)).to.throw(/concat: shapes \[2, 3\] and \[2, 3, 1\]/);
      expect(() => T.concat([], 0)).to.throw(/concat: needs at least one tensor/);
    });

    it('expand, gather, prelu, pools, batchNorm', () => {
      expect(() => T.expand(x23(), [4, 3])).to.throw(/expand: shapes \[2, 3\] and \[4, 3\] cannot be broadcast/);
      expect(() => T.expand(x23(), [3])).to.throw(/expand: \[2, 3\] cannot be expanded to \[3\]/);
      expect(() => T.gather(x23(), 1, new IntTensor(new Int32Array(6), [6]))).to.throw(/gather: index shape \[6\] does not fit input \[2, 3\]/);
      expect(() => T.prelu(T.zeros([2, 3, 4, 4]), T.zeros([2]))).to.throw(/prelu: weight shape \[2\] does not match 3 channels of input \[2, 3, 4, 4\]/);
      expect(() => T.maxPool2d(T.zeros([1, 1, 2, 2]), 3)).to.throw(/maxPool2d: input \[1, 1, 2, 2\] is smaller than the kernel 3,3/);
      expect(() => T.avgPool2d(T.zeros([1, 2, 4]), 2)).to.throw(/avgPool2d: input must be 4-D NCHW, got shape \[1, 2, 4\]/);
      expect(() => T.avgPool2d(T.zeros([1, 1, 6, 6]), 2, { padding: 2 })).to.throw(/avgPool2d: padding 2,2 must be at most half the kernel 2,2/);
      expect(() => T.adaptiveAvgPool2d(T.zeros([3, 4]), 1)).to.throw(/adaptiveAvgPool2d: input must be 4-D NCHW, got shape \[3, 4\]/);
      const c = (n: number) => T.zeros([n]);
      expect(() => T.batchNorm(T.zeros([2, 3, 2]), c(3), c(2), c(3), c(3), { training: true, momentum: 0.1, eps: 1e-5 }))
        .to.throw(/batchNorm: bias shape \[2\] does not match 3 channels of input \[2, 3, 2\]/);
    });
  });

  describe('out-of-range dimensions name the dim and the rank', () => {
    const x = T.zeros([2, 3, 4]);
    for (const [name, call] of [
      ['sum', () => T.sum(x, 3)],
      ['mean', () => T.mean(x, [0, -4])],
      ['max', () => T.max(x, 5)],
      ['variance', () => T.variance(x, -4)],
      ['argmax', () => T.argmax(x, 3)],
      ['softmax', () => T.softmax(x, 3)],
      ['logSoftmax', () => T.logSoftmax(x, -4)],
      ['transpose', () => T.transpose(x, 0, 3)],
      ['narrow', () => T.narrow(x, 3, 0, 1)],
      ['concat', () => T.concat([x, x], 3)],
      ['gather', () => T.gather(x, 3, new IntTensor(new Int32Array(24), [2, 3, 4]))],
      ['unsqueeze', () => T.unsqueeze(x, 4)],
      ['flatten', () => T.flatten(x, 0, 3)],
    ] as [string, () => unknown][]) {
      it(name, () => {
        expect(call).to.throw(new RegExp(`${name}: dimension -?\\d is out of range for a tensor of rank [34]`));
      });
    }

    it('a repeated dimension and a non-permutation', () => {
      expect(() => T.sum(x, [1, -2])).to.throw(/sum: repeated dimension in \[1, -2\]/);
      expect(() => T.permute(x, [0, 1, 1])).to.throw(/permute: \[0, 1, 1\] is not a permutation of the 3 dims of \[2, 3, 4\]/);
      expect(() => T.permute(x, [0, 1])).to.throw(/permute: \[0, 1\] is not a permutation/);
    });

    it('index ranges: narrow and gather', () => {
      expect(() => T.narrow(x, 1, 2, 2)).to.throw(/narrow: range \[2, 4\) is outside dimension 1 of size 3 \(shape \[2, 3, 4\]\)/);
      const index = new IntTensor(new Int32Array([0, 3]), [1, 2]);
      expect(() => T.gather(x23(), 1, index)).to.throw(/gather: index 3 is out of range for dimension 1 of size 3/);
    });
  });

  describe('invalid reshape', () => {
    it('names both shapes and element counts', () => {
      expect(() => T.reshape(x23(), [4])).to.throw(/reshape: cannot reshape \[2, 3\] \(6 elements\) into \[4\] \(4 elements\)/);
      expect(() => T.reshape(x23(), [4, -1])).to.throw(/reshape: cannot reshape \[2, 3\] \(6 elements\) into \[4, -1\]/);
      expect(() => T.reshape(x23(), [-1, -1])).to.throw(/reshape: only one dimension can be -1, got \[-1, -1\]/);
      expect(() => T.reshape(x23(), [0, -1])).to.throw(/reshape: cannot reshape \[2, 3\]/);
    });
  });

  describe('other arguments', () => {
    it('clamp with min > max, arange with step 0, a malformed shape', () => {
      expect(() => T.clamp(x23(), 1, 0)).to.throw(/clamp: min 1 is greater than max 0/);
      expect(() => T.arange(0, 3, 0)).to.throw(/arange: step must not be 0/);
      expect(() => T.zeros([2, -1])).to.throw(/zeros: invalid shape \[2, -1\]/);
      expect(() => T.tensor([1, 2, 3], [2, 2])).to.throw(/Tensor: shape \[2, 2\] needs 4 elements, data has 3/);
    });
  });
});
