/**
 * Loading models, inputs and targets for the CLI, with errors that name the file; the packed
 * XNOR engine that `forward`, `eval` and `predict --engine xnor` run, from a .bnx file (which
 * carries its architecture) or from a state_dict for the --arch options; and where they run it
 * (--workers: this thread, or a pool of worker threads). A state_dict is a safetensors file or a
 * `torch.save` file (docs/torch-checkpoints.md); `--state-dict-key` names the checkpoint entry
 * that holds it.
 */
import { existsSync } from 'node:fs';
import { readNpy } from '../io/files';
import { toIntTensor, toTensor } from '../io/stored';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import { formatShape } from '../tensor/shape';
import { withoutInit } from '../nn/init';
import { loadWeights, type WeightsLoadReport } from '../nn/state-dict-file';
import { stateDictOf } from '../nn/serialize';
import type { Module } from '../nn/module';
import { describeCheckpointUse, type ReadWeightsOptions, weightsSourceOf } from '../io/weights-file';
import { readWeightsFile } from '../io/files';
import { type ArchOptions, buildModel, type BNextModel } from '../models/factory';
import type { ModelConfig } from '../models/config';
import { type AnyModelConfig, describeConfig, resolveAnyConfig } from '../models/zoo';
import { readBnx, isBnxFile } from '../engine/bnx-file';
import { bnxContentsOfStateDict } from '../engine/load';
import { type InferenceSource, localClassifier } from '../parallel/inference-source';
import { InferencePool } from '../parallel/inference-pool';
import { intOption, type ParsedArgs, requireOption, UsageError } from './args';
import { archOptionsFrom } from './arch-options';
import { WORKERS } from '../tensor/arguments';

/** The option every command that reads --weights takes with it. */
export const WEIGHTS_VALUED = ['state-dict-key'] as const;

/** The usage lines of --state-dict-key, the description starting at `column`. */
export function stateDictKeyUsage(column: number): string {
  const name = '--state-dict-key K';
  const indent = ' '.repeat(column);
  const head = name.length + 3 <= column ? `  ${name.padEnd(column - 2)}` : `  ${name}\n${indent}`;
  return `${head}with a torch.save checkpoint dict: the entry holding the state_dict\n${indent}(default: the file itself if it is one, else its 'state_dict')`;
}

export function weightsOptionsFrom(args: ParsedArgs): ReadWeightsOptions {
  const stateDictKey = args.options.get('state-dict-key');
  return stateDictKey === undefined ? {} : { stateDictKey };
}

/**
 * Loads a weights file into a model strictly; for a checkpoint dict, says on stderr which entry
 * was read and which were left.
 */
export function loadWeightsInto(model: Module, weightsPath: string, options: ReadWeightsOptions = {}): WeightsLoadReport {
  const report = loadWeights(model, weightsPath, options);
  const note = describeCheckpointUse(report.file, weightsPath);
  if (note) console.error(note);
  return report;
}

/** Builds the architecture and loads a state_dict into it strictly. */
export function loadModel(config: ModelConfig, weightsPath: string, options: ReadWeightsOptions = {}): BNextModel {
  const model = withoutInit(() => buildModel(config));
  loadWeightsInto(model, weightsPath, options);
  return model;
}

/** A float32 NCHW batch from .npy, checked against the model's input channels. */
export function readInputBatch(path: string, inChannels: number): Tensor {
  const x = toTensor(readNpy(path), path);
  if (x.ndim !== 4) throw new UsageError(`${path}: input must be 4-D [N, C, H, W], found shape ${formatShape(x.shape)}`);
  if (x.shape[1] !== inChannels) throw new UsageError(`${path}: input has ${x.shape[1]} channels, the model expects ${inChannels} (shape ${formatShape(x.shape)})`);
  return x;
}

/** Integer class targets [N] from .npy, checked against the batch size and class count. */
export function readTargets(path: string, batch: number, numClasses: number): IntTensor {
  const t = toIntTensor(readNpy(path), path);
  if (t.shape.length !== 1 || t.shape[0] !== batch) throw new UsageError(`${path}: targets must have shape [${batch}], found ${formatShape(t.shape)}`);
  for (let i = 0; i < t.data.length; i++) {
    if (t.data[i] < 0 || t.data[i] >= numClasses) throw new UsageError(`${path}: target ${t.data[i]} at index ${i} is out of range for ${numClasses} classes`);
  }
  return t;
}

export type Engine = 'float' | 'xnor';

/** The --engine option: float (the default) or xnor. */
export function engineOption(args: ParsedArgs, command: string): Engine {
  const engine = args.options.get('engine') ?? 'float';
  if (engine !== 'float' && engine !== 'xnor') throw new UsageError(`${command}: --engine must be float or xnor, got '${engine}'`);
  return engine;
}

/**
 * Refuses a .bnx file where the float engine needs a state_dict: a .bnx holds the binary-conv
 * weights as packed bits, which only the XNOR engine runs. A missing file is left to the loader.
 */
export function requireStateDict(path: string, command: string): void {
  if (existsSync(path) && isBnxFile(path)) {
    throw new UsageError(`${command}: ${path} is a .bnx file (packed weights for --engine xnor); the float engine needs a state_dict (safetensors or a torch.save file)`);
  }
}

/** A configuration as architecture options, so command-line options can be laid over it. */
function archOptionsOf(c: ModelConfig): ArchOptions {
  if (c.arch === 'bnext-18') return { arch: c.arch, baseWidth: c.baseWidth, stages: c.blocksPerLayer, numClasses: c.numClasses, inChannels: c.inChannels };
  const { arch, baseWidth, stages, numClasses, stemStride, inChannels, elmAttention, infoRecoupling } = c;
  return { arch, baseWidth, stages, numClasses, stemStride, inChannels, elmAttention, infoRecoupling };
}

/** The option that sets each configuration field, to name a disagreement as the user wrote it. */
const OPTION_OF: Readonly<Record<string, string>> = {
  arch: '--arch', baseWidth: '--base-width', stages: '--stages', blocksPerLayer: '--stages', numClasses: '--classes',
  stemStride: '--stem-stride', inChannels: '--in-channels', elmAttention: '--no-elm', infoRecoupling: '--no-recoupling',
};

/** The options in which two configurations differ (just --arch when the architectures do). */
function differences(a: ModelConfig, b: ModelConfig): string[] {
  if (a.arch !== b.arch) return ['--arch'];
  const theirs = new Map<string, unknown>(Object.entries(b));
  return Object.entries(a).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(theirs.get(k))).map(([k]) => OPTION_OF[k] ?? k);
}

/**
 * What the packed XNOR engine of --weights is built from: a .bnx file, whose architecture comes
 * from its header (architecture options given too must describe the same model: options without
 * --arch are laid over the file's, --arch with its options is resolved as for a state_dict), or a
 * state_dict whose binary convolutions are fully binary, for the --arch options.
 */
export function packedSourceFromArgs(args: ParsedArgs, command: string): InferenceSource {
  const path = requireOption(args, 'weights', command);
  if (!existsSync(path)) throw new UsageError(`${command}: --weights ${path}: no such file`);
  if (isBnxFile(path)) {
    const contents = readBnx(path);
    const asked = resolveAnyConfig(archOptionsFrom(args, command, archOptionsOf(contents.config)));
    if (asked.arch === 'cnn') throw new UsageError(`${command}: ${path} holds ${describeConfig(contents.config)}, not the full-precision CNN the options ask for`);
    const differ = differences(contents.config, asked);
    if (differ.length > 0) {
      throw new UsageError(
        `${command}: ${path} holds ${describeConfig(contents.config)}, the architecture options ask for ${describeConfig(asked)} ` +
        `(they differ in ${differ.join(', ')}); give no architecture options with a .bnx file, or matching ones`,
      );
    }
    return { engine: 'xnor', contents, name: path };
  }
  const config = requireBNext(resolveAnyConfig(archOptionsFrom(args, command)), command);
  // The binary weights are packed from the file's arrays: no float model is loaded for them.
  const file = readWeightsFile(path, weightsOptionsFrom(args));
  const note = describeCheckpointUse(weightsSourceOf(file), path);
  if (note) console.error(note);
  return { engine: 'xnor', contents: bnxContentsOfStateDict(config, stateDictOf(file, path), path), name: path };
}

/** The configuration, if the XNOR engine can run it (BNext and BNext-18, not a teacher CNN). */
export function requireBNext(config: AnyModelConfig, command: string): ModelConfig {
  if (config.arch === 'cnn') throw new UsageError(`${command}: the XNOR engine runs BNext and BNext-18, not the full-precision CNN`);
  return config;
}

/** The --workers option: worker threads for inference, 1 (the default) for this thread alone. */
export function workersOption(args: ParsedArgs, command: string): number {
  return intOption(args, 'workers', 1, command, WORKERS);
}

/** Logits of batches on this thread or on worker threads; close it when done. */
export interface BatchRunner {
  run(x: Tensor): Promise<Tensor>;
  close(): Promise<void>;
}

/** Runs `source` on this thread (workers = 1) or on a pool of `workers` threads (InferencePool). */
export async function startRunner(source: InferenceSource, workers: number): Promise<BatchRunner> {
  if (workers > 1) return InferencePool.start(source, { workers });
  const classify = localClassifier(source);
  return { run: async (x) => classify(x), close: async () => {} };
}

/** Runs `use` with a runner of `source`, closing the runner however `use` ends. */
export async function withRunner<T>(source: InferenceSource, workers: number, use: (runner: BatchRunner) => Promise<T>): Promise<T> {
  const runner = await startRunner(source, workers);
  try {
    return await use(runner);
  } finally {
    await runner.close();
  }
}
