/**
 * `bnext train`: trains a model on the embedded digits with the paper's recipe (AdamW, warm-up +
 * cosine, clipping, progressive binarization) and optional knowledge distillation from a strong
 * teacher and assistants (run folders of ours, or .npy files of precomputed logits).
 */
import { basename, join } from 'node:path';
import type { Command } from '../command';
import { intOption, numberOption, optionalBetasOption, optionalIntOption, parseArgs, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_VALUED, archOptionsFrom, archUsage } from '../arch-options';
import { type AnyModelConfig, buildAnyModel, describeConfig, resolveAnyConfig } from '../../models/zoo';
import { checkResume, train, type TrainOptions } from '../../train/trainer';
import { BATCH_SIZE, COUNT, EPOCHS, POSITIVE, SEED, WORKERS } from '../../tensor/arguments';
import { loadRun, prepareRunFolder } from '../../train/run-folder';
import { writeCurves } from '../../train/curves';
import { manualSeed } from '../../tensor/random';
import { binaryByEndTemperature, paperTemperature, type TemperatureSchedule } from '../../optim/temperature';
import { ENSEMBLE_FORMS, type EnsembleForm } from '../../distill/ensemble';
import { ModuleTeacher, type Teacher } from '../../distill/teacher';
import { loadLogitsTeacher } from '../../distill/teacher-file';
import { countParameters } from '../../distill/knowledge-complexity';
import { DIGITS_SHIFT, DIGITS_SIZE, DIGITS_STUDENT, digitsDatasets } from '../../train/recipe';


const USAGE = `usage: bnext train [architecture options] [--epochs N] [--batch-size B] [--lr LR] [--out DIR]
                   [--teacher RUN | --teacher-logits F.npy] [--assistant RUN | --assistant-logits F.npy]...

Trains on the embedded MNIST digits (7,996 training, 2,004 held-out; centred on ${DIGITS_SIZE}x${DIGITS_SIZE}, random
shifts of up to ${DIGITS_SHIFT} pixels in training). Without --arch: a BNext with C=16, stages 1:1:0:0,
stem stride 2 and a one-channel stem.

${archUsage(DIGITS_STUDENT, 'bnext-t | bnext-s | bnext-m | bnext-l | bnext-18 | bnext | cnn-s | cnn-m')}
  (the digits need --classes 10 and --in-channels 1)
  --epochs N               epochs (default 4)
  --batch-size B           batch size (default 64)
  --lr LR                  peak learning rate (default 2e-3)
  --warmup W               warm-up epochs before the cosine decay (default 0; the paper uses 5)
  --lr-per-step            step the schedule after every update (timm's t_in_epochs=False), not
                           once per epoch as the script does
  --betas B1,B2            AdamW betas (default 0.99,0.999, the paper's)
  --temperature T          binary-by-end (default: fully binary in the last epoch), paper (x0.9
                           per epoch), or none (for full-precision models)
  --teacher RUN            strong teacher: a run folder of ours (config.json + model.safetensors)
  --teacher-logits F       strong teacher: precomputed logits [7996, 10] (.npy), rows in data order
  --assistant RUN          assistant teacher, repeatable; used in turn (knowledge boosting)
  --assistant-logits F     the same from precomputed logits
  --kd FORM                script (default) or per-sample: the gap-sensitive ensemble's form
  --seed S                 seed of initialisation, shuffling and augmentation (default 0)
  --out DIR                run folder (default runs/<name>)
  --name NAME              run name (default train)
  --workers N              worker threads, data-parallel as PyTorch DDP on N GPUs: each batch is
                           split into N shards (BatchNorm per shard), gradients averaged (default 1)
  --recalibrate-bn N       after the last epoch, recompute BatchNorm statistics on N unaugmented
                           training images (torch's update_bn) before the weights are written
  --resume                 continue from the checkpoint in the run folder`;

const TRAIN_VALUED = ['epochs', 'batch-size', 'lr', 'warmup', 'betas', 'temperature', 'teacher', 'teacher-logits', 'assistant', 'assistant-logits', 'kd', 'seed', 'out', 'name', 'workers', 'recalibrate-bn'];

export interface TrainCliResult {
  config: AnyModelConfig;
  outDir: string;
  completed: boolean;
}

function teacherFrom(arg: string, isFile: boolean, numSamples: number, numClasses: number): Teacher {
  if (isFile) return loadLogitsTeacher(arg, { numSamples, numClasses }, basename(arg));
  const { config, model } = loadRun(arg);
  if (config.numClasses !== numClasses) throw new UsageError(`teacher ${arg} has ${config.numClasses} classes, the student ${numClasses}`);
  return new ModuleTeacher(basename(arg), model, numClasses);
}

export async function runTrain(argv: string[]): Promise<TrainCliResult> {
  const args = parseArgs(argv, [...ARCH_VALUED, ...TRAIN_VALUED], [...ARCH_FLAGS, 'resume', 'lr-per-step'], 'train');
  const config = resolveAnyConfig(archOptionsFrom(args, 'train', DIGITS_STUDENT));
  if (config.inChannels !== 1 || config.numClasses !== 10) throw new UsageError(`train: the digits need --in-channels 1 and --classes 10, got ${config.inChannels} and ${config.numClasses}`);
  const epochs = intOption(args, 'epochs', 4, 'train', EPOCHS);
  const batchSize = intOption(args, 'batch-size', 64, 'train', BATCH_SIZE);
  const lr = numberOption(args, 'lr', 2e-3, 'train', POSITIVE);
  const lrPerStep = args.flags.has('lr-per-step');
  const warmup = intOption(args, 'warmup', 0, 'train', { min: 0, max: epochs });
  const seed = intOption(args, 'seed', 0, 'train', SEED);
  const workers = intOption(args, 'workers', 1, 'train', WORKERS);
  const recalibrate = optionalIntOption(args, 'recalibrate-bn', 'train', COUNT);
  const betas = optionalBetasOption(args, 'train');
  const kd = (args.options.get('kd') ?? 'script') as EnsembleForm;
  if (!ENSEMBLE_FORMS.includes(kd)) throw new UsageError(`train: --kd must be one of ${ENSEMBLE_FORMS.join(', ')}, got '${kd}'`);
  const schedule = args.options.get('temperature') ?? (config.arch === 'cnn' ? 'none' : 'binary-by-end');
  let temperature: TemperatureSchedule | null;
  if (schedule === 'binary-by-end') temperature = binaryByEndTemperature(epochs);
  else if (schedule === 'paper') temperature = (e) => paperTemperature(e);
  else if (schedule === 'none') temperature = null;
  else throw new UsageError(`train: --temperature must be binary-by-end, paper or none, got '${schedule}'`);
  if (config.arch === 'cnn' && temperature) throw new UsageError('train: a full-precision CNN has no binary weights; use --temperature none');

  const name = args.options.get('name') ?? 'train';
  const outDir = args.options.get('out') ?? join('runs', name);
  const { train: trainSet, test: testSet } = digitsDatasets();

  // Every input is checked before training starts: teachers, then the output folder.
  const strongArgs = [...(args.lists.get('teacher') ?? []).map((a) => [a, false] as const), ...(args.lists.get('teacher-logits') ?? []).map((a) => [a, true] as const)];
  if (strongArgs.length > 1) throw new UsageError('train: give at most one strong teacher (--teacher or --teacher-logits)');
  const assistantArgs = [...(args.lists.get('assistant') ?? []).map((a) => [a, false] as const), ...(args.lists.get('assistant-logits') ?? []).map((a) => [a, true] as const)];
  if (assistantArgs.length > 0 && strongArgs.length === 0) throw new UsageError('train: assistants need a strong teacher (--teacher or --teacher-logits)');
  const strong = strongArgs.length ? teacherFrom(strongArgs[0][0], strongArgs[0][1], trainSet.count, config.numClasses) : null;
  const assistants = assistantArgs.map(([a, isFile]) => teacherFrom(a, isFile, trainSet.count, config.numClasses));

  manualSeed(seed);
  const model = buildAnyModel(config);
  const options: TrainOptions = {
    name, model, train: trainSet, test: testSet, outDir, epochs, batchSize, lr, betas, warmupEpochs: warmup, lrPerStep, temperature,
    distillation: strong ? { strong, assistants, form: kd } : null, seed, maxGradNorm: 5, resume: args.flags.has('resume'), workers,
    ...(recalibrate !== undefined ? { recalibrateBatchNorm: recalibrate } : {}),
  };
  // A resume under other settings is refused before config.json or any checkpoint is touched.
  checkResume(options);
  prepareRunFolder(outDir, config, { epochs, batchSize, lr, warmup, lrPerStep, betas: betas ?? null, temperature: schedule, kd, seed, workers, teachers: strongArgs.map(([a]) => a), assistants: assistantArgs.map(([a]) => a) });
  console.log(`${name}: ${describeConfig(config)}, ${countParameters(model)} parameters; ${epochs} epochs of ${trainSet.count} digits`);
  const result = await train(options);
  writeCurves(join(outDir, 'curves.png'), result.history);
  if (!result.completed) console.log(`${name}: stopped; checkpoint saved in ${outDir} (continue with --resume)`);
  return { config, outDir, completed: result.completed };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a BNext (or a teacher CNN) on the embedded digits, with optional distillation',
  usage: USAGE,
  async run(argv) {
    const r = await runTrain(argv);
    return r.completed ? 0 : 130;
  },
};
