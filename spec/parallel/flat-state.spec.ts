import { expect } from 'chai';
import { averageGradients, FlatState } from '../../src/parallel/flat-state';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { withoutInit } from '../../src/nn/init';
import { manualSeed } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';

const CONFIG = resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 });

describe('parallel/flat-state', () => {
  it('moves parameters and buffers between two replicas exactly', () => {
    manualSeed(3);
    const a = buildModel(CONFIG);
    for (const [, b] of a.namedBuffers()) for (let i = 0; i < b.data.length; i++) b.data[i] = i + 7;
    const b = withoutInit(() => buildModel(CONFIG));
    const fa = new FlatState(a);
    const fb = new FlatState(b);
    expect(fb.signature()).to.deep.equal(fa.signature());
    expect(fa.signature()).to.include('int buffer feature.0.bn1.num_batches_tracked []');
    fb.loadParameters(fa.packParameters());
    fb.loadBuffers(fa.packBuffers());
    const sb = b.stateDict();
    for (const [key, v] of a.stateDict()) expect([...sb.get(key)!.data], key).to.deep.equal([...v.data]);
  });

  it('refuses arrays of another length', () => {
    const f = new FlatState(withoutInit(() => buildModel(CONFIG)));
    expect(() => f.loadParameters(new Float32Array(3))).to.throw(`flat state: parameters have 3 values, the model ${f.paramSize}`);
  });

  it('sets gradients as views, null where no replica had one', () => {
    const model = withoutInit(() => buildModel(CONFIG));
    const f = new FlatState(model);
    const params = model.parameters();
    params[0].grad = new Tensor(new Float32Array(params[0].size).fill(2), params[0].shape);
    const g = f.packGradients();
    expect(g.present[0]).to.equal(1);
    expect(g.present[1]).to.equal(0);
    f.setGradients(g);
    expect(params[0].grad!.data[0]).to.equal(2);
    expect(params[1].grad).to.equal(null);
  });

  it('averages in rank order in float32, keeping -0 and counting a missing gradient as zero', () => {
    const g0 = { grads: new Float32Array([1, -0, 0.1, 0, 3]), present: new Uint8Array([1, 1, 0]) };
    const g1 = { grads: new Float32Array([2, -0, 0.2, 5, 4]), present: new Uint8Array([1, 1, 1]) };
    const avg = averageGradients([g0, g1]);
    const expected = new Float32Array(5);
    for (let i = 0; i < 5; i++) expected[i] = Math.fround(Math.fround(g0.grads[i] + g1.grads[i]) / 2);
    expect([...avg.grads]).to.deep.equal([...expected]);
    expect(Object.is(avg.grads[1], -0)).to.equal(true);
    expect([...avg.present]).to.deep.equal([1, 1, 1]);
    // The inputs are left alone.
    expect(g0.grads[0]).to.equal(1);
  });
});
