/**
 * Temperature schedules of progressive binarization. The paper's x0.9 per epoch is compared
 * exactly with the official script's float32 buffer (torch.ones(1) multiplied in place by 0.9,
 * epochs 0..160, fixtures/optim/schedule.json); the short-run variant must reach fully binary
 * weights in its last epoch(s); setTemperature reaches every binary conv and activation.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { binaryByEndTemperature, modelIsFullyBinary, paperTemperature, setTemperature } from '../../src/optim/temperature';
import { BinaryActivation, BinaryConv2d } from '../../src/binary/layers';
import { BNext } from '../../src/models/bnext';
import { BNext18 } from '../../src/models/bnext18';
import { resolveConfig } from '../../src/models/factory';
import type { ModelConfig } from '../../src/models/config';
import { withoutInit } from '../../src/nn/init';
import { randn } from '../../src/tensor/create';
import { Rng } from '../../src/tensor/random';
import { sign } from '../../src/tensor/ops/elementwise';

const fixture = JSON.parse(readFileSync('fixtures/optim/schedule.json', 'utf8')) as { paperTemperature: number[] };

function smallBNext(): BNext {
  return withoutInit(() => new BNext(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }) as ModelConfig & { arch: 'bnext' }));
}

describe('paperTemperature (x0.9 per epoch)', () => {
  it('equals the script\'s float32 buffer at every epoch 0..160, bit for bit', () => {
    expect(fixture.paperTemperature.length).to.equal(161);
    fixture.paperTemperature.forEach((t, e) => expect(paperTemperature(e), `epoch ${e}`).to.equal(t));
  });
  it('starts at 1 and is fully binary (< 1e-7) only from epoch 153 on', () => {
    expect(paperTemperature(0)).to.equal(1);
    expect(paperTemperature(152)).to.be.at.least(1e-7);
    expect(paperTemperature(153)).to.be.below(1e-7);
  });
});

describe('binaryByEndTemperature (short runs)', () => {
  it('decays geometrically from 1 and is fully binary in the last epoch', () => {
    const schedule = binaryByEndTemperature(8);
    const values = Array.from({ length: 8 }, (_, e) => schedule(e));
    expect(values[0]).to.equal(1);
    for (let e = 1; e < 8; e++) expect(values[e]).to.be.below(values[e - 1]);
    for (let e = 0; e < 7; e++) expect(values[e], `epoch ${e}`).to.be.at.least(1e-7);
    expect(values[7]).to.equal(Math.fround(1e-8));
    // Geometric: a constant ratio between consecutive progressive epochs.
    const ratio = values[1] / values[0];
    for (let e = 1; e < 7; e++) expect(values[e + 1] / values[e]).to.be.closeTo(ratio, ratio * 1e-6);
  });
  it('holds `final` in the last binaryEpochs epochs, and may be all binary', () => {
    const schedule = binaryByEndTemperature(10, { binaryEpochs: 3, final: 1e-9 });
    expect(schedule(6)).to.equal(Math.fround(1e-9 ** (6 / 7)));
    for (const e of [7, 8, 9, 12]) expect(schedule(e)).to.equal(Math.fround(1e-9));
    expect(binaryByEndTemperature(2, { binaryEpochs: 2 })(0)).to.equal(Math.fround(1e-8));
  });
  it('refuses settings that would not end fully binary', () => {
    expect(() => binaryByEndTemperature(5, { final: 1e-7 })).to.throw(/final temperature must be in \(0, 1e-7\)/);
    expect(() => binaryByEndTemperature(5, { binaryEpochs: 0 })).to.throw(/binaryEpochs must be an integer in \[1, 5\]/);
    expect(() => binaryByEndTemperature(0)).to.throw(/epochs must be a positive integer/);
    expect(() => binaryByEndTemperature(5)(-1)).to.throw(/epoch must be a non-negative integer/);
  });
});

describe('setTemperature / modelIsFullyBinary', () => {
  it('sets every binary conv and binary activation of a BNext; fully binary below 1e-7', () => {
    const model = smallBNext();
    const convs = model.namedModules().filter(([, m]) => m instanceof BinaryConv2d).length;
    expect(convs).to.be.above(0);
    expect(modelIsFullyBinary(model)).to.equal(false);
    expect(setTemperature(model, 0.25)).to.equal(convs);
    for (const [name, m] of model.namedModules()) {
      if (m instanceof BinaryConv2d || m instanceof BinaryActivation) expect(m.temperature.data[0], name).to.equal(0.25);
    }
    expect(model.stateDict().get('feature.1.Attention.binary_conv.temperature')?.data[0]).to.equal(0.25);
    setTemperature(model, binaryByEndTemperature(4)(3));
    expect(modelIsFullyBinary(model)).to.equal(true);
  });
  it('uses each conv\'s own threshold (BNext-18: 1e-5)', () => {
    const bnext18 = withoutInit(() => new BNext18(resolveConfig({ arch: 'bnext-18', numClasses: 10 }) as ModelConfig & { arch: 'bnext-18' }));
    const bnext = smallBNext();
    setTemperature(bnext18, 5e-6);
    setTemperature(bnext, 5e-6);
    expect(modelIsFullyBinary(bnext18)).to.equal(true);
    expect(modelIsFullyBinary(bnext)).to.equal(false);
  });
  it('makes the training forward use sign(w) once fully binary', () => {
    const conv = new BinaryConv2d(2, 3, 3, { rng: new Rng(1) });
    conv.weight.data.set(randn([3, 2, 3, 3], new Rng(2), 0, 0.01).data);
    setTemperature(conv, binaryByEndTemperature(3)(2));
    expect(Array.from(conv.binaryWeight().data)).to.deep.equal(Array.from(sign(conv.weight.detach()).data));
  });
});
