/**
 * The golden harness itself (spec/helpers/golden.ts): its rules measure what they claim, and a
 * failing comparison names the case, the worst element, our value and PyTorch's.
 */
import { expect } from 'chai';
import * as T from '../../../src/tensor/ops/index';
import { checkCase, ELEMENTWISE, expectGolden, loadGolden, measure, REDUCTION } from '../../helpers/golden';
import type { StoredArray } from '../../../src/io/stored';
import { gradients } from '../../../src/autograd/gradients/index';
import type { GradientRule } from '../../../src/autograd/gradient-rule';

const stored = (values: number[], shape = [values.length]): StoredArray => ({ dtype: 'F32', shape, data: Float32Array.from(values) });

describe('golden harness', () => {
  it('elementwise rule: relative above 1, absolute below', () => {
    expect(measure([101], [100], 'elementwise').error).to.be.closeTo(0.01, 1e-12);
    expect(measure([0.011], [0.01], 'elementwise').error).to.be.closeTo(0.001, 1e-12);
  });

  it('scale rule: relative to the largest |torch| (at least 1)', () => {
    expect(measure([0.5, 10], [0.4, 10], 'scale').error).to.be.closeTo(0.01, 1e-7);
    expect(measure([0.5], [0.4], 'scale').error).to.be.closeTo(0.1, 1e-7);
  });

  it('exact rule and NaN: NaN matches only NaN, any difference fails exactly', () => {
    expect(measure([NaN, 1], [NaN, 1], 'exact').error).to.equal(0);
    expect(measure([NaN], [1], 'scale').error).to.equal(Infinity);
    expect(measure([1 + 2 ** -20], [1], 'exact').error).to.equal(Infinity);
  });

  it('a failure names the case, the worst index and both values', () => {
    const ours = T.tensor([1, 2, 3, 4.5, 5, 6], [2, 3]);
    expect(() => expectGolden(ours, stored([1, 2, 3, 4, 5, 6], [2, 3]), REDUCTION, 'family/case_7 forward', 'test'))
      .to.throw(/family\/case_7 forward: worst element \[1, 0\] \(flat 3\): ours 4\.5, torch 4; error 8\.333e-2 > 0\.00001 \(scale rule\)/);
    expect(() => expectGolden(T.tensor([1, 2]), stored([1, 2], [1, 2]), REDUCTION, 'x', 'test')).to.throw(/x: shape \[2\], torch has \[1, 2\]/);
  });

  it('a wrong op or a wrong gradient is caught on a real case', () => {
    const c = loadGolden('elementwise').find((k) => k.name === 'tanh_1');
    if (!c) throw new Error('fixture case tanh_1 is missing');
    expect(() => checkCase(c, { run: ([x]) => T.sigmoid(x as never), forward: ELEMENTWISE })).to.throw(/elementwise\/tanh_1 \(tanh\) forward: worst element/);
    // A backward rule off by a factor of 2, swapped into the registry for this one check.
    const rules = gradients as unknown as Record<string, GradientRule<'Tanh'>>;
    const right = rules.Tanh;
    rules.Tanh = (dy, node) => right(T.mul(dy, 2), node);
    try {
      expect(() => checkCase(c, { run: ([x]) => T.tanh(x as never), forward: ELEMENTWISE })).to.throw(/elementwise\/tanh_1 \(tanh\) grad of input 0: worst element/);
    } finally {
      rules.Tanh = right;
    }
    expect(() => checkCase(c, { run: ([x]) => T.tanh(x as never), forward: ELEMENTWISE })).to.not.throw();
  });
});
