/**
 * recalibrateBatchNorm against torch.optim.swa_utils.update_bn (fixtures/nn/update_bn.safetensors,
 * fixtures/export/export_nn.py): a two-stage teacher CNN whose statistics had drifted, three
 * batches of 5, 3 and 4 images.
 *
 * Tolerance: running statistics within 1e-6 · max(1, |torch|) elementwise (a handful of float32
 * roundings: batch mean and variance, then the cumulative update with factors 1, 1/2, 1/3);
 * num_batches_tracked exactly.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { readStateDict } from '../../src/nn/state-dict-file';
import { BatchNorm2d } from '../../src/nn/layers/batchnorm';
import { Cnn } from '../../src/models/cnn';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { recalibrateBatchNorm } from '../../src/train/batchnorm-recalibration';
import { measure } from '../helpers/golden';

const FIXTURE = join('fixtures', 'nn', 'update_bn.safetensors');
const TOL = 1e-6;

function prefixed(dict: ReadonlyMap<string, Tensor | IntTensor>, prefix: string): Map<string, Tensor | IntTensor> {
  const out = new Map<string, Tensor | IntTensor>();
  for (const [k, v] of dict) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

describe('recalibrateBatchNorm vs torch.optim.swa_utils.update_bn', () => {
  const fixture = readStateDict(FIXTURE);
  const build = (): Cnn => {
    const model = new Cnn({ arch: 'cnn', baseWidth: 4, stages: 2, depth: 1, numClasses: 10, inChannels: 1 });
    model.loadStateDict(prefixed(fixture, 'state/'));
    return model.eval();
  };
  const batches = [0, 1, 2].map((i) => fixture.get(`batch${i}`) as Tensor);

  it('gives the running statistics and batch counts update_bn gives', () => {
    const model = build();
    expect(recalibrateBatchNorm(model, batches)).to.equal(2);
    const after = prefixed(fixture, 'after/');
    expect(after.size).to.equal(6);
    const ours = model.stateDict();
    for (const [key, torch] of after) {
      const mine = ours.get(key);
      if (torch instanceof IntTensor) {
        expect([...(mine as IntTensor).data], key).to.deep.equal([...torch.data]);
        continue;
      }
      const { error } = measure((mine as Tensor).data, torch.data, 'elementwise');
      expect(error, key).to.be.at.most(TOL);
    }
  });

  it('restores each momentum and the training mode, and leaves the weights alone', () => {
    const model = build();
    const bns = [...model.namedModules()].map(([, m]) => m).filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
    bns[1].momentum = 0.25;
    const weights = [...model.parameters()].map((p) => Float32Array.from(p.data));
    recalibrateBatchNorm(model, batches);
    expect(bns.map((b) => b.momentum)).to.deep.equal([0.1, 0.25]);
    expect(model.training).to.equal(false);
    [...model.parameters()].forEach((p, i) => expect(p.data).to.deep.equal(weights[i]));
    model.train();
    recalibrateBatchNorm(model, batches);
    expect(model.training).to.equal(true);
  });

  it('moves the statistics away from the drifted ones (the fixture would not test anything otherwise)', () => {
    const before = prefixed(fixture, 'state/').get('features.1.running_mean') as Tensor;
    const after = prefixed(fixture, 'after/').get('features.1.running_mean') as Tensor;
    const { error } = measure(before.data, after.data, 'elementwise');
    expect(error).to.be.greaterThan(1e-2);
  });
});
