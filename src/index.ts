/**
 * bnext, the core: everything that computes, for Node and the browser alike (it imports
 * nothing from `node:`). Files, worker threads, the trainer and the embedded digits are in
 * `bnext/node` (src/node.ts), which also re-exports all of this. docs/api.md shows each part
 * with an example.
 *
 *     import { createModel, packModel, randn, Rng } from 'bnext';
 *     const model = createModel('bnext-t', { numClasses: 10, seed: 0 });
 *     const logits = packModel(model.eval(), { quantize: 'paper' }).run(randn([1, 3, 224, 224], new Rng(1)));
 *
 * (A freshly built model is not fully binary yet, see `setTemperature`.)
 */

// Tensors, random numbers, autograd.
export { Tensor } from './tensor/tensor';
export { IntTensor } from './tensor/int-tensor';
export { BoolTensor } from './tensor/bool-tensor';
export { formatShape, type Shape } from './tensor/shape';
export { Rng, manualSeed, type RngState } from './tensor/random';
export { tensor, scalar, full, zeros, ones, zerosLike, arange, rand, randn } from './tensor/create';
export * as ops from './tensor/ops/index';
export { backward } from './autograd/graph';
export { noGrad, isGradEnabled } from './autograd/record';

// Layers and losses.
export { Module, withActivationHook, type ActivationHook, type LoadReport, type StateDict, type StateValue } from './nn/module';
export { Conv2d, type Conv2dLayerOptions } from './nn/layers/conv2d';
export { Linear } from './nn/layers/linear';
export { BatchNorm2d } from './nn/layers/batchnorm';
export { PReLU } from './nn/layers/prelu';
export { ReLU, Sigmoid, HardSigmoid, Identity } from './nn/layers/activations';
export { AvgPool2d, MaxPool2d, AdaptiveAvgPool2d, Flatten } from './nn/layers/pooling';
export { Sequential } from './nn/layers/sequential';
export { crossEntropy, distributionLoss, mseLoss, type CrossEntropyOptions, type Reduction } from './nn/losses';
export { forwardWithActivations, type ActivationsOptions, type ForwardActivations } from './nn/activations';

// Binarization (paper Sec. 3; docs/bnx-format.md for the bit layout).
export { BinaryActivation, BinaryConv2d } from './binary/layers';
export { binaryActivation, binarizeWeight, isFullyBinary, BNEXT_SIGN_THRESHOLD, BNEXT18_SIGN_THRESHOLD } from './binary/binarize';
export { packActivations, packWeights, unpackWeights } from './binary/pack';
export { packedSign, type PackedActivations, type PackedWeights } from './binary/packed-layout';
export { xnorConv2d } from './binary/xnor-conv';
export { popcount32 } from './binary/popcount';

// Models: by name, their configurations, statistics (Table 2).
export { createModel, modelConfig, modelFromConfig, MODEL_NAMES, type BNextName, type ModelName, type ModelOptions } from './models/create';
export { BNext } from './models/bnext';
export { BNext18 } from './models/bnext18';
export { Cnn, type CnnConfig, type CnnPreset } from './models/cnn';
export { PRESETS as BNEXT_PRESETS, type BNextConfig, type BNext18Config, type ModelConfig } from './models/config';
export type { AnyModelConfig } from './models/zoo';
export type { BNextModel } from './models/factory';
export { modelStats, tableRowOf, type ModelStats, type ModelStatsOptions, type StageStats } from './models/stats';

// state_dicts and arrays as bytes (safetensors, torch.save, .npy); files of them are bnext/node's.
export { parseStateDict, serializeStateDict } from './nn/serialize';
export { parseWeights, type ReadWeightsOptions, type WeightsFile, type WeightsFormat } from './io/weights-file';
export { parseSafetensors, serializeSafetensors, type SafetensorsFile } from './io/safetensors';
export { parseNpy, serializeNpy } from './io/npy';
export { toTensor, toIntTensor, fromTensor, fromIntTensor, type StoredArray, type StoredDType, type ToTensorOptions } from './io/stored';

// The packed XNOR engine, .bnx bytes, post-training quantization (Table 7).
export { packModel, type BinaryConvTrace, type PackedModel, type PackedTrace, type PackModelOptions } from './engine/packed-model';
export { bnxContentsOf, bnxContentsOfStateDict, packedModelFromBnx, packedModelFromContents, packedModelFromStateDict, type BnxContentsOptions } from './engine/load';
export { BNX_VERSION, BNX_VERSIONS, isBnx, parseBnx, serializeBnx, type BnxContents } from './engine/bnx';
export { parseQuantization, PRESETS as QUANTIZATION_PRESETS, type BitWidths, type QuantizationScheme } from './quantize/scheme';

// ONNX export (docs/golden-testing.md): a model in evaluation mode as an ONNX graph (opset 13).
export { floatModelOfBnx, onnxModel } from './onnx/index';
export { OPSET } from './onnx/onnx-model';

// Training pieces: optimizer, parameter groups, clipping, schedules, binarization temperature.
export { AdamW, ADAMW_DEFAULTS, PAPER_BETAS, TORCH_BETAS, type OptimizerState, type ParamGroup } from './optim/adamw';
export { bnextParamGroups, OTHER_WEIGHT_DECAY, WEIGHT_WEIGHT_DECAY, type AdamWHyper, type ParamGroupSpec } from './optim/param-groups';
export { clipGradNorm, BNEXT_MAX_GRAD_NORM } from './optim/clip';
export { bnextSchedule, cosineLr, CosineLRScheduler, perStepSchedule, type CosineScheduleOptions, type SchedulerState } from './optim/lr-schedule';
export { binaryByEndTemperature, modelIsFullyBinary, paperTemperature, setTemperature, type BinaryByEndOptions, type TemperatureSchedule } from './optim/temperature';

// Distillation (paper Sec. 4): Knowledge Complexity, the gap-sensitive ensemble, knowledge boosting, teachers.
export { countParameters, knowledgeComplexity, TABLE8, type Table8Teacher } from './distill/knowledge-complexity';
export { ENSEMBLE_FORMS, gapSensitiveLoss, gapWeights, type DistillationLoss, type EnsembleForm } from './distill/ensemble';
export { assistantIndex, teachersForEpoch, type TeacherPlan } from './distill/boosting';
export { LogitsFileTeacher, ModuleTeacher, type LogitsExpectation, type Teacher, type TeacherBatch } from './distill/teacher';

// Evaluation: accuracy of a classifier on a data set.
export { evaluate, floatClassifier, predictLogits, type Classifier } from './train/evaluate';
export { topKHits, type EpochMetrics } from './train/metrics';
export type { Dataset } from './train/dataset';

// Images: PNG/JPEG decoding, the official transforms and pipelines, RandAugment, Mixup/CutMix, samplers.
export { createImage, describeSize, filledImage, imageFromView, imageView, type RgbImage } from './data/image';
export { decodeImage } from './data/decode';
export { decodePng, encodePng } from './data/png';
export { decodeJpeg } from './data/jpeg';
export { resize, type ResampleFilter } from './data/resample';
export {
  centerCrop, randomCropWithPadding, randomHorizontalFlip, randomResizedCrop, resizedCrop, resizeShortSide, toNormalizedCHW,
  IMAGENET_RRC, type CropBox, type NormalizeStats, type RandomResizedCropOptions,
} from './data/transforms';
export {
  BNEXT_RANDAUGMENT, CIFAR_STATS, EVAL_CROP_PCT, evalPipeline, IMAGENET_STATS, imagenetEvalImage, makePipeline, PIPELINE_NAMES, runPipeline,
  type ImagePipeline, type PipelineName, type PipelineOptions,
} from './data/pipelines';
export { parseRandAugment, RandAugment, RAND_OPS, type RandAugmentConfig, type RandAugmentOp } from './data/randaugment';
export { Mixup, type MixedBatch, type MixupMode, type MixupOptions } from './data/mixup';
export { RandomSampler, RepeatAugSampler, SequentialSampler, type Sampler } from './data/sampler';
export { parseClassNames, type ClassNames } from './data/class-names';
