/**
 * bnext/node: the core (src/index.ts, re-exported here in full) plus what needs Node: reading
 * and writing files (state_dicts, .npy, .bnx, images, class names), ImageNet-style folders and
 * their loader, the embedded digits, parallel inference on worker threads, the trainer with its
 * checkpoints and logs, the default recipe, and the conformance kit for other backends.
 * docs/api.md shows each part with an example.
 *
 *     import { createModel, loadWeights, loadPackedModel } from 'bnext/node';
 *     const model = createModel('bnext-t', { init: false });
 *     loadWeights(model, 'bnext-t.safetensors');
 *     const engine = loadPackedModel('bnext-t.bnx');
 */
export * from './index';

// Files: whole-file reads, atomic writes (temp file, then rename).
export { readFileBytes, readNpy, readSafetensors, readWeightsFile, writeNpy, writeSafetensors } from './io/files';
export { writeFileAtomic } from './io/atomic';
export { loadWeights, readStateDict, writeStateDict, type LoadWeightsOptions, type WeightsLoadReport } from './nn/state-dict-file';
export { isBnxFile, loadPackedModel, readBnx, writeBnx, type LoadPackedModelOptions } from './engine/bnx-file';
export { readClassNames, readImage, readImageAsync, writePng } from './data/files';
export { loadLogitsTeacher } from './distill/teacher-file';

// Data sets: ImageNet-style folders and their loader, the embedded MNIST digits.
export { ImageFolder, IMG_EXTENSIONS, openSplit, type ImageFolderOptions, type Sample, type Split } from './data/image-folder';
export { DataLoader, type Batch, type LoaderOptions } from './data/loader';
export { digitBatch, loadMnist, MNIST_CLASSES, MNIST_SIZE, type DigitSet, type MnistSplit } from './data/mnist';
export { DigitDataset } from './train/dataset';

// Parallel inference on worker threads (docs/parallel.md): the packed engine or the float
// forward of one model, a batch's rows spread over N workers, logits bit-identical to one thread.
export { InferencePool, type InferencePoolOptions } from './parallel/inference-pool';
export type { InferenceSource } from './parallel/inference-source';

// Training: the trainer (checkpoints, resume, log, workers), run folders, curves, the recipe.
export { train, type Distillation, type StepReport, type TrainOptions, type TrainResult } from './train/trainer';
export type { LogRecord } from './train/log';
export { loadRun, RUN_CONFIG, RUN_WEIGHTS } from './train/run-folder';
export { writeCurves } from './train/curves';
export {
  digitsDatasets, DIGITS_STUDENT, RECIPE_DEFAULTS, runDigitsRecipe, type RecipeOptions, type RecipeSummary, type TeacherSummary,
} from './train/recipe';

// The conformance kit for other backends (docs/golden-testing.md): bundles of cases, checks, reports.
export { exportBundle, type ExportOptions, type ExportSummary } from './conformance/export';
export { BundleError, checkBundle, readBundle, type CaseVerdict, type CheckOptions, type CheckReport, type OutputVerdict } from './conformance/check';
export { junitReport, textReport } from './conformance/report';
export { compareArrays, ulpDistance, type Errors } from './conformance/compare';
export { LEVELS, type CaseSpec, type Level, type Manifest, type Tolerance } from './conformance/manifest';
export { recipeOptimizer, trainStep, type StepResult, type StepSettings } from './conformance/train-step';
