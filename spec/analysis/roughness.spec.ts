/** The roughness measures of a loss grid (docs/landscapes.md), on grids worked out by hand. */
import { expect } from 'chai';
import { roughness } from '../../src/analysis/roughness';
import { Rng } from '../../src/tensor/random';

describe('analysis/roughness', () => {
  it('measures a 3x3 grid as worked out by hand', () => {
    const r = roughness([1, 2, 3, 4, 5, 6, 7, 8, 10], 3, 3);
    // First differences: rows 1,1 | 1,1 | 1,2 and columns 3,3 | 3,3 | 3,4: 26 over 12 pairs.
    expect(r.meanAbsFirstDifference).to.be.closeTo(26 / 12, 1e-12);
    // Second differences: only the last row (7, 8, 10) and last column (3, 6, 10) bend, by 1 each: 2 over 6.
    expect(r.meanAbsSecondDifference).to.be.closeTo(2 / 6, 1e-12);
    expect(r.secondToFirst).to.be.closeTo(4 / 26, 1e-12);
    expect(r.localMinima).to.equal(0);
    expect(r.nonFinite).to.equal(0);
  });

  it('gives a plane no second differences, a bowl one minimum, and noise a ratio near √3', () => {
    const n = 9;
    const plane = Array.from({ length: n * n }, (_, k) => 2 * (k % n) - 3 * Math.floor(k / n));
    expect(roughness(plane, n, n).meanAbsSecondDifference).to.equal(0);
    expect(roughness(plane, n, n).localMinima).to.equal(0);
    const bowl = Array.from({ length: n * n }, (_, k) => ((k % n) - 4) ** 2 + (Math.floor(k / n) - 4) ** 2);
    const b = roughness(bowl, n, n);
    expect(b.localMinima).to.equal(1);
    expect(b.meanAbsSecondDifference).to.equal(2);
    const rng = new Rng(1);
    const m = 101;
    const noise = Array.from({ length: m * m }, () => rng.normal());
    const r = roughness(noise, m, m);
    expect(r.secondToFirst).to.be.within(1.65, 1.8);
    // About one interior point in nine is below its eight neighbours.
    expect(r.localMinima / ((m - 2) * (m - 2))).to.be.within(0.09, 0.13);
  });

  it('counts values that are not finite and leaves them out', () => {
    const r = roughness([1, 1, 1, 1, Number.NaN, 1, 1, 1, 1], 3, 3);
    expect(r.nonFinite).to.equal(1);
    expect(r.meanAbsFirstDifference).to.equal(0);
    expect(r.secondToFirst).to.be.NaN;
    expect(() => roughness([1, 2, 3, 4], 2, 2)).to.throw(/at least 3x3/);
  });
});
