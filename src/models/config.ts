/**
 * Architecture configurations: the BNext family by base width C and stage ratios (paper Table 1;
 * docs/paper-map.md, "Sec. 3.2"), the presets T/S/M/L, and BNext-18.
 */
import { describeBounds, type NumberBounds, withinBounds } from '../tensor/arguments';

/** The full configuration of a BNext model (what a .bnx header stores). */
export interface BNextConfig {
  arch: 'bnext';
  baseWidth: number;
  /** Blocks per stage are 2·ratio (two feature modules per ratio unit). */
  stages: [number, number, number, number];
  numClasses: number;
  /** 1, or 2 for ImageNet (the official code: 2 exactly when numClasses is 1000). */
  stemStride: number;
  /** Input channels of the stem (3 for RGB; 1 for grayscale digits). */
  inChannels: number;
  elmAttention: boolean;
  infoRecoupling: boolean;
}

/** The full configuration of a BNext-18 model. */
export interface BNext18Config {
  arch: 'bnext-18';
  /** Channels of the first layer (64 in the paper); layers double it. */
  baseWidth: number;
  /** Blocks in each of the four layers ([2, 2, 2, 2] in the paper). */
  blocksPerLayer: [number, number, number, number];
  numClasses: number;
  inChannels: number;
}

/** The configuration of a binary model the packed engine runs: BNext or BNext-18. */
export type ModelConfig = BNextConfig | BNext18Config;

/** The paper's presets BNext-T/S/M/L: base width C and stage ratios (Table 2). */
export const PRESETS = {
  'bnext-t': { baseWidth: 32, stages: [1, 1, 3, 1] },
  'bnext-s': { baseWidth: 48, stages: [1, 1, 3, 1] },
  'bnext-m': { baseWidth: 48, stages: [2, 2, 4, 2] },
  'bnext-l': { baseWidth: 64, stages: [2, 2, 8, 2] },
} as const satisfies Record<string, { baseWidth: number; stages: readonly [number, number, number, number] }>;

export type PresetName = keyof typeof PRESETS;
export const ARCH_NAMES = ['bnext-t', 'bnext-s', 'bnext-m', 'bnext-l', 'bnext-18', 'bnext'] as const;
export type ArchName = (typeof ARCH_NAMES)[number];

/** The official default: a stride-2 stem exactly for the 1000 ImageNet classes. */
export function defaultStemStride(numClasses: number): number {
  return numClasses === 1000 ? 2 : 1;
}

/** One width per feature module: [C, 2C] + [4C]·2r1 + [8C]·2r2 + [16C]·2r3 + [32C]·2r4. */
export function featureWidths(c: BNextConfig): number[] {
  const C = c.baseWidth;
  const w = [C, 2 * C];
  c.stages.forEach((r, s) => {
    for (let i = 0; i < 2 * r; i++) w.push(C * 4 * 2 ** s);
  });
  return w;
}

/**
 * The ranges of the configuration fields. Far above the paper's models (BNext-L: C = 64, ratios
 * up to 8, 1000 classes), they exist so that a mistyped option or a crafted .bnx header is refused
 * by name before a model is allocated: with C = 4096 the last stage alone has 131,072 channels.
 */
export const CONFIG_BOUNDS = {
  baseWidth: { integer: true, min: 8, max: 4096 },
  numClasses: { integer: true, min: 1, max: 1_000_000 },
  inChannels: { integer: true, min: 1, max: 4096 },
  stageRatio: { integer: true, min: 0, max: 64 },
  blocksPerLayer: { integer: true, min: 1, max: 64 },
} as const satisfies Record<string, NumberBounds>;

/**
 * The most weights a model may have (binary convolutions, stem and classifier): 2^30, 4 GiB as
 * float32 before gradients and optimizer moments (BNext-L has about 0.1 of that).
 */
export const MAX_WEIGHTS = 2 ** 30;

/** The widths of BNext-18's four layers: C, 2C, 4C, 8C. */
function layerWidths(c: BNext18Config): number[] {
  return [1, 2, 4, 8].map((f) => f * c.baseWidth);
}

/**
 * How many weights the binary convolutions of a configuration hold (each a `binary_conv.weight`
 * of the state_dict), computed from the widths without building the model. BNext: each feature
 * module from a to b channels has a 3x3 unit (a·a·9) and one 1x1 FFN (a·a), or two when b = 2a.
 * BNext-18: each block has two 3x3 units, the first from the previous layer's width.
 */
export function binaryWeightCount(c: ModelConfig): number {
  let n = 0;
  if (c.arch === 'bnext') {
    const w = featureWidths(c);
    for (let i = 1; i < w.length; i++) n += w[i - 1] * w[i - 1] * (9 + (w[i] === w[i - 1] ? 1 : 2));
    return n;
  }
  let inplanes = c.baseWidth;
  layerWidths(c).forEach((p, i) => {
    n += 9 * (inplanes * p + p * p) + 9 * 2 * p * p * (c.blocksPerLayer[i] - 1);
    inplanes = p;
  });
  return n;
}

/** The width the classifier reads: the last feature module's (BNext) or 8C (BNext-18). */
export function classifierWidth(c: ModelConfig): number {
  if (c.arch === 'bnext-18') return 8 * c.baseWidth;
  const w = featureWidths(c);
  return w[w.length - 1];
}

/** Checks a configuration, with a message naming the bad value and its range. */
export function validateConfig(c: ModelConfig): void {
  const check = (v: number, what: string, b: NumberBounds): void => {
    if (!withinBounds(v, b)) throw new Error(`${c.arch}: ${what} must be ${describeBounds(b)}, got ${v}`);
  };
  check(c.numClasses, 'number of classes', CONFIG_BOUNDS.numClasses);
  check(c.inChannels, 'input channels', CONFIG_BOUNDS.inChannels);
  // Every squeeze-and-expand divides its channels by 8, the first one C channels.
  check(c.baseWidth, 'base width', CONFIG_BOUNDS.baseWidth);
  if (c.arch === 'bnext') {
    c.stages.forEach((r, i) => check(r, `stage ratio ${i + 1}`, CONFIG_BOUNDS.stageRatio));
    // A block can keep or double its width, so a stage may be empty only after the last used one.
    const last = c.stages.reduce((at, r, i) => (r > 0 ? i : at), -1);
    if (c.stages.some((r, i) => r === 0 && i < last)) {
      throw new Error(`bnext: stage ratios ${c.stages.join(':')} skip a stage; only trailing stages may be 0`);
    }
    if (c.stemStride !== 1 && c.stemStride !== 2) throw new Error(`bnext: stem stride must be 1 or 2, got ${c.stemStride}`);
  } else {
    c.blocksPerLayer.forEach((b, i) => check(b, `blocks of layer ${i}`, CONFIG_BOUNDS.blocksPerLayer));
  }
  const stem = c.baseWidth * c.inChannels * (c.arch === 'bnext-18' && c.numClasses === 1000 ? 49 : 9);
  const weights = binaryWeightCount(c) + stem + classifierWidth(c) * c.numClasses;
  if (weights > MAX_WEIGHTS) {
    throw new Error(`${c.arch}: base width ${c.baseWidth}, ${c.arch === 'bnext' ? `stage ratios ${c.stages.join(':')}` : `blocks ${c.blocksPerLayer.join(':')}`}, ${c.numClasses} classes and ${c.inChannels} input channels make ${weights} weights, more than the ${MAX_WEIGHTS} a model may have`);
  }
}
