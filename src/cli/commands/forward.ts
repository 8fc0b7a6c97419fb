/**
 * `bnext forward`: runs a model on an input batch and writes the logits, so another backend can
 * be golden-tested against ours. In training mode it also writes the loss gradients of every
 * parameter and the BatchNorm running statistics after the step; `--dump-activations` writes
 * every module's output to find the first layer where two backends diverge. `--engine xnor` runs
 * the packed XNOR-popcount engine instead, from a .bnx file or a state_dict (model-io.ts).
 * `--workers N` splits an evaluation-mode batch over N worker threads (the same logits, bit for
 * bit). Outputs are written only after everything has been computed, so bad input leaves no file.
 */
import type { Command } from '../command';
import { parseArgs, requireOption, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { resolveConfig } from '../../models/factory';
import {
  engineOption, loadModel, packedSourceFromArgs, readInputBatch, readTargets, requireStateDict, stateDictKeyUsage, WEIGHTS_VALUED,
  weightsOptionsFrom, withRunner, workersOption,
} from '../model-io';
import { sourceConfig } from '../../parallel/inference-source';
import { writeNpy, writeSafetensors } from '../../io/files';
import { fromTensor, type StoredArray } from '../../io/stored';
import { forwardWithActivations } from '../../nn/activations';
import { backward } from '../../autograd/graph';
import { noGrad } from '../../autograd/record';
import type { Module } from '../../nn/module';
import type { Tensor } from '../../tensor/tensor';
import { BatchNorm2d } from '../../nn/layers/batchnorm';
import { crossEntropy } from '../../nn/losses';

const USAGE = `usage: bnext forward --arch A [options] --weights W --input X.npy --out Y.npy
                     [--train --target T.npy [--grads G.safetensors] [--stats-out S.safetensors]]
                     [--dump-activations A.safetensors] [--engine float|xnor] [--workers N]
       bnext forward --engine xnor --weights M.bnx --input X.npy --out Y.npy [--workers N]

Evaluation mode by default: writes the logits as float32 .npy.
${ARCH_USAGE}
  --weights W            state_dict with PyTorch names (a 'module.' prefix is stripped):
                         safetensors, or a torch.save file (.pth/.pth.tar/.pt, zip or legacy
                         format, a state_dict or a checkpoint dict holding one); or with
                         --engine xnor a .bnx file from bnext pack (its architecture is in the
                         file: architecture options are optional and must match it)
${stateDictKeyUsage(25)}
  --input X              float32 (or float64/16) NCHW batch (.npy)
  --out Y                logits [N, classes] (.npy, float32)
  --train                training-mode forward (batch statistics, in-place clamps) and the mean
                         cross-entropy against --target (int64 .npy); prints the loss
  --grads G              with --train: the loss gradient of every parameter, by state_dict name
  --stats-out S          with --train: every BatchNorm running_mean/running_var after the step
  --dump-activations A   the output of every module, keyed by its dotted path
  --engine E             float (default) or xnor: the packed engine, binary convs as XNOR-popcount
                         (evaluation only)
  --workers N            evaluation mode: split the batch over N worker threads, each taking a few
                         rows at a time as it comes free; the same logits, bit for bit (default
                         1: this thread alone)`;

/** The model's output alone, in training mode (with a graph) or evaluation mode (without). */
function plainForward(model: Module, x: Tensor, mode: 'train' | 'eval'): Tensor {
  model.train(mode === 'train');
  return mode === 'train' ? model.call(x) : noGrad(() => model.call(x));
}

export const forward: Command = {
  name: 'forward',
  summary: 'run a model on an .npy batch and write logits (and gradients, activations)',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'weights', 'input', 'out', 'target', 'grads', 'stats-out', 'dump-activations', 'engine', 'workers', ...WEIGHTS_VALUED], [...ARCH_FLAGS, 'train'], 'forward');
    const weights = requireOption(args, 'weights', 'forward');
    const inputPath = requireOption(args, 'input', 'forward');
    const outPath = requireOption(args, 'out', 'forward');
    const train = args.flags.has('train');
    for (const name of ['target', 'grads', 'stats-out']) {
      if (!train && args.options.has(name)) throw new UsageError(`forward: --${name} needs --train`);
    }
    const targetPath = train ? requireOption(args, 'target', 'forward') : null;
    const workers = workersOption(args, 'forward');
    if (workers > 1 && (train || args.options.has('dump-activations'))) throw new UsageError('forward: --workers runs evaluation only (no --train or --dump-activations)');
    if (engineOption(args, 'forward') === 'xnor') {
      if (train || args.options.has('dump-activations')) throw new UsageError('forward: --engine xnor runs evaluation only (no --train or --dump-activations)');
      const source = packedSourceFromArgs(args, 'forward');
      const x = readInputBatch(inputPath, sourceConfig(source).inChannels);
      writeNpy(outPath, fromTensor(await withRunner(source, workers, (r) => r.run(x))));
      return 0;
    }

    requireStateDict(weights, 'forward');
    const config = resolveConfig(archOptionsFrom(args, 'forward'));
    const model = loadModel(config, weights, weightsOptionsFrom(args));
    const x = readInputBatch(inputPath, config.inChannels);
    if (workers > 1) {
      writeNpy(outPath, fromTensor(await withRunner({ engine: 'float', model }, workers, (r) => r.run(x))));
      return 0;
    }
    const target = targetPath ? readTargets(targetPath, x.shape[0], config.numClasses) : null;

    const dump = args.options.get('dump-activations');
    const mode = train && target ? 'train' : 'eval';
    // Every module's output is kept only when asked for: it can be far larger than the logits.
    const { output: logits, activations } = dump ? forwardWithActivations(model, x, { mode }) : { output: plainForward(model, x, mode), activations: null };
    const outputs: (() => void)[] = [];
    if (train && target) {
      const loss = crossEntropy(logits, target);
      backward(loss);
      console.log(`loss ${loss.item()}`);
      const gradsPath = args.options.get('grads');
      if (gradsPath) {
        const grads = new Map<string, StoredArray>();
        for (const [name, p] of model.namedParameters()) if (p.grad) grads.set(name, fromTensor(p.grad));
        outputs.push(() => writeSafetensors(gradsPath, grads));
      }
      const statsPath = args.options.get('stats-out');
      if (statsPath) {
        const stats = new Map<string, StoredArray>();
        for (const [path, m] of model.namedModules()) {
          if (!(m instanceof BatchNorm2d)) continue;
          stats.set(`${path}.running_mean`, fromTensor(m.runningMean));
          stats.set(`${path}.running_var`, fromTensor(m.runningVar));
        }
        outputs.push(() => writeSafetensors(statsPath, stats));
      }
    }
    if (dump && activations) outputs.push(() => writeSafetensors(dump, new Map([...activations].map(([path, y]) => [path, fromTensor(y)]))));
    writeNpy(outPath, fromTensor(logits.detach()));
    for (const write of outputs) write();
    return 0;
  },
};
