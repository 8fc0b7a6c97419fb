import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type StateDict } from '../../src/nn/module';
import { Conv2d } from '../../src/nn/layers/conv2d';
import { BatchNorm2d } from '../../src/nn/layers/batchnorm';
import { Linear } from '../../src/nn/layers/linear';
import { PReLU } from '../../src/nn/layers/prelu';
import { Sequential } from '../../src/nn/layers/sequential';
import { readStateDict, writeStateDict } from '../../src/nn/state-dict-file';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { Rng, manualSeed } from '../../src/tensor/random';
import { randn } from '../../src/tensor/create';

class Net extends Module {
  readonly body = this.registerModule('body', new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new PReLU(4)));
  readonly fc = this.registerModule('fc', new Linear(4, 2));
  forward(x: Tensor): Tensor {
    const y = this.body.call(x);
    return this.fc.call(new Tensor(y.data.slice(0, y.shape[0] * 4), [y.shape[0], 4]));
  }
}

describe('nn/module', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-module-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names parameters and buffers with dotted paths in PyTorch order', () => {
    const keys = [...new Net().stateDict().keys()];
    expect(keys).to.deep.equal([
      'body.0.weight', 'body.0.bias',
      'body.1.weight', 'body.1.bias', 'body.1.running_mean', 'body.1.running_var', 'body.1.num_batches_tracked',
      'body.2.weight', 'fc.weight', 'fc.bias',
    ]);
    expect(new Net().stateDict().get('body.1.num_batches_tracked')).to.be.instanceOf(IntTensor);
  });

  it('round-trips a state_dict through safetensors, with int64 counters', () => {
    manualSeed(1);
    const a = new Net();
    a.train();
    a.call(randn([2, 3, 5, 5], new Rng(2)));
    const path = join(dir, 'net.safetensors');
    writeStateDict(path, a);
    manualSeed(7);
    const b = new Net();
    b.loadStateDict(readStateDict(path));
    for (const [key, value] of a.stateDict()) {
      expect([...b.stateDict().get(key)!.data], key).to.deep.equal([...value.data]);
    }
    expect(b.stateDict().get('body.1.num_batches_tracked')!.data[0]).to.equal(1);
  });

  it('strips a DataParallel "module." prefix', () => {
    const a = new Net();
    const prefixed: StateDict = new Map([...a.stateDict()].map(([k, v]) => [`module.${k}`, v]));
    expect(() => new Net().loadStateDict(prefixed)).not.to.throw();
  });

  it('lists every missing, unexpected and mismatched key in one error, and loads nothing', () => {
    const a = new Net();
    const dict: StateDict = new Map(a.stateDict());
    dict.delete('fc.bias');
    dict.delete('body.0.bias');
    dict.set('head.weight', new Tensor(new Float32Array(1), [1]));
    dict.set('fc.weight', new Tensor(new Float32Array(12), [3, 4]));
    dict.set('body.1.num_batches_tracked', new Tensor(new Float32Array(1), []));
    const b = new Net();
    const before = b.body.layers[0] instanceof Conv2d ? [...(b.body.layers[0] as Conv2d).weight.data] : [];
    expect(() => b.loadStateDict(dict, { source: 'x.safetensors' })).to.throw(
      /x\.safetensors.*missing keys: body\.0\.bias, fc\.bias; unexpected keys: head\.weight; mismatched: .*body\.1\.num_batches_tracked: expected int64, found float32.*fc\.weight: expected shape \[2, 4\], found \[3, 4\]/,
    );
    expect([...(b.body.layers[0] as Conv2d).weight.data]).to.deep.equal(before);
  });

  it('non-strict load reports the differences and loads what fits', () => {
    const a = new Net();
    const dict: StateDict = new Map(a.stateDict());
    dict.delete('fc.bias');
    const b = new Net();
    const report = b.loadStateDict(dict, { strict: false });
    expect(report.missing).to.deep.equal(['fc.bias']);
    expect([...b.fc.weight.data]).to.deep.equal([...a.fc.weight.data]);
  });

  it('train/eval reach every descendant', () => {
    const n = new Net().eval();
    expect(n.namedModules().every(([, m]) => !m.training)).to.equal(true);
    n.train();
    expect(n.namedModules().every(([, m]) => m.training)).to.equal(true);
  });

  it('initialises Conv2d and Linear as PyTorch does: uniform within 1/sqrt(fan_in)', () => {
    manualSeed(3);
    const conv = new Conv2d(16, 8, 3);
    const bound = 1 / Math.sqrt(16 * 9);
    const w = [...conv.weight.data];
    expect(Math.max(...w.map(Math.abs))).to.be.at.most(bound);
    // A uniform distribution on (-b, b) has standard deviation b/sqrt(3).
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).to.be.closeTo(bound / Math.sqrt(3), bound * 0.05);
  });

  it('seeds give identical initialisations', () => {
    manualSeed(11);
    const a = new Net();
    manualSeed(11);
    const b = new Net();
    const parameters = b.namedParameters();
    expect(parameters.length).to.be.above(3);
    for (const [i, [name, p]] of a.namedParameters().entries()) {
      expect(parameters[i][0]).to.equal(name);
      expect([...parameters[i][1].data], name).to.deep.equal([...p.data]);
    }
  });
});
