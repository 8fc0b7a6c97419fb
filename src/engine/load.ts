/**
 * Building the packed engine from files: a .bnx file (bnx.ts) or a safetensors state_dict with
 * fully binary weights, and turning a float model into .bnx contents. The entry points `bnext
 * forward --engine xnor` and `bnext pack` use, and the ones evaluation and prediction can call:
 *
 *     const engine = loadPackedModel('model.bnx');        // { config, run(x) -> logits }
 *     const engine = packModel(floatModel);               // from a model in memory
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { Tensor } from '../tensor/tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import { withoutInit } from '../nn/init';
import { loadWeights } from '../nn/serialize';
import { buildModel, type BNextModel } from '../models/factory';
import type { ModelConfig } from '../models/config';
import { BNX_MAGIC, type BnxContents, readBnx } from './bnx';
import { packBinaryWeights } from './binary-weights';
import { packModel, type PackedModel } from './packed-model';

/** The .bnx contents of a fully binary model: its float32 state and its packed binary weights. */
export function bnxContentsOf(model: BNextModel): BnxContents {
  const binary = packBinaryWeights(model);
  const floats = new Map<string, Tensor>();
  for (const [key, value] of model.stateDict()) {
    if (value instanceof Tensor && !binary.has(key)) floats.set(key, value);
  }
  return { config: model.config, floats, binary };
}

/**
 * The float model a .bnx file describes, its binary-conv weights left unset (they are zeros:
 * only the packed engine, which gets the packed weights, may run it).
 */
function skeletonOf(contents: BnxContents, source: string): BNextModel {
  const model = withoutInit(() => buildModel(contents.config));
  const expected = new Set<string>();
  for (const [key, value] of model.stateDict()) {
    if (!(value instanceof Tensor)) continue;
    expected.add(key);
    if (contents.binary.has(key)) continue;
    const t = contents.floats.get(key);
    if (!t) throw new Error(`${source}: tensor '${key}' of the ${contents.config.arch} model is missing`);
    if (!shapesEqual(t.shape, value.shape)) throw new Error(`${source}: tensor '${key}' has shape ${formatShape(t.shape)}, the model expects ${formatShape(value.shape)}`);
    value.data.set(t.data);
  }
  for (const key of [...contents.floats.keys(), ...contents.binary.keys()]) {
    if (!expected.has(key)) throw new Error(`${source}: tensor '${key}' is not part of the ${contents.config.arch} model its header describes`);
  }
  return model;
}

/** The packed engine of a .bnx file. */
export function loadPackedModel(path: string): PackedModel {
  const contents = readBnx(path);
  return packModel(skeletonOf(contents, path), { packedWeights: contents.binary });
}

/** The packed engine of a safetensors state_dict whose binary convs are fully binary. */
export function packedModelFromStateDict(config: ModelConfig, weightsPath: string): PackedModel {
  const model = withoutInit(() => buildModel(config));
  loadWeights(model, weightsPath);
  return packModel(model);
}

/** Whether a file starts with the .bnx magic bytes. */
export function isBnxFile(path: string): boolean {
  const head = new Uint8Array(BNX_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && BNX_MAGIC.every((b, i) => head[i] === b);
  } finally {
    closeSync(fd);
  }
}

/**
 * The packed engine for `bnext forward/eval/predict --engine xnor`: from a .bnx file (whose
 * architecture must be `config`) or from a state_dict.
 */
export function loadPackedEngine(path: string, config: ModelConfig): PackedModel {
  if (!isBnxFile(path)) return packedModelFromStateDict(config, path);
  const engine = loadPackedModel(path);
  if (canonical(engine.config) !== canonical(config)) {
    throw new Error(`${path}: the file holds ${JSON.stringify(engine.config)}, the options ask for ${JSON.stringify(config)}`);
  }
  return engine;
}

/** A configuration as JSON with sorted keys, for comparison. */
function canonical(config: ModelConfig): string {
  return JSON.stringify(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
}
