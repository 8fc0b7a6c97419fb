import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { train, type TrainOptions } from '../../src/train/trainer';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { manualSeed } from '../../src/tensor/random';
import { binaryByEndTemperature, modelIsFullyBinary } from '../../src/optim/temperature';
import { readStateDict } from '../../src/nn/serialize';
import { bnextSchedule, cosineLr, perStepSchedule } from '../../src/optim/lr-schedule';
import { failure, subset } from '../helpers/training';


describe('train/trainer', function () {
  this.timeout(300_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'bnext-train-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  const mnist = loadMnist();
  const trainSet = new DigitDataset('train', subset(mnist.train, 48, 150), 2);
  const testSet = new DigitDataset('test', subset(mnist.test, 32, 60));

  function options(outDir: string, extra: Partial<TrainOptions> = {}): TrainOptions {
    manualSeed(5);
    const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 }));
    return {
      name: 'tiny', model, train: trainSet, test: testSet, outDir, epochs: 3, batchSize: 16, lr: 1e-3, warmupEpochs: 1,
      temperature: binaryByEndTemperature(3), distillation: null, seed: 9, maxGradNorm: 5, progress: false, ...extra,
    };
  }

  it('resumes bit-identically after an interruption mid-epoch or at an epoch boundary @slow', async () => {
    const full = options(join(root, 'full'));
    const result = await train(full);
    expect(result.completed).to.equal(true);
    expect(result.history).to.have.length(3);
    expect(modelIsFullyBinary(full.model)).to.equal(true);
    const reference = readStateDict(join(root, 'full', 'model.safetensors'));

    for (const stopAt of [2, 3, 7]) {
      const dir = join(root, `stop${stopAt}`);
      const first = await train(options(dir, { stopAfterBatches: stopAt }));
      expect(first.completed, `stopped after ${stopAt}`).to.equal(false);
      // A fresh process would build a fresh model: do the same, then resume from disk.
      const resumed = await train(options(dir, { resume: true }));
      expect(resumed.completed).to.equal(true);
      const weights = readStateDict(join(dir, 'model.safetensors'));
      for (const [key, value] of reference) {
        expect([...weights.get(key)!.data], `${key} after stopping at batch ${stopAt}`).to.deep.equal([...value.data]);
      }
      const log = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; testTop1: number });
      expect(log.map((r) => r.epoch)).to.deep.equal([1, 2, 3]);
      expect(log.map((r) => r.testTop1)).to.deep.equal(result.history.map((r) => r.testTop1));
    }
  });

  it('recalibrates BatchNorm after the last epoch when asked, and writes the recalibrated statistics', async () => {
    const plain = await train(options(join(root, 'no-recal'), { epochs: 1 }));
    expect(plain.recalibration).to.equal(undefined);
    const dir = join(root, 'recal');
    const o = options(dir, { epochs: 1, recalibrateBatchNorm: 40 });
    const result = await train(o);
    expect(result.recalibration?.samples).to.equal(40);
    expect(result.recalibration?.testTop1Before).to.equal(plain.history[0].testTop1);
    // Same seed, same training: only the statistics differ, and the written file has the new ones.
    const key = 'feature.1.Attention.norm1.running_mean';
    const before = readStateDict(join(root, 'no-recal', 'model.safetensors')).get(key)!.data;
    const after = readStateDict(join(dir, 'model.safetensors')).get(key)!.data;
    expect([...after]).to.deep.equal([...(o.model.stateDict().get(key)!.data)]);
    expect([...after]).to.not.deep.equal([...before]);
  });

  it('steps the schedule after every update with lrPerStep, and resumes bit-identically mid-epoch @slow', async () => {
    // 48 digits in batches of 16: 3 updates per epoch, the first epoch (3 updates) warming up.
    const full = await train(options(join(root, 'per-step'), { lrPerStep: true }));
    const perStep = perStepSchedule(bnextSchedule(3, 1), 3);
    expect(full.history.map((r) => r.lr)).to.deep.equal([2, 5, 8].map((t) => cosineLr(t, 1e-3, perStep)));
    const perEpoch = await train(options(join(root, 'per-epoch')));
    expect(perEpoch.history.map((r) => r.lr)).to.deep.equal([0, 1, 2].map((t) => cosineLr(t, 1e-3, bnextSchedule(3, 1))));
    const dir = join(root, 'per-step-resumed');
    expect((await train(options(dir, { lrPerStep: true, stopAfterBatches: 4 }))).completed).to.equal(false);
    // The checkpoint is of a per-step run: a per-epoch run refuses it.
    expect(await failure(train(options(dir, { resume: true })))).to.match(/another run configuration/);
    await train(options(dir, { lrPerStep: true, resume: true }));
    const reference = readStateDict(join(root, 'per-step', 'model.safetensors'));
    const weights = readStateDict(join(dir, 'model.safetensors'));
    for (const [key, value] of reference) expect([...weights.get(key)!.data], key).to.deep.equal([...value.data]);
  });

  it('refuses to resume a checkpoint of another architecture, listing the differences', async () => {
    const dir = join(root, 'arch');
    await train(options(dir, { stopAfterBatches: 1 }));
    manualSeed(5);
    const wider = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 16, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 }));
    expect(await failure(train(options(dir, { resume: true, model: wider })))).to.match(/checkpoint-model-0-1\.safetensors does not fit the model: mismatched: feature\.0\.conv1\.weight: expected shape \[16, 1, 3, 3\], found \[8, 1, 3, 3\]/);
  });

  it('refuses to resume a checkpoint of another configuration', async () => {
    const dir = join(root, 'other');
    await train(options(dir, { stopAfterBatches: 1 }));
    expect(await failure(train(options(dir, { resume: true, batchSize: 8 })))).to.match(/checkpoint\.json: the checkpoint is of another run configuration/);
  });
});
