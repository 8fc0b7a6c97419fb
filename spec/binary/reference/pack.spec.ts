/**
 * Packing: the fast loops of pack.ts (activations eight pixels a step, weights a word row at a
 * time) give the words, zero lists and border tables of the one-value-at-a-time loops of
 * reference/pack.ts, bit for bit, on the kernel grid (channels 1-130, kernels 1 and 3, odd sizes,
 * batch 1 and 3, a learnable shift or none, exact zeros, borders 0 and 1); the reference itself
 * sets the bits the layout defines.
 */
import { expect } from 'chai';
import { Rng } from '../../../src/tensor/random';
import { packActivations, packWeights } from '../../../src/binary/pack';
import { packActivationsReference, packWeightsReference } from '../../../src/binary/reference/pack';
import { withKernels } from '../../../src/tensor/kernels/kernel-choice';
import { describeGridCase, expectSameBits, gridValues, kernelGrid } from '../../helpers/kernel-grid';

describe('reference/pack', () => {
  it('sets bit c mod 32 of word c / 32 for a negative value, lists zeros, leaves the border and tail clear', () => {
    // One image of 33 channels and one pixel, border 1: 3x3 pixels of 2 words.
    const x = new Float32Array(33).fill(1);
    x[0] = -1;
    x[31] = -0.5;
    x[32] = -2;
    x[7] = 0;
    const p = packActivationsReference(x, [1, 33, 1, 1], 1, null);
    expect(p.words.length).to.equal(9 * 2);
    const centre = 4 * 2;
    expect(p.words[centre] >>> 0).to.equal(((1 << 0) | (1 << 31)) >>> 0);
    expect(p.words[centre + 1]).to.equal(1);
    expect([...p.words].filter((v, i) => i !== centre && i !== centre + 1 && v !== 0)).to.deep.equal([]);
    expect([...p.zeros]).to.deep.equal([7]);
  });

  it('packs weights per output channel and tap, output channels padded to 8', () => {
    // Two output channels of a 1x1 kernel over 2 input channels: w[co][ci] = [[-1, 2], [0, -3]].
    const p = packWeightsReference(Float32Array.of(-1, 2, 0, -3), [2, 2, 1, 1]);
    expect(p.paddedOutChannels).to.equal(8);
    expect([...p.words]).to.deep.equal([1, 2, 0, 0, 0, 0, 0, 0]);
    expect([...p.zeros]).to.deep.equal([2]);
    expect([...p.tapSums.subarray(0, 2)]).to.deep.equal([0, 0]);
  });

  it('the fast weight packing gives its words, zero list and tables on the grid, bit for bit', () => {
    const rng = new Rng('pack-weights-grid');
    for (const c of kernelGrid()) {
      const shape = [c.cOut, c.cIn, c.k, c.k];
      const w = gridValues(rng, c.cOut * c.cIn * c.k * c.k, c.zeros);
      const want = packWeightsReference(w, shape);
      const got = withKernels('fast', () => packWeights(w, shape));
      const what = describeGridCase(c);
      expectSameBits(got.words, want.words, `${what}: words`);
      expectSameBits(got.zeros, want.zeros, `${what}: zeros`);
      expectSameBits(got.borderBase, want.borderBase, `${what}: border table`);
    }
  });

  it('the fast activation packing gives its words and zero list on the grid, bit for bit', () => {
    const rng = new Rng('pack-grid');
    for (const c of kernelGrid()) {
      const pad = c.k >> 1;
      const x = gridValues(rng, c.n * c.cIn * c.h * c.w, c.zeros);
      const bias = c.stride === 2 ? gridValues(rng, c.cIn) : null;
      // With a shift, make some x + bias exactly 0.
      if (bias && c.zeros > 0) for (let i = 0; i < x.length; i += 7) x[i] = -bias[Math.floor(i / (c.h * c.w)) % c.cIn];
      const want = packActivationsReference(x, [c.n, c.cIn, c.h, c.w], pad, bias);
      const got = withKernels('fast', () => packActivations(x, [c.n, c.cIn, c.h, c.w], pad, bias));
      const what = `${describeGridCase(c)}${bias ? ', shifted' : ''}`;
      expectSameBits(got.words.subarray(0, want.words.length), want.words, `${what}: words`);
      expectSameBits(got.zeros, want.zeros, `${what}: zeros`);
      expect(c.zeros === 0 || want.zeros.length > 0, `${what}: the case has zeros`).to.equal(true);
    }
  });
});
