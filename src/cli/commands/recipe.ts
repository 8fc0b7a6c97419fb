/** `bnext recipe` (what `npm start` runs): the paper's training pipeline on the embedded digits. */
import type { Command } from '../command';
import { intOption, numberOption, optionalBetasOption, parseArgs } from '../args';
import { BATCH_SIZE, EPOCHS, POSITIVE, SEED, WORKERS } from '../../tensor/arguments';
import { RECIPE_DEFAULTS, runDigitsRecipe } from '../../train/recipe';

const USAGE = `usage: bnext recipe [--out DIR] [--seed S] [--teacher-epochs N] [--student-epochs N] [--batch-size B] [--lr LR]
                    [--betas B1,B2] [--workers N]

Trains two full-precision teachers (cnn-s, cnn-m) on the embedded digits, prints their accuracy,
size and Knowledge Complexity, distills the one of higher Knowledge Complexity into a BNext student
with progressive binarization that ends fully binary, evaluates it on the 2,004 held-out digits
(float and packed XNOR engine), and writes the run folder:
teachers/, student/ (checkpoint, log, weights), curves.png and summary.json.

  --out DIR              run folder (default runs/digits)
  --seed S               (default ${RECIPE_DEFAULTS.seed})
  --teacher-epochs N     (default ${RECIPE_DEFAULTS.teacherEpochs})
  --student-epochs N     (default ${RECIPE_DEFAULTS.studentEpochs})
  --batch-size B         (default ${RECIPE_DEFAULTS.batchSize})
  --lr LR                the student's peak learning rate (default ${RECIPE_DEFAULTS.studentLr})
  --betas B1,B2          the student's AdamW betas (default ${RECIPE_DEFAULTS.studentBetas.join(',')}; the paper's
                         0.99,0.999 suit 512 epochs, not a handful)
  --workers N            worker threads, data-parallel as PyTorch DDP on N GPUs (default
                         ${RECIPE_DEFAULTS.workers} here: 2 with two cores or more; 1 trains on this thread alone)`;

export const recipe: Command = {
  name: 'recipe',
  summary: 'the default recipe (npm start): teachers, KC, a distilled fully binary BNext on the digits',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, ['out', 'seed', 'teacher-epochs', 'student-epochs', 'batch-size', 'lr', 'betas', 'workers'], [], 'recipe');
    const workers = intOption(args, 'workers', RECIPE_DEFAULTS.workers, 'recipe', WORKERS);
    const s = await runDigitsRecipe({
      ...RECIPE_DEFAULTS,
      outDir: args.options.get('out') ?? 'runs/digits',
      seed: intOption(args, 'seed', RECIPE_DEFAULTS.seed, 'recipe', SEED),
      teacherEpochs: intOption(args, 'teacher-epochs', RECIPE_DEFAULTS.teacherEpochs, 'recipe', EPOCHS),
      studentEpochs: intOption(args, 'student-epochs', RECIPE_DEFAULTS.studentEpochs, 'recipe', EPOCHS),
      batchSize: intOption(args, 'batch-size', RECIPE_DEFAULTS.batchSize, 'recipe', BATCH_SIZE),
      studentLr: numberOption(args, 'lr', RECIPE_DEFAULTS.studentLr, 'recipe', POSITIVE),
      studentBetas: optionalBetasOption(args, 'recipe') ?? RECIPE_DEFAULTS.studentBetas,
      workers,
    });
    const engine = s.testTop1Xnor !== null ? `${s.testTop1Xnor.toFixed(2)}% on the packed XNOR engine, ${s.testTop1Float.toFixed(2)}% on the float engine` : `${s.testTop1Float.toFixed(2)}% on the float engine`;
    console.log(`held-out top-1 of the ${s.fullyBinary ? 'fully binary' : 'NOT fully binary'} student: ${engine} (${s.seconds.toFixed(0)} s)`);
    return 0;
  },
};
