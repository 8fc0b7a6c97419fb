/**
 * The packed engine from files (Node only): .bnx files (bnx.ts's bytes, read whole and written
 * atomically), and safetensors state_dicts whose binary convolutions are fully binary. The
 * entry points `bnext forward/eval/predict --engine xnor` and `bnext pack` use.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { checkOptionNames, describeValue } from '../check';
import { writeFileAtomic } from '../io/atomic';
import { readFileBytes } from '../io/files';
import { readStateDict } from '../nn/state-dict-file';
import type { ModelConfig } from '../models/config';
import { BNX_MAGIC, type BnxContents, isBnx, parseBnx, serializeBnx } from './bnx';
import { packedModelFromContents, packedModelFromStateDict } from './load';
import type { PackedModel } from './packed-model';

/** Writes a .bnx file atomically. */
export function writeBnx(path: string, contents: BnxContents): void {
  writeFileAtomic(path, serializeBnx(contents));
}

/** Reads and checks a .bnx file. */
export function readBnx(path: string): BnxContents {
  return parseBnx(readFileBytes(path), path);
}

/**
 * How `loadPackedModel` loads the engine. This is the place for options of how it runs, too
 * (worker threads, say), as they come.
 */
export interface LoadPackedModelOptions {
  /**
   * The architecture: required for a state_dict (which does not record it); for a .bnx file,
   * which does, the file must hold this one.
   */
  config?: ModelConfig;
  /** For a torch.save checkpoint dict: the entry holding the state_dict (default `state_dict`). */
  stateDictKey?: string;
}

/**
 * The packed engine of a .bnx file, or of a state_dict (safetensors or torch.save) whose binary
 * convolutions are fully binary (with `options.config`); the file's first bytes tell which.
 */
export function loadPackedModel(path: string, options: LoadPackedModelOptions = {}): PackedModel {
  const { config, stateDictKey } = checkOptionNames('loadPackedModel', options, ['config', 'stateDictKey']);
  if (typeof path !== 'string') throw new Error(`loadPackedModel: path must be a string, got ${describeValue(path)}`);
  if (!isBnxFile(path)) {
    if (!config) throw new Error(`loadPackedModel: ${path} is not a .bnx file; for a safetensors state_dict give options.config (the architecture)`);
    return packedModelFromStateDict(config, readStateDict(path, stateDictKey === undefined ? {} : { stateDictKey }), path);
  }
  const engine = packedModelFromContents(readBnx(path), path);
  if (config && canonical(engine.config) !== canonical(config)) {
    throw new Error(`${path}: the file holds ${JSON.stringify(engine.config)}, the options ask for ${JSON.stringify(config)}`);
  }
  return engine;
}


/** Whether a file starts with the .bnx magic bytes (reads only those). */
export function isBnxFile(path: string): boolean {
  const head = new Uint8Array(BNX_MAGIC.length);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  try {
    readSync(fd, head, 0, head.length, 0);
    return isBnx(head);
  } finally {
    closeSync(fd);
  }
}

/** A configuration as JSON with sorted keys, for comparison. */
function canonical(config: ModelConfig): string {
  return JSON.stringify(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
}
