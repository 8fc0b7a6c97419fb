/**
 * The pieces composed as the trainer will compose them, on a tiny BNext and a fixed batch: the
 * recipe's parameter groups, the lr schedule per epoch, the temperature schedule, teachers chosen
 * by knowledge boosting, the gap-sensitive loss, clipping at 5, an AdamW step. Stopping
 * half-way, saving every state as JSON + Float32Arrays and resuming must end bit-identical to
 * the uninterrupted run, and the run must end fully binary.
 */
import { expect } from 'chai';
import { AdamW, type OptimizerState } from '../../src/optim/adamw';
import { bnextParamGroups } from '../../src/optim/param-groups';
import { BNEXT_MAX_GRAD_NORM, clipGradNorm } from '../../src/optim/clip';
import { bnextSchedule, CosineLRScheduler, type SchedulerState } from '../../src/optim/lr-schedule';
import { binaryByEndTemperature, modelIsFullyBinary, setTemperature } from '../../src/optim/temperature';
import { gapSensitiveLoss } from '../../src/distill/ensemble';
import { teachersForEpoch } from '../../src/distill/boosting';
import { LogitsFileTeacher, type Teacher } from '../../src/distill/teacher';
import { BNext } from '../../src/models/bnext';
import { resolveConfig } from '../../src/models/factory';
import type { ModelConfig } from '../../src/models/config';
import { manualSeed, Rng } from '../../src/tensor/random';
import { randn } from '../../src/tensor/create';
import { backward } from '../../src/autograd/graph';

const EPOCHS = 4;
const N = 4;
const CLASSES = 10;

interface Run {
  model: BNext;
  opt: AdamW;
  scheduler: CosineLRScheduler;
  losses: number[];
}

function start(): Run {
  manualSeed(5);
  const model = new BNext(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: CLASSES, inChannels: 1 }) as ModelConfig & { arch: 'bnext' });
  const opt = new AdamW(bnextParamGroups(model, { lr: 5e-3 }));
  return { model, opt, scheduler: new CosineLRScheduler(opt.groups, bnextSchedule(EPOCHS, 1)), losses: [] };
}

const rng = new Rng(9);
const images = randn([N, 1, 16, 16], rng);
const indices = Int32Array.from([0, 1, 2, 3]);
const table = (scale: number): LogitsFileTeacher => new LogitsFileTeacher(`t${scale}`, randn([N, CLASSES], rng, 0, scale), 'memory');
const plan = { strong: table(4) as Teacher, assistants: [table(1), table(2)] as Teacher[] };
const temperature = binaryByEndTemperature(EPOCHS);

function epoch(run: Run, e: number): void {
  run.scheduler.step(e);
  setTemperature(run.model, temperature(e));
  run.model.train();
  const teachers = teachersForEpoch(plan, e, EPOCHS).map((t) => t.logits({ images, indices }));
  const { loss } = gapSensitiveLoss(run.model.call(images), teachers);
  run.losses.push(loss.item());
  backward(loss);
  clipGradNorm(run.opt.parameters(), BNEXT_MAX_GRAD_NORM);
  run.opt.step();
  run.opt.zeroGrad();
}

describe('the recipe composed: one step per epoch on a tiny BNext', function () {
  this.timeout(60_000);
  it('resumes bit-identically from JSON + Float32Array state, and ends fully binary @slow', () => {
    const straight = start();
    for (let e = 0; e < EPOCHS; e++) epoch(straight, e);
    expect(modelIsFullyBinary(straight.model)).to.equal(true);
    expect(new Set(straight.losses).size, 'the loss changes from step to step').to.equal(EPOCHS);

    const first = start();
    for (let e = 0; e < EPOCHS / 2; e++) epoch(first, e);
    const weights = new Map([...first.model.stateDict()].map(([k, v]) => [k, (v.data as Float32Array | Int32Array).slice()]));
    const opt = first.opt.stateDict();
    const json = JSON.stringify({ optimizer: { groups: opt.groups, steps: opt.steps }, scheduler: first.scheduler.stateDict() });

    const second = start();
    for (const [k, v] of second.model.stateDict()) v.data.set(weights.get(k)!);
    const saved = JSON.parse(json) as { optimizer: Omit<OptimizerState, 'tensors'>; scheduler: SchedulerState };
    second.opt.loadStateDict({ ...saved.optimizer, tensors: opt.tensors });
    second.scheduler.loadStateDict(saved.scheduler);
    second.losses.push(...first.losses);
    for (let e = EPOCHS / 2; e < EPOCHS; e++) epoch(second, e);

    expect(second.losses).to.deep.equal(straight.losses);
    for (const [k, v] of straight.model.stateDict()) {
      expect(Array.from(second.model.stateDict().get(k)!.data as Float32Array), k).to.deep.equal(Array.from(v.data as Float32Array));
    }
  });
});

