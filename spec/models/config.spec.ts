/**
 * The configuration arithmetic that bounds a model before it is built: the binary-weight count
 * must equal what the built model holds, and out-of-range fields are refused by name.
 */
import { expect } from 'chai';
import { binaryWeightCount, classifierWidth, validateConfig, type ModelConfig } from '../../src/models/config';
import { type ArchOptions, buildModel, resolveConfig } from '../../src/models/factory';
import { withoutInit } from '../../src/nn/init';
import { Cnn } from '../../src/models/cnn';

describe('models/config', () => {
  const cases: ArchOptions[] = [
    { arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10 },
    { arch: 'bnext', baseWidth: 16, stages: [2, 1, 1, 0], numClasses: 7, inChannels: 1, elmAttention: false },
    { arch: 'bnext', baseWidth: 8, stages: [1, 2, 1, 1], numClasses: 10, infoRecoupling: false },
    { arch: 'bnext-t' },
    { arch: 'bnext-18', baseWidth: 8, stages: [1, 2, 1, 3], numClasses: 10 },
    { arch: 'bnext-18', baseWidth: 8, numClasses: 1000 },
  ];

  for (const options of cases) {
    it(`counts the binary-conv weights and the classifier width of ${JSON.stringify(options)} as the built model has them`, () => {
      const config = resolveConfig(options);
      const model = withoutInit(() => buildModel(config));
      let binary = 0;
      for (const [key, value] of model.stateDict()) if (key.endsWith('binary_conv.weight')) binary += value.data.length;
      expect(binaryWeightCount(config)).to.equal(binary);
      expect(classifierWidth(config)).to.equal(model.stateDict().get('fc.weight')!.shape[1]);
    });
  }

  it('refuses fields out of range, and a model of more than 2^30 weights, naming the value and the bound', () => {
    const base = resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10 });
    const refused: [Partial<ModelConfig>, RegExp][] = [
      [{ stages: [1e308, 0, 0, 0] }, /^bnext: stage ratio 1 must be an integer from 0 to 64, got 1e\+308$/],
      [{ baseWidth: 1e9 }, /^bnext: base width must be an integer from 8 to 4096, got 1000000000$/],
      [{ numClasses: 2e6 }, /^bnext: number of classes must be an integer from 1 to 1000000, got 2000000$/],
      [{ inChannels: 0 }, /^bnext: input channels must be an integer from 1 to 4096, got 0$/],
      [{ baseWidth: 1024, stages: [2, 2, 8, 2] }, /^bnext: base width 1024, stage ratios 2:2:8:2, 10 classes and 3 input channels make \d+ weights, more than the 1073741824 a model may have$/],
    ];
    for (const [edit, message] of refused) expect(() => validateConfig({ ...base, ...edit } as ModelConfig), JSON.stringify(edit)).to.throw(message);
    expect(() => validateConfig(resolveConfig({ arch: 'bnext-l' }))).to.not.throw();
  });

  it('bounds the teacher CNN too (a config.json of a run folder may say anything)', () => {
    const cnn = { arch: 'cnn' as const, baseWidth: 4, stages: 2, depth: 1, numClasses: 10, inChannels: 1 };
    expect(() => new Cnn(cnn)).to.not.throw();
    expect(() => new Cnn({ ...cnn, numClasses: 1e9 })).to.throw(/^cnn: classes must be an integer from 1 to 1000000, got 1000000000$/);
    expect(() => new Cnn({ ...cnn, stages: 1e308 })).to.throw(/^cnn: stages must be an integer from 1 to 8, got 1e\+308$/);
  });
});
