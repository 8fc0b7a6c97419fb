/**
 * Images in and out (paper Sec. 5.1; docs/paper-map.md, "Augmentation"): decoding, PIL-exact
 * transforms, RandAugment / Mixup / CutMix / repeated augmentation, on decoded pixels. Files,
 * ImageNet-style folders and the loader, which read the file system, are files.ts,
 * image-folder.ts and loader.ts (Node only).
 */
export { createImage, filledImage, imageFromView, imageView, describeSize, type RgbImage } from './image';
export { decodeImage } from './decode';
export { decodePng, encodePng } from './png';
export { decodeJpeg, readJpegHeader, type JpegHeader } from './jpeg';
export { resize, resampleCoefficients, type ResampleFilter } from './resample';
export { crop, pad, hflip, type Rgb } from './geometry';
export { affineTransform, rotate, type AffineFilter, type AffineMatrix } from './affine';
export {
  centerCrop, randomCropWithPadding, randomHorizontalFlip, randomResizedCrop, randomResizedCropParams, resizedCrop,
  resizeShortSide, toNormalizedCHW, IMAGENET_RRC,
  type CropBox, type NormalizeStats, type RandomResizedCropOptions,
} from './transforms';
export {
  applyOp, opArgument, parseRandAugment, RandAugment, RAND_INCREASING_OPS, RAND_OPS, IMAGENET_FILL,
  type AppliedOp, type RandAugmentConfig, type RandAugmentOp,
} from './randaugment';
export { cutmixBox, Mixup, mixTargets, type MixedBatch, type MixupMode, type MixupOptions } from './mixup';
export { RandomSampler, RepeatAugSampler, SequentialSampler, type Sampler } from './sampler';
export { parseClassNames, type ClassNames } from './class-names';
export {
  CIFAR_STATS, EVAL_CROP_PCT, evalPipeline, IMAGENET_STATS, imagenetEvalImage, makePipeline, PIPELINE_NAMES, runPipeline,
  BNEXT_RANDAUGMENT, type ImagePipeline, type PipelineName,
} from './pipelines';
