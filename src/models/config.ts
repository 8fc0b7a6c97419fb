/**
 * Architecture configurations: the BNext family by base width C and stage ratios (paper Table 1;
 * docs/paper-map.md, "Sec. 3.2"), the presets T/S/M/L, and BNext-18.
 */

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

export interface BNext18Config {
  arch: 'bnext-18';
  /** Channels of the first layer (64 in the paper); layers double it. */
  baseWidth: number;
  /** Blocks in each of the four layers ([2, 2, 2, 2] in the paper). */
  blocksPerLayer: [number, number, number, number];
  numClasses: number;
  inChannels: number;
}

export type ModelConfig = BNextConfig | BNext18Config;

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

/** Checks a configuration, with a message naming the bad value. */
export function validateConfig(c: ModelConfig): void {
  const int = (v: number, what: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${c.arch}: ${what} must be an integer >= ${min}, got ${v}`);
  };
  int(c.numClasses, 'number of classes', 1);
  int(c.inChannels, 'input channels', 1);
  // Every squeeze-and-expand divides its channels by 8, the first one C channels.
  int(c.baseWidth, 'base width', 8);
  if (c.arch === 'bnext') {
    c.stages.forEach((r, i) => int(r, `stage ratio ${i + 1}`, 0));
    // A block can keep or double its width, so a stage may be empty only after the last used one.
    const last = c.stages.reduce((at, r, i) => (r > 0 ? i : at), -1);
    if (c.stages.some((r, i) => r === 0 && i < last)) {
      throw new Error(`bnext: stage ratios ${c.stages.join(':')} skip a stage; only trailing stages may be 0`);
    }
    if (c.stemStride !== 1 && c.stemStride !== 2) throw new Error(`bnext: stem stride must be 1 or 2, got ${c.stemStride}`);
  } else {
    c.blocksPerLayer.forEach((b, i) => int(b, `blocks of layer ${i}`, 1));
  }
}
