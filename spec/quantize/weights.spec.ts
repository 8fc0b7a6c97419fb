/** Eq. 6 beyond the official goldens (golden.spec.ts): groups, edge cases, refusals. */
import { expect } from 'chai';
import { channelNorms, dequantizeWeight, groupSizeOf, quantizeWeight } from '../../src/quantize/weights';
import { Rng } from '../../src/tensor/random';

describe('quantize/weights', () => {
  it('groups per output channel (2-D, 1x1) or per k x k taps (the stem)', () => {
    expect(groupSizeOf([10, 64])).to.equal(64);
    expect(groupSizeOf([8, 64, 1, 1])).to.equal(64);
    expect(groupSizeOf([32, 3, 3, 3])).to.equal(9);
    expect(groupSizeOf([64, 3, 7, 7])).to.equal(49);
  });

  it('Norm is twice the mean absolute weight of each output channel', () => {
    expect([...channelNorms(Float32Array.of(1, -3, 0.5, 0.5), [2, 2])]).to.deep.equal([4, 1]);
  });

  it('keeps n-bit codes in range, hits both ends of every group, and rebuilds within half a step', () => {
    const rng = new Rng('eq6');
    const shape = [6, 5, 3, 3];
    const w = Float32Array.from({ length: 270 }, () => rng.normal());
    for (const bits of [4, 8]) {
      const q = quantizeWeight(w, shape, bits, 1000, 'w');
      const back = dequantizeWeight(q);
      expect(q.low.length).to.equal(30);
      for (let g = 0; g < 30; g++) {
        const group = [...q.codes.subarray(g * 9, g * 9 + 9)];
        expect(Math.min(...group)).to.equal(0);
        expect(Math.max(...group)).to.equal(2 ** bits - 1);
      }
      for (let i = 0; i < w.length; i++) {
        const c = Math.floor(i / 45);
        const g = Math.floor(i / 9);
        const step = (q.span[g] / (2 ** bits - 1)) * q.norm[c];
        expect(Math.abs(back[i] - w[i]), `${bits} bits, weight ${i}`).to.be.at.most(step / 2 + 1e-6);
      }
    }
  });

  it('keeps an all-zero output channel at 0 (the official code would divide 0 by 0)', () => {
    const w = Float32Array.of(0, 0, 0, 0.5, -1, 2);
    const q = quantizeWeight(w, [2, 3], 8, 1000, 'w');
    expect(q.norm[0]).to.equal(0);
    expect([...dequantizeWeight(q).subarray(0, 3)]).to.deep.equal([0, 0, 0]);
  });

  it('refuses non-finite weights, other ranks and bit widths', () => {
    expect(() => quantizeWeight(Float32Array.of(1, Number.NaN), [1, 2], 8, 25, 'fc.weight')).to.throw(/fc\.weight: weight 1 is NaN, quantization needs finite weights/);
    expect(() => quantizeWeight(Float32Array.of(1, 2), [2], 8, 25, 'b')).to.throw(/b: only 2-D \(linear\) and 4-D \(conv\) weights are quantized, got shape \[2\]/);
    expect(() => quantizeWeight(Float32Array.of(1, 2), [1, 2], 1, 25, 'w')).to.throw(/w: cannot quantize to 1 bits: 2 to 8 bits are supported/);
  });
});
