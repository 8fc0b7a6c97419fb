/**
 * Training checkpoints that resume bit-identically: the model as a safetensors state_dict with
 * official names, the optimizer moments as safetensors, and a JSON file with everything else
 * (epoch, batch position, generator state, schedule, optimizer groups and step counts, partial
 * metrics, the log so far).
 *
 * Atomic as a whole: new tensor files get fresh names, then `checkpoint.json` (written with a
 * temp file and a rename) switches to them, then the old files are removed. A crash at any
 * point leaves the previous checkpoint or the new one, never a mix.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { readSafetensors, writeSafetensors } from '../io/files';
import { type StoredArray, toTensor } from '../io/stored';
import { readStateDict, writeStateDict } from '../nn/state-dict-file';
import type { Module } from '../nn/module';
import type { AdamW, GroupState } from '../optim/adamw';
import type { SchedulerState } from '../optim/lr-schedule';
import type { RngState } from '../tensor/random';
import type { RunningMetrics } from './metrics';
import type { LogRecord } from './log';
import { fingerprintDifferences, parseFingerprint, ResumeMismatchError, type RunFingerprint } from './fingerprint';

export const CHECKPOINT_FILE = 'checkpoint.json';

export interface TrainState {
  /**
   * Every setting that changes the result (fingerprint.ts), so a checkpoint is not resumed into
   * another configuration; a JSON string of fewer settings in older checkpoints.
   */
  fingerprint: RunFingerprint | string;
  epoch: number;
  /** The next batch of `epoch` to run (0 at an epoch boundary). */
  batch: number;
  /** The epoch's generator (shuffling, augmentation) as of `batch`. */
  rng: RngState;
  metrics: RunningMetrics;
  scheduler: SchedulerState;
  optimizer: { groups: GroupState[]; steps: Record<string, number> };
  history: LogRecord[];
  seconds: number;
}

interface CheckpointIndex {
  version: 1;
  model: string;
  optimizer: string;
  state: TrainState;
}

/** Saves a checkpoint; the optimizer's groups and step counts are taken from `optimizer`. */
export function saveCheckpoint(dir: string, model: Module, optimizer: AdamW, state: Omit<TrainState, 'optimizer'>): void {
  const previous = existsSync(join(dir, CHECKPOINT_FILE)) ? readIndex(dir) : null;
  const tag = `${state.epoch}-${state.batch}`;
  const modelFile = `checkpoint-model-${tag}.safetensors`;
  const optimizerFile = `checkpoint-optimizer-${tag}.safetensors`;
  writeStateDict(join(dir, modelFile), model);
  const opt = optimizer.stateDict();
  const moments = new Map<string, StoredArray>();
  for (const [k, v] of opt.tensors) moments.set(k, { dtype: 'F32', shape: [v.length], data: v });
  writeSafetensors(join(dir, optimizerFile), moments);
  const index: CheckpointIndex = { version: 1, model: modelFile, optimizer: optimizerFile, state: { ...state, optimizer: { groups: opt.groups, steps: opt.steps } } };
  writeFileAtomic(join(dir, CHECKPOINT_FILE), new TextEncoder().encode(JSON.stringify(index)));
  if (previous) {
    for (const f of [previous.model, previous.optimizer]) if (f !== modelFile && f !== optimizerFile) rmSync(join(dir, f), { force: true });
  }
}

function readIndex(dir: string): CheckpointIndex {
  const path = join(dir, CHECKPOINT_FILE);
  let index: CheckpointIndex;
  try {
    index = JSON.parse(readFileSync(path, 'utf8')) as CheckpointIndex;
  } catch (err) {
    throw new Error(`${path}: not a readable checkpoint (${(err as Error).message})`);
  }
  if (index.version !== 1 || typeof index.model !== 'string' || typeof index.optimizer !== 'string' || typeof index.state !== 'object') {
    throw new Error(`${path}: not a bnext checkpoint (version ${String(index.version)})`);
  }
  return index;
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_FILE));
}

/**
 * Throws ResumeMismatchError, naming every differing setting with both values, unless the
 * checkpoint in `dir` was written by a run with this fingerprint. Reads only.
 */
export function checkResumable(dir: string, fingerprint: RunFingerprint): void {
  checkFingerprint(readIndex(dir), dir, fingerprint);
}

function checkFingerprint(index: CheckpointIndex, dir: string, fingerprint: RunFingerprint): void {
  const differences = fingerprintDifferences(parseFingerprint(index.state.fingerprint), fingerprint);
  if (differences.length > 0) throw new ResumeMismatchError(join(dir, CHECKPOINT_FILE), differences);
}

/** Restores model and optimizer in place and returns the rest of the state. */
export function loadCheckpoint(dir: string, model: Module, optimizer: AdamW, fingerprint: RunFingerprint): TrainState {
  const index = readIndex(dir);
  checkFingerprint(index, dir, fingerprint);
  const modelPath = join(dir, index.model);
  model.loadStateDict(readStateDict(modelPath), { source: modelPath });
  const optimizerPath = join(dir, index.optimizer);
  const tensors = new Map<string, Float32Array>();
  for (const [k, arr] of readSafetensors(optimizerPath).tensors) tensors.set(k, toTensor(arr, `${optimizerPath}: ${k}`).data);
  optimizer.loadStateDict({ groups: index.state.optimizer.groups, steps: index.state.optimizer.steps, tensors }, optimizerPath);
  return index.state;
}
