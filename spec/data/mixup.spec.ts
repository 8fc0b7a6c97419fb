/**
 * Mixup / CutMix (timm semantics): blends and boxes against hand-computed values, lambda
 * correction, label smoothing, the draws' distributions, and bad input.
 */
import { expect } from 'chai';
import { sampleBeta, sampleGamma } from '../../src/data/distributions';
import { cutmixBox, cutmixBoxMinMax, Mixup, mixTargets } from '../../src/data/mixup';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';

/** A batch of n single-channel h x w images, image i filled with value i + 1. */
function constantBatch(n: number, h: number, w: number): Tensor {
  const data = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) data.fill(i + 1, i * h * w, (i + 1) * h * w);
  return new Tensor(data, [n, 1, h, w]);
}

describe('data/mixup', () => {
  it('Gamma and Beta draws have the right moments', () => {
    const rng = new Rng('beta');
    for (const [a, b] of [[0.8, 0.8], [1, 1], [2, 5]]) {
      const xs = Array.from({ length: 20000 }, () => sampleBeta(rng, a, b));
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
      expect(mean).to.be.closeTo(a / (a + b), 0.01);
      expect(variance).to.be.closeTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 0.01);
      expect(xs.every((x) => x > 0 && x < 1)).to.equal(true);
    }
    const g = Array.from({ length: 20000 }, () => sampleGamma(rng, 0.5));
    expect(g.reduce((s, x) => s + x, 0) / g.length).to.be.closeTo(0.5, 0.03);
  });

  it('mixup (batch mode) blends image i with image N-1-i in float32, targets with the same lambda', () => {
    const images = constantBatch(4, 2, 3);
    const labels = new IntTensor(Int32Array.from([0, 1, 2, 3]), [4]);
    const mixer = new Mixup({ mixupAlpha: 1, numClasses: 5 });
    const out = mixer.apply(images, labels, new Rng(7));
    const lam = out.lam[0];
    expect(lam).to.be.within(0, 1);
    expect(Array.from(out.lam)).to.deep.equal([lam, lam, lam, lam]);
    const f = Math.fround;
    // lam is reported in float32; the blend used its double value, as torch's mul_ by a Python float.
    const expected0 = 1 * lam + 4 * (1 - lam);
    expect(out.images.data[0]).to.be.closeTo(expected0, 1e-6);
    expect(out.images.data[5]).to.equal(out.images.data[0]);
    expect(out.images.data[3 * 6]).to.be.closeTo(4 * lam + 1 * (1 - lam), 1e-6);
    expect(images.data[0]).to.equal(1); // input untouched
    const t = out.targets.data;
    expect(t[0]).to.equal(f(lam)); // class 0 of image 0
    expect(t[3]).to.equal(f(f(1 - lam))); // class 3 (image 3's) of image 0
    expect(t[0] + t[3]).to.be.closeTo(1, 1e-6);
  });

  it('cutmix pastes the box from the reversed batch and corrects lambda to the kept area', () => {
    const images = constantBatch(2, 10, 10);
    const labels = new IntTensor(Int32Array.from([1, 0]), [2]);
    const mixer = new Mixup({ mixupAlpha: 0, cutmixAlpha: 1, numClasses: 2 });
    const out = mixer.apply(images, labels, new Rng(3));
    const pasted = Array.from(out.images.data.subarray(0, 100)).filter((v) => v === 2).length;
    expect(out.lam[0]).to.be.closeTo(1 - pasted / 100, 1e-6);
    expect(Array.from(out.images.data.subarray(100)).filter((v) => v === 1).length).to.equal(pasted);
    expect(out.targets.data[1]).to.be.closeTo(out.lam[0], 1e-6); // image 0 is class 1
  });

  it('cutmix boxes follow timm: side sqrt(1 - lam), centre uniform, clipped at the border', () => {
    const rng = new Rng(1);
    for (let k = 0; k < 200; k++) {
      const b = cutmixBox(224, 160, 0.75, rng);
      expect(b.y1 - b.y0).to.be.at.most(112);
      expect(b.x1 - b.x0).to.be.at.most(80);
      expect(b.y0).to.be.at.least(0);
      expect(b.x1).to.be.at.most(160);
    }
    // cy, cx both 0 (first draws 0): the box is clipped to its lower-right quarter.
    const fake = { int: () => 0 } as unknown as Rng;
    expect(cutmixBox(100, 100, 0.75, fake)).to.deep.equal({ y0: 0, y1: 25, x0: 0, x1: 25 });
    const mm = cutmixBoxMinMax(100, 50, [0.2, 0.5], new Rng(2));
    expect(mm.y1 - mm.y0).to.be.within(20, 49);
    expect(mm.x1 - mm.x0).to.be.within(10, 24);
  });

  it('label smoothing: off = s / K, on = 1 - s + s / K, then mixed', () => {
    const t = mixTargets(Int32Array.from([2, 0]), 4, Float32Array.from([1, 1]), 0.1);
    expect(Array.from(t.data.subarray(0, 4))).to.deep.equal([0.025, 0.025, 0.925, 0.025].map(Math.fround));
  });

  it('pair and elem modes: per-pair / per-image lambdas; pairs share theirs', () => {
    const images = constantBatch(6, 4, 4);
    const labels = new IntTensor(Int32Array.from([0, 1, 2, 3, 4, 5]), [6]);
    const pair = new Mixup({ mixupAlpha: 1, cutmixAlpha: 1, mode: 'pair', numClasses: 6 }).apply(images, labels, new Rng(9));
    expect([pair.lam[0], pair.lam[1], pair.lam[2]]).to.deep.equal([pair.lam[5], pair.lam[4], pair.lam[3]]);
    const elem = new Mixup({ mixupAlpha: 1, mode: 'elem', numClasses: 6 }).apply(images, labels, new Rng(9));
    expect(new Set(Array.from(elem.lam)).size).to.equal(6);
    const rows = Array.from({ length: 6 }, (_, i) => Array.from(elem.targets.data.subarray(i * 6, i * 6 + 6)).reduce((s, v) => s + v, 0));
    rows.forEach((r) => expect(r).to.be.closeTo(1, 1e-6));
  });

  it('prob 0 leaves the batch alone; switchProb picks cutmix about that often', () => {
    const images = constantBatch(2, 4, 4);
    const labels = new IntTensor(Int32Array.from([0, 1]), [2]);
    const none = new Mixup({ mixupAlpha: 1, prob: 0, numClasses: 2 }).apply(images, labels, new Rng(1));
    expect(Array.from(none.images.data)).to.deep.equal(Array.from(images.data));
    // The targets are the labels' own one-hot rows (no smoothing by default).
    expect(Array.from(none.targets.data)).to.deep.equal([1, 0, 0, 1]);
    const mixer = new Mixup({ mixupAlpha: 1, cutmixAlpha: 1, switchProb: 0.5, numClasses: 2 });
    const rng = new Rng(4);
    let cut = 0;
    for (let k = 0; k < 400; k++) {
      const out = mixer.apply(images, labels, rng);
      // A blend gives values strictly between 1 and 2; CutMix only 1s and 2s.
      if (out.images.data.every((v) => v === 1 || v === 2)) cut++;
    }
    expect(cut).to.be.within(160, 240);
  });

  it('refuses odd batches, mismatched labels, out-of-range labels and a disabled mixer', () => {
    const mixer = new Mixup({ mixupAlpha: 1, numClasses: 3 });
    expect(() => mixer.apply(constantBatch(3, 2, 2), new IntTensor(Int32Array.from([0, 1, 2]), [3]), new Rng(1))).to.throw(/batch size must be even, got 3/);
    expect(() => mixer.apply(constantBatch(2, 2, 2), new IntTensor(Int32Array.from([0]), [1]), new Rng(1))).to.throw(/2 images but 1 labels/);
    expect(() => mixer.apply(constantBatch(2, 2, 2), new IntTensor(Int32Array.from([0, 7]), [2]), new Rng(1))).to.throw(/label 7 is outside 0..2/);
    expect(() => new Mixup({ mixupAlpha: 0, numClasses: 3 })).to.throw(/must enable mixing/);
  });
});
