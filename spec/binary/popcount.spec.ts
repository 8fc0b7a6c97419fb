import { expect } from 'chai';
import { Rng } from '../../src/tensor/random';
import { POPCOUNT16, popcount3, popcount32 } from '../../src/binary/popcount';

/** Set bits, one at a time: the oracle. */
function bitCount(x: number): number {
  let n = 0;
  for (let b = 0; b < 32; b++) n += (x >>> b) & 1;
  return n;
}

const EDGES = [0, 1, -1, 0x7fffffff, -0x80000000, 0x55555555, -0x55555556, 0x0f0f0f0f, 0xffff, -0x10000];

describe('binary/popcount', () => {
  it('counts the bits of a word by the 16-bit table', () => {
    expect(POPCOUNT16.length).to.equal(65536);
    expect(POPCOUNT16[0xffff]).to.equal(16);
    const rng = new Rng('popcount');
    const words = [...EDGES, ...Array.from({ length: 1000 }, () => (rng.uniform() * 2 ** 32) | 0)];
    for (const x of words) expect(popcount32(x), String(x)).to.equal(bitCount(x));
  });

  it('counts three words by a full adder: popcount(ones) + 2·popcount(twos)', () => {
    const rng = new Rng('popcount3');
    const word = (): number => (rng.uniform() < 0.2 ? EDGES[rng.int(EDGES.length)] : (rng.uniform() * 2 ** 32) | 0);
    for (let t = 0; t < 3000; t++) {
      const [x0, x1, x2] = [word(), word(), word()];
      expect(popcount3(x0, x1, x2), `${x0} ${x1} ${x2}`).to.equal(bitCount(x0) + bitCount(x1) + bitCount(x2));
    }
  });
});
