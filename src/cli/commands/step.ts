/**
 * `bnext step`: whole training steps from the command line (src/conformance/train-step.ts), so a
 * backend author can compare an optimizer step, not only a gradient: forward in training mode,
 * cross-entropy (or, with teacher logits, the gap-sensitive distillation loss), backward,
 * gradient clipping, AdamW over the recipe's parameter groups at the schedule's learning rate;
 * then the state_dict after the steps. Nothing is written unless every step succeeds.
 */
import type { Command } from '../command';
import { intOption, numberOption, optionalBetasOption, parseArgs, requireOption, UsageError } from '../args';
import { EPOCHS, type NumberBounds, POSITIVE } from '../../tensor/arguments';

/** Steps on one batch: a backend comparison needs a handful, not a training run. */
const STEPS: NumberBounds = { integer: true, min: 1, max: 10_000 };
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { resolveConfig } from '../../models/factory';
import { loadModel, readInputBatch, readTargets, requireStateDict, stateDictKeyUsage, WEIGHTS_VALUED, weightsOptionsFrom } from '../model-io';
import { readNpy } from '../../io/files';
import { toTensor } from '../../io/stored';
import { formatShape } from '../../tensor/shape';
import { writeStateDict } from '../../nn/state-dict-file';
import { ENSEMBLE_FORMS, type EnsembleForm } from '../../distill/ensemble';
import { DEFAULT_STEP, recipeOptimizer, type StepSettings, stepLr, trainStep } from '../../conformance/train-step';

const USAGE = `usage: bnext step --arch A [options] --weights W.safetensors --input X.npy --target T.npy --out W2.safetensors
                  [--teacher L.npy ...] [--ensemble script|per-sample] [--steps K]
                  [--lr LR] [--epoch E] [--epochs N] [--betas b1,b2] [--max-norm M|none]

Runs K training steps (default 1) on one batch, as the official script takes them: forward in
training mode, the loss, backward, clip_grad_norm, AdamW (groups: weight decay 1e-8 for 4-D and
binary-conv parameters, 1e-3 for the rest) at the warm-up cosine schedule's learning rate for
epoch E of N; prints each step's loss and gradient norm; writes the state_dict after the steps.
${ARCH_USAGE}
  --weights W            state_dict (safetensors or a torch.save .pth/.pth.tar/.pt, PyTorch names)
${stateDictKeyUsage(25)}
  --input X              float32 NCHW batch (.npy)
  --target T             int64 class indices [N] (.npy)
  --teacher L            teacher logits [N, classes] (.npy), repeatable: the loss becomes the
                         gap-sensitive distillation loss (paper Eq. 4) of [assistant, strong]
  --ensemble F           script (default: the official script's form) or per-sample
  --out W2               the state_dict after the steps (safetensors, atomically)
  --lr LR                base learning rate of the schedule (default ${DEFAULT_STEP.baseLr})
  --epoch E, --epochs N  the step's epoch in a run of N epochs (default ${DEFAULT_STEP.epoch} of ${DEFAULT_STEP.epochs};
                         5 warm-up epochs from 1e-5, then half a cosine to 1e-7)
  --betas b1,b2          AdamW's betas (default the paper's ${DEFAULT_STEP.betas.join(',')}; the script uses 0.9,0.999)
  --max-norm M           gradient clipping threshold (default ${DEFAULT_STEP.maxNorm}), or none`;

function settingsFrom(args: ReturnType<typeof parseArgs>): StepSettings {
  const ensemble = args.options.get('ensemble') ?? DEFAULT_STEP.ensemble;
  if (!ENSEMBLE_FORMS.includes(ensemble as EnsembleForm)) throw new UsageError(`step: --ensemble must be ${ENSEMBLE_FORMS.join(' or ')}, got '${ensemble}'`);
  const maxNormText = args.options.get('max-norm');
  const maxNorm = maxNormText === 'none' ? null : numberOption(args, 'max-norm', DEFAULT_STEP.maxNorm ?? 5, 'step', POSITIVE);
  const epochs = intOption(args, 'epochs', DEFAULT_STEP.epochs, 'step', EPOCHS);
  const s: StepSettings = {
    baseLr: numberOption(args, 'lr', DEFAULT_STEP.baseLr, 'step', POSITIVE),
    epoch: intOption(args, 'epoch', DEFAULT_STEP.epoch, 'step', { min: 0, max: EPOCHS.max }),
    epochs,
    betas: optionalBetasOption(args, 'step') ?? [...DEFAULT_STEP.betas],
    eps: DEFAULT_STEP.eps,
    maxNorm,
    ensemble: ensemble as EnsembleForm,
  };
  return s;
}

export const step: Command = {
  name: 'step',
  summary: 'run whole training steps (loss, backward, clipping, AdamW) on one batch and write the state after',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'weights', 'input', 'target', 'teacher', 'ensemble', 'out', 'lr', 'epoch', 'epochs', 'betas', 'max-norm', 'steps', ...WEIGHTS_VALUED], [...ARCH_FLAGS], 'step');
    const weights = requireOption(args, 'weights', 'step');
    const out = requireOption(args, 'out', 'step');
    const steps = intOption(args, 'steps', 1, 'step', STEPS);
    const settings = settingsFrom(args);
    requireStateDict(weights, 'step');
    const config = resolveConfig(archOptionsFrom(args, 'step'));
    const model = loadModel(config, weights, weightsOptionsFrom(args));
    const x = readInputBatch(requireOption(args, 'input', 'step'), config.inChannels);
    const target = readTargets(requireOption(args, 'target', 'step'), x.shape[0], config.numClasses);
    const teachers = (args.lists.get('teacher') ?? []).map((path) => {
      const t = toTensor(readNpy(path), path);
      if (t.ndim !== 2 || t.shape[0] !== x.shape[0] || t.shape[1] !== config.numClasses) {
        throw new UsageError(`${path}: teacher logits must have shape [${x.shape[0]}, ${config.numClasses}], found ${formatShape(t.shape)}`);
      }
      return t;
    });
    const optimizer = recipeOptimizer(model, settings);
    console.log(`lr ${stepLr(settings)} (epoch ${settings.epoch} of ${settings.epochs}), betas ${settings.betas.join(', ')}, ${teachers.length > 0 ? `distillation from ${teachers.length} teacher(s), ${settings.ensemble} form` : 'cross-entropy'}`);
    for (let i = 0; i < steps; i++) {
      const r = trainStep(model, optimizer, x, target, teachers, settings);
      console.log(`step ${i + 1}: loss ${r.loss}${r.totalNorm === null ? '' : `, gradient norm ${r.totalNorm}`}`);
    }
    writeStateDict(out, model);
    return 0;
  },
};
