/** Builds a model from an architecture name and options, as the CLI and the trainer do. */
import { BNext } from './bnext';
import { BNext18 } from './bnext18';
import { ARCH_NAMES, type ArchName, defaultStemStride, type ModelConfig, PRESETS } from './config';

export interface ArchOptions {
  arch: string;
  /** Required with arch 'bnext'. */
  baseWidth?: number;
  stages?: [number, number, number, number];
  numClasses?: number;
  stemStride?: number;
  inChannels?: number;
  elmAttention?: boolean;
  infoRecoupling?: boolean;
}

/** A binary model: BNext or BNext-18. */
export type BNextModel = BNext | BNext18;

/** Resolves options into a full configuration; errors name the offending option. */
export function resolveConfig(o: ArchOptions): ModelConfig {
  if (!(ARCH_NAMES as readonly string[]).includes(o.arch)) {
    throw new Error(`unknown architecture '${o.arch}' (expected one of ${ARCH_NAMES.join(', ')})`);
  }
  const arch = o.arch as ArchName;
  const numClasses = o.numClasses ?? 1000;
  const inChannels = o.inChannels ?? 3;
  if (arch === 'bnext-18') {
    if (o.stemStride !== undefined || o.elmAttention === false || o.infoRecoupling === false) {
      throw new Error('bnext-18: the stem follows the class count (7x7/2 + max pool for 1000) and there are no ablation switches');
    }
    // Base width and blocks per layer default to ResNet-18's; `stages` gives blocks per layer.
    return { arch: 'bnext-18', baseWidth: o.baseWidth ?? 64, blocksPerLayer: o.stages ?? [2, 2, 2, 2], numClasses, inChannels };
  }
  let baseWidth: number;
  let stages: [number, number, number, number];
  if (arch === 'bnext') {
    if (o.baseWidth === undefined || o.stages === undefined) throw new Error("architecture 'bnext' needs a base width and stage ratios (--base-width C --stages r1,r2,r3,r4)");
    baseWidth = o.baseWidth;
    stages = o.stages;
  } else {
    if (o.baseWidth !== undefined || o.stages !== undefined) throw new Error(`${arch} is a preset: base width and stages apply only to --arch bnext`);
    baseWidth = PRESETS[arch].baseWidth;
    stages = [...PRESETS[arch].stages];
  }
  return {
    arch: 'bnext',
    baseWidth,
    stages,
    numClasses,
    stemStride: o.stemStride ?? defaultStemStride(numClasses),
    inChannels,
    elmAttention: o.elmAttention ?? true,
    infoRecoupling: o.infoRecoupling ?? true,
  };
}

export function buildModel(config: ModelConfig): BNextModel {
  return config.arch === 'bnext-18' ? new BNext18(config) : new BNext(config);
}
