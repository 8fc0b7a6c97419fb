/**
 * The model golden cases (fixtures/models, from the official PyTorch code) through the packed
 * engine: every case whose binary convs are fully binary gives, in evaluation mode, the float
 * engine's logits within 1e-4 relative and the same top-1 on every sample; evaluation cases
 * also match the official reference within the case's tolerance. Cases in the middle of
 * progressive binarization are refused. Training cases contribute their state_dict, run in
 * evaluation mode.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { readSafetensors } from '../../src/io/files';
import { toTensor } from '../../src/io/stored';
import { stateValueOf } from '../../src/nn/serialize';
import type { StateDict } from '../../src/nn/module';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { archOptionsOf, MODEL_FIXTURES, modelCases } from '../helpers/model-cases';
import { withoutInit } from '../../src/nn/init';
import { noGrad } from '../../src/autograd/record';
import { packModel } from '../../src/engine/packed-model';
import { argmaxRows, relativeError } from './helpers';

const DIR = MODEL_FIXTURES;
const cases = modelCases;
const options = archOptionsOf;

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
