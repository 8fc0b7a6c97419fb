/**
 * The preprocessing pipelines of BNext's official training script (docs/paper-map.md,
 * "Augmentation"; paper Sec. 5.1), from a decoded image to the normalised float CHW input of the
 * model:
 *
 * - imagenet-eval: bicubic resize of the short side to floor(size / 0.95), center crop to
 *   size x size, ImageNet mean/std (timm's eval transform with crop_pct 0.95).
 * - imagenet-train: random-resized crop (scale 0.08..1, ratio 3/4..4/3, bicubic) to size x size,
 *   horizontal flip with p = 0.5, RandAugment "rand-m7-mstd0.5-inc1", ImageNet mean/std (timm's
 *   training transform, in that order).
 * - cifar-train: pad 4 (black), random 32 x 32 crop, horizontal flip, CIFAR mean/std.
 * - cifar-eval: CIFAR mean/std only (CIFAR images are already 32 x 32).
 *
 * Normalisation is torchvision's ToTensor + Normalize, bit for bit. (timm's GPU prefetcher, which
 * the official ImageNet run used, computes (v - 255 mean) / (255 std) instead: the same values to
 * within a float32 rounding.)
 */
import { decodeImage } from './decode';
import { describeSize, type RgbImage } from './image';
import { RandAugment } from './randaugment';
import {
  centerCrop, IMAGENET_RRC, randomCropWithPadding, randomHorizontalFlip, randomResizedCrop, resizeShortSide,
  toNormalizedCHW, type NormalizeStats, type RandomResizedCropOptions,
} from './transforms';
import type { Rng } from '../tensor/random';
import { checkNumber, IMAGE_SIDE } from '../tensor/arguments';

/** ImageNet's per-channel mean and standard deviation (torchvision's). */
export const IMAGENET_STATS: NormalizeStats = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** The official script's CIFAR statistics (docs/paper-map.md, "Augmentation"). */
export const CIFAR_STATS: NormalizeStats = { mean: [0.507, 0.487, 0.441], std: [0.267, 0.256, 0.276] };

/** The fraction of the resized image the evaluation crop keeps (official script: 0.95). */
export const EVAL_CROP_PCT = 0.95;
/** BNext's RandAugment policy (timm syntax). */
export const BNEXT_RANDAUGMENT = 'rand-m7-mstd0.5-inc1';

/** The named pipelines of the module comment above. */
export const PIPELINE_NAMES = ['imagenet-eval', 'imagenet-train', 'cifar-train', 'cifar-eval'] as const;
/** One of `PIPELINE_NAMES`. */
export type PipelineName = (typeof PIPELINE_NAMES)[number];

export function isPipelineName(name: string): name is PipelineName {
  return (PIPELINE_NAMES as readonly string[]).includes(name);
}

/** A pipeline: the uint8 augmentation steps, then normalisation with `stats`. */
export interface ImagePipeline {
  readonly name: PipelineName;
  /** Output side length: every output is 3 x size x size. */
  readonly size: number;
  readonly stats: NormalizeStats;
  /** The geometric and photometric steps, on bytes. `source` names the image in errors. */
  augment(img: RgbImage, rng: Rng, source: string): RgbImage;
}

/** `makePipeline`'s options. */
export interface PipelineOptions {
  /** Output side (default 224 for ImageNet, 32 for CIFAR). */
  size?: number;
  /** imagenet-train's RandAugment policy; null disables it. */
  randAugment?: string | null;
  /** imagenet-train's random-resized-crop ranges. */
  rrc?: RandomResizedCropOptions;
  /** cifar-train's padding (default 4). */
  padding?: number;
}

/** The ImageNet evaluation steps on bytes: short side to floor(size / 0.95), center crop. */
export function imagenetEvalImage(img: RgbImage, size = 224): RgbImage {
  checkNumber(size, 'imagenet-eval: size', IMAGE_SIDE);
  return centerCrop(resizeShortSide(img, Math.floor(size / EVAL_CROP_PCT), 'bicubic'), size, size);
}

/**
 * A named preprocessing pipeline (see above), from decoded image to augmented image;
 * `runPipeline` normalises it.
 */
export function makePipeline(name: PipelineName, options: PipelineOptions = {}): ImagePipeline {
  const imagenet = name.startsWith('imagenet');
  const size = options.size ?? (imagenet ? 224 : 32);
  checkNumber(size, `pipeline ${name}: size`, IMAGE_SIDE);
  switch (name) {
    case 'imagenet-eval':
      return { name, size, stats: IMAGENET_STATS, augment: (img) => imagenetEvalImage(img, size) };
    case 'imagenet-train': {
      const policy = options.randAugment === undefined ? BNEXT_RANDAUGMENT : options.randAugment;
      const randAugment = policy === null ? null : new RandAugment(policy);
      const rrc = options.rrc ?? IMAGENET_RRC;
      return {
        name, size, stats: IMAGENET_STATS,
        augment(img, rng) {
          let out = randomResizedCrop(img, size, rrc, 'bicubic', rng);
          out = randomHorizontalFlip(out, 0.5, rng);
          return randAugment ? randAugment.apply(out, rng) : out;
        },
      };
    }
    case 'cifar-train': {
      const padding = options.padding ?? 4;
      return {
        name, size, stats: CIFAR_STATS,
        augment(img, rng) {
          return randomHorizontalFlip(randomCropWithPadding(img, size, padding, rng), 0.5, rng);
        },
      };
    }
    case 'cifar-eval':
      return {
        name, size, stats: CIFAR_STATS,
        augment(img, _rng, source) {
          if (img.width !== size || img.height !== size) {
            throw new Error(`${source}: cifar-eval takes ${size}x${size} images as they are (no resize), got ${describeSize(img)}`);
          }
          return img;
        },
      };
  }
}

/** Runs a pipeline on one image into `out` (3 x size x size floats) at `offset`. */
export function runPipeline(p: ImagePipeline, img: RgbImage, rng: Rng, source: string, out?: Float32Array, offset = 0): Float32Array {
  return toNormalizedCHW(p.augment(img, rng, source), p.stats, out, offset);
}

/**
 * The model input for one image, decoded or as the bytes of its PNG or JPEG file, as the
 * official evaluation preprocesses it: a Float32Array of 3 x size x size (CHW),
 * ImageNet-normalised. `source` names the bytes in errors.
 */
export function evalPipeline(input: RgbImage | Uint8Array, size = 224, source = 'image bytes'): Float32Array {
  const img = input instanceof Uint8Array ? decodeImage(input, source) : input;
  return toNormalizedCHW(imagenetEvalImage(img, size), IMAGENET_STATS);
}
