/**
 * Loss landscapes (paper Fig. 2, after Li et al.): filter-normalized directions, which
 * parameters move, the checks on grid and directions, and a tiny landscape whose points are the
 * loss of the model with its weights moved by hand.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkDirections, checkGrid, type Directions, filterNormalizedDirection, gridCoordinates, lossLandscape, movingParameters, normalizeFilters,
  randomDirections, readDirections, spreadSubset, writeDirections,
} from '../../src/analysis/landscape';
import { buildAnyModel, resolveAnyConfig } from '../../src/models/zoo';
import { manualSeed, Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { evaluate, floatClassifier } from '../../src/train/evaluate';
import type { Module } from '../../src/nn/module';
import { subset } from '../helpers/training';

function tinyStudent(seed = 1): Module {
  manualSeed(seed);
  return buildAnyModel(resolveAnyConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], stemStride: 2, inChannels: 1, numClasses: 10 }));
}

function norm(a: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

describe('analysis/landscape', () => {
  it('rescales every filter of a direction to the norm of the same filter of the weights; zero filters stay zero', () => {
    const w = new Float32Array([3, 4, 0, 0, 1, 0]);
    const d = new Float32Array([1, 0, 5, 5, 0, 2]);
    normalizeFilters(d, w, 3);
    expect(norm(d, 0, 2)).to.be.closeTo(5, 1e-6);
    expect([d[2], d[3]]).to.deep.equal([0, 0]);
    expect(Array.from(d.subarray(4))).to.deep.equal([0, 1]);
  });

  it('moves only convolution and linear weights (binary ones too), filter by filter at their norm', () => {
    const model = tinyStudent();
    const moving = movingParameters(model).map(([name]) => name);
    expect(moving).to.include.members(['feature.0.conv1.weight', 'feature.1.Attention.binary_conv.weight', 'feature.1.Attention.se.se.1.weight', 'fc.weight']);
    for (const name of moving) expect(name).to.not.match(/bn|norm|bias$|scale|prelu|activation/);
    // Everything else the optimizer trains keeps a zero direction: BatchNorm, biases, slopes, shifts, scales.
    const frozen = model.namedParameters().map(([name]) => name).filter((n) => !moving.includes(n));
    expect(frozen).to.include.members(['feature.0.bn1.weight', 'feature.1.Attention.move.bias', 'feature.1.Attention.scale', 'fc.bias']);
    const d = filterNormalizedDirection(model, new Rng(3));
    expect([...d.keys()]).to.deep.equal(moving);
    for (const [name, w] of movingParameters(model)) {
      const t = d.get(name)!;
      const size = w.size / w.shape[0];
      for (let f = 0; f < w.shape[0]; f++) {
        expect(norm(t.data, f * size, (f + 1) * size), `${name} filter ${f}`).to.be.closeTo(norm(w.data, f * size, (f + 1) * size), 1e-5 * (1 + norm(w.data, f * size, (f + 1) * size)));
      }
    }
  });

  it('draws the same directions for the same seed, bit for bit, and others for another', () => {
    const model = tinyStudent();
    const a = randomDirections(model, 7);
    const b = randomDirections(model, 7);
    const c = randomDirections(model, 8);
    const name = 'feature.1.Attention.binary_conv.weight';
    expect(Array.from(a.x.get(name)!.data)).to.deep.equal(Array.from(b.x.get(name)!.data));
    expect(Array.from(a.y.get(name)!.data)).to.deep.equal(Array.from(b.y.get(name)!.data));
    expect(Array.from(a.x.get(name)!.data)).to.not.deep.equal(Array.from(c.x.get(name)!.data));
    expect(Array.from(a.x.get(name)!.data)).to.not.deep.equal(Array.from(a.y.get(name)!.data));
  });

  it('refuses a grid without a centre point, too small or too large, and a range that is not positive', () => {
    expect(() => checkGrid({ points: 4, range: 1 })).to.throw(/--grid.*odd number of points per axis.*got 4/);
    expect(() => checkGrid({ points: 1, range: 1 })).to.throw(/--grid.*at least 3 points per axis, got 1/);
    expect(() => checkGrid({ points: 2.5, range: 1 })).to.throw(/--grid.*integer/);
    expect(() => checkGrid({ points: 203, range: 1 })).to.throw(/--grid.*203 points per axis asks for 41209 loss evaluations; at most 201/);
    expect(() => checkGrid({ points: 5, range: 0 })).to.throw(/--range.*positive finite number, got 0/);
    expect(() => checkGrid({ points: 5, range: Number.NaN })).to.throw(/--range/);
    expect(() => checkGrid({ points: 3, range: 0.5 })).to.not.throw();
    expect(Array.from(gridCoordinates({ points: 5, range: 0.5 }))).to.deep.equal([-0.5, -0.25, 0, 0.25, 0.5]);
  });

  it('refuses directions that are missing a weight, shaped otherwise, not finite, zero or parallel', () => {
    const model = tinyStudent();
    const good = randomDirections(model, 0);
    const name = 'feature.1.Attention.binary_conv.weight';
    const edit = (f: (d: Directions) => void): Directions => {
      const d: Directions = { x: new Map(good.x), y: new Map(good.y) };
      f(d);
      return d;
    };
    expect(() => checkDirections(model, good, 'dirs')).to.not.throw();
    expect(() => checkDirections(model, edit((d) => d.x.delete(name)), 'dirs')).to.throw(`dirs: direction x has no tensor for ${name}`);
    expect(() => checkDirections(model, edit((d) => d.y.set('feature.0.bn1.weight', new Tensor(new Float32Array(8), [8]))), 'dirs'))
      .to.throw('dirs: direction y has feature.0.bn1.weight, which is not a convolution or linear weight of the model');
    expect(() => checkDirections(model, edit((d) => d.x.set(name, new Tensor(new Float32Array(8 * 8 * 9), [8, 8, 9, 1]))), 'dirs'))
      .to.throw(`dirs: direction x, ${name}: expected shape [8, 8, 3, 3], found [8, 8, 9, 1]`);
    const nan = new Float32Array(good.x.get(name)!.data);
    nan[5] = Number.NaN;
    expect(() => checkDirections(model, edit((d) => d.x.set(name, new Tensor(nan, [8, 8, 3, 3]))), 'dirs')).to.throw(`dirs: direction x, ${name}: element 5 is NaN`);
    const zero = (): Directions['x'] => new Map([...good.x].map(([k, t]) => [k, new Tensor(new Float32Array(t.size), [...t.shape])]));
    expect(() => checkDirections(model, edit((d) => (d.y = zero())), 'dirs')).to.throw('dirs: direction y is zero everywhere');
    const scaled = new Map([...good.x].map(([k, t]) => [k, new Tensor(t.data.map((v) => -2 * v), [...t.shape])]));
    expect(() => checkDirections(model, edit((d) => (d.y = scaled)), 'dirs')).to.throw(/dirs: directions x and y are nearly parallel \(cosine -1\.0000\)/);
  });

  it('writes and reads directions, and refuses a file of another model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnext-landscape-'));
    try {
      const model = tinyStudent();
      const d = randomDirections(model, 2);
      const file = join(dir, 'd.safetensors');
      writeDirections(file, d);
      const back = readDirections(file);
      for (const axis of ['x', 'y'] as const) {
        expect([...back[axis].keys()].sort()).to.deep.equal([...d[axis].keys()].sort());
        for (const [k, t] of d[axis]) expect(Array.from(back[axis].get(k)!.data)).to.deep.equal(Array.from(t.data));
      }
      manualSeed(0);
      const other = buildAnyModel(resolveAnyConfig({ arch: 'bnext', baseWidth: 16, stages: [1, 0, 0, 0], stemStride: 2, inChannels: 1, numClasses: 10 }));
      // The file's tensors come in its (sorted) order: the first that does not fit is named.
      expect(() => checkDirections(other, back, file)).to.throw(`${file}: direction x, fc.weight: expected shape [10, 64], found [10, 32]`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('evaluates a tiny landscape: each point is the loss with the weights moved there, and the weights come back', () => {
    const model = tinyStudent();
    model.eval();
    const digits = new DigitDataset('tiny', subset(loadMnist().train, 40, 150), 0, 24);
    const data = spreadSubset(digits, 12);
    expect(data.count).to.equal(12);
    const before = model.namedParameters().map(([, p]) => Float32Array.from(p.data));
    const directions = randomDirections(model, 5);
    const seen: number[] = [];
    const result = lossLandscape({ model, data, directions, points: 3, range: 0.5, batchSize: 5, onPoint: (done) => seen.push(done) });
    expect(seen).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.loss.length).to.equal(9);
    model.namedParameters().forEach(([name, p], k) => expect(Array.from(p.data), name).to.deep.equal(Array.from(before[k])));
    // The centre is the trained model itself.
    const centre = evaluate(floatClassifier(model), data);
    expect(result.loss[4]).to.equal(Math.fround(centre.loss));
    expect(result.top1[4]).to.equal(Math.fround(centre.top1));
    // Row 0 is y = -0.5, column 2 is x = +0.5: move a copy's weights there by hand.
    const copy = tinyStudent(99);
    copy.loadStateDict(model.stateDict());
    for (const [name, p] of movingParameters(copy)) {
      const dx = directions.x.get(name)!.data;
      const dy = directions.y.get(name)!.data;
      for (let k = 0; k < p.size; k++) p.data[k] = p.data[k] + 0.5 * dx[k] + -0.5 * dy[k];
    }
    const moved = evaluate(floatClassifier(copy), data);
    expect(result.loss[2]).to.equal(Math.fround(moved.loss));
    expect(result.loss[2]).to.not.equal(result.loss[4]);
    // Same seed, same bits.
    const again = lossLandscape({ model, data, directions: randomDirections(model, 5), points: 3, range: 0.5 });
    expect(Array.from(again.loss)).to.deep.equal(Array.from(result.loss));
  });

  it('spreads a subset over the whole data set, and refuses a count it cannot take', () => {
    const digits = new DigitDataset('d', loadMnist().train, 0, 24);
    const s = spreadSubset(digits, 50);
    const { y } = s.batch(Int32Array.from({ length: 50 }, (_, i) => i), null);
    // The digits are stored class by class: 50 spread samples hold every class, about 5 of each.
    const counts = new Array<number>(10).fill(0);
    for (const label of y.data) counts[label]++;
    for (const c of counts) expect(c).to.be.within(4, 6);
    expect(Array.from(y.data)).to.deep.equal([...y.data].sort((a, b) => a - b));
    expect(() => spreadSubset(digits, 0)).to.throw(/--samples.*from 1 to 7996.*got 0/);
    expect(() => spreadSubset(digits, 8000)).to.throw(/--samples.*got 8000/);
  });
});
