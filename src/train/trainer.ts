/**
 * The training loop as the official script runs it (paper Sec. 5.1 and Algorithm 1;
 * docs/paper-map.md, "Sec. 5.1"): AdamW over the paper's two parameter groups, a warm-up + cosine
 * learning rate stepped per epoch, gradient clipping by global norm, progressive binarization (a
 * temperature per epoch), and either plain cross-entropy or knowledge distillation from a strong
 * teacher and assistants in turn (paper Eq. 4 and Algorithm 1). Each epoch is evaluated, logged and
 * checkpointed; an interrupted run resumes bit-identically, because every random choice comes from
 * one generator per epoch whose state the checkpoint keeps, and only under the settings it was
 * written with (fingerprint.ts). A loss that is NaN or infinite stops the run (NonFiniteLossError):
 * the step it would take makes every weight NaN, and the metrics of such a model mean nothing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Module } from '../nn/module';
import { checkBounded, checkOptionNames, describeValue } from '../check';
import { backward } from '../autograd/graph';
import { noGrad } from '../autograd/record';
import { Rng } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import type { IntTensor } from '../tensor/int-tensor';
import { bnextParamGroups } from '../optim/param-groups';
import { clipGradNorm } from '../optim/clip';
import { bnextSchedule, CosineLRScheduler, perStepSchedule } from '../optim/lr-schedule';
import { setTemperature, type TemperatureSchedule } from '../optim/temperature';
import type { EnsembleForm } from '../distill/ensemble';
import { studentLoss } from '../distill/student-loss';
import { teachersForEpoch } from '../distill/boosting';
import type { Teacher } from '../distill/teacher';
import { writeStateDict } from '../nn/state-dict-file';
import { RUN_WEIGHTS } from './run-folder';
import type { Dataset } from './dataset';
import { addBatch, emptyMetrics, type RunningMetrics, summarize, type EpochMetrics } from './metrics';
import { evaluate, evaluateBatches, floatClassifier } from './evaluate';
import { checkResumable, hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint';
import { describeData, describeModel, describeTeacher, type RunFingerprint } from './fingerprint';
import { removeStaleTempFiles } from '../io/atomic';
import { BATCH_SIZE, checkNumber, COUNT, EPOCHS, POSITIVE, SEED, WORKERS } from '../tensor/arguments';
import { AdamW, ADAMW_DEFAULTS } from '../optim/adamw';
import { type LogRecord, writeLog } from './log';
import { ProgressBar } from './progress';
import { DataParallel, type ShardResult } from '../parallel/data-parallel';
import { recalibrateBatchNorm, recalibrationBatches } from './batchnorm-recalibration';

/** Knowledge distillation for `train`: the strong teacher, the assistants, the ensemble form. */
export interface Distillation {
  strong: Teacher;
  /** Used one after another, each for an equal share of the epochs (knowledge boosting). */
  assistants: Teacher[];
  form: EnsembleForm;
}

/** `train`'s options; unknown ones are refused by name. */
export interface TrainOptions {
  name: string;
  model: Module;
  train: Dataset;
  test: Dataset;
  /** Checkpoints, log and weights go here. */
  outDir: string;
  epochs: number;
  batchSize: number;
  lr: number;
  betas?: [number, number];
  warmupEpochs: number;
  /**
   * Step the learning-rate schedule after every update instead of once per epoch (timm's
   * t_in_epochs=False; lr-schedule.ts `perStepSchedule`): the same curve, sampled per update.
   * The script steps per epoch (default false).
   */
  lrPerStep?: boolean;
  /** Progressive binarization; null for full-precision models. */
  temperature: TemperatureSchedule | null;
  distillation: Distillation | null;
  seed: number | string;
  maxGradNorm: number;
  /** Continue from the checkpoint in outDir, if there is one. */
  resume?: boolean;
  /** Stop (with a checkpoint) after this many batches in all: a stand-in for Ctrl-C in tests. */
  stopAfterBatches?: number;
  /** Draw a progress bar (default true). */
  progress?: boolean;
  /**
   * Worker threads for data-parallel training (default 1: this thread alone). With W > 1 each
   * batch is split into W shards trained as PyTorch's DistributedDataParallel trains them on W
   * GPUs: BatchNorm sees the shard, gradients are averaged (see parallel/data-parallel.ts).
   * A checkpoint resumes under any worker count; bit-identically under the same one.
   */
  workers?: number;
  /**
   * After the last epoch, recalibrate BatchNorm statistics on this many unaugmented training
   * images (batchnorm-recalibration.ts) before the weights are written. Default: none.
   */
  recalibrateBatchNorm?: number;
  /** Called after every optimizer step: the step's loss and the epoch's running figures. */
  onStep?: (step: StepReport) => void;
  /** Called after every epoch with its record (what log.jsonl gets), test metrics included. */
  onEpoch?: (record: LogRecord) => void;
}

/** What `onStep` receives after each optimizer step. */
export interface StepReport {
  /** 1-based epoch and step within it, and the steps an epoch has. */
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  /** The step's mean loss (its batch's). */
  loss: number;
  /** The learning rate of the first parameter group during the step. */
  lr: number;
  /** The binary convolutions' temperature this epoch (null for full-precision models). */
  temperature: number | null;
  /** Training samples seen so far this epoch, and their mean loss and top-1 (%). */
  samples: number;
  epochLoss: number;
  epochTop1: number;
  imagesPerSecond: number;
}

/** Every option `train` takes (the keys of TrainOptions). */
const TRAIN_OPTIONS: readonly (keyof TrainOptions)[] = [
  'name', 'model', 'train', 'test', 'outDir', 'epochs', 'batchSize', 'lr', 'betas', 'warmupEpochs', 'lrPerStep', 'temperature',
  'distillation', 'seed', 'maxGradNorm', 'resume', 'stopAfterBatches', 'progress', 'workers', 'recalibrateBatchNorm', 'onStep', 'onEpoch',
];

/** What `train` resolves with. */
export interface TrainResult {
  history: LogRecord[];
  /** False when the run stopped early (Ctrl-C or stopAfterBatches) with a checkpoint saved. */
  completed: boolean;
  seconds: number;
  /** Held-out top-1 before and after the BatchNorm recalibration, when there was one. */
  recalibration?: { samples: number; testTop1Before: number; testTop1After: number };
}

/** The training loss became NaN or infinite: training diverged (a learning rate too high, most often). */
export class NonFiniteLossError extends Error {
  constructor(readonly run: string, readonly epoch: number, readonly batch: number, readonly loss: number, lr: number) {
    super(`${run}: the training loss is ${loss} at epoch ${epoch}, batch ${batch}: training diverged (peak learning rate ${lr}; try a lower one). No weights were written; the last checkpoint, if any, is of the epoch before.`);
  }
}

/** Refuses unknown, missing or mistyped options and numbers out of range, by name, before anything is written. */
function checkOptions(o: TrainOptions): void {
  const fn = 'train';
  checkOptionNames(fn, o, TRAIN_OPTIONS);
  const missing = (['name', 'model', 'train', 'test', 'outDir', 'epochs', 'batchSize', 'lr', 'warmupEpochs', 'temperature', 'distillation', 'seed', 'maxGradNorm'] as const)
    .filter((k) => o[k] === undefined);
  if (missing.length > 0) throw new Error(`${fn}: missing option${missing.length > 1 ? 's' : ''} ${missing.map((k) => `'${k}'`).join(', ')}`);
  if (typeof o.name !== 'string' || typeof o.outDir !== 'string') throw new Error(`${fn}: name and outDir must be strings`);
  if (!(o.model instanceof Module)) throw new Error(`${fn}: model must be a Module (createModel gives one), got ${describeValue(o.model)}`);
  for (const key of ['train', 'test'] as const) {
    const d = o[key] as Partial<Dataset> | null;
    if (typeof d !== 'object' || d === null || typeof d.batch !== 'function' || typeof d.count !== 'number') {
      throw new Error(`${fn}: ${key} must be a Dataset (count, numClasses, sampleShape, batch(indices, rng)), got ${describeValue(d)}`);
    }
  }
  if (o.temperature !== null && typeof o.temperature !== 'function') throw new Error(`${fn}: temperature must be a schedule (epoch) => temperature, or null, got ${describeValue(o.temperature)}`);
  if (typeof o.seed !== 'number' && typeof o.seed !== 'string') throw new Error(`${fn}: seed must be a number or a string, got ${describeValue(o.seed)}`);
  for (const key of ['onStep', 'onEpoch'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') throw new Error(`${fn}: ${key} must be a function, got ${describeValue(o[key])}`);
  }
  if (o.workers !== undefined) checkBounded(fn, 'workers', o.workers, WORKERS);
  checkNumber(o.epochs, 'train: epochs', EPOCHS);
  checkNumber(o.batchSize, 'train: batchSize', BATCH_SIZE);
  checkNumber(o.lr, 'train: lr', POSITIVE);
  checkNumber(o.warmupEpochs, 'train: warmupEpochs', { integer: true, min: 0, max: o.epochs });
  checkNumber(o.maxGradNorm, 'train: maxGradNorm', POSITIVE);
  if (typeof o.seed === 'number') checkNumber(o.seed, 'train: seed', SEED);
  if (o.recalibrateBatchNorm !== undefined) checkNumber(o.recalibrateBatchNorm, 'train: recalibrateBatchNorm', COUNT);
  if (o.stopAfterBatches !== undefined) checkNumber(o.stopAfterBatches, 'train: stopAfterBatches', COUNT);
}

/**
 * Every setting that changes what the run computes (fingerprint.ts), to be matched when a
 * checkpoint is resumed. The worker count is left out on purpose: a checkpoint resumes under any
 * (bit-identically under the same one), as a DDP checkpoint resumes on another number of GPUs.
 */
export function runFingerprint(o: TrainOptions): RunFingerprint {
  const d = o.distillation;
  return {
    name: o.name,
    model: describeModel(o.model),
    train: describeData(o.train),
    test: describeData(o.test),
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    betas: [...(o.betas ?? ADAMW_DEFAULTS.betas)],
    warmupEpochs: o.warmupEpochs,
    lrPerStep: o.lrPerStep ?? false,
    temperature: o.temperature ? Array.from({ length: o.epochs }, (_, e) => o.temperature!(e)) : null,
    distillation: d ? { form: d.form, strong: describeTeacher(d.strong), assistants: d.assistants.map(describeTeacher) } : null,
    seed: o.seed,
    maxGradNorm: o.maxGradNorm,
    recalibrateBatchNorm: o.recalibrateBatchNorm ?? null,
  };
}

/**
 * With `resume` and a checkpoint in outDir: throws ResumeMismatchError, naming every setting
 * that differs from the checkpoint's, unless they all match. Writes nothing, so a command can
 * call it before it writes its run folder.
 */
export function checkResume(o: TrainOptions): void {
  checkOptions(o);
  if (o.resume && hasCheckpoint(o.outDir)) checkResumable(o.outDir, runFingerprint(o));
}

/**
 * The model's metrics on the held-out set with the float engine: on the workers when there are
 * some (the batches and logits are those of the main thread, evaluate.ts), else here.
 */
function evaluateHeldOut(o: TrainOptions, group: DataParallel | null): Promise<EpochMetrics> {
  if (group) return evaluateBatches((batches) => group.predict(batches), o.test);
  return Promise.resolve(evaluate(floatClassifier(o.model), o.test));
}

/** What a run carries from batch to batch and from epoch to epoch. */
interface Run {
  readonly o: TrainOptions;
  readonly fingerprint: RunFingerprint;
  readonly optimizer: AdamW;
  readonly scheduler: CosineLRScheduler;
  readonly stepsPerEpoch: number;
  /** The checkpoint resumed from, until its epoch has been trained. */
  resumed: TrainState | null;
  readonly history: LogRecord[];
  /** performance.now() at the start, moved back by the seconds the run had taken before a resume. */
  readonly started: number;
  group: DataParallel | null;
  batchesRun: number;
  /** Set by Ctrl-C (SIGINT): the run stops with a checkpoint after the current batch. */
  interrupted: boolean;
}

/** One epoch's draws and running figures. */
interface Epoch {
  readonly index: number;
  /** Draws the epoch's order, then each batch's augmentation; mid-epoch it continues from the checkpoint's state. */
  readonly rng: Rng;
  readonly order: Int32Array;
  readonly firstBatch: number;
  readonly temperature: number | null;
  readonly teachers: Teacher[];
  readonly metrics: RunningMetrics;
  readonly bar: ProgressBar | null;
  readonly started: number;
  seen: number;
}

/**
 * Trains `o.model` as the module's comment says: for each epoch, its settings and draws
 * (`beginEpoch`), its batches (`trainBatches`: gradients, update, figures), then the held-out
 * evaluation, the log and a checkpoint (`endEpoch`); after the last, the optional BatchNorm
 * recalibration and the weights. Ctrl-C or `stopAfterBatches` ends the run early with a
 * checkpoint to resume from.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  checkOptions(o);
  const run = openRun(o);
  const onSignal = (): void => {
    run.interrupted = true;
  };
  process.on('SIGINT', onSignal);
  let recalibration: TrainResult['recalibration'];
  try {
    run.group = await startWorkers(o);
    for (let epoch = run.resumed ? run.resumed.epoch : 0; epoch < o.epochs; epoch++) {
      const e = beginEpoch(run, epoch);
      if (!(await trainBatches(run, e))) return stoppedEarly(run);
      await endEpoch(run, e);
      if (stopRequested(run) && epoch + 1 < o.epochs) return stoppedEarly(run);
    }
    recalibration = await recalibrate(run);
  } finally {
    process.off('SIGINT', onSignal);
    await run.group?.close();
  }
  writeStateDict(join(o.outDir, RUN_WEIGHTS), o.model);
  return { history: run.history, completed: true, seconds: elapsed(run), ...(recalibration ? { recalibration } : {}) };
}

/** The run folder, the optimizer and its schedule, and the checkpoint to resume from, if asked. */
function openRun(o: TrainOptions): Run {
  const fingerprint = runFingerprint(o);
  mkdirSync(o.outDir, { recursive: true });
  // Temporary files of a run killed mid-write (io/atomic.ts); never those of a running process.
  removeStaleTempFiles(o.outDir);
  const optimizer = new AdamW(bnextParamGroups(o.model, { lr: o.lr, ...(o.betas ? { betas: o.betas } : {}) }));
  const stepsPerEpoch = Math.ceil(o.train.count / o.batchSize);
  const schedule = bnextSchedule(o.epochs, o.warmupEpochs);
  const scheduler = new CosineLRScheduler(optimizer.groups, o.lrPerStep ? perStepSchedule(schedule, stepsPerEpoch) : schedule);
  let resumed: TrainState | null = null;
  if (o.resume && hasCheckpoint(o.outDir)) {
    resumed = loadCheckpoint(o.outDir, o.model, optimizer, fingerprint);
    scheduler.loadStateDict(resumed.scheduler);
  }
  return {
    o, fingerprint, optimizer, scheduler, stepsPerEpoch, resumed, history: resumed ? [...resumed.history] : [],
    started: performance.now() - (resumed ? resumed.seconds * 1000 : 0), group: null, batchesRun: 0, interrupted: false,
  };
}

/** The worker threads of data-parallel training, with every teacher the run may use; none for one worker. */
async function startWorkers(o: TrainOptions): Promise<DataParallel | null> {
  const workers = o.workers ?? 1;
  if (workers === 1) return null;
  const teachers = o.distillation ? [o.distillation.strong, ...o.distillation.assistants] : [];
  return DataParallel.start({ workers, model: o.model, teachers });
}

/**
 * The epoch's order and generator (one per epoch, derived from the seed, or continued from the
 * checkpoint mid-epoch), learning rate, temperature and teachers.
 */
function beginEpoch(run: Run, index: number): Epoch {
  const { o } = run;
  // Resuming inside this epoch (a checkpoint at an epoch boundary starts the epoch afresh).
  const midEpoch = run.resumed !== null && run.resumed.epoch === index && run.resumed.batch > 0 ? run.resumed : null;
  const drawn = new Rng(`${o.seed}:epoch:${index}`);
  const order = drawn.permutation(o.train.count);
  if (!midEpoch && !o.lrPerStep) run.scheduler.step(index);
  const temperature = o.temperature ? o.temperature(index) : null;
  if (temperature !== null) setTemperature(o.model, temperature);
  const d = o.distillation;
  return {
    index,
    rng: midEpoch ? new Rng(0, midEpoch.rng) : drawn,
    order,
    firstBatch: midEpoch ? midEpoch.batch : 0,
    temperature,
    teachers: d ? teachersForEpoch({ strong: d.strong, assistants: d.assistants }, index, o.epochs) : [],
    metrics: midEpoch ? midEpoch.metrics : emptyMetrics(),
    bar: o.progress === false ? null : new ProgressBar(`${o.name} ${index + 1}/${o.epochs}`, o.train.count),
    started: performance.now(),
    seen: 0,
  };
}

/**
 * The epoch's batches, each: its images, the gradients of the student's loss, the update, the
 * running figures. Returns false when the run stopped mid-epoch (a checkpoint is written).
 */
async function trainBatches(run: Run, e: Epoch): Promise<boolean> {
  const { o } = run;
  for (let b = e.firstBatch; b < run.stepsPerEpoch; b++) {
    const indices = e.order.subarray(b * o.batchSize, Math.min((b + 1) * o.batchSize, o.train.count));
    const { x, y } = o.train.batch(indices, e.rng);
    if (o.lrPerStep) run.scheduler.step(e.index * run.stepsPerEpoch + b);
    const shards = await computeGradients(run, e, { x, y, indices });
    for (const shard of shards) if (!Number.isFinite(shard.loss)) throw new NonFiniteLossError(o.name, e.index + 1, b + 1, shard.loss, o.lr);
    clipGradNorm(run.optimizer.parameters(), o.maxGradNorm);
    noGrad(() => run.optimizer.step());
    for (const shard of shards) addBatch(e.metrics, shard.logits, shard.y, shard.loss, `${o.name}: training batch ${b + 1} of epoch ${e.index + 1}`);
    e.seen += indices.length;
    run.batchesRun++;
    const s = summarize(e.metrics);
    e.bar?.update(e.metrics.samples, { loss: s.loss, top1: s.top1, imagesPerSecond: imagesPerSecond(e) });
    o.onStep?.({
      epoch: e.index + 1, step: b + 1, stepsPerEpoch: run.stepsPerEpoch, lr: run.optimizer.groups[0].lr, temperature: e.temperature,
      loss: shards.reduce((sum, r) => sum + r.loss * r.y.data.length, 0) / indices.length,
      samples: e.metrics.samples, epochLoss: s.loss, epochTop1: s.top1, imagesPerSecond: imagesPerSecond(e),
    });
    if (stopRequested(run) && b + 1 < run.stepsPerEpoch) {
      saveRunCheckpoint(run, e.index, b + 1, e.rng, e.metrics);
      if (e.bar) process.stderr.write('\n');
      return false;
    }
  }
  return true;
}

/**
 * Forward, the student's loss and backward for one batch: on this thread, or on the workers,
 * one shard each (parallel/data-parallel.ts). The gradients are left on the model's parameters.
 */
async function computeGradients(run: Run, e: Epoch, batch: { x: Tensor; y: IntTensor; indices: Int32Array }): Promise<ShardResult[]> {
  const { o } = run;
  const form = o.distillation ? o.distillation.form : 'script';
  o.model.train();
  run.optimizer.zeroGrad(true);
  if (run.group) return run.group.computeGradients(batch, e.teachers, form);
  const { x, y, indices } = batch;
  const logits = o.model.call(x);
  const loss = studentLoss(logits, y, e.teachers.map((t) => t.logits({ images: x, indices })), form);
  backward(loss);
  // Without workers nothing else awaits, and a SIGINT (Ctrl-C) is only delivered to `onSignal`
  // when the event loop gets a turn: give it one per batch.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return [{ logits, y, loss: loss.item() }];
}

/** The epoch's held-out evaluation, its line of the log, and a checkpoint at the epoch boundary. */
async function endEpoch(run: Run, e: Epoch): Promise<void> {
  const { o } = run;
  const trainMetrics = summarize(e.metrics);
  const testMetrics = await evaluateHeldOut(o, run.group);
  run.history.push({
    epoch: e.index + 1,
    lr: run.optimizer.groups[0].lr,
    temperature: e.temperature,
    trainLoss: trainMetrics.loss,
    trainTop1: trainMetrics.top1,
    testLoss: testMetrics.loss,
    testTop1: testMetrics.top1,
    testTop5: testMetrics.top5,
    seconds: elapsed(run),
    ...(e.teachers.length > 0 ? { teachers: e.teachers.map((t) => t.name) } : {}),
  });
  o.onEpoch?.(run.history[run.history.length - 1]);
  e.bar?.done({ loss: trainMetrics.loss, top1: trainMetrics.top1, imagesPerSecond: imagesPerSecond(e) }, ` | test top-1 ${testMetrics.top1.toFixed(2)}%`);
  writeLog(join(o.outDir, 'log.jsonl'), run.history);
  saveRunCheckpoint(run, e.index + 1, 0, e.rng, emptyMetrics());
  run.resumed = null;
}

/** After the last epoch, when asked: BatchNorm statistics recalibrated, and the held-out top-1 before and after. */
async function recalibrate(run: Run): Promise<TrainResult['recalibration']> {
  const { o } = run;
  if (o.recalibrateBatchNorm === undefined) return undefined;
  const samples = Math.min(o.recalibrateBatchNorm, o.train.count);
  recalibrateBatchNorm(o.model, recalibrationBatches(o.train, samples, o.seed));
  const testTop1Before = run.history[run.history.length - 1].testTop1;
  const testTop1After = (await evaluateHeldOut(o, run.group)).top1;
  if (o.progress !== false) console.log(`${o.name}: BatchNorm statistics recalibrated on ${samples} training images: held-out top-1 ${testTop1Before.toFixed(2)}% -> ${testTop1After.toFixed(2)}%`);
  return { samples, testTop1Before, testTop1After };
}

/** A checkpoint from which the run continues at `batch` of `epoch` (batch 0: the epoch's start). */
function saveRunCheckpoint(run: Run, epoch: number, batch: number, rng: Rng, metrics: RunningMetrics): void {
  saveCheckpoint(run.o.outDir, run.o.model, run.optimizer, {
    fingerprint: run.fingerprint, epoch, batch, rng: rng.state(), metrics,
    scheduler: run.scheduler.stateDict(), history: run.history, seconds: elapsed(run),
  });
}

/** Ctrl-C, or the test stand-in for it. */
function stopRequested(run: Run): boolean {
  return run.interrupted || (run.o.stopAfterBatches !== undefined && run.batchesRun >= run.o.stopAfterBatches);
}

function stoppedEarly(run: Run): TrainResult {
  return { history: run.history, completed: false, seconds: elapsed(run) };
}

/** Seconds of training, those before a resume included. */
function elapsed(run: Run): number {
  return (performance.now() - run.started) / 1000;
}

function imagesPerSecond(e: Epoch): number {
  return (1000 * e.seen) / (performance.now() - e.started);
}
