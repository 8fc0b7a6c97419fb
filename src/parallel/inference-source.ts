/**
 * What parallel inference runs (inference-pool.ts): the float model in evaluation mode, or the
 * packed XNOR engine (src/engine), given as a model or as .bnx contents. This module turns a
 * source into the plain data a worker thread rebuilds it from (the float model's configuration
 * and weights; the engine as the bytes of its .bnx file, docs/bnx-format.md), and into a
 * classifier on the calling thread: both from the same weights, by the same code, so a
 * worker's logits are this thread's.
 */
import type { Module } from '../nn/module';
import type { BNextModel } from '../models/factory';
import type { AnyModelConfig } from '../models/zoo';
import { type BnxContents, parseBnx, serializeBnx } from '../engine/bnx';
import { bnxContentsOf, packedModelFromContents } from '../engine/load';
import { packModel } from '../engine/packed-model';
import { type Classifier, floatClassifier } from '../train/evaluate';
import { configOf, plainState, rebuildModel } from './replica-spec';
import type { InferenceInit } from './protocol';

/**
 * A model to run: `float` runs the model's own forward in evaluation mode (any of the zoo's
 * models: BNext, BNext-18, the teacher CNNs); `xnor` the packed engine of a fully binary BNext
 * or BNext-18, compiled from the model or from .bnx contents (`readBnx`, `bnxContentsOf`;
 * `name` names them in errors).
 */
export type InferenceSource =
  | { engine: 'float'; model: Module }
  | { engine: 'xnor'; model: BNextModel }
  | { engine: 'xnor'; contents: BnxContents; name?: string };

/** The architecture a source runs. */
export function sourceConfig(source: InferenceSource): AnyModelConfig {
  if (source.engine === 'float') return configOf(source.model, 'parallel inference');
  return 'contents' in source ? source.contents.config : source.model.config;
}

/** The source on this thread. */
export function localClassifier(source: InferenceSource): Classifier {
  if (source.engine === 'float') return floatClassifier(source.model);
  const engine = 'contents' in source ? packedModelFromContents(source.contents, source.name) : packModel(source.model);
  return (x) => engine.run(x);
}

/** The source as structured-clone-safe data for a worker thread. */
export function inferenceInit(source: InferenceSource): InferenceInit {
  if (source.engine === 'float') return { engine: 'float', config: configOf(source.model, 'parallel inference'), state: plainState(source.model) };
  if ('contents' in source) return { engine: 'xnor', bnx: serializeBnx(source.contents), source: source.name ?? 'packed model' };
  return { engine: 'xnor', bnx: serializeBnx(bnxContentsOf(source.model)), source: `packed ${source.model.config.arch}` };
}

/** The classifier a worker thread builds from its init. */
export function classifierFromInit(init: InferenceInit): Classifier {
  if (init.engine === 'float') return floatClassifier(rebuildModel(init.config, init.state, 'the model'));
  const engine = packedModelFromContents(parseBnx(init.bnx, init.source), init.source);
  return (x) => engine.run(x);
}
