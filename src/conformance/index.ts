/**
 * The conformance kit for other backends (docs/golden-testing.md): export a bundle of cases with
 * bnext's expected outputs, check another backend's results against it, and the training step the
 * bundle's train_step cases (and `bnext step`) take. Node-only: bundles are folders of files.
 *
 *     exportBundle('bundle', { levels: ['ops', 'layers', 'models'], seed: 0, size: 'small', version })
 *     const report = checkBundle('bundle', 'results');     // throws BundleError for a bad bundle
 *     console.log(textReport(report)); writeFile('x.xml', junitReport(report));
 */
export { bundleCases, DEFAULT_SEED, exportBundle, parseLevels, type ExportOptions, type ExportSummary } from './export';
export { BundleError, checkBundle, readBundle, type CaseVerdict, type CheckOptions, type CheckReport, type OutputVerdict } from './check';
export { junitReport, textReport } from './report';
export { compareArrays, ulpDistance, type Errors } from './compare';
export { LEVELS, MANIFEST_FORMAT, parseManifest, SCHEMA_VERSION, type CaseSpec, type Level, type Manifest, type OutputRef, type Tolerance } from './manifest';
export { OPS, OP_NAMES, type OpInfo } from './ops';
export { DEFAULT_STEP, recipeOptimizer, stepLr, trainStep, type StepResult, type StepSettings } from './train-step';
