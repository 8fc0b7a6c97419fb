/**
 * A run folder (`runs/<name>/`): config.json (the model configuration and training settings),
 * model.safetensors, checkpoint files, log.jsonl, curves.png, and for the recipe summary.json
 * and model.bnx. Checked for writability before any training starts.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import type { Module } from '../nn/module';
import { withoutInit } from '../nn/init';
import { loadWeights } from '../nn/state-dict-file';
import { type AnyModelConfig, buildAnyModel } from '../models/zoo';

/** A run folder's configuration file. */
export const RUN_CONFIG = 'config.json';
/** A run folder's final weights. */
export const RUN_WEIGHTS = 'model.safetensors';

/** Creates the folder and writes config.json, failing early with the folder named. */
export function prepareRunFolder(dir: string, model: AnyModelConfig, settings: Record<string, unknown>): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeJson(join(dir, RUN_CONFIG), { model, settings });
  } catch (err) {
    throw new Error(`cannot write the output folder ${dir}: ${(err as Error).message}`);
  }
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

/** Rebuilds a trained model from a run folder (config.json + model.safetensors). */
export function loadRun(dir: string): { config: AnyModelConfig; model: Module } {
  const path = join(dir, RUN_CONFIG);
  let config: AnyModelConfig;
  try {
    config = (JSON.parse(readFileSync(path, 'utf8')) as { model: AnyModelConfig }).model;
  } catch (err) {
    throw new Error(`${path}: cannot read the run's configuration (${(err as Error).message})`);
  }
  if (!config || !['bnext', 'bnext-18', 'cnn'].includes(config.arch)) throw new Error(`${path}: no model configuration in it`);
  const model = withoutInit(() => buildAnyModel(config));
  loadWeights(model, join(dir, RUN_WEIGHTS));
  return { config, model };
}
