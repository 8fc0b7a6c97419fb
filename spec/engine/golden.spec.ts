/**
 * The model golden cases (fixtures/models, from the official PyTorch code) through the packed
 * engine: every case whose binary convs are fully binary gives, in evaluation mode, the float
 * engine's logits within 1e-4 relative and the same top-1 on every sample; evaluation cases
 * also match the official reference within the case's tolerance. Cases in the middle of
 * progressive binarization are refused. Training cases contribute their state_dict, run in
 * evaluation mode.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/io/safetensors';
import { toTensor } from '../../src/io/stored';
import { stateValueOf } from '../../src/nn/serialize';
import type { StateDict } from '../../src/nn/module';
import { buildModel, resolveConfig, type ArchOptions } from '../../src/models/factory';
import { withoutInit } from '../../src/nn/init';
import { noGrad } from '../../src/autograd/graph';
import { packModel } from '../../src/engine/packed-model';
import { argmaxRows, relativeError } from './helpers';

const DIR = 'fixtures/models';

interface ModelCase {
  name: string;
  file: string;
  arch: 'bnext' | 'bnext-18';
  base_width: number;
  num_classes: number;
  in_channels: number;
  stage_ratios?: [number, number, number, number];
  blocks_per_layer?: [number, number, number, number];
  stem_stride?: number;
  elm_attention: boolean;
  info_recoupling: boolean;
  binary_weights: 'sign' | 'progressive';
  mode: 'eval' | 'train';
  tolerance: Record<string, number>;
}

const cases = (JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: ModelCase[] }).cases;

function options(c: ModelCase): ArchOptions {
  return c.arch === 'bnext'
    ? { arch: 'bnext', baseWidth: c.base_width, stages: c.stage_ratios, numClasses: c.num_classes, stemStride: c.stem_stride, inChannels: c.in_channels, elmAttention: c.elm_attention, infoRecoupling: c.info_recoupling }
    : { arch: 'bnext-18', baseWidth: c.base_width, stages: c.blocks_per_layer, numClasses: c.num_classes, inChannels: c.in_channels };
}

describe('engine: model golden cases through the packed engine', () => {
  it('finds the golden cases', () => expect(cases.filter((c) => c.binary_weights === 'sign').length).to.be.at.least(10));

  for (const c of cases) {
    const title = c.binary_weights === 'sign'
      ? `${c.name}: the float engine's logits within 1e-4 and the same top-1${c.mode === 'eval' ? ', the reference within its tolerance' : ''}`
      : `${c.name}: refused (progressive binarization)`;
    it(title, () => {
      const file = readSafetensors(join(DIR, c.file));
      const sd: StateDict = new Map();
      for (const [k, arr] of file.tensors) if (k.startsWith('sd.')) sd.set(k.slice(3), stateValueOf(arr, k));
      const model = withoutInit(() => buildModel(resolveConfig(options(c))));
      model.loadStateDict(sd);
      model.eval();
      if (c.binary_weights !== 'sign') {
        expect(() => packModel(model)).to.throw(/temperature 0\.3.*not yet binary/);
        return;
      }
      const x = toTensor(file.tensors.get('input')!, 'input');
      const engine = packModel(model);
      const float = noGrad(() => model.call(x));
      const packed = engine.run(x);
      expect(relativeError(packed.data, float.data), 'vs float engine').to.be.at.most(1e-4);
      expect(argmaxRows(packed)).to.deep.equal(argmaxRows(float));
      if (c.mode === 'eval') {
        const ref = toTensor(file.tensors.get('logits')!, 'logits');
        expect(relativeError(packed.data, ref.data), 'vs reference').to.be.at.most(c.tolerance.logits);
        expect(argmaxRows(packed)).to.deep.equal(argmaxRows(ref));
      }
    });
  }
});
