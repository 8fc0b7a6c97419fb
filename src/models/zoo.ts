/**
 * Every architecture the command line can build or train: the BNext family (factory.ts) and the
 * small full-precision CNNs used as teachers (cnn.ts). A run folder stores its configuration in
 * `config.json`, so a trained model (a teacher, say) can be rebuilt from the folder alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module';
import { withoutInit } from '../nn/init';
import { loadWeights } from '../nn/serialize';
import { type ArchOptions, buildModel, resolveConfig } from './factory';
import type { ModelConfig } from './config';
import { Cnn, CNN_PRESETS, type CnnConfig, type CnnPreset } from './cnn';

export type AnyModelConfig = ModelConfig | CnnConfig;

export const CNN_ARCHS = Object.keys(CNN_PRESETS) as CnnPreset[];

/** Resolves --arch and its options for BNext or a teacher CNN. */
export function resolveAnyConfig(o: ArchOptions): AnyModelConfig {
  if ((CNN_ARCHS as string[]).includes(o.arch)) {
    if (o.baseWidth !== undefined || o.stages !== undefined || o.stemStride !== undefined || o.elmAttention === false || o.infoRecoupling === false) {
      throw new Error(`${o.arch} is a fixed full-precision CNN: BNext options do not apply`);
    }
    return { arch: 'cnn', ...CNN_PRESETS[o.arch as CnnPreset], numClasses: o.numClasses ?? 1000, inChannels: o.inChannels ?? 3 };
  }
  return resolveConfig(o);
}

export function buildAnyModel(config: AnyModelConfig): Module {
  return config.arch === 'cnn' ? new Cnn(config) : buildModel(config);
}

export function describeConfig(c: AnyModelConfig): string {
  switch (c.arch) {
    case 'cnn': return `CNN C=${c.baseWidth}, ${c.stages} stages x ${c.depth}, ${c.numClasses} classes`;
    case 'bnext-18': return `BNext-18 C=${c.baseWidth} blocks ${c.blocksPerLayer.join(':')}, ${c.numClasses} classes`;
    case 'bnext': return `BNext C=${c.baseWidth} ${c.stages.join(':')}, ${c.numClasses} classes, stem stride ${c.stemStride}, ${c.inChannels} input channel${c.inChannels > 1 ? 's' : ''}${c.elmAttention ? '' : ', no ELM-Attention'}${c.infoRecoupling ? '' : ', no Info-Recoupling'}`;
  }
}

export const RUN_CONFIG = 'config.json';
export const RUN_WEIGHTS = 'model.safetensors';

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
