/**
 * The training run spec/train/kill-resume.spec.ts kills: what `bnext train --resume` does (check
 * the checkpoint's settings, write config.json, train, write the curves), on a tiny BNext and 48
 * digits so that a run takes seconds. Usage: node --import tsx kill-resume-child.ts OUT_DIR.
 * Prints "ready" just before training starts, and exits 0 when the run is complete.
 */
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { checkResume, train, type TrainOptions } from '../../src/train/trainer';
import { prepareRunFolder } from '../../src/train/run-folder';
import { writeCurves } from '../../src/train/curves';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { manualSeed } from '../../src/tensor/random';
import { binaryByEndTemperature } from '../../src/optim/temperature';
import { subset } from '../helpers/training';

/** Epochs of the run (EPOCHS in the spec): each ends with a held-out evaluation, the log and a checkpoint written. */
const KILL_RUN_EPOCHS = 4;

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: kill-resume-child.ts OUT_DIR');
const mnist = loadMnist();
const config = resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 });
manualSeed(5);
const options: TrainOptions = {
  name: 'killed', model: buildModel(config), outDir,
  train: new DigitDataset('train', subset(mnist.train, 48, 150), 2), test: new DigitDataset('test', subset(mnist.test, 16, 100)),
  epochs: KILL_RUN_EPOCHS, batchSize: 16, lr: 1e-3, warmupEpochs: 1, temperature: binaryByEndTemperature(KILL_RUN_EPOCHS),
  distillation: null, seed: 9, maxGradNorm: 5, recalibrateBatchNorm: 16, resume: true, progress: false, workers: 1,
};
checkResume(options);
prepareRunFolder(outDir, config, { epochs: KILL_RUN_EPOCHS, seed: 9 });
console.log('ready');
const result = await train(options);
writeCurves(join(outDir, 'curves.png'), result.history);
