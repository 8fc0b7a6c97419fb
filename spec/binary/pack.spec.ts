import { expect } from 'chai';
import { Rng } from '../../src/tensor/random';
import { packActivations, packedWeightsFromWords, packWeights, storedWords, unpackWeights } from '../../src/binary/pack';
import { packedSign, wordsPerPixel } from '../../src/binary/packed-layout';

describe('binary/pack', () => {
  it('sets bit c mod 32 of word c / 32 for a negative value (1 = -1), channels last', () => {
    // One pixel, 40 channels: negative at channels 0, 5, 31, 32, 39.
    const x = new Float32Array(40).fill(1);
    for (const c of [0, 5, 31, 32, 39]) x[c] = -2;
    const p = packActivations(x, [1, 40, 1, 1], 0);
    expect(p.wordsPerPixel).to.equal(2);
    expect(p.words[0] >>> 0).to.equal((1 | (1 << 5) | (1 << 31)) >>> 0);
    expect(p.words[1]).to.equal(1 | (1 << 7));
  });

  it('packs an NCHW batch into NHWC words with a zero border, tail bits clear', () => {
    const rng = new Rng('pack');
    const [n, c, h, w, pad] = [2, 37, 3, 5, 1];
    const x = Float32Array.from({ length: n * c * h * w }, () => rng.normal());
    const bias = Float32Array.from({ length: c }, () => rng.normal());
    const p = packActivations(x, [n, c, h, w], pad, bias);
    const hp = h + 2 * pad, wp = w + 2 * pad;
    expect(p.words.length).to.equal(n * hp * wp * 2);
    for (let b = 0; b < n; b++) for (let y = -pad; y < h + pad; y++) for (let xx = -pad; xx < w + pad; xx++) {
      const at = ((b * hp + y + pad) * wp + xx + pad) * 2;
      const inside = y >= 0 && y < h && xx >= 0 && xx < w;
      if (!inside) {
        expect([p.words[at], p.words[at + 1]]).to.deep.equal([0, 0]);
        continue;
      }
      expect(p.words[at + 1] >>> 5, 'tail bits').to.equal(0);
      for (let ch = 0; ch < c; ch++) {
        const v = x[((b * c + ch) * h + y) * w + xx] + bias[ch];
        expect(packedSign(p, b, ch, y, xx)).to.equal(v < 0 ? -1 : 1);
      }
    }
    expect(p.zeros.length).to.equal(0);
  });

  it('lists exact zeros (of x + bias) and refuses NaN', () => {
    const x = new Float32Array([1, 0, -0, 2, 0.5, -3, 7, 1]);
    const p = packActivations(x, [1, 2, 2, 2], 1, new Float32Array([0, -0.5]));
    expect([...p.zeros]).to.deep.equal([1, 2, 4]);
    x[6] = NaN;
    expect(() => packActivations(x, [1, 2, 2, 2], 0)).to.throw(/NaN at NCHW index 6/);
  });

  it('refuses a pad that is not a non-negative integer', () => {
    const x = new Float32Array(8);
    expect(() => packActivations(x, [1, 2, 2, 2], -1)).to.throw(/pad must be a non-negative integer .*got -1/);
    expect(() => packActivations(x, [1, 2, 2, 2], 0.5)).to.throw(/got 0.5/);
  });

  it('reuses a buffer, clearing the border when the geometry changes', () => {
    const rng = new Rng('reuse');
    const big = Float32Array.from({ length: 64 * 6 * 6 }, () => rng.normal());
    const first = packActivations(big, [1, 64, 6, 6], 1);
    const small = Float32Array.from({ length: 32 * 3 * 3 }, () => rng.normal());
    const again = packActivations(small, [1, 32, 3, 3], 1, null, first);
    expect(again).to.equal(first);
    const fresh = packActivations(small, [1, 32, 3, 3], 1);
    expect([...again.words.subarray(0, fresh.words.length)]).to.deep.equal([...fresh.words]);
  });

  it('packs weights per output channel and tap, padded to 8 output channels, and unpacks them', () => {
    const rng = new Rng('weights');
    const shape = [6, 45, 3, 3];
    const w = Float32Array.from({ length: 6 * 45 * 9 }, () => (rng.uniform() < 0.01 ? 0 : rng.normal()));
    const p = packWeights(w, shape);
    expect(p.paddedOutChannels).to.equal(8);
    expect(p.words.length).to.equal(8 * 9 * wordsPerPixel(45));
    expect([...p.words.subarray(6 * 9 * 2)].every((v) => v === 0)).to.equal(true);
    expect([...unpackWeights(p)]).to.deep.equal(Array.from(w, (v) => (v === 0 ? 0 : Math.sign(v))));
    expect([...p.zeros]).to.deep.equal(w.reduce<number[]>((z, v, i) => (v === 0 ? [...z, i] : z), []));
    // Tap sums: the ±1 sum of each (output channel, tap), zeros counted as +1 like their bits.
    for (let co = 0; co < 6; co++) for (let t = 0; t < 9; t++) {
      let s = 0;
      for (let ci = 0; ci < 45; ci++) s += w[(co * 45 + ci) * 9 + t] < 0 ? -1 : 1;
      expect(p.tapSums[co * 9 + t]).to.equal(s);
    }
    const back = packedWeightsFromWords(storedWords(p), 6, 45, 3, p.zeros);
    expect([...back.words]).to.deep.equal([...p.words]);
    expect([...back.tapSums]).to.deep.equal([...p.tapSums]);
  });

  it('refuses stored words with tail bits set or a bad zero list', () => {
    const words = new Int32Array(4 * 1 * 2);
    words[1] = 1 << 20; // channel 32 + 20 = 52 of 40
    expect(() => packedWeightsFromWords(words, 4, 40, 1)).to.throw(/word 1 has bits set past channel 39/);
    expect(() => packedWeightsFromWords(new Int32Array(8), 4, 40, 1, Int32Array.of(5, 3))).to.throw(/zero list entry 1 \(3\) is out of range or out of order/);
    expect(() => packedWeightsFromWords(new Int32Array(7), 4, 40, 1)).to.throw(/needs 8 words, got 7/);
  });
});
