/**
 * The gap-sensitive ensemble against PyTorch (fixtures/optim/distill.safetensors, written by
 * fixtures/export/export_optim.py): the loss in the script's form and in the per-sample form,
 * the weights alpha, and the gradient of the loss w.r.t. the student logits, with one, two and
 * three teachers, batches of 1 to 32 and 5 to 100 classes. The reference's batch-mean
 * distribution loss is the official DistributionLoss and its gaps are
 * nn.CrossEntropyLoss(reduction='none') with softmax targets, as in the official script.
 *
 * Tolerance (spec/helpers/golden.ts `scale` rule): loss, weights and gradient within 1e-5 of the
 * array's scale (log-softmax sums along classes, means over the batch, a softmax over teachers).
 */
import { expect } from 'chai';
import { gapSensitiveLoss, gapWeights, type EnsembleForm } from '../../src/distill/ensemble';
import { distributionLoss } from '../../src/nn/losses';
import { Tensor } from '../../src/tensor/tensor';
import { tensor } from '../../src/tensor/create';
import { add, mul } from '../../src/tensor/ops/elementwise';
import { expectGolden, goldenStats, REDUCTION } from '../helpers/golden';
import { loadFixtureCases } from '../optim/fixtures';
import { backward } from '../../src/autograd/graph';

const FAMILY = 'distill';

describe('gapSensitiveLoss vs PyTorch (fixtures/optim/distill.safetensors)', () => {
  const cases = loadFixtureCases('distill.safetensors');
  it('covers both forms with one, two and three teachers', () => {
    const seen = new Set(cases.map((c) => `${c.meta.form as string}/${c.meta.teachers as number}`));
    expect([...seen].sort()).to.deep.equal(['per-sample/1', 'per-sample/2', 'per-sample/3', 'script/1', 'script/2', 'script/3']);
  });
  for (const c of cases) {
    it(`${c.name}: loss, weights and gradient w.r.t. the student`, () => {
      const student = c.tensor('student', true);
      const teachers: Tensor[] = [];
      for (let i = 0; c.get(`teacher${i}`); i++) teachers.push(c.tensor(`teacher${i}`));
      expect(teachers.length).to.equal(c.meta.teachers);
      const result = gapSensitiveLoss(student, teachers, c.meta.form as EnsembleForm);
      const torchWeights = c.tensor('weights');
      expectGolden(result.loss, c.get('loss')!, REDUCTION, `${c.name} loss`, FAMILY);
      expectGolden(new Tensor(result.weights, torchWeights.shape), c.get('weights')!, REDUCTION, `${c.name} weights`, FAMILY);
      backward(result.loss);
      expectGolden(student.grad!, c.get('grad')!, REDUCTION, `${c.name} grad`, FAMILY);
    });
  }
  after(() => {
    if (!process.env.GOLDEN_REPORT) return;
    for (const [tol, w] of goldenStats.get(FAMILY)?.worst ?? []) console.log(`\n  distill vs torch (${tol}): worst ${w.error.toExponential(2)} at ${w.where}`);
  });
});

describe('gapSensitiveLoss', () => {
  const student = (): Tensor => tensor([1, 0, -1, 0.5, 2, -0.5], [2, 3], true);
  const assistant = tensor([0.2, 0.1, 0, 0, 0.3, 0.1], [2, 3]);
  const strong = tensor([5, -3, 0, -4, 6, 1], [2, 3]);

  it('weighs the farther teacher more, per sample', () => {
    const { weights, meanWeights } = gapSensitiveLoss(student(), [assistant, strong]);
    const gA = distributionLoss(student(), assistant, 'none').data;
    const gS = distributionLoss(student(), strong, 'none').data;
    for (let b = 0; b < 2; b++) {
      expect(weights[b * 2] + weights[b * 2 + 1]).to.be.closeTo(1, 1e-6);
      expect(weights[b * 2 + 1] > weights[b * 2]).to.equal(gS[b] > gA[b]);
    }
    expect(meanWeights[0]).to.be.closeTo((weights[0] + weights[2]) / 2, 1e-7);
  });

  it('script form = (1/n) sum_i KD_i mean(alpha_i); per-sample form = mean_b sum_i alpha_bi g_bi', () => {
    const s = gapSensitiveLoss(student(), [assistant, strong], 'script');
    expect(s.loss.item()).to.be.closeTo((s.teacherLosses[0] * s.meanWeights[0] + s.teacherLosses[1] * s.meanWeights[1]) / 2, 1e-6);
    const p = gapSensitiveLoss(student(), [assistant, strong], 'per-sample');
    const gA = distributionLoss(student(), assistant, 'none').data;
    const gS = distributionLoss(student(), strong, 'none').data;
    const w = p.weights;
    expect(p.loss.item()).to.be.closeTo((w[0] * gA[0] + w[1] * gS[0] + w[2] * gA[1] + w[3] * gS[1]) / 2, 1e-6);
  });

  it('with one teacher, is half the distribution loss in both forms (the script\'s constant 0.5)', () => {
    const kd = distributionLoss(student(), strong).item();
    for (const form of ['script', 'per-sample'] as const) {
      const r = gapSensitiveLoss(student(), [strong], form);
      expect(r.loss.item()).to.be.closeTo(0.5 * kd, 1e-7);
      expect(Array.from(r.weights)).to.deep.equal([0.5, 0.5]);
    }
  });

  it('treats the weights and the teachers as constants', () => {
    const s = student();
    const t = tensor([0.2, 0.1, 0, 0, 0.3, 0.1], [2, 3], true);
    const { loss, meanWeights } = gapSensitiveLoss(s, [t, strong]);
    backward(loss);
    expect(t.grad).to.equal(null);
    // The same loss with the weights written in as numbers: the gradient must not change, as it
    // would if it also flowed through the softmax that made them.
    const s2 = student();
    backward(add(mul(distributionLoss(s2, assistant), meanWeights[0] / 2), mul(distributionLoss(s2, strong), meanWeights[1] / 2)));
    expect(Array.from(s.grad!.data)).to.deep.equal(Array.from(s2.grad!.data));
  });

  it('refuses no teacher, a mismatched teacher and an unknown form', () => {
    expect(() => gapSensitiveLoss(student(), [])).to.throw(/needs at least one teacher/);
    expect(() => gapSensitiveLoss(student(), [tensor([1, 2], [1, 2])])).to.throw(/student \[2, 3\] and teacher \[1, 2\]/);
    expect(() => gapSensitiveLoss(student(), [strong], 'mean' as EnsembleForm)).to.throw(/unknown form 'mean'/);
  });

  it('gapWeights is a softmax over teachers that survives large gaps', () => {
    const w = gapWeights([new Float32Array([1000, 0]), new Float32Array([0, 0])]);
    expect(Array.from(w)).to.deep.equal([1, 0, 0.5, 0.5]);
  });
});
