/**
 * `bnext predict`: the top-5 classes with probabilities for each image (JPEG or PNG), each
 * preprocessed as the official evaluation pipeline does.
 */
import type { Command } from '../command';
import { intOption, parseArgs, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED } from '../arch-options';
import { classifierFromArgs } from './evaluate';
import { evalPipeline } from '../../data/pipelines';
import { readClassNames } from '../../data/class-names';
import { Tensor } from '../../tensor/tensor';
import { softmax } from '../../tensor/ops/activation';
import { noGrad } from '../../autograd/record';
import { IMAGE_SIDE } from '../../tensor/arguments';

const USAGE = `usage: bnext predict (--run DIR | --arch A [options] --weights W.safetensors) [--engine float|xnor]
                     [--classes-file F] [--size S] image...
       bnext predict --engine xnor --weights M.bnx [--classes-file F] [--size S] image...

${ARCH_USAGE}
  --run DIR          a run folder of ours (config.json + model.safetensors)
  --weights W        state_dict (safetensors) for --arch, or with --engine xnor a .bnx file from
                     bnext pack (its architecture is in the file: options are optional, must match)
  --classes-file F   class names: one per line, "n01440764 tench" lines, or a JSON list/map
  --size S           input size (default 224): resize to floor(S / 0.95), center crop S
  --engine E         float (default) or xnor (the packed XNOR-popcount engine)`;

export const predict: Command = {
  name: 'predict',
  summary: 'top-5 classes with probabilities for JPEG/PNG images',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'run', 'weights', 'classes-file', 'size', 'engine'], [...ARCH_FLAGS], 'predict');
    if (args.positionals.length === 0) throw new UsageError('predict: give at least one image');
    const size = intOption(args, 'size', 224, 'predict', IMAGE_SIDE);
    const { config, classify } = classifierFromArgs(args, 'predict');
    if (config.inChannels !== 3) throw new UsageError(`predict: images are RGB; the model has ${config.inChannels} input channels`);
    const classesFile = args.options.get('classes-file');
    const names = classesFile ? readClassNames(classesFile).names : null;
    if (names && names.length !== config.numClasses) throw new UsageError(`${classesFile}: ${names.length} class names for a model of ${config.numClasses} classes`);
    // Decode every image first, so a bad file fails before any output.
    const inputs = args.positionals.map((path) => evalPipeline(path, size, path));
    for (let i = 0; i < inputs.length; i++) {
      const probs = noGrad(() => softmax(classify(new Tensor(inputs[i], [1, 3, size, size])), 1)).data;
      const top = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b).slice(0, 5);
      console.log(args.positionals[i]);
      for (const k of top) console.log(`  ${(100 * probs[k]).toFixed(2).padStart(6)}%  ${k}${names ? `  ${names[k]}` : ''}`);
    }
    return 0;
  },
};
