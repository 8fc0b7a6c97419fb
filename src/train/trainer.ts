/**
 * The training loop as the official script runs it (paper Sec. 5.1 and Algorithm 1; docs/paper-map.md, "Sec. 5.1"): AdamW over the
 * paper's two parameter groups, a warm-up + cosine learning rate stepped per epoch, gradient
 * clipping by global norm, progressive binarization (a temperature per epoch), and either plain
 * cross-entropy or knowledge distillation from a strong teacher and assistants in turn (paper
 * Eq. 4 and Algorithm 1). Each epoch is evaluated, logged and checkpointed; an interrupted run
 * resumes bit-identically, because every random choice comes from one generator per epoch whose
 * state the checkpoint keeps, and only under the settings it was written with (fingerprint.ts).
 * A loss that is NaN or infinite stops the run (NonFiniteLossError): the step it would take
 * makes every weight NaN, and the metrics of such a model mean nothing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module';
import { backward } from '../autograd/graph';
import { noGrad } from '../autograd/record';
import { Rng } from '../tensor/random';
import { bnextParamGroups } from '../optim/param-groups';
import { clipGradNorm } from '../optim/clip';
import { bnextSchedule, CosineLRScheduler, perStepSchedule } from '../optim/lr-schedule';
import { setTemperature, type TemperatureSchedule } from '../optim/temperature';
import type { EnsembleForm } from '../distill/ensemble';
import { studentLoss } from '../distill/student-loss';
import { teachersForEpoch } from '../distill/boosting';
import type { Teacher } from '../distill/teacher';
import { writeStateDict } from '../nn/serialize';
import type { Dataset } from './dataset';
import { addBatch, emptyMetrics, summarize, type EpochMetrics } from './metrics';
import { evaluate, evaluateBatches, floatClassifier } from './evaluate';
import { checkResumable, hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint';
import { describeData, describeModel, describeTeacher, type RunFingerprint } from './fingerprint';
import { removeStaleTempFiles } from '../io/atomic';
import { BATCH_SIZE, checkNumber, COUNT, EPOCHS, POSITIVE, SEED } from '../tensor/arguments';
import { AdamW, ADAMW_DEFAULTS } from '../optim/adamw';
import { type LogRecord, writeLog } from './log';
import { ProgressBar } from './progress';
import { DataParallel, type ShardResult } from '../parallel/data-parallel';
import { recalibrateBatchNorm, recalibrationBatches } from './batchnorm-recalibration';

export interface Distillation {
  strong: Teacher;
  /** Used one after another, each for an equal share of the epochs (knowledge boosting). */
  assistants: Teacher[];
  form: EnsembleForm;
}

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
}

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

/** Refuses options out of range, by name, before anything is written. */
function checkOptions(o: TrainOptions): void {
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

export async function train(o: TrainOptions): Promise<TrainResult> {
  checkOptions(o);
  const fingerprint = runFingerprint(o);
  mkdirSync(o.outDir, { recursive: true });
  // Temporary files of a run killed mid-write (io/atomic.ts); never those of a running process.
  removeStaleTempFiles(o.outDir);
  const optimizer = new AdamW(bnextParamGroups(o.model, { lr: o.lr, ...(o.betas ? { betas: o.betas } : {}) }));
  const stepsPerEpoch = Math.ceil(o.train.count / o.batchSize);
  const schedule = bnextSchedule(o.epochs, o.warmupEpochs);
  const scheduler = new CosineLRScheduler(optimizer.groups, o.lrPerStep ? perStepSchedule(schedule, stepsPerEpoch) : schedule);
  let state: TrainState | null = null;
  if (o.resume && hasCheckpoint(o.outDir)) {
    state = loadCheckpoint(o.outDir, o.model, optimizer, fingerprint);
    scheduler.loadStateDict(state.scheduler);
  }
  const history: LogRecord[] = state ? [...state.history] : [];
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  let batchesRun = 0;
  const started = performance.now() - (state ? state.seconds * 1000 : 0);
  let group: DataParallel | null = null;
  let recalibration: TrainResult['recalibration'];
  try {
    const workers = o.workers ?? 1;
    if (workers !== 1) {
      const teachers = o.distillation ? [o.distillation.strong, ...o.distillation.assistants] : [];
      group = await DataParallel.start({ workers, model: o.model, teachers });
    }
    for (let epoch = state ? state.epoch : 0; epoch < o.epochs; epoch++) {
      // Resuming inside this epoch (a checkpoint at an epoch boundary starts the epoch afresh).
      const midEpoch = state !== null && state.epoch === epoch && state.batch > 0 ? state : null;
      // One generator per epoch, derived from the seed, draws the order and then the augmentation;
      // mid-epoch it continues from the saved state.
      let rng = new Rng(`${o.seed}:epoch:${epoch}`);
      const permutation = rng.permutation(o.train.count);
      if (midEpoch) rng = new Rng(0, midEpoch.rng);
      else if (!o.lrPerStep) scheduler.step(epoch);
      const temperature = o.temperature ? o.temperature(epoch) : null;
      if (temperature !== null) setTemperature(o.model, temperature);
      const teachers = o.distillation ? teachersForEpoch({ strong: o.distillation.strong, assistants: o.distillation.assistants }, epoch, o.epochs) : [];
      const metrics = midEpoch ? midEpoch.metrics : emptyMetrics();
      const bar = o.progress === false ? null : new ProgressBar(`${o.name} ${epoch + 1}/${o.epochs}`, o.train.count);
      const epochStart = performance.now();
      let seen = 0;
      for (let b = midEpoch ? midEpoch.batch : 0; b < stepsPerEpoch; b++) {
        const indices = permutation.subarray(b * o.batchSize, Math.min((b + 1) * o.batchSize, o.train.count));
        const { x, y } = o.train.batch(indices, rng);
        if (o.lrPerStep) scheduler.step(epoch * stepsPerEpoch + b);
        o.model.train();
        optimizer.zeroGrad(true);
        let shards: ShardResult[];
        if (group) {
          shards = await group.computeGradients({ x, y, indices }, teachers, o.distillation ? o.distillation.form : 'script');
        } else {
          const logits = o.model.call(x);
          const loss = studentLoss(logits, y, teachers.map((t) => t.logits({ images: x, indices })), o.distillation ? o.distillation.form : 'script');
          const value = loss.item();
          if (!Number.isFinite(value)) throw new NonFiniteLossError(o.name, epoch + 1, b + 1, value, o.lr);
          backward(loss);
          shards = [{ logits, y, loss: value }];
          // Without workers nothing else awaits, and a SIGINT (Ctrl-C) is only delivered to
          // `onSignal` when the event loop gets a turn: give it one per batch.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        for (const shard of shards) if (!Number.isFinite(shard.loss)) throw new NonFiniteLossError(o.name, epoch + 1, b + 1, shard.loss, o.lr);
        clipGradNorm(optimizer.parameters(), o.maxGradNorm);
        noGrad(() => optimizer.step());
        for (const shard of shards) addBatch(metrics, shard.logits, shard.y, shard.loss, `${o.name}: training batch ${b + 1} of epoch ${epoch + 1}`);
        seen += indices.length;
        batchesRun++;
        const s = summarize(metrics);
        bar?.update(metrics.samples, { loss: s.loss, top1: s.top1, imagesPerSecond: (1000 * seen) / (performance.now() - epochStart) });
        const stop = interrupted || (o.stopAfterBatches !== undefined && batchesRun >= o.stopAfterBatches);
        if (stop && b + 1 < stepsPerEpoch) {
          saveCheckpoint(o.outDir, o.model, optimizer, {
            fingerprint, epoch, batch: b + 1, rng: rng.state(), metrics,
            scheduler: scheduler.stateDict(), history, seconds: (performance.now() - started) / 1000,
          });
          if (bar) process.stderr.write('\n');
          return { history, completed: false, seconds: (performance.now() - started) / 1000 };
        }
      }
      const trainMetrics = summarize(metrics);
      const testMetrics = await evaluateHeldOut(o, group);
      const record: LogRecord = {
        epoch: epoch + 1,
        lr: optimizer.groups[0].lr,
        temperature,
        trainLoss: trainMetrics.loss,
        trainTop1: trainMetrics.top1,
        testLoss: testMetrics.loss,
        testTop1: testMetrics.top1,
        testTop5: testMetrics.top5,
        seconds: (performance.now() - started) / 1000,
        ...(teachers.length > 0 ? { teachers: teachers.map((t) => t.name) } : {}),
      };
      history.push(record);
      bar?.done({ loss: trainMetrics.loss, top1: trainMetrics.top1, imagesPerSecond: (1000 * seen) / (performance.now() - epochStart) }, ` | test top-1 ${testMetrics.top1.toFixed(2)}%`);
      writeLog(join(o.outDir, 'log.jsonl'), history);
      saveCheckpoint(o.outDir, o.model, optimizer, {
        fingerprint, epoch: epoch + 1, batch: 0, rng: rng.state(), metrics: emptyMetrics(),
        scheduler: scheduler.stateDict(), history, seconds: (performance.now() - started) / 1000,
      });
      state = null;
      const stop = interrupted || (o.stopAfterBatches !== undefined && batchesRun >= o.stopAfterBatches);
      if (stop && epoch + 1 < o.epochs) return { history, completed: false, seconds: (performance.now() - started) / 1000 };
    }
    if (o.recalibrateBatchNorm !== undefined) {
      const samples = Math.min(o.recalibrateBatchNorm, o.train.count);
      recalibrateBatchNorm(o.model, recalibrationBatches(o.train, samples, o.seed));
      const testTop1Before = history[history.length - 1].testTop1;
      const testTop1After = (await evaluateHeldOut(o, group)).top1;
      recalibration = { samples, testTop1Before, testTop1After };
      if (o.progress !== false) console.log(`${o.name}: BatchNorm statistics recalibrated on ${samples} training images: held-out top-1 ${testTop1Before.toFixed(2)}% -> ${testTop1After.toFixed(2)}%`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    await group?.close();
  }
  writeStateDict(join(o.outDir, 'model.safetensors'), o.model);
  return { history, completed: true, seconds: (performance.now() - started) / 1000, ...(recalibration ? { recalibration } : {}) };
}
