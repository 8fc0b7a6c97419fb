/**
 * RandAugment with timm 0.6's semantics (the version the official BNext script pins), configured by
 * timm's policy strings; BNext trains with "rand-m7-mstd0.5-inc1" (docs/paper-map.md,
 * "Augmentation"):
 *
 * - `m7`: magnitude 7 on a 0..10 scale;
 * - `mstd0.5`: each applied operation draws its magnitude from N(7, 0.5^2), clipped to [0, 10]
 *   (an `mstd` above 100 means uniform in [0, m]);
 * - `inc1`: the "increasing" operation set, whose severity grows with the magnitude (timm tests
 *   the section's presence, so `inc0` selects it too; we follow);
 * - `n` (default 2): operations per image, chosen uniformly with replacement; each then applies
 *   with probability 0.5.
 *
 * Per image the draws are: `n` op indices; then per op a uniform for the 0.5 gate and, if it
 * applies, a normal for the magnitude and (for signed ops) a uniform for the sign (negative when
 * above 0.5). The magnitude m maps to each op's argument as timm's level functions do (see
 * `opArgument`). Geometric ops use the training interpolation (bicubic for BNext) and fill with the
 * ImageNet mean colour (124, 116, 104), which timm's transform factory passes in.
 */
import { affineTransform, rotate, type AffineFilter } from './affine';
import { enhanceBrightness, enhanceColor, enhanceContrast, enhanceSharpness } from './enhance';
import type { Rgb } from './geometry';
import type { RgbImage } from './image';
import { autocontrast, equalize, invert, posterize, solarize, solarizeAdd } from './point-ops';
import type { Rng } from '../tensor/random';

/** timm's RandAugment operations. */
export type RandAugmentOp =
  | 'AutoContrast' | 'Equalize' | 'Invert' | 'Rotate'
  | 'Posterize' | 'PosterizeIncreasing' | 'Solarize' | 'SolarizeIncreasing' | 'SolarizeAdd'
  | 'Color' | 'ColorIncreasing' | 'Contrast' | 'ContrastIncreasing'
  | 'Brightness' | 'BrightnessIncreasing' | 'Sharpness' | 'SharpnessIncreasing'
  | 'ShearX' | 'ShearY' | 'TranslateXRel' | 'TranslateYRel';

/** timm's default RandAugment operations. */
export const RAND_OPS: readonly RandAugmentOp[] = [
  'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'Posterize', 'Solarize', 'SolarizeAdd', 'Color',
  'Contrast', 'Brightness', 'Sharpness', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
];

/** The 'inc' set: posterize, solarize and the enhancements get stronger as m grows. */
export const RAND_INCREASING_OPS: readonly RandAugmentOp[] = [
  'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing', 'SolarizeIncreasing',
  'SolarizeAdd', 'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing',
  'SharpnessIncreasing', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
];

/** Ops whose argument timm negates with probability 1/2. */
const SIGNED: ReadonlySet<RandAugmentOp> = new Set<RandAugmentOp>([
  'Rotate', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
  'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing',
]);

/** Ops that ignore the magnitude. */
const NO_ARGUMENT: ReadonlySet<RandAugmentOp> = new Set<RandAugmentOp>(['AutoContrast', 'Equalize', 'Invert']);

export function isSignedOp(op: RandAugmentOp): boolean {
  return SIGNED.has(op);
}

/** The ImageNet mean as bytes, round(255 * mean): timm's fill colour for BNext's training. */
export const IMAGENET_FILL: Rgb = [124, 116, 104];

/** A RandAugment policy: which operations, how many per image, their magnitude and its noise. */
export interface RandAugmentConfig {
  ops: readonly RandAugmentOp[];
  /** Operations per image (timm `n`). */
  numOps: number;
  /** Mean magnitude on the 0..10 scale (timm `m`). */
  magnitude: number;
  /** Standard deviation of the magnitude noise; 0 for none, Infinity for uniform in [0, m]. */
  magnitudeStd: number;
  /** Upper clip of the noisy magnitude (timm `mmax`, default 10). */
  magnitudeMax: number;
  /** Probability that a chosen operation applies. */
  prob: number;
  fill: Rgb;
  interpolation: AffineFilter;
  /** Largest translation as a fraction of the image side (timm's translate_pct, 0.45). */
  translatePct: number;
}

/** Settings outside the policy string: timm's `hparams`, defaulting to BNext's. */
export interface RandAugmentHparams {
  fill?: Rgb;
  interpolation?: AffineFilter;
  translatePct?: number;
}

/** Parses a timm policy string such as "rand-m7-mstd0.5-inc1". */
export function parseRandAugment(spec: string, hparams: RandAugmentHparams = {}): RandAugmentConfig {
  const parts = spec.split('-');
  if (parts[0] !== 'rand') throw new Error(`RandAugment: policy '${spec}' must start with 'rand'`);
  const config: RandAugmentConfig = {
    ops: RAND_OPS, numOps: 2, magnitude: 10, magnitudeStd: 0, magnitudeMax: 10, prob: 0.5,
    fill: hparams.fill ?? IMAGENET_FILL,
    interpolation: hparams.interpolation ?? 'bicubic',
    translatePct: hparams.translatePct ?? 0.45,
  };
  for (const part of parts.slice(1)) {
    const match = /^([a-z]+)(\d.*)$/.exec(part);
    if (!match) continue; // timm skips sections without a number
    const [, key, value] = match;
    const num = Number(value);
    if (!Number.isFinite(num)) throw new Error(`RandAugment: bad number '${value}' in section '${part}' of '${spec}'`);
    if (key === 'm') config.magnitude = Math.trunc(num);
    else if (key === 'n') config.numOps = Math.trunc(num);
    else if (key === 'mstd') config.magnitudeStd = num > 100 ? Infinity : num;
    else if (key === 'mmax') config.magnitudeMax = Math.trunc(num);
    else if (key === 'inc') config.ops = RAND_INCREASING_OPS;
    else if (key === 'w') throw new Error(`RandAugment: weighted op choice ('${part}') is not supported`);
    else throw new Error(`RandAugment: unknown section '${part}' in '${spec}' (known: m, n, mstd, mmax, inc)`);
  }
  return config;
}

/**
 * The operation's argument at magnitude `m` (0..10), as timm's level functions compute it;
 * `negate` is the outcome of the random sign flip (ignored by unsigned ops). Null for ops without
 * an argument.
 */
export function opArgument(op: RandAugmentOp, m: number, negate: boolean, translatePct = 0.45): number | null {
  const level = m / 10;
  const sign = negate ? -1 : 1;
  switch (op) {
    case 'AutoContrast': case 'Equalize': case 'Invert': return null;
    case 'Rotate': return sign * level * 30;
    case 'ShearX': case 'ShearY': return sign * level * 0.3;
    case 'TranslateXRel': case 'TranslateYRel': return sign * level * translatePct;
    case 'Posterize': return Math.trunc(level * 4);
    case 'PosterizeIncreasing': return 4 - Math.trunc(level * 4);
    case 'Solarize': return Math.trunc(level * 256);
    case 'SolarizeIncreasing': return 256 - Math.trunc(level * 256);
    case 'SolarizeAdd': return Math.trunc(level * 110);
    case 'Color': case 'Contrast': case 'Brightness': case 'Sharpness': return level * 1.8 + 0.1;
    case 'ColorIncreasing': case 'ContrastIncreasing': case 'BrightnessIncreasing': case 'SharpnessIncreasing':
      return Math.max(0.1, 1 + sign * level * 0.9);
  }
}

/** Applies one operation with its argument (from `opArgument`). */
export function applyOp(img: RgbImage, op: RandAugmentOp, arg: number | null, fill: Rgb, interpolation: AffineFilter): RgbImage {
  const a = arg ?? 0;
  switch (op) {
    case 'AutoContrast': return autocontrast(img);
    case 'Equalize': return equalize(img);
    case 'Invert': return invert(img);
    case 'Rotate': return rotate(img, a, interpolation, fill);
    case 'Posterize': case 'PosterizeIncreasing': return a >= 8 ? img : posterize(img, a);
    case 'Solarize': case 'SolarizeIncreasing': return solarize(img, a);
    case 'SolarizeAdd': return solarizeAdd(img, a);
    case 'Color': case 'ColorIncreasing': return enhanceColor(img, a);
    case 'Contrast': case 'ContrastIncreasing': return enhanceContrast(img, a);
    case 'Brightness': case 'BrightnessIncreasing': return enhanceBrightness(img, a);
    case 'Sharpness': case 'SharpnessIncreasing': return enhanceSharpness(img, a);
    case 'ShearX': return affineTransform(img, [1, a, 0, 0, 1, 0], interpolation, fill);
    case 'ShearY': return affineTransform(img, [1, 0, 0, a, 1, 0], interpolation, fill);
    case 'TranslateXRel': return affineTransform(img, [1, 0, a * img.width, 0, 1, 0], interpolation, fill);
    case 'TranslateYRel': return affineTransform(img, [1, 0, 0, 0, 1, a * img.height], interpolation, fill);
  }
}

/** What one RandAugment call did, for logs and tests. */
export interface AppliedOp {
  op: RandAugmentOp;
  applied: boolean;
  magnitude?: number;
  arg?: number | null;
}

/** timm's RandAugment, from a policy or its timm string ('rand-m7-mstd0.5-inc1'), PIL-exact. */
export class RandAugment {
  readonly config: RandAugmentConfig;

  constructor(config: RandAugmentConfig | string) {
    this.config = typeof config === 'string' ? parseRandAugment(config) : config;
  }

  /** Augments one image; `trace`, if given, receives what was drawn. */
  apply(img: RgbImage, rng: Rng, trace?: AppliedOp[]): RgbImage {
    const c = this.config;
    const chosen: RandAugmentOp[] = [];
    for (let k = 0; k < c.numOps; k++) chosen.push(c.ops[rng.int(c.ops.length)]);
    let out = img;
    for (const op of chosen) {
      if (c.prob < 1 && rng.uniform() > c.prob) {
        trace?.push({ op, applied: false });
        continue;
      }
      let m = c.magnitude;
      if (c.magnitudeStd === Infinity) m = c.magnitude * rng.uniform();
      else if (c.magnitudeStd > 0) m = c.magnitude + c.magnitudeStd * rng.normal();
      m = Math.max(0, Math.min(m, c.magnitudeMax));
      const negate = SIGNED.has(op) ? rng.uniform() > 0.5 : false;
      const arg = NO_ARGUMENT.has(op) ? null : opArgument(op, m, negate, c.translatePct);
      trace?.push({ op, applied: true, magnitude: m, arg });
      out = applyOp(out, op, arg, c.fill, c.interpolation);
    }
    return out;
  }
}
