/**
 * Creation ops: zeros, ones, full, arange and tensor against PyTorch (fixtures/ops/creation.safetensors,
 * exact: arange computes start + i·step in float64 and rounds once, as PyTorch does for float32);
 * rand and randn draw from our seeded generator, not PyTorch's, so they are checked for
 * reproducibility and for their moments instead.
 */
import { expect } from 'chai';
import * as T from '../../../src/tensor/ops/index';
import { Rng } from '../../../src/tensor/random';
import { describeGolden, EXACT, ints, num, numbers, optNum } from '../../helpers/golden';

describeGolden('creation', {
  zeros: { run: (_, kw) => T.zeros(ints(kw, 'shape')), forward: EXACT },
  ones: { run: (_, kw) => T.ones(ints(kw, 'shape')), forward: EXACT },
  full: { run: (_, kw) => T.full(ints(kw, 'shape'), num(kw, 'value')), forward: EXACT },
  arange: { run: (_, kw) => T.arange(num(kw, 'start'), optNum(kw, 'end'), optNum(kw, 'step')), forward: EXACT },
  tensor: { run: (_, kw) => T.tensor(numbers(kw, 'values'), ints(kw, 'shape')), forward: EXACT },
});

describe('rand and randn (seeded)', () => {
  it('repeat exactly for the same seed and differ for another', () => {
    const a = T.randn([100], new Rng(7));
    const b = T.randn([100], new Rng(7));
    const c = T.randn([100], new Rng(8));
    expect(Array.from(a.data)).to.deep.equal(Array.from(b.data));
    expect(Array.from(a.data)).to.not.deep.equal(Array.from(c.data));
    expect(Array.from(T.rand([3, 4], new Rng(1)).data)).to.deep.equal(Array.from(T.rand([3, 4], new Rng(1)).data));
  });

  it('have the requested shape, range and moments', () => {
    const n = 20000;
    const u = T.rand([n / 100, 100], new Rng(3), -2, 6);
    expect(u.shape).to.deep.equal([n / 100, 100]);
    let lo = Infinity, hi = -Infinity, s = 0;
    for (const v of u.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      s += v;
    }
    expect(lo).to.be.at.least(-2);
    expect(hi).to.be.below(6);
    // Mean of U(-2, 6) is 2, standard deviation 8/sqrt(12) ≈ 2.31: the sample mean is within 5 sigma = 0.08.
    expect(Math.abs(s / n - 2)).to.be.below(0.08);
    const g = T.randn([n], new Rng(4), 1, 3);
    let m = 0, m2 = 0;
    for (const v of g.data) m += v;
    m /= n;
    for (const v of g.data) m2 += (v - m) * (v - m);
    // N(1, 3²): sample mean within 5·3/sqrt(n) ≈ 0.11, sample sd within about 5% of 3.
    expect(Math.abs(m - 1)).to.be.below(0.11);
    expect(Math.abs(Math.sqrt(m2 / (n - 1)) - 3)).to.be.below(0.15);
  });
});
