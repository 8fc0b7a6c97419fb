/**
 * `bnext preprocess`: runs one of the official preprocessing pipelines (src/data/pipelines.ts) on
 * image files and writes the float32 NCHW batch as .npy, so another implementation's tensors can
 * be compared with ours. Image i draws its randomness from `new Rng(`${seed}:0:${i}`)`, the same
 * stream the data loader gives sample i of epoch 0.
 */
import type { Command } from '../command';
import { intOption, optionalIntOption, parseArgs, requireOption, UsageError } from '../args';
import { IMAGE_SIDE, SEED } from '../../tensor/arguments';
import { readImage } from '../../data/files';
import { isPipelineName, makePipeline, PIPELINE_NAMES, runPipeline } from '../../data/pipelines';
import { writeNpy } from '../../io/files';
import { Rng } from '../../tensor/random';

const USAGE = `usage: bnext preprocess --pipeline P [--size S] [--seed N] [--randaugment POLICY|none] --out X.npy image...

Decodes each image (PNG or JPEG), runs the pipeline, and writes the float32 batch [N, 3, S, S].

  --pipeline P           ${PIPELINE_NAMES.join(' | ')}
                           imagenet-eval:  bicubic resize of the short side to floor(S / 0.95),
                                           center crop S, ImageNet mean/std
                           imagenet-train: random-resized crop (bicubic), flip, RandAugment
                                           rand-m7-mstd0.5-inc1, ImageNet mean/std
                           cifar-train:    pad 4, random crop S, flip, CIFAR mean/std
                           cifar-eval:     CIFAR mean/std (images must be S x S)
  --size S               output side (default 224 for imagenet-*, 32 for cifar-*)
  --seed N               seed of the random pipelines (default 0)
  --randaugment POLICY   imagenet-train's policy in timm syntax, or 'none' (default rand-m7-mstd0.5-inc1)
  --out X.npy            output file (written atomically)`;

export const preprocess: Command = {
  name: 'preprocess',
  summary: 'run an official preprocessing pipeline on images and write the float32 NCHW batch (.npy)',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, ['pipeline', 'size', 'seed', 'out', 'randaugment'], [], 'preprocess');
    const name = requireOption(args, 'pipeline', 'preprocess');
    if (!isPipelineName(name)) throw new UsageError(`preprocess: unknown --pipeline '${name}' (choose ${PIPELINE_NAMES.join(', ')})`);
    const out = requireOption(args, 'out', 'preprocess');
    if (args.positionals.length === 0) throw new UsageError('preprocess: no images given');
    const size = optionalIntOption(args, 'size', 'preprocess', IMAGE_SIDE);
    const seed = intOption(args, 'seed', 0, 'preprocess', SEED);
    const policy = args.options.get('randaugment');
    if (policy !== undefined && name !== 'imagenet-train') throw new UsageError('preprocess: --randaugment applies to --pipeline imagenet-train only');
    const pipeline = makePipeline(name, { size, randAugment: policy === 'none' ? null : policy });

    const n = args.positionals.length;
    const plane = 3 * pipeline.size * pipeline.size;
    const data = new Float32Array(n * plane);
    args.positionals.forEach((path, i) => {
      runPipeline(pipeline, readImage(path), new Rng(`${seed}:0:${i}`), path, data, i * plane);
    });
    writeNpy(out, { dtype: 'F32', shape: [n, 3, pipeline.size, pipeline.size], data });
    console.log(`wrote ${out}: float32 [${n}, 3, ${pipeline.size}, ${pipeline.size}] (${name}${name.endsWith('train') ? `, seed ${seed}` : ''})`);
    return 0;
  },
};
