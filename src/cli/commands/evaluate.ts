/**
 * `bnext eval`: top-1, top-5 and loss of a model on the held-out digits or on an ImageFolder
 * split (`root/val/<class>/*`, preprocessed as the official evaluation: bicubic resize of the short
 * side to floor(size / 0.95), center crop, ImageNet mean/std), on this thread or on --workers N
 * worker threads (the same logits, so the same metrics).
 */
import type { Command } from '../command';
import { intOption, type ParsedArgs, parseArgs, requireOption, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import {
  type BatchRunner, type Engine, engineOption, loadWeightsInto, packedSourceFromArgs, requireBNext, requireStateDict, stateDictKeyUsage,
  WEIGHTS_VALUED, weightsOptionsFrom, withRunner, workersOption,
} from '../model-io';
import { resolveAnyConfig, buildAnyModel, describeConfig, type AnyModelConfig } from '../../models/zoo';
import { loadRun } from '../../train/run-folder';
import { withoutInit } from '../../nn/init';
import { digitsDatasets } from '../../train/recipe';
import { evaluateBatches } from '../../train/evaluate';
import { addBatch, emptyMetrics, type EpochMetrics, NonFiniteLogitsError, summarize } from '../../train/metrics';
import { crossEntropy } from '../../nn/losses';
import { noGrad } from '../../autograd/record';
import { openSplit } from '../../data/image-folder';
import { DataLoader } from '../../data/loader';
import { makePipeline } from '../../data/pipelines';
import type { BNextModel } from '../../models/factory';
import { type InferenceSource, sourceConfig } from '../../parallel/inference-source';
import type { Tensor } from '../../tensor/tensor';
import type { IntTensor } from '../../tensor/int-tensor';
import { BATCH_SIZE, IMAGE_SIDE } from '../../tensor/arguments';

const USAGE = `usage: bnext eval (--run DIR | --arch A [options] --weights W) [--data mnist|DIR] [--size S]
                  [--engine float|xnor] [--workers N]
       bnext eval --engine xnor --weights M.bnx [--data mnist|DIR] [--size S] [--workers N]

${ARCH_USAGE}
  --run DIR         a run folder of ours (config.json + model.safetensors)
  --weights W       state_dict for --arch: safetensors or a torch.save file (.pth/.pth.tar/.pt), or
                    with --engine xnor a .bnx file from bnext pack (its architecture is in the
                    file: options are optional, must match)
${stateDictKeyUsage(20)}
  --data D          mnist (default: the 2,004 held-out digits) or an ImageFolder root (its val/ split)
  --size S          evaluation crop for image folders (default 224)
  --batch-size B    (default 64)
  --engine E        float (default) or xnor: the packed XNOR-popcount engine (fully binary BNext only)
  --workers N       run the batches on N worker threads, each taking a few rows at a time as it
                    comes free; the same logits and metrics (default 1: this thread alone)`;

/**
 * What --run or --weights describe, for the --engine asked for: the float model, or the packed
 * XNOR engine (compiled from the run's model, or from a .bnx file or a state_dict).
 */
export function sourceFromArgs(args: ParsedArgs, command: string): { config: AnyModelConfig; engine: Engine; source: InferenceSource } {
  const engine = engineOption(args, command);
  const run = args.options.get('run');
  if (run !== undefined) {
    if (args.options.has('arch') || args.options.has('weights')) throw new UsageError(`${command}: give either --run or --arch with --weights`);
    const { config, model } = loadRun(run);
    if (engine === 'float') return { config, engine, source: { engine, model } };
    requireBNext(config, command);
    return { config, engine, source: { engine, model: model as BNextModel } };
  }
  if (engine === 'xnor') {
    const source = packedSourceFromArgs(args, command);
    return { config: sourceConfig(source), engine, source };
  }
  const weights = requireOption(args, 'weights', command);
  requireStateDict(weights, command);
  const config = resolveAnyConfig(archOptionsFrom(args, command));
  const model = withoutInit(() => buildAnyModel(config));
  loadWeightsInto(model, weights, weightsOptionsFrom(args));
  return { config, engine, source: { engine, model } };
}

/** Batches the workers compute while this thread decodes the next ones. */
const BATCHES_AHEAD = 2;

async function evaluateFolder(runner: BatchRunner, root: string, size: number, batchSize: number): Promise<EpochMetrics> {
  const loader = new DataLoader(openSplit(root, 'val'), makePipeline('imagenet-eval', { size }), { batchSize });
  const m = emptyMetrics();
  // Scored in order, so the loss is summed as on one thread.
  const ahead: { logits: Promise<Tensor>; labels: IntTensor }[] = [];
  const scoreOldest = async (): Promise<void> => {
    const { logits, labels } = ahead.shift()!;
    const l = await logits;
    addBatch(m, l, labels, noGrad(() => crossEntropy(l, labels)).item(), `${root}/val`);
  };
  for await (const batch of loader.epoch(0)) {
    const logits = runner.run(batch.images);
    // Awaited later; until then a failure must not count as unhandled.
    logits.catch(() => undefined);
    ahead.push({ logits, labels: batch.labels });
    if (ahead.length > BATCHES_AHEAD) await scoreOldest();
  }
  while (ahead.length > 0) await scoreOldest();
  return summarize(m);
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'top-1/top-5/loss of a model on the held-out digits or an ImageFolder split',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'run', 'weights', 'data', 'size', 'batch-size', 'engine', 'workers', ...WEIGHTS_VALUED], [...ARCH_FLAGS], 'eval');
    const batchSize = intOption(args, 'batch-size', 64, 'eval', BATCH_SIZE);
    const size = intOption(args, 'size', 224, 'eval', IMAGE_SIDE);
    const workers = workersOption(args, 'eval');
    const { config, engine, source } = sourceFromArgs(args, 'eval');
    const data = args.options.get('data') ?? 'mnist';
    if (data === 'mnist' && config.inChannels !== 1) throw new UsageError(`eval: the digits are grayscale; the model has ${config.inChannels} input channels`);
    let m: EpochMetrics;
    try {
      m = await withRunner(source, workers, (runner) => (data === 'mnist'
        // Every batch at once: each worker takes the next chunk of rows as it comes free.
        ? evaluateBatches((xs) => Promise.all(xs.map((x) => runner.run(x))), digitsDatasets().test, batchSize)
        : evaluateFolder(runner, data, size, batchSize)));
    } catch (e) {
      // NaN or infinite logits: the model has no accuracy, and the weights are the likely cause.
      if (e instanceof NonFiniteLogitsError) throw new Error(`eval: ${args.options.get('run') ?? args.options.get('weights')}: ${e.message}`, { cause: e });
      throw e;
    }
    console.log(`${describeConfig(config)} on ${data}: top-1 ${m.top1.toFixed(2)}%, top-5 ${m.top5.toFixed(2)}%, loss ${m.loss.toFixed(4)} (${engine} engine)`);
    return 0;
  },
};
