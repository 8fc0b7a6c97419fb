/**
 * `bnext predict`: the top-5 classes with probabilities for each image (JPEG or PNG), each
 * preprocessed as the official evaluation pipeline does.
 */
import type { Command } from '../command';
import { intOption, parseArgs, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED } from '../arch-options';
import { stateDictKeyUsage, WEIGHTS_VALUED, withRunner, workersOption } from '../model-io';
import { sourceFromArgs } from './evaluate';
import { evalPipeline } from '../../data/pipelines';
import { readClassNames, readImage } from '../../data/files';
import { Tensor } from '../../tensor/tensor';
import { softmax } from '../../tensor/ops/activation';
import { noGrad } from '../../autograd/record';
import { IMAGE_SIDE } from '../../tensor/arguments';

const USAGE = `usage: bnext predict (--run DIR | --arch A [options] --weights W) [--engine float|xnor]
                     [--classes-file F] [--size S] [--workers N] image...
       bnext predict --engine xnor --weights M.bnx [--classes-file F] [--size S] [--workers N] image...

${ARCH_USAGE}
  --run DIR          a run folder of ours (config.json + model.safetensors)
  --weights W        state_dict for --arch: safetensors or a torch.save file (.pth/.pth.tar/.pt), or
                     with --engine xnor a .bnx file from bnext pack (its architecture is in the
                     file: options are optional, must match)
${stateDictKeyUsage(21)}
  --classes-file F   class names: one per line, "n01440764 tench" lines, or a JSON list/map
  --size S           input size (default 224): resize to floor(S / 0.95), center crop S
  --engine E         float (default) or xnor (the packed XNOR-popcount engine)
  --workers N        run the images on N worker threads, each taking the next image as it comes
                     free; the same probabilities (default 1: this thread alone)`;

export const predict: Command = {
  name: 'predict',
  summary: 'top-5 classes with probabilities for JPEG/PNG images',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'run', 'weights', 'classes-file', 'size', 'engine', 'workers', ...WEIGHTS_VALUED], [...ARCH_FLAGS], 'predict');
    if (args.positionals.length === 0) throw new UsageError('predict: give at least one image');
    const size = intOption(args, 'size', 224, 'predict', IMAGE_SIDE);
    const workers = workersOption(args, 'predict');
    const { config, source } = sourceFromArgs(args, 'predict');
    if (config.inChannels !== 3) throw new UsageError(`predict: images are RGB; the model has ${config.inChannels} input channels`);
    const classesFile = args.options.get('classes-file');
    const names = classesFile ? readClassNames(classesFile).names : null;
    if (names && names.length !== config.numClasses) throw new UsageError(`${classesFile}: ${names.length} class names for a model of ${config.numClasses} classes`);
    // Decode every image first, so a bad file fails before any output.
    const inputs = args.positionals.map((path) => evalPipeline(readImage(path), size, path));
    // One image per run: with workers, each takes the next image as it comes free.
    const logits = await withRunner(source, workers, (runner) => Promise.all(inputs.map((x) => runner.run(new Tensor(x, [1, 3, size, size])))));
    for (let i = 0; i < inputs.length; i++) {
      const probs = noGrad(() => softmax(logits[i], 1)).data;
      const top = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b).slice(0, 5);
      console.log(args.positionals[i]);
      for (const k of top) console.log(`  ${(100 * probs[k]).toFixed(2).padStart(6)}%  ${k}${names ? `  ${names[k]}` : ''}`);
    }
    return 0;
  },
};
