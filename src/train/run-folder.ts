/**
 * A run folder (`runs/<name>/`): config.json (the model configuration and training settings),
 * model.safetensors, checkpoint files, log.jsonl, curves.png, and for the recipe summary.json
 * and model.bnx. Checked for writability before any training starts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import type { AnyModelConfig } from '../models/zoo';
import { RUN_CONFIG } from '../models/zoo';

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
