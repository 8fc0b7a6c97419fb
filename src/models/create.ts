/**
 * Models by name, the library's front door to models/: the BNext family and its presets
 * (config.ts; paper Table 2), custom widths, the paper's Table 4 ablations,
 * BNext-18, and the teacher CNNs (cnn.ts), with every option checked by name.
 *
 *     createModel('bnext-t')                                  // ImageNet: 1000 classes, stride-2 stem
 *     createModel('bnext', { baseWidth: 16, stages: [1, 1, 0, 0], numClasses: 10, inChannels: 1 })
 *     createModel('bnext-s', { elmAttention: false })         // an ablation
 *     createModel('cnn-m', { numClasses: 10, inChannels: 1 }) // a teacher
 */
import { checkBounded, checkName, checkOptionNames, describeValue } from '../check';
import { withinBounds } from '../tensor/arguments';
import { Rng, withGlobalRng } from '../tensor/random';
import { withoutInit } from '../nn/init';
import { ARCH_NAMES, type ArchName, CONFIG_BOUNDS } from './config';
import type { BNext } from './bnext';
import type { BNext18 } from './bnext18';
import type { Cnn, CnnPreset } from './cnn';
import type { ArchOptions } from './factory';
import { type AnyModelConfig, buildAnyModel, CNN_ARCHS, resolveAnyConfig } from './zoo';

/** Every name `createModel` takes: the BNext presets, 'bnext' (custom widths), 'bnext-18', the teacher CNNs. */
export const MODEL_NAMES: readonly ModelName[] = [...ARCH_NAMES, ...CNN_ARCHS];
/** A name `createModel` takes (`MODEL_NAMES`). */
export type ModelName = ArchName | CnnPreset;
/** The names that build a BNext (`BNext` class). */
export type BNextName = Exclude<ArchName, 'bnext-18'>;

/** `createModel`'s options; each applies where the comment says, others are refused by name. */
export interface ModelOptions {
  /** Classes of the classifier (default 1000). */
  numClasses?: number;
  /** Input channels of the stem (default 3; 1 for grayscale digits). */
  inChannels?: number;
  /** 'bnext': the base width C (required); 'bnext-18': the first layer's width (default 64). */
  baseWidth?: number;
  /** 'bnext': the four stage ratios (required; trailing zeros allowed); 'bnext-18': blocks per layer. */
  stages?: [number, number, number, number];
  /** BNext: 1, or 2 (the default for 1000 classes, as the official code). */
  stemStride?: number;
  /** BNext: false for the paper's Table 4 ablation without ELM-Attention. */
  elmAttention?: boolean;
  /** BNext: false for the Table 4 ablation without Info-Recoupling. */
  infoRecoupling?: boolean;
  /** Seed of the initial weights (PyTorch's initialisations); default: the global generator (`manualSeed`). */
  seed?: number | string;
  /** false: zero-filled weights, drawn from nothing, for a state_dict to be loaded next (fast for BNext-L). */
  init?: boolean;
}

const OPTION_NAMES: readonly (keyof ModelOptions)[] = ['numClasses', 'inChannels', 'baseWidth', 'stages', 'stemStride', 'elmAttention', 'infoRecoupling', 'seed', 'init'];

/** The full configuration a name and options resolve to (what a .bnx header and a run folder store). */
export function modelConfig(name: ModelName, options: ModelOptions = {}): AnyModelConfig {
  const fn = 'modelConfig';
  const arch = checkName(fn, 'model name', name, MODEL_NAMES);
  const o = checkOptionNames(fn, options, OPTION_NAMES);
  for (const key of ['numClasses', 'inChannels', 'baseWidth'] as const) {
    if (o[key] !== undefined) checkBounded(fn, key, o[key], CONFIG_BOUNDS[key]);
  }
  if (o.stemStride !== undefined) checkBounded(fn, 'stemStride', o.stemStride, { integer: true, min: 1, max: 2 });
  if (o.stages !== undefined && !(Array.isArray(o.stages) && o.stages.length === 4 && o.stages.every((r) => withinBounds(r, CONFIG_BOUNDS.stageRatio)))) {
    throw new Error(`${fn}: stages must be four integers from 0 to ${CONFIG_BOUNDS.stageRatio.max} such as [1, 1, 3, 1], got ${JSON.stringify(o.stages) ?? describeValue(o.stages)}`);
  }
  for (const key of ['elmAttention', 'infoRecoupling', 'init'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new Error(`${fn}: ${key} must be true or false, got ${describeValue(o[key])}`);
  }
  const archOptions: ArchOptions = { arch };
  for (const key of ['numClasses', 'inChannels', 'baseWidth', 'stages', 'stemStride', 'elmAttention', 'infoRecoupling'] as const) {
    if (o[key] !== undefined) Object.assign(archOptions, { [key]: o[key] });
  }
  try {
    return resolveAnyConfig(archOptions);
  } catch (e) {
    throw new Error(`${fn}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Builds a model by name (`MODEL_NAMES`), in training mode with PyTorch's initial weights (or
 * zeros with `init: false`). Unknown names and options are refused with the valid ones listed.
 */
export function createModel(name: 'bnext-18', options?: ModelOptions): BNext18;
export function createModel(name: CnnPreset, options?: ModelOptions): Cnn;
export function createModel(name: BNextName, options?: ModelOptions): BNext;
export function createModel(name: ModelName, options?: ModelOptions): BNext | BNext18 | Cnn;
export function createModel(name: ModelName, options: ModelOptions = {}): BNext | BNext18 | Cnn {
  const config = modelConfig(name, options);
  return modelFromConfig(config, { ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.init !== undefined ? { init: options.init } : {}) });
}

/** Builds the model of a full configuration (a .bnx header's, a run folder's, `modelConfig`'s). */
export function modelFromConfig(config: AnyModelConfig, options: Pick<ModelOptions, 'seed' | 'init'> = {}): BNext | BNext18 | Cnn {
  const o = checkOptionNames('modelFromConfig', options, ['seed', 'init']);
  if (typeof config !== 'object' || config === null || !['bnext', 'bnext-18', 'cnn'].includes((config as { arch?: unknown }).arch as string)) {
    throw new Error(`modelFromConfig: config must be a model configuration with arch 'bnext', 'bnext-18' or 'cnn', got ${describeValue(config)}`);
  }
  const build = (): BNext | BNext18 | Cnn => buildAnyModel(config);
  if (o.init === false) return withoutInit(build);
  if (o.seed === undefined) return build();
  if (typeof o.seed !== 'number' && typeof o.seed !== 'string') throw new Error(`modelFromConfig: seed must be a number or a string, got ${describeValue(o.seed)}`);
  return withGlobalRng(new Rng(o.seed), build);
}
