/**
 * `bnext eval`: top-1, top-5 and loss of a model on the held-out digits or on an ImageFolder
 * split (`root/val/<class>/*`, preprocessed as the official evaluation: bicubic resize of the short
 * side to floor(size / 0.95), center crop, ImageNet mean/std).
 */
import type { Command } from '../command';
import { intOption, type ParsedArgs, parseArgs, requireOption, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { type Engine, engineOption, packedEngineFromArgs, requireBNext, requireStateDict } from '../model-io';
import { loadRun, resolveAnyConfig, buildAnyModel, describeConfig, type AnyModelConfig } from '../../models/zoo';
import { withoutInit } from '../../nn/init';
import { loadWeights } from '../../nn/serialize';
import { digitsDatasets } from '../../train/recipe';
import { evaluate, floatClassifier, type Classifier } from '../../train/evaluate';
import { addBatch, emptyMetrics, type EpochMetrics, NonFiniteLogitsError, summarize } from '../../train/metrics';
import { crossEntropy } from '../../nn/losses';
import { noGrad } from '../../autograd/record';
import { openSplit } from '../../data/image-folder';
import { DataLoader } from '../../data/loader';
import { makePipeline } from '../../data/pipelines';
import { packModel } from '../../engine/index';
import type { BNextModel } from '../../models/factory';
import { BATCH_SIZE, IMAGE_SIDE } from '../../tensor/arguments';

const USAGE = `usage: bnext eval (--run DIR | --arch A [options] --weights W.safetensors) [--data mnist|DIR] [--size S]
                  [--engine float|xnor]
       bnext eval --engine xnor --weights M.bnx [--data mnist|DIR] [--size S]

${ARCH_USAGE}
  --run DIR         a run folder of ours (config.json + model.safetensors)
  --weights W       state_dict (safetensors) for --arch, or with --engine xnor a .bnx file from
                    bnext pack (its architecture is in the file: options are optional, must match)
  --data D          mnist (default: the 2,004 held-out digits) or an ImageFolder root (its val/ split)
  --size S          evaluation crop for image folders (default 224)
  --batch-size B    (default 64)
  --engine E        float (default) or xnor: the packed XNOR-popcount engine (fully binary BNext only)`;

/**
 * The classifier --run or --weights describe, on the --engine asked for: the float model, or the
 * packed XNOR engine (compiled from the run's model, or loaded from a .bnx file or a state_dict).
 */
export function classifierFromArgs(args: ParsedArgs, command: string): { config: AnyModelConfig; engine: Engine; classify: Classifier } {
  const engine = engineOption(args, command);
  const run = args.options.get('run');
  if (run !== undefined) {
    if (args.options.has('arch') || args.options.has('weights')) throw new UsageError(`${command}: give either --run or --arch with --weights`);
    const { config, model } = loadRun(run);
    if (engine === 'float') return { config, engine, classify: floatClassifier(model) };
    requireBNext(config, command);
    const packed = packModel(model as BNextModel);
    return { config, engine, classify: (x) => packed.run(x) };
  }
  if (engine === 'xnor') {
    const packed = packedEngineFromArgs(args, command);
    return { config: packed.config, engine, classify: (x) => packed.run(x) };
  }
  const weights = requireOption(args, 'weights', command);
  requireStateDict(weights, command);
  const config = resolveAnyConfig(archOptionsFrom(args, command));
  const model = withoutInit(() => buildAnyModel(config));
  loadWeights(model, weights);
  return { config, engine, classify: floatClassifier(model) };
}

async function evaluateFolder(run: Classifier, root: string, size: number, batchSize: number): Promise<EpochMetrics> {
  const loader = new DataLoader(openSplit(root, 'val'), makePipeline('imagenet-eval', { size }), { batchSize });
  const m = emptyMetrics();
  for await (const batch of loader.epoch(0)) {
    const logits = run(batch.images);
    addBatch(m, logits, batch.labels, noGrad(() => crossEntropy(logits, batch.labels)).item(), `${root}/val`);
  }
  return summarize(m);
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'top-1/top-5/loss of a model on the held-out digits or an ImageFolder split',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'run', 'weights', 'data', 'size', 'batch-size', 'engine'], [...ARCH_FLAGS], 'eval');
    const batchSize = intOption(args, 'batch-size', 64, 'eval', BATCH_SIZE);
    const size = intOption(args, 'size', 224, 'eval', IMAGE_SIDE);
    const { config, engine, classify } = classifierFromArgs(args, 'eval');
    const data = args.options.get('data') ?? 'mnist';
    let m: EpochMetrics;
    try {
      if (data === 'mnist') {
        if (config.inChannels !== 1) throw new UsageError(`eval: the digits are grayscale; the model has ${config.inChannels} input channels`);
        m = evaluate(classify, digitsDatasets().test, batchSize);
      } else {
        m = await evaluateFolder(classify, data, size, batchSize);
      }
    } catch (e) {
      // NaN or infinite logits: the model has no accuracy, and the weights are the likely cause.
      if (e instanceof NonFiniteLogitsError) throw new Error(`eval: ${args.options.get('run') ?? args.options.get('weights')}: ${e.message}`, { cause: e });
      throw e;
    }
    console.log(`${describeConfig(config)} on ${data}: top-1 ${m.top1.toFixed(2)}%, top-5 ${m.top5.toFixed(2)}%, loss ${m.loss.toFixed(4)} (${engine} engine)`);
    return 0;
  },
};
