/**
 * AdamW against torch.optim.AdamW (PyTorch 1.13, foreach=False; fixtures/optim/adamw.safetensors):
 * two parameter groups, several steps with a changing lr, betas (0.99, 0.999) and (0.9, 0.999),
 * the recipe's weight decays (1e-3 / 1e-8) and strong ones (0.5 / 0.05) with per-group lr and eps,
 * gradients of mixed scales and some steps where a parameter has no gradient.
 *
 * Tolerance: parameters after every step within 1.2e-7 · max(1, |torch|) (elementwise: one
 * float32 ulp of O(1) values); exp_avg and exp_avg_sq within 2.4e-7 relative (floor: 1e-6 of the
 * array's largest value); step counts exact. Measured: every value bit-identical, since
 * `adamwUpdate` rounds where PyTorch's kernels round; the slack allows fixtures re-exported
 * with a PyTorch build whose kernels fuse differently.
 */
import { expect } from 'chai';
import { AdamW, PAPER_BETAS, type OptimizerState } from '../../src/optim/adamw';
import { bnextParamGroups, type NamedParameter, type ParamGroupSpec } from '../../src/optim/param-groups';
import { Tensor } from '../../src/tensor/tensor';
import { tensor } from '../../src/tensor/create';
import { BNext } from '../../src/models/bnext';
import { resolveConfig } from '../../src/models/factory';
import type { ModelConfig } from '../../src/models/config';
import { measure } from '../helpers/golden';
import { loadFixtureCases, relativeError } from './fixtures';

const PARAM_TOL = 1.2e-7;
const MOMENT_TOL = 2.4e-7;

interface GroupMeta {
  name: string;
  params: string[];
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe('AdamW vs torch.optim.AdamW (fixtures/optim/adamw.safetensors)', () => {
  const cases = loadFixtureCases('adamw.safetensors');
  const worst = { param: 0, moment: 0 };

  it('has the four cases (recipe and strong decay, paper and torch betas)', () => {
    expect(cases.map((c) => c.name).sort()).to.deep.equal(['recipe_paper_betas', 'recipe_torch_betas', 'strong_paper_betas', 'strong_torch_betas']);
  });

  for (const c of cases) {
    it(`${c.name}: parameters after every step, moments and step counts`, () => {
      const groupsMeta = c.meta.groups as unknown as GroupMeta[];
      const lrs = c.meta.lrs as number[][];
      const params = new Map<string, Tensor>();
      const specs: ParamGroupSpec[] = groupsMeta.map((g) => ({
        name: g.name, lr: g.lr, betas: g.betas, eps: g.eps, weightDecay: g.weightDecay,
        params: g.params.map((name): NamedParameter => {
          const t = c.tensor(`init/${name}`, true);
          params.set(name, t);
          return [name, t];
        }),
      }));
      const opt = new AdamW(specs);
      lrs.forEach((stepLrs, s) => {
        opt.groups.forEach((g, i) => (g.lr = stepLrs[i]));
        for (const [name, p] of params) p.grad = c.get(`grad${s}/${name}`) ? c.tensor(`grad${s}/${name}`) : null;
        opt.step();
        for (const [name, p] of params) {
          const torch = c.tensor(`after${s}/${name}`);
          const { error, worst: at } = measure(p.data, torch.data, 'elementwise');
          worst.param = Math.max(worst.param, error);
          expect(error, `${c.name} step ${s} ${name}[${at}]: ours ${p.data[at]}, torch ${torch.data[at]}`).to.be.at.most(PARAM_TOL);
        }
      });
      const state = opt.stateDict();
      for (const name of params.keys()) {
        for (const kind of ['exp_avg', 'exp_avg_sq']) {
          const torch = c.tensor(`${kind}/${name}`).data;
          const e = relativeError(state.tensors.get(`${name}.${kind}`)!, torch, 1e-6 * maxAbs(torch));
          worst.moment = Math.max(worst.moment, e);
          expect(e, `${c.name} ${kind} of ${name}`).to.be.at.most(MOMENT_TOL);
        }
        const step = c.get(`step/${name}`)!;
        expect(state.steps[name], `${c.name} step count of ${name}`).to.equal(Number((step.data as BigInt64Array)[0]));
      }
    });
  }

  after(() => {
    if (process.env.GOLDEN_REPORT) console.log(`\n  AdamW vs torch: worst parameter error ${worst.param.toExponential(2)} (elementwise), worst moment error ${worst.moment.toExponential(2)} (relative)`);
  });
});

function smallBNext(): BNext {
  return new BNext(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }) as ModelConfig & { arch: 'bnext' });
}

describe('AdamW', () => {
  it('defaults to the paper betas (0.99, 0.999), lr 1e-3, eps 1e-8 and PyTorch weight decay 1e-2', () => {
    const opt = new AdamW([{ name: 'g', params: [['w', tensor([1, 2], [2], true)]] }]);
    expect(PAPER_BETAS).to.deep.equal([0.99, 0.999]);
    expect(opt.groups[0]).to.include({ lr: 1e-3, eps: 1e-8, weightDecay: 1e-2, initialLr: 1e-3 });
    expect(opt.groups[0].betas).to.deep.equal([0.99, 0.999]);
  });

  it('skips a parameter without a gradient, step count included', () => {
    const a = tensor([1, 2], [2], true);
    const b = tensor([3], [1], true);
    const opt = new AdamW([{ name: 'g', params: [['a', a], ['b', b]] }]);
    a.grad = tensor([0.5, -0.5]);
    opt.step();
    expect(Array.from(b.data)).to.deep.equal([3]);
    expect(opt.stateDict().steps).to.deep.equal({ a: 1 });
  });

  it('zeroGrad zero-fills in place by default and drops gradients with setToNone', () => {
    const a = tensor([1, 2], [2], true);
    const opt = new AdamW([{ name: 'g', params: [['a', a]] }]);
    const g = tensor([0.5, -0.5]);
    a.grad = g;
    opt.zeroGrad();
    expect(a.grad).to.equal(g);
    expect(Array.from(g.data)).to.deep.equal([0, 0]);
    opt.zeroGrad(true);
    expect(a.grad).to.equal(null);
  });

  it('refuses a parameter in two groups, and out-of-range hyper-parameters', () => {
    const a = tensor([1], [1], true);
    expect(() => new AdamW([{ name: 'x', params: [['a', a]] }, { name: 'y', params: [['a', tensor([1], [1], true)]] }])).to.throw(/'a' is in group 'x' and again in group 'y'/);
    expect(() => new AdamW([{ name: 'x', params: [['a', a], ['b', a]] }])).to.throw(/already in the optimizer/);
    expect(() => new AdamW([{ name: 'x', params: [['a', a]], betas: [0.9, 1] }])).to.throw(/group 'x': beta2 must be in \[0, 1\), got 1/);
    expect(() => new AdamW([{ name: 'x', params: [['a', a]], lr: -1 }])).to.throw(/learning rate must be >= 0/);
  });

  it('resumes bit-identically from stateDict, also through JSON for the non-tensor part', () => {
    const make = (): { opt: AdamW; params: Tensor[] } => {
      const params = [tensor([0.3, -0.2, 0.1, 0.7], [2, 2], true), tensor([1, -1], [2], true)];
      const opt = new AdamW([{ name: 'a', params: [['w', params[0]]], weightDecay: 0.1 }, { name: 'b', params: [['v', params[1]]], lr: 5e-3 }]);
      return { opt, params };
    };
    const grads = (s: number): Tensor[] => [tensor([Math.sin(s), Math.cos(s), s * 0.1, -0.3], [2, 2]), tensor([0.2 * s, -0.5])];
    const run = (opt: AdamW, params: Tensor[], from: number, to: number): void => {
      for (let s = from; s < to; s++) {
        const g = grads(s);
        params.forEach((p, i) => (p.grad = g[i]));
        opt.groups[0].lr = 1e-3 * (s + 1);
        opt.step();
      }
    };
    const straight = make();
    run(straight.opt, straight.params, 0, 6);

    const first = make();
    run(first.opt, first.params, 0, 3);
    const saved = first.opt.stateDict();
    const json = JSON.parse(JSON.stringify({ groups: saved.groups, steps: saved.steps })) as Omit<OptimizerState, 'tensors'>;
    const second = make();
    second.params.forEach((p, i) => p.data.set(first.params[i].data));
    second.opt.loadStateDict({ ...json, tensors: saved.tensors });
    saved.tensors.get('w.exp_avg')!.fill(123); // the optimizer holds copies
    run(second.opt, second.params, 3, 6);
    second.params.forEach((p, i) => expect(Array.from(p.data)).to.deep.equal(Array.from(straight.params[i].data)));
    expect(second.opt.stateDict().steps).to.deep.equal({ w: 6, v: 6 });
  });

  it('refuses a state that does not fit, naming the source and the problem', () => {
    const w = tensor([1, 2], [2], true);
    const opt = new AdamW([{ name: 'a', params: [['w', w]] }]);
    w.grad = tensor([1, 1]);
    opt.step();
    const good = opt.stateDict();
    const other = new AdamW([{ name: 'a', params: [['w', tensor([1, 2, 3], [3], true)]] }]);
    expect(() => other.loadStateDict(good, 'ckpt/optimizer.json')).to.throw(/ckpt\/optimizer.json: 'w.exp_avg' has 2 elements, the parameter has 3/);
    const renamed = new AdamW([{ name: 'b', params: [['w', tensor([1, 2], [2], true)]] }]);
    expect(() => renamed.loadStateDict(good, 'ck')).to.throw(/ck: group 0 is 'a', the optimizer's is 'b'/);
    const missing = new AdamW([{ name: 'a', params: [['u', tensor([1, 2], [2], true)]] }]);
    expect(() => missing.loadStateDict(good, 'ck')).to.throw(/missing: u; unexpected: w/);
    const noMoment = { ...good, tensors: new Map([...good.tensors].filter(([k]) => k !== 'w.exp_avg_sq')) };
    expect(() => opt.loadStateDict(noMoment, 'ck')).to.throw(/'w.exp_avg_sq' is missing/);
  });
});

describe('bnextParamGroups (the script\'s rule: 4-D or binary_conv -> weight decay 1e-8)', () => {
  it('puts every 4-D parameter and every binary_conv parameter in "weight", the rest in "other"', () => {
    const model = smallBNext();
    const [other, weight] = bnextParamGroups(model);
    expect(other).to.include({ name: 'other', weightDecay: 1e-3 });
    expect(weight).to.include({ name: 'weight', weightDecay: 1e-8 });
    const all = model.namedParameters().map(([n]) => n);
    expect([...other.params, ...weight.params].map(([n]) => n).sort()).to.deep.equal([...all].sort());
    for (const [name, p] of weight.params) expect(p.ndim === 4 || name.includes('binary_conv'), name).to.equal(true);
    for (const [name, p] of other.params) expect(p.ndim !== 4 && !name.includes('binary_conv'), name).to.equal(true);
    expect(weight.params.some(([n]) => n.endsWith('binary_conv.weight'))).to.equal(true);
    expect(other.params.some(([n]) => n === 'fc.weight'), 'the classifier weight is 2-D').to.equal(true);
    const opt = new AdamW(bnextParamGroups(model, { lr: 2e-3 }));
    expect(opt.groups.map((g) => [g.name, g.lr, g.weightDecay])).to.deep.equal([['other', 2e-3, 1e-3], ['weight', 2e-3, 1e-8]]);
  });
});
