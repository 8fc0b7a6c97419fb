/**
 * Knowledge boosting (paper Algorithm 1): which assistant teaches in each epoch, checked against
 * the official script's selection rule (compare epoch / (epochs / n) with 1, 2, 3; up to three
 * assistants), restated here, for every epoch of many run lengths; equal shares; the order of
 * the active teachers.
 */
import { expect } from 'chai';
import { assistantIndex, teachersForEpoch } from '../../src/distill/boosting';

/** The script's if/elif chain, as a reference for n <= 3 assistants. */
function scriptRule(epoch: number, epochs: number, n: number): number {
  const phase = epoch / (epochs / n);
  if (phase < 1) return 0;
  if (phase < 2 && n > 1) return 1;
  if (phase < 3 && n > 2) return 2;
  return n - 1;
}

describe('assistantIndex (knowledge boosting)', () => {
  it('matches the script for every epoch of runs of 1..600 epochs with 1, 2 or 3 assistants', () => {
    for (let epochs = 1; epochs <= 600; epochs++) {
      for (let n = 1; n <= 3; n++) {
        for (let e = 0; e < epochs; e++) {
          if (assistantIndex(e, epochs, n) !== scriptRule(e, epochs, n)) expect.fail(`epochs ${epochs}, ${n} assistants, epoch ${e}`);
        }
      }
    }
  });

  it('gives each assistant an equal share, in order (512 epochs, 3 assistants: 171/171/170)', () => {
    const counts = [0, 0, 0];
    let previous = 0;
    for (let e = 0; e < 512; e++) {
      const i = assistantIndex(e, 512, 3);
      expect(i).to.be.at.least(previous);
      previous = i;
      counts[i]++;
    }
    expect(counts).to.deep.equal([171, 171, 170]);
    expect([0, 255, 256, 511].map((e) => assistantIndex(e, 512, 2))).to.deep.equal([0, 0, 1, 1]);
  });

  it('generalizes the equal shares past three assistants', () => {
    expect(Array.from({ length: 8 }, (_, e) => assistantIndex(e, 8, 4))).to.deep.equal([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('refuses no assistant and bad epochs', () => {
    expect(() => assistantIndex(0, 10, 0)).to.throw(/at least one assistant/);
    expect(() => assistantIndex(-1, 10, 1)).to.throw(/epoch must be a non-negative integer/);
    expect(() => assistantIndex(0, 0, 1)).to.throw(/epochs must be a positive integer/);
  });
});

describe('teachersForEpoch', () => {
  it('is [assistant, strong] with the strong teacher throughout', () => {
    const plan = { strong: 'B4', assistants: ['B0', 'B2'] };
    const epochs = Array.from({ length: 10 }, (_, e) => teachersForEpoch(plan, e, 10));
    expect(epochs).to.deep.equal([...Array(5).fill(['B0', 'B4']), ...Array(5).fill(['B2', 'B4'])]);
  });
  it('is the strong teacher alone without assistants, and nothing without teachers', () => {
    expect(teachersForEpoch({ strong: 'R34', assistants: [] }, 3, 10)).to.deep.equal(['R34']);
    expect(teachersForEpoch<string>({ strong: null, assistants: [] }, 3, 10)).to.deep.equal([]);
  });
});
