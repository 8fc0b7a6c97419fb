/**
 * The learning-rate schedule against timm's CosineLRScheduler formula at every epoch (or update) of
 * several runs (fixtures/optim/schedule.json). timm is not installed here: the exporter evaluates
 * the formula as docs/paper-map.md ("The learning-rate schedule") states it, in timm's order of
 * operations, in Python floats. A few values are also checked against numbers worked out by hand
 * from that formula.
 *
 * Tolerance: |ours - formula| <= 1e-15 · base lr (a few float64 ulps of the base lr: JavaScript's
 * and Python's cos may differ in the last bit, which 1 + cos(...) amplifies near the end of the
 * cosine, where the lr itself is small).
 */
import { expect } from 'chai';
import { bnextSchedule, CosineLRScheduler, cosineLr, type CosineScheduleOptions, perStepSchedule } from '../../src/optim/lr-schedule';
import { AdamW } from '../../src/optim/adamw';
import { tensor } from '../../src/tensor/create';
import { readFileSync } from 'node:fs';

const TOL = 1e-15;

interface Run {
  name: string;
  baseLr: number;
  options: CosineScheduleOptions;
  t: number[];
  lr: number[];
}

const runs = (JSON.parse(readFileSync('fixtures/optim/schedule.json', 'utf8')) as { runs: Run[] }).runs;

describe('cosineLr vs the timm formula (fixtures/optim/schedule.json)', () => {
  let worst = 0;
  for (const run of runs) {
    it(`${run.name}: every ${run.name === 'per_step' ? 'update' : 'epoch'} (${run.t.length} values)`, () => {
      run.t.forEach((t, i) => {
        const ours = cosineLr(t, run.baseLr, run.options);
        const e = Math.abs(ours - run.lr[i]) / run.baseLr;
        worst = Math.max(worst, e);
        expect(e, `${run.name} t=${t}: ours ${ours}, formula ${run.lr[i]}`).to.be.at.most(TOL);
      });
    });
  }
  it('covers the recipe (512 and 128 epochs, past the end), no prefix, no warm-up and per update', () => {
    expect(runs.map((r) => r.name)).to.include.members(['recipe_512', 'recipe_128_past_end', 'no_prefix', 'no_warmup', 'per_step']);
  });
  after(() => {
    if (process.env.GOLDEN_REPORT) console.log(`\n  lr schedule vs formula: worst error / base lr ${worst.toExponential(2)}`);
  });
});

describe('bnextSchedule (docs/paper-map.md, "The learning-rate schedule": values worked out by hand)', () => {
  const o = bnextSchedule(512);
  const close = (a: number, b: number): void => {
    expect(Math.abs(a - b)).to.be.at.most(1e-18);
  };
  it('warms up linearly from 1e-5 over 5 epochs', () => {
    expect(cosineLr(0, 1e-3, o)).to.equal(1e-5);
    close(cosineLr(2, 1e-3, o), 1e-5 + (2 * (1e-3 - 1e-5)) / 5); // 4.06e-4
    close(cosineLr(4, 1e-3, o), 8.02e-4);
  });
  it('is the base lr at epoch 5, halfway at 5 + 256, and lr_min from 5 + 512 on', () => {
    close(cosineLr(5, 1e-3, o), 1e-3);
    close(cosineLr(5 + 256, 1e-3, o), 1e-7 + (1e-3 - 1e-7) / 2); // 5.0005e-4
    expect(cosineLr(517, 1e-3, o)).to.equal(1e-7);
    expect(cosineLr(600, 1e-3, o)).to.equal(1e-7);
  });
  it('per update: lengths scale by the updates per epoch', () => {
    expect(perStepSchedule(o, 10)).to.deep.include({ tInitial: 5120, warmupT: 50, warmupLrInit: 1e-5, lrMin: 1e-7, warmupPrefix: true });
    close(cosineLr(25, 1e-3, perStepSchedule(o, 10)), cosineLr(2.5, 1e-3, o));
    expect(() => perStepSchedule(o, 0)).to.throw(/steps per epoch must be a positive integer/);
  });
});

describe('CosineLRScheduler', () => {
  const make = (): AdamW => new AdamW([
    { name: 'a', params: [['x', tensor([1], [1], true)]], lr: 1e-3 },
    { name: 'b', params: [['y', tensor([1], [1], true)]], lr: 2e-3 },
  ]);
  it('starts the groups at warmup_lr_init, then sets each group from its own initial lr', () => {
    const opt = make();
    const s = new CosineLRScheduler(opt.groups, bnextSchedule(20));
    expect(opt.groups.map((g) => g.lr)).to.deep.equal([1e-5, 1e-5]);
    expect(s.step(5)).to.deep.equal([cosineLr(5, 1e-3, s.options), cosineLr(5, 2e-3, s.options)]);
    expect(opt.groups.map((g) => g.lr)).to.deep.equal(s.lrsAt(5));
    expect(opt.groups.map((g) => g.initialLr)).to.deep.equal([1e-3, 2e-3]);
  });
  it('saves and restores its position (JSON-able)', () => {
    const opt = make();
    const s = new CosineLRScheduler(opt.groups, bnextSchedule(20));
    s.step(7);
    const saved = JSON.parse(JSON.stringify(s.stateDict())) as ReturnType<CosineLRScheduler['stateDict']>;
    const opt2 = make();
    const s2 = new CosineLRScheduler(opt2.groups, bnextSchedule(20));
    s2.loadStateDict(saved);
    expect(s2.stateDict()).to.deep.equal({ lastT: 7 });
    expect(opt2.groups.map((g) => g.lr)).to.deep.equal(opt.groups.map((g) => g.lr));
  });
  it('refuses a non-positive length and a negative time', () => {
    expect(() => new CosineLRScheduler([], { tInitial: 0 })).to.throw(/tInitial must be positive/);
    expect(() => new CosineLRScheduler([], { tInitial: 3 }).step(-1)).to.throw(/time must be >= 0/);
  });
});
