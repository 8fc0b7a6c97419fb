/**
 * Every architecture the command line can build or train: the BNext family (factory.ts) and the
 * small full-precision CNNs used as teachers (cnn.ts). A run folder stores its configuration
 * (train/run-folder.ts), so a trained model (a teacher, say) can be rebuilt from the folder alone.
 */
import { type ArchOptions, buildModel, type BNextModel, resolveConfig } from './factory';
import type { ModelConfig } from './config';
import { Cnn, CNN_PRESETS, type CnnConfig, type CnnPreset } from './cnn';

/** The configuration of any model `createModel` builds: BNext, BNext-18 or a teacher CNN. */
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

export function buildAnyModel(config: AnyModelConfig): BNextModel | Cnn {
  return config.arch === 'cnn' ? new Cnn(config) : buildModel(config);
}

export function describeConfig(c: AnyModelConfig): string {
  switch (c.arch) {
    case 'cnn': return `CNN C=${c.baseWidth}, ${c.stages} stages x ${c.depth}, ${c.numClasses} classes`;
    case 'bnext-18': return `BNext-18 C=${c.baseWidth} blocks ${c.blocksPerLayer.join(':')}, ${c.numClasses} classes`;
    case 'bnext': return `BNext C=${c.baseWidth} ${c.stages.join(':')}, ${c.numClasses} classes, stem stride ${c.stemStride}, ${c.inChannels} input channel${c.inChannels > 1 ? 's' : ''}${c.elmAttention ? '' : ', no ELM-Attention'}${c.infoRecoupling ? '' : ', no Info-Recoupling'}`;
  }
}
