/**
 * The default recipe (`npm start`), the paper's pipeline at the scale of the embedded digits:
 *
 * 1. two full-precision teachers of different complexity are trained and scored with Knowledge
 *    Complexity (paper Eq. 3), which picks the strong teacher (the higher KC);
 * 2. a small BNext student (one-channel stem) is distilled from the strong teacher, with
 *    progressive binarization that ends fully binary; the teacher's logits are computed once on
 *    the centred training digits. On the digits the weaker teacher as an assistant (Eq. 4's
 *    ensemble) did not help: it fits fewer training digits than the student reaches
 *    (docs/performance.md, "The digits recipe");
 * 3. the student's BatchNorm statistics are recalibrated on centred training digits (torch's
 *    update_bn; batchnorm-recalibration.ts says why), it is evaluated on the held-out digits with
 *    the float engine and the packed XNOR engine, and the run writes its weights, curves,
 *    `summary.json` and a batch of held-out digits to run `bnext forward` on.
 */
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadMnist } from '../data/mnist';
import { manualSeed } from '../tensor/random';
import { DigitDataset } from './dataset';
import { train, type TrainResult } from './trainer';
import { evaluate, floatClassifier, predictLogits } from './evaluate';
import { prepareRunFolder, writeJson } from './run-folder';
import { writeCurves } from './curves';
import { buildAnyModel, describeConfig, resolveAnyConfig } from '../models/zoo';
import type { ArchOptions } from '../models/factory';
import { binaryByEndTemperature, modelIsFullyBinary } from '../optim/temperature';
import { countParameters, knowledgeComplexity } from '../distill/knowledge-complexity';
import { LogitsFileTeacher } from '../distill/teacher';
import { writeNpy } from '../io/files';
import { fromIntTensor, fromTensor } from '../io/stored';
import { Tensor } from '../tensor/tensor';
import { bnxContentsOf } from '../engine/load';
import { loadPackedModel, writeBnx } from '../engine/bnx-file';
import type { BNextModel } from '../models/factory';
import { BATCH_SIZE, checkNumber, EPOCHS, POSITIVE, SEED, WORKERS } from '../tensor/arguments';

/**
 * The side of the canvas the digits are centred on. MNIST digits are scaled into a 20x20 box
 * inside their 28x28 frame, so a 24x24 canvas crops only (nearly always empty) margin, and every
 * map of the network has 0.56x the positions of a 32x32 canvas: the student's epoch ran 1.33x
 * faster at the same held-out top-1 (docs/performance.md, "The digits recipe").
 */
export const DIGITS_SIZE = 24;
export const DIGITS_SHIFT = 2;

/**
 * The embedded digits as the trainer reads them: centred on 24x24, shifted by up to 2 px in
 * training.
 */
export function digitsDatasets(): { train: DigitDataset; test: DigitDataset } {
  const digits = loadMnist();
  return {
    train: new DigitDataset('digits-train', digits.train, DIGITS_SHIFT, DIGITS_SIZE),
    test: new DigitDataset('digits-test', digits.test, 0, DIGITS_SIZE),
  };
}

/** The student: BNext C=16, stages 1:1:0:0, stride-2 stem, one input channel, 10 classes. */
export const DIGITS_STUDENT: ArchOptions = { arch: 'bnext', baseWidth: 16, stages: [1, 1, 0, 0], stemStride: 2, inChannels: 1, numClasses: 10 };

/** `runDigitsRecipe`'s options. */
export interface RecipeOptions {
  outDir: string;
  seed: number;
  teacherEpochs: number;
  studentEpochs: number;
  batchSize: number;
  teacherLr: number;
  studentLr: number;
  /**
   * The teachers' AdamW betas: (0.9, 0.999), as for the student (below), gave the stronger teachers
   * in a run this short, and the stronger teachers the better student (docs/performance.md, "The
   * digits recipe").
   */
  teacherBetas: [number, number];
  /**
   * The student's AdamW betas. The paper's (0.99, 0.999) suit its 512 epochs; over the recipe's
   * ~1,500 steps a first moment averaged over ~100 steps lags the gradient, and (0.9, 0.999)
   * trained the better student (docs/performance.md, "The digits recipe").
   */
  studentBetas: [number, number];
  /**
   * Unaugmented training digits on which the student's BatchNorm statistics are recalibrated
   * after its last epoch (train/batchnorm-recalibration.ts); 0 skips it.
   */
  batchNormSamples: number;
  student: ArchOptions;
  /**
   * Worker threads for data-parallel training of teachers and student (trainer.ts `workers`);
   * by default 2 on a machine with two cores or more, as the script runs on several GPUs.
   */
  workers: number;
  /** The data to train and evaluate on (default: `digitsDatasets()`); specs pass a subset. */
  data?: { train: DigitDataset; test: DigitDataset };
  /** Draw progress bars (default true). */
  progress?: boolean;
}

/** The default recipe's options (`npm start`), all but the output folder. */
export const RECIPE_DEFAULTS: Omit<RecipeOptions, 'outDir'> = {
  seed: 0,
  teacherEpochs: 4,
  studentEpochs: 10,
  batchSize: 32,
  teacherLr: 6e-3,
  teacherBetas: [0.9, 0.999],
  studentLr: 1e-2,
  studentBetas: [0.9, 0.999],
  batchNormSamples: 4096,
  student: DIGITS_STUDENT,
  workers: availableParallelism() >= 2 ? 2 : 1,
};

/** A trained teacher of the recipe: its size, held-out top-1 and Knowledge Complexity. */
export interface TeacherSummary {
  name: string;
  params: number;
  top1: number;
  kc: number;
}

/** The recipe's results (summary.json). */
export interface RecipeSummary {
  student: string;
  testTop1Float: number;
  testTop1Xnor: number | null;
  fullyBinary: boolean;
  seconds: number;
  teachers: TeacherSummary[];
  floatBytes: number;
  packedBytes: number | null;
  /** The float engine's held-out top-1 after the last epoch, before the BatchNorm recalibration. */
  testTop1BeforeRecalibration: number | null;
}

/**
 * The held-out top-1 of the weights a run ended with, as the trainer measured it with the float
 * engine (after the BatchNorm recalibration when there was one): evaluating again would repeat it.
 */
function finalTestTop1(result: TrainResult): number {
  return result.recalibration ? result.recalibration.testTop1After : result.history[result.history.length - 1].testTop1;
}

/** Refuses options out of range, by name, before anything is trained or written. */
function checkRecipeOptions(o: RecipeOptions): void {
  checkNumber(o.seed, 'recipe: seed', SEED);
  checkNumber(o.teacherEpochs, 'recipe: teacherEpochs', EPOCHS);
  checkNumber(o.studentEpochs, 'recipe: studentEpochs', EPOCHS);
  checkNumber(o.batchSize, 'recipe: batchSize', BATCH_SIZE);
  checkNumber(o.teacherLr, 'recipe: teacherLr', POSITIVE);
  checkNumber(o.studentLr, 'recipe: studentLr', POSITIVE);
  checkNumber(o.batchNormSamples, 'recipe: batchNormSamples', { integer: true, min: 0 });
  checkNumber(o.workers, 'recipe: workers', WORKERS);
}

/**
 * The default recipe (`bnext recipe`, `npm start`): trains two teachers, distills them into a
 * fully binary BNext, packs and evaluates it.
 */
export async function runDigitsRecipe(o: RecipeOptions): Promise<RecipeSummary> {
  checkRecipeOptions(o);
  const started = performance.now();
  const { train: trainSet, test: testSet } = o.data ?? digitsDatasets();
  const common = { train: trainSet, test: testSet, batchSize: o.batchSize, warmupEpochs: 0, seed: o.seed, maxGradNorm: 5, workers: o.workers, progress: o.progress ?? true };

  const teachers: { summary: TeacherSummary; teacher: LogitsFileTeacher }[] = [];
  for (const name of ['cnn-s', 'cnn-m']) {
    const config = resolveAnyConfig({ arch: name, numClasses: 10, inChannels: 1 });
    const dir = join(o.outDir, 'teachers', name);
    prepareRunFolder(dir, config, { epochs: o.teacherEpochs, batchSize: o.batchSize, lr: o.teacherLr, betas: o.teacherBetas, seed: o.seed, workers: o.workers });
    manualSeed(o.seed);
    const model = buildAnyModel(config);
    const trained = await train({ ...common, name: `teacher ${name}`, model, outDir: dir, epochs: o.teacherEpochs, lr: o.teacherLr, betas: o.teacherBetas, temperature: null, distillation: null });
    const top1 = finalTestTop1(trained);
    const params = countParameters(model);
    const kc = knowledgeComplexity(params, top1 / 100);
    console.log(`teacher ${name}: ${describeConfig(config)}, ${params} parameters (${((params * 4) / 1024).toFixed(1)} KiB), held-out top-1 ${top1.toFixed(2)}%, KC ${kc.toFixed(4)}`);
    // The teacher's logits on the centred training digits, computed once and looked up by sample
    // (as for a teacher trained elsewhere, distill/teacher.ts) and kept beside its weights for
    // `bnext train --teacher-logits`: the student's steps then run no teacher (14% of a
    // single-thread step), at the price of targets from the centred digit where the student sees
    // it shifted, which cost no accuracy beyond seed-to-seed noise (docs/performance.md, "The
    // digits recipe").
    const logits = new Tensor(predictLogits(floatClassifier(model), trainSet), [trainSet.count, 10]);
    const logitsFile = join(dir, 'train-logits.npy');
    writeNpy(logitsFile, { dtype: 'F32', shape: [...logits.shape], data: logits.data });
    teachers.push({ summary: { name, params, top1, kc }, teacher: new LogitsFileTeacher(name, logits, logitsFile) });
  }
  // The strong teacher is the one of higher knowledge complexity.
  teachers.sort((a, b) => a.summary.kc - b.summary.kc);
  const strong = teachers[teachers.length - 1];

  const config = resolveAnyConfig(o.student);
  const dir = join(o.outDir, 'student');
  prepareRunFolder(dir, config, { epochs: o.studentEpochs, batchSize: o.batchSize, lr: o.studentLr, betas: o.studentBetas, recalibrateBatchNorm: o.batchNormSamples, seed: o.seed, workers: o.workers, teachers: [strong.summary.name], assistants: [] });
  manualSeed(o.seed);
  const student = buildAnyModel(config);
  console.log(`student: ${describeConfig(config)}, ${countParameters(student)} parameters; distilled from ${strong.summary.name}`);
  const result = await train({
    ...common, name: 'student', model: student, outDir: dir, epochs: o.studentEpochs, lr: o.studentLr, betas: o.studentBetas,
    ...(o.batchNormSamples > 0 ? { recalibrateBatchNorm: o.batchNormSamples } : {}),
    temperature: binaryByEndTemperature(o.studentEpochs),
    distillation: { strong: strong.teacher, assistants: [], form: 'script' },
  });
  writeCurves(join(o.outDir, 'curves.png'), result.history);
  const testTop1Float = finalTestTop1(result);
  // The packed model is written, read back and evaluated: the file is what a user deploys.
  const fullyBinary = modelIsFullyBinary(student);
  let packed: { top1: number; packedBytes: number } | null = null;
  if (fullyBinary && config.arch !== 'cnn') {
    const bnx = join(dir, 'model.bnx');
    writeBnx(bnx, bnxContentsOf(student as BNextModel));
    const engine = loadPackedModel(bnx);
    packed = { top1: evaluate((x) => engine.run(x), testSet).top1, packedBytes: statSync(bnx).size };
  }
  const summary: RecipeSummary = {
    student: describeConfig(config),
    testTop1Float,
    testTop1Xnor: packed ? packed.top1 : null,
    fullyBinary,
    seconds: (performance.now() - started) / 1000,
    teachers: teachers.map((t) => t.summary),
    floatBytes: statSync(join(dir, 'model.safetensors')).size,
    packedBytes: packed ? packed.packedBytes : null,
    testTop1BeforeRecalibration: result.recalibration ? result.recalibration.testTop1Before : null,
  };
  writeJson(join(o.outDir, 'summary.json'), summary);
  writeSampleBatch(o.outDir, testSet);
  return summary;
}

/** How many held-out digits `sample-batch.npy` holds. */
export const SAMPLE_BATCH = 16;

/**
 * The first held-out digits as the student reads them, [16, 1, 24, 24] float32 with their labels
 * (int64): an input for `bnext forward` and `--train --target` on the run's weights (README).
 */
function writeSampleBatch(outDir: string, testSet: DigitDataset): void {
  const n = Math.min(SAMPLE_BATCH, testSet.count);
  const { x, y } = testSet.batch(Int32Array.from({ length: n }, (_, i) => i), null);
  writeNpy(join(outDir, 'sample-batch.npy'), fromTensor(x));
  writeNpy(join(outDir, 'sample-targets.npy'), fromIntTensor(y));
}
