import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { checkResume, NonFiniteLossError, train, type TrainOptions } from '../../src/train/trainer';
import { ResumeMismatchError } from '../../src/train/fingerprint';
import { LogitsFileTeacher } from '../../src/distill/teacher';
import { Tensor } from '../../src/tensor/tensor';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { manualSeed } from '../../src/tensor/random';
import { binaryByEndTemperature, modelIsFullyBinary } from '../../src/optim/temperature';
import { readStateDict } from '../../src/nn/state-dict-file';
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
    expect(await failure(train(options(dir, { resume: true, model: wider })))).to.match(/checkpoint\.json: the checkpoint is of another run configuration; .*Differing: model\.config\.baseWidth: 8 in the checkpoint, 16 now; model\.shapes: "[0-9a-f]{8}" in the checkpoint, "[0-9a-f]{8}" now\./);
  });

  it('refuses to resume a checkpoint of another configuration', async () => {
    const dir = join(root, 'other');
    await train(options(dir, { stopAfterBatches: 1 }));
    expect(await failure(train(options(dir, { resume: true, batchSize: 8 })))).to.match(/checkpoint\.json: the checkpoint is of another run configuration; .*Differing: batchSize: 16 in the checkpoint, 8 now\./);
  });

  it('names every differing setting (betas, warm-up, temperature, distillation, recalibration), touching no checkpoint file', async () => {
    const dir = join(root, 'settings');
    await train(options(dir, { stopAfterBatches: 1 }));
    const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    const teacher = new LogitsFileTeacher('t', new Tensor(new Float32Array(48 * 10), [48, 10]), 't.npy');
    const changed = options(dir, {
      resume: true, betas: [0.9, 0.99], warmupEpochs: 0, temperature: (e) => 0.5 ** e, recalibrateBatchNorm: 8, maxGradNorm: 1,
      distillation: { strong: teacher, assistants: [], form: 'per-sample' },
    });
    const err = await train(changed).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(ResumeMismatchError);
    const differences = (err as ResumeMismatchError).differences;
    expect(differences.map((d) => d.setting)).to.deep.equal(['betas', 'warmupEpochs', 'temperature', 'distillation', 'maxGradNorm', 'recalibrateBatchNorm']);
    expect(differences[0]).to.deep.equal({ setting: 'betas', checkpoint: [0.99, 0.999], now: [0.9, 0.99] });
    expect(differences[1]).to.deep.equal({ setting: 'warmupEpochs', checkpoint: 1, now: 0 });
    expect(differences[3].checkpoint).to.equal(null);
    expect((err as Error).message).to.include('warmupEpochs: 1 in the checkpoint, 0 now');
    // checkResume, which `bnext train` calls before it writes config.json, refuses the same way.
    expect(() => checkResume(changed)).to.throw(ResumeMismatchError);
    const after = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    expect([...after.keys()]).to.deep.equal([...before.keys()]);
    for (const [f, bytes] of before) expect(after.get(f)!.equals(bytes), f).to.equal(true);
    // The same settings resume.
    expect(() => checkResume(options(dir, { resume: true }))).to.not.throw();
  });

  it('stops with NonFiniteLossError when the loss diverges, writing no weights', async () => {
    const dir = join(root, 'diverged');
    const err = await train(options(dir, { lr: 1e30, warmupEpochs: 0 })).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(NonFiniteLossError);
    expect((err as Error).message).to.match(/^tiny: the training loss is (NaN|Infinity|-Infinity) at epoch 1, batch [23]: training diverged \(peak learning rate 1e\+30; try a lower one\)/);
    expect(existsSync(join(dir, 'model.safetensors'))).to.equal(false);
    expect(existsSync(join(dir, 'checkpoint.json'))).to.equal(false);
  });

  it('refuses options out of range by name before writing anything', async () => {
    const dir = join(root, 'bad-options');
    expect(await failure(train(options(dir, { batchSize: 0 })))).to.equal('train: batchSize must be an integer from 1 to 65536, got 0');
    expect(await failure(train(options(dir, { epochs: 1.5 })))).to.equal('train: epochs must be an integer from 1 to 100000, got 1.5');
    expect(await failure(train(options(dir, { lr: 0 })))).to.equal('train: lr must be a finite number > 0, got 0');
    expect(await failure(train(options(dir, { warmupEpochs: 4 })))).to.equal('train: warmupEpochs must be an integer from 0 to 3, got 4');
    expect(existsSync(dir)).to.equal(false);
  });

  it('removes temporary files a killed run left in its folder, and only those of ended processes', async () => {
    const dir = join(root, 'leftovers');
    mkdirSync(dir);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = [`checkpoint.json.tmp-${dead}-0`, `checkpoint-model-1-0.safetensors.tmp-${dead}-1a`, `log.jsonl.tmp-${dead}-2`];
    const kept = [`log.jsonl.tmp-${process.pid}-zz`, `notes.tmp-${dead}`, `other.tmp-x-1`];
    for (const f of [...stale, ...kept]) writeFileSync(join(dir, f), 'half');
    await train(options(dir, { epochs: 1 }));
    const files = readdirSync(dir);
    for (const f of stale) expect(files, f).to.not.include(f);
    for (const f of kept) expect(files, f).to.include(f);
  });
});
