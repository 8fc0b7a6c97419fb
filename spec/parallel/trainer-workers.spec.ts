/**
 * The trainer with `workers: 2` (data-parallel worker threads): deterministic, resumable
 * bit-identically like the single-thread trainer (spec/train/trainer.spec.ts), and failing
 * cleanly when a worker fails.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { train, type TrainOptions } from '../../src/train/trainer';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { buildAnyModel, resolveAnyConfig } from '../../src/models/zoo';
import { manualSeed } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { binaryByEndTemperature } from '../../src/optim/temperature';
import { readStateDict } from '../../src/nn/state-dict-file';
import { LogitsFileTeacher, ModuleTeacher } from '../../src/distill/teacher';
import { liveWorkers } from '../../src/parallel/spawn';
import { failure, subset } from '../helpers/training';

describe('parallel: train with workers', function () {
  this.timeout(300_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'bnext-parallel-'))));
  after(() => rmSync(root, { recursive: true, force: true }));
  afterEach(() => expect(liveWorkers(), 'worker threads left running').to.equal(0));

  const mnist = loadMnist();
  // 37 samples in batches of 16: 16, 16, 5 (shards 8/8, 8/8, 3/2).
  const trainSet = new DigitDataset('train', subset(mnist.train, 37, 150), 2);
  const testSet = new DigitDataset('test', subset(mnist.test, 32, 60));
  manualSeed(2);
  const strong = new ModuleTeacher('cnn-s', buildAnyModel(resolveAnyConfig({ arch: 'cnn-s', numClasses: 10, inChannels: 1 })), 10);
  const table = new Tensor(Float32Array.from({ length: 37 * 10 }, (_, i) => 2 * Math.cos(i)), [37, 10]);
  const assistant = new LogitsFileTeacher('table', table, 'table.npy');

  function options(outDir: string, extra: Partial<TrainOptions> = {}): TrainOptions {
    manualSeed(5);
    const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 }));
    return {
      name: 'tiny', model, train: trainSet, test: testSet, outDir, epochs: 2, batchSize: 16, lr: 1e-3, warmupEpochs: 1,
      temperature: binaryByEndTemperature(2), distillation: { strong, assistants: [assistant], form: 'script' },
      seed: 9, maxGradNorm: 5, progress: false, workers: 2, ...extra,
    };
  }

  function weights(dir: string): Map<string, number[]> {
    return new Map([...readStateDict(join(dir, 'model.safetensors'))].map(([k, v]) => [k, [...v.data]]));
  }

  it('is deterministic and resumes bit-identically after an interruption mid-epoch or at the epoch boundary @slow', async () => {
    const first = await train(options(join(root, 'a')));
    const second = await train(options(join(root, 'b')));
    expect(first.completed).to.equal(true);
    const reference = weights(join(root, 'a'));
    expect(weights(join(root, 'b'))).to.deep.equal(reference);
    const strip = (h: typeof first.history): unknown[] => h.map(({ seconds: _, ...rest }) => rest);
    expect(strip(second.history)).to.deep.equal(strip(first.history));
    expect(first.history.map((r) => r.teachers)).to.deep.equal([['table', 'cnn-s'], ['table', 'cnn-s']]);

    for (const stopAt of [2, 3]) {
      const dir = join(root, `stop${stopAt}`);
      expect((await train(options(dir, { stopAfterBatches: stopAt }))).completed, `stopped after ${stopAt}`).to.equal(false);
      const resumed = await train(options(dir, { resume: true }));
      expect(resumed.completed).to.equal(true);
      expect(weights(dir), `weights after stopping at batch ${stopAt}`).to.deep.equal(reference);
      const log = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { trainLoss: number; testTop1: number });
      expect(log.map((r) => r.trainLoss)).to.deep.equal(first.history.map((r) => r.trainLoss));
      expect(log.map((r) => r.testTop1)).to.deep.equal(first.history.map((r) => r.testTop1));
    }
  });

  it('rejects with the worker\'s error, leaving no thread behind', async () => {
    const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 3 }));
    const message = await failure(train(options(join(root, 'bad'), { model, distillation: null })));
    expect(message, message).to.match(/^data-parallel worker [01] \(of 2\) failed: BNext: input must be \[N, 3, H, W\], got \[8, 1, 28, 28\]$/);
  });

  it('refuses a worker count below one', async () => {
    expect(await failure(train(options(join(root, 'zero'), { workers: 0 })))).to.equal('train: workers must be an integer from 1 to 256, got 0');
  });
});
