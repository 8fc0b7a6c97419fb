/**
 * The model-level cases (docs/golden-testing.md, "Cases"): a small BNext and a BNext-18 with
 * seeded weights and calibrated BatchNorm statistics, each
 *   - in evaluation mode: logits and every module's output (to find the first module where a
 *     backend diverges);
 *   - in training mode with the mean cross-entropy: logits, loss, every module's output, every
 *     parameter's gradient and the state after (clamps, running statistics);
 *   - packed as a .bnx file (docs/bnx-format.md) for engines that read packed models: logits;
 *   - one whole training step (forward, loss, backward, clipping, AdamW at the schedule's lr):
 *     loss and the state after, with cross-entropy and (BNext) with two teachers.
 */
import { backward } from '../autograd/graph';
import { noGrad } from '../autograd/record';
import { serializeBnx } from '../engine/bnx';
import { bnxContentsOf } from '../engine/load';
import { packModel } from '../engine/packed-model';
import { crossEntropy } from '../nn/losses';
import { withoutInit } from '../nn/init';
import type { ModelConfig } from '../models/config';
import { buildModel, type BNextModel } from '../models/factory';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Rng } from '../tensor/random';
import { type CaseDef, type CaseFile, npyFile, shared, tensorsFile } from './bundle';
import { caseRng, f32, i64, normal, scalar, stored } from './data';
import type { Attributes } from './manifest';
import { calibrateBatchNorm, changedState, floatStateArrays, gradientArrays, randomize, sampleInput, stateArrays, traced } from './modules';
import { DEFAULT_STEP, recipeOptimizer, type StepSettings, stepLr, trainStep } from './train-step';
import { MODEL, TRAIN_STEP } from './tolerances';

export type BundleSize = 'small' | 'full';

interface ModelSetup {
  name: string;
  title: string;
  config: ModelConfig;
  /** The evaluation batch (logits, trace, packed model). */
  inputShape: number[];
  /** The training batch: training-mode BatchNorm needs a few values per channel at the end. */
  trainShape: number[];
  /** Whether the bundle has whole training steps of this model. */
  trainSteps: boolean;
}

/** The two models of a bundle: small ones by default, BNext-18 at its paper widths with 'full'. */
export function bundleModels(size: BundleSize): ModelSetup[] {
  return [
    {
      name: 'bnext_small', title: 'a small BNext (base width 8, stage ratios 1:0:0:0, 10 classes)',
      config: { arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, stemStride: 1, inChannels: 3, elmAttention: true, infoRecoupling: true },
      inputShape: [1, 3, 8, 8], trainShape: [2, 3, 8, 8], trainSteps: true,
    },
    size === 'full'
      ? {
        name: 'bnext18', title: 'BNext-18 (ResNet-18 widths 64-512, two blocks per layer, 1000 classes: 7x7 stem and max pool)',
        config: { arch: 'bnext-18', baseWidth: 64, blocksPerLayer: [2, 2, 2, 2], numClasses: 1000, inChannels: 3 },
        inputShape: [1, 3, 64, 64], trainShape: [2, 3, 64, 64], trainSteps: false,
      }
      : {
        name: 'bnext18_narrow', title: 'a narrow BNext-18 (base width 8, one block per layer, 10 classes)',
        config: { arch: 'bnext-18', baseWidth: 8, blocksPerLayer: [1, 1, 1, 1], numClasses: 10, inChannels: 3 },
        inputShape: [1, 3, 8, 8], trainShape: [2, 3, 16, 16], trainSteps: false,
      },
  ];
}

/** A model with seeded weights, fully binary (temperature 1e-8), BatchNorm statistics calibrated. */
function seededModel(setup: ModelSetup, seed: number): BNextModel {
  const rng = caseRng(seed, `models/${setup.name}`);
  const model = withoutInit(() => buildModel(setup.config));
  randomize(model, rng, { temperature: 1e-8, runningStats: false });
  calibrateBatchNorm(model, rng, [8, ...setup.inputShape.slice(1)]);
  return model;
}

/** A model of the same architecture holding a copy of `model`'s state. */
function copyOf(setup: ModelSetup, model: BNextModel): BNextModel {
  const m = withoutInit(() => buildModel(setup.config));
  m.loadStateDict(model.stateDict());
  return m;
}

/**
 * A binary activation whose input lies within float32 rounding of 0 takes its sign from the
 * rounding: another backend may flip it, and a flipped sign changes everything after it (the
 * check then reports the first divergence at that binary_activation). The model cases draw their
 * batches again until every binary activation's input (each unit's `move` output) is farther from 0
 * than this fraction of its tensor's largest magnitude, about 50 float32 roundings.
 */
export const SIGN_MARGIN = 3e-6;
const MAX_DRAWS = 12;

/** The smallest |v| / max |v| over the inputs of every binary activation of a forward. */
function signMargin(model: BNextModel, x: Tensor): number {
  const run = noGrad(() => traced(model, () => model.call(x)));
  let margin = Infinity;
  for (const [key, a] of run.trace) {
    if (!key.endsWith('.move')) continue;
    const d = a.data as Float32Array;
    let max = 0;
    let min = Infinity;
    for (let i = 0; i < d.length; i++) {
      const v = Math.abs(d[i]);
      if (v > max) max = v;
      if (v < min) min = v;
    }
    margin = Math.min(margin, min / max);
  }
  return margin;
}

interface Batches {
  rng: Rng;
  xData: Float32Array;
  tData: Float32Array;
  /** The smallest |input| / max |input| of a binary activation over both batches. */
  margin: number;
}

/**
 * The evaluation and training batches of a model's cases, drawn again until well conditioned;
 * when no draw is (a large model has too many binary activations for every one to keep the
 * margin), the best draw, whose margin the cases then state.
 */
function wellConditionedInputs(setup: ModelSetup, model: BNextModel, seed: number): Batches {
  let best: Batches | null = null;
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const rng = caseRng(seed, `models/${setup.name}/data${draw === 0 ? '' : `/${draw}`}`);
    const xData = sampleInput(rng, setup.inputShape);
    const tData = sampleInput(rng, setup.trainShape);
    const evalMargin = signMargin(copyOf(setup, model).eval(), new Tensor(xData.slice(), setup.inputShape));
    const trainMargin = signMargin(copyOf(setup, model).train(), new Tensor(tData.slice(), setup.trainShape));
    const batches = { rng, xData, tData, margin: Math.min(evalMargin, trainMargin) };
    if (batches.margin > SIGN_MARGIN) return batches;
    if (!best || batches.margin > best.margin) best = batches;
  }
  return best!;
}

/** The architecture as attributes: the official constructor's arguments follow from it. */
function configAttributes(c: ModelConfig): Attributes {
  return { ...c } as unknown as Attributes;
}

function modelCases(setup: ModelSetup, seed: number): CaseDef[] {
  const base = `models/${setup.name}`;
  const model = seededModel(setup, seed);
  const weights = shared(base, tensorsFile('weights', stateArrays(model)));
  const xs = setup.inputShape;
  const ts = setup.trainShape;
  const { rng, xData, tData, margin } = wellConditionedInputs(setup, model, seed);
  const x = shared(base, npyFile('x', f32(xs, xData)));
  const xTrain = shared(base, npyFile('x_train', f32(ts, tData)));
  const n = ts[0];
  const classes = setup.config.numClasses;
  const target = Int32Array.from({ length: n }, () => rng.int(classes));
  const targetFile = shared(base, npyFile('target', i64([n], target)));
  const attributes = configAttributes(setup.config);
  // Stated in every model case: below SIGN_MARGIN a backend may round a sign the other way.
  const signMarginNote = { signMargin: Number(margin.toPrecision(3)) };
  const cases: CaseDef[] = [];
  const fresh = (): BNextModel => copyOf(setup, model);

  {
    const m = fresh().eval();
    const run = noGrad(() => traced(m, () => m.call(new Tensor(xData.slice(), xs))));
    cases.push({
      id: `${base}/eval`, level: 'models', op: 'model_forward', attributes: { model: attributes, training: false, ...signMarginNote },
      description: `${setup.title} in evaluation mode: logits and every module's output, keyed by its state_dict path, in call order`,
      inputs: [weights, x],
      outputs: [
        { file: npyFile('logits', stored(run.output)), tolerance: MODEL },
        { file: tensorsFile('activations', run.trace), tolerance: MODEL, trace: 'forward' },
      ],
    });
  }
  {
    const m = fresh().train();
    const before = new Map(floatStateArrays(m));
    const logits = m.call(new Tensor(tData.slice(), ts));
    const loss = crossEntropy(logits, new IntTensor(target.slice(), [n]));
    backward(loss);
    cases.push({
      id: `${base}/train`, level: 'models', op: 'model_backward', attributes: { model: attributes, training: true, loss: 'cross_entropy', ...signMarginNote },
      description: `${setup.title} in training mode: the mean cross-entropy against the targets, every parameter's gradient (back-propagation order; the stem PReLU gets none) ` +
        'and every float state entry the forward changed other than the latent binary weights (running statistics, clamped scales; the latent clamp is checked by the layer cases)',
      inputs: [weights, xTrain, targetFile],
      outputs: [
        { file: npyFile('logits', stored(logits)), tolerance: MODEL },
        { file: npyFile('loss', scalar(loss.item())), tolerance: MODEL },
        { file: tensorsFile('grads', gradientArrays(m, null)), tolerance: MODEL, trace: 'backward' },
        { file: tensorsFile('state_after', changedState(before, floatStateArrays(m), (key) => key.endsWith('binary_conv.weight'))), tolerance: MODEL },
      ],
    });
  }
  {
    const m = fresh().eval();
    const bnx: CaseFile = { name: 'model', kind: 'bnx', bytes: serializeBnx(bnxContentsOf(m)) };
    const logits = packModel(m).run(new Tensor(xData.slice(), xs));
    cases.push({
      id: `${base}/packed`, level: 'models', op: 'packed_model_forward', attributes: { model: attributes, ...signMarginNote },
      description: `${setup.title} as a .bnx packed model (binary-conv weights at 1 bit, docs/bnx-format.md): the XNOR engine's logits`,
      inputs: [bnx, x],
      outputs: [{ file: npyFile('logits', stored(logits)), tolerance: MODEL }],
    });
  }
  const steps: [string, number][] = setup.trainSteps ? [['ce', 0], ['distill', 2]] : [];
  for (const [label, teacherCount] of steps) {
    const settings: StepSettings = { ...DEFAULT_STEP, epoch: 2 };
    const teachers = Array.from({ length: teacherCount }, (_, i) => normal(rng, [n, classes], i === 0 ? 1 : 4));
    const m = fresh();
    const optimizer = recipeOptimizer(m, settings);
    const result = trainStep(m, optimizer, new Tensor(tData.slice(), ts), new IntTensor(target.slice(), [n]), teachers.map((t) => new Tensor(t.slice(), [n, classes])), settings);
    const teacherFiles = teachers.map((t, i) => npyFile(`teacher${i}`, f32([n, classes], t)));
    cases.push({
      id: `${base}/train_step_${label}`, level: 'models', op: 'train_step',
      attributes: {
        model: attributes, ...signMarginNote, loss: teacherCount > 0 ? 'gap_ensemble' : 'cross_entropy', ensemble: settings.ensemble,
        baseLr: settings.baseLr, epoch: settings.epoch, epochs: settings.epochs, lr: stepLr(settings), betas: settings.betas, eps: settings.eps,
        maxNorm: settings.maxNorm, weightDecay: { other: 1e-3, weight: 1e-8 },
      },
      description: `one training step of ${setup.title}: forward (training mode), ${teacherCount > 0 ? 'the gap-sensitive distillation loss of two teachers [assistant, strong] (script form)' : 'the mean cross-entropy'}, ` +
        `backward, clip_grad_norm 5, AdamW over the recipe's groups at the lr of epoch ${settings.epoch} of ${settings.epochs}; the state after`,
      inputs: [weights, xTrain, targetFile, ...teacherFiles],
      outputs: [
        { file: npyFile('loss', scalar(result.loss)), tolerance: MODEL },
        { file: tensorsFile('state_after', floatStateArrays(m)), tolerance: TRAIN_STEP },
      ],
    });
  }
  return cases;
}

/** Every model-level case, in a fixed order. */
export function modelLevelCases(seed: number, size: BundleSize): CaseDef[] {
  return bundleModels(size).flatMap((setup) => modelCases(setup, seed));
}
