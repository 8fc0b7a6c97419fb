/**
 * Bad arguments to the public API fail at the door, with an error that names the function, the
 * argument and what was expected; unknown names and options list the valid ones; nothing is
 * written when a call is refused.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BNext, bnxContentsOf, createModel, forwardWithActivations, packedModelFromBnx, modelConfig, modelStats, packModel, parseStateDict, randn, Rng, serializeStateDict,
  setTemperature, Tensor,
} from '../../src/index';
import { loadPackedModel, loadWeights, train, writeStateDict, type TrainOptions } from '../../src/node';

/** A small fully binary BNext in evaluation mode. */
function small(): BNext {
  const model = createModel('bnext', { baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10, inChannels: 1, seed: 1 });
  setTemperature(model, 1e-8);
  return model.eval();
}

describe('public API: argument checks', () => {
  it('createModel: unknown names and options are listed with the valid ones; values are checked by option', () => {
    expect(() => createModel('bnext-xl' as 'bnext-t')).to.throw("modelConfig: unknown model name \"bnext-xl\" (expected 'bnext-t', 'bnext-s', 'bnext-m', 'bnext-l', 'bnext-18', 'bnext', 'cnn-s' or 'cnn-m')");
    expect(() => createModel('bnext-t', { classes: 10 } as never)).to.throw(/^modelConfig: unknown option 'classes' \(valid options: 'numClasses', 'inChannels', .* or 'init'\)$/);
    expect(() => createModel('bnext-t', { numClasses: 0 })).to.throw('modelConfig: numClasses must be an integer from 1 to 1000000, got 0');
    expect(() => createModel('bnext-t', { stemStride: 3 })).to.throw('modelConfig: stemStride must be an integer from 1 to 2, got 3');
    expect(() => createModel('bnext', { baseWidth: 16, stages: [1, 1, 3] as never })).to.throw('modelConfig: stages must be four integers from 0 to 64 such as [1, 1, 3, 1], got [1,1,3]');
    expect(() => createModel('bnext', { numClasses: 10 })).to.throw(/^modelConfig: architecture 'bnext' needs a base width and stage ratios/);
    expect(() => createModel('cnn-s', { baseWidth: 16 })).to.throw('modelConfig: cnn-s is a fixed full-precision CNN: BNext options do not apply');
    expect(() => createModel('bnext-t', { elmAttention: 'no' as never })).to.throw('modelConfig: elmAttention must be true or false, got "no"');
    expect(() => createModel('bnext-t', { seed: {} as never, init: true })).to.throw('modelFromConfig: seed must be a number or a string, got an object');
  });

  it('createModel: the same seed gives the same weights; ablations and teachers build', () => {
    const a = createModel('bnext', { baseWidth: 8, stages: [1, 0, 0, 0], seed: 'x' });
    const b = createModel('bnext', { baseWidth: 8, stages: [1, 0, 0, 0], seed: 'x' });
    expect([...a.fc.weight.data]).to.deep.equal([...b.fc.weight.data]);
    expect(modelConfig('bnext-s', { elmAttention: false, numClasses: 10 })).to.include({ arch: 'bnext', baseWidth: 48, elmAttention: false, infoRecoupling: true, stemStride: 1 });
    expect(createModel('cnn-m', { numClasses: 10, inChannels: 1 }).config).to.include({ arch: 'cnn', numClasses: 10 });
  });

  it('packModel: the model kind, the quantize name and the input are checked', () => {
    const model = small();
    expect(() => packModel(createModel('cnn-s') as never)).to.throw("packModel: model must be a BNext or BNext-18 (createModel('bnext-t') gives one), got a Cnn");
    expect(() => packModel(model, { quantize: '4bit' })).to.throw(/^packModel: quantize must be none, paper, w8 or four .*; '4bit' has 1 part$/);
    expect(() => packModel(model, { quantise: 'paper' } as never)).to.throw(/^packModel: unknown option 'quantise' \(valid options: .*'quantize'/);
    const engine = packModel(model, { quantize: 'paper' });
    expect(() => engine.run(randn([1, 3, 16, 16], new Rng(0)))).to.throw('packed bnext: input must be [N, 1, H, W], got shape [1, 3, 16, 16]');
    expect(() => engine.run(new Float32Array(256) as never)).to.throw('packed bnext: input must be a float32 Tensor [N, 1, H, W], got a Float32Array');
    expect(() => bnxContentsOf(model, { quantize: 'w9' })).to.throw(/^bnxContentsOf: quantize must be none, paper, w8/);
    expect(() => packedModelFromBnx(new ArrayBuffer(8) as never)).to.throw("packedModelFromBnx: bytes must be a Uint8Array of the file's bytes, got an ArrayBuffer");
    expect(() => parseStateDict('w.safetensors' as never)).to.throw("parseStateDict: bytes must be a Uint8Array of the file's bytes, got \"w.safetensors\"");
  });

  it('trace names every step by module path and ends with the logits', () => {
    const model = small();
    const x = randn([2, 1, 16, 16], new Rng(2));
    const engine = packModel(model);
    const trace = engine.trace(x);
    expect([...trace.layers.keys()]).to.deep.equal(['feature.0', 'feature.1', 'feature.2', 'feature.3', 'feature.4', 'feature.5', 'fc']);
    expect([...trace.logits.data]).to.deep.equal([...engine.run(x).data]);
    expect([...trace.layers.get('fc')!.data]).to.deep.equal([...trace.logits.data]);
    // Each step's output equals the float model's output of the same module, to float rounding.
    const { activations } = forwardWithActivations(model, x);
    for (const [path, packed] of trace.layers) {
      const float = activations.get(path)!;
      expect(float.shape, path).to.deep.equal(packed.shape);
      const scale = Math.max(...float.data.map(Math.abs));
      expect(Math.max(...float.data.map((v, i) => Math.abs(v - packed.data[i]))) / scale, path).to.be.below(1e-4);
    }
  });

  it("BNext-18's trace steps are modules of the float model too", () => {
    const model = createModel('bnext-18', { baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10, seed: 2 });
    setTemperature(model, 1e-8);
    const x = randn([1, 3, 16, 16], new Rng(4));
    const { activations } = forwardWithActivations(model, x);
    const names = [...packModel(model).trace(x).layers.keys()];
    expect(names).to.deep.equal(['bn1', 'layer0.0', 'layer1.0', 'layer2.0', 'layer3.0', 'fc']);
    for (const name of names) expect(activations.has(name), name).to.equal(true);
  });

  it('forwardWithActivations, modelStats and loadStateDict check what they are given', () => {
    const model = small();
    expect(() => forwardWithActivations(model, [1, 2] as never)).to.throw('forwardWithActivations: x must be a float32 Tensor, got an array of 2');
    expect(() => forwardWithActivations(model, randn([1, 1, 16, 16], new Rng(0)), { mode: 'test' as never })).to.throw("forwardWithActivations: mode must be 'eval' or 'train', got \"test\"");
    expect(model.training).to.equal(false);
    expect(() => modelStats(model, { resolution: 0 })).to.throw('modelStats: resolution must be an integer from 1 to 4096, got 0');
    expect(() => model.loadStateDict(serializeStateDict(model) as never)).to.throw(/^loadStateDict: dict must be a Map of tensors by name \(parseStateDict gives one from safetensors bytes\), got a Uint8Array$/);
    const dict = parseStateDict(serializeStateDict(model));
    dict.set('fc.weight', 'x' as never);
    expect(() => model.loadStateDict(dict)).to.throw(/mismatched: fc\.weight: expected a tensor, found "x"/);
    expect(model.loadStateDict(dict, { strict: false }).mismatched).to.deep.equal(['fc.weight: expected a tensor, found "x"']);
  });

  describe('files', () => {
    let dir = '';
    before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-api-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('loadWeights and loadPackedModel name the file and the option', () => {
      const model = small();
      const path = join(dir, 'w.safetensors');
      writeStateDict(path, model);
      expect(() => loadWeights(model, path, false as never)).to.throw('loadWeights: options must be an object, got false');
      expect(() => loadWeights(model, join(dir, 'missing.safetensors'))).to.throw(`${join(dir, 'missing.safetensors')}: cannot read (ENOENT)`);
      expect(() => loadPackedModel(path)).to.throw(`loadPackedModel: ${path} is not a .bnx file; for a safetensors state_dict give options.config (the architecture)`);
      const engine = loadPackedModel(path, { config: model.config });
      const x = randn([1, 1, 16, 16], new Rng(3));
      expect([...engine.run(x).data]).to.deep.equal([...packModel(model).run(x).data]);
    });

    it('train refuses unknown or missing options before writing anything', async () => {
      const outDir = join(dir, 'run');
      const base = { name: 'x', model: small(), outDir, epochs: 1, batchSize: 4, lr: 1e-3, warmupEpochs: 0, temperature: null, distillation: null, seed: 0, maxGradNorm: 5 };
      const data = { name: 'd', count: 4, numClasses: 10, sampleShape: [1, 16, 16] as const, batch: () => ({ x: new Tensor(new Float32Array(0), [0]), y: null as never }) };
      const refused = async (o: object): Promise<string> => {
        try {
          await train(o as TrainOptions);
        } catch (e) {
          return (e as Error).message;
        }
        return 'accepted';
      };
      expect(await refused({ ...base, train: data, test: data, epoch: 3 })).to.match(/^train: unknown option 'epoch' \(valid options: 'name', 'model', .* or 'onEpoch'\)$/);
      expect(await refused({ ...base, test: data })).to.equal("train: missing option 'train'");
      expect(await refused({ ...base, train: data, test: data, batchSize: 0 })).to.equal('train: batchSize must be an integer from 1 to 65536, got 0');
      expect(await refused({ ...base, train: [], test: data })).to.equal('train: train must be a Dataset (count, numClasses, sampleShape, batch(indices, rng)), got an array of 0');
      expect(existsSync(outDir)).to.equal(false);
    });
  });
});
