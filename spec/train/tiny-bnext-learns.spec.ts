/**
 * The quick suite's check that training works end to end: a tiny BNext (C = 8, one stage, one
 * input channel) on a fixed batch of 32 real digits, AdamW over the recipe's parameter groups,
 * clipping, and the student's loss (cross-entropy without teachers), once with soft weights and
 * once fully binary. Over a few steps the loss falls well below its start and the batch is fitted
 * better; every parameter the forward uses gets a gradient.
 */
import { expect } from 'chai';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { manualSeed } from '../../src/tensor/random';
import { AdamW } from '../../src/optim/adamw';
import { bnextParamGroups } from '../../src/optim/param-groups';
import { BNEXT_MAX_GRAD_NORM, clipGradNorm } from '../../src/optim/clip';
import { setTemperature } from '../../src/optim/temperature';
import { studentLoss } from '../../src/distill/student-loss';
import { backward } from '../../src/autograd/graph';
import { noGrad } from '../../src/autograd/record';
import { topKHits } from '../../src/train/metrics';
import { subset } from '../helpers/training';

const STEPS = 12;

describe('train: a tiny BNext learns', () => {
  const digits = new DigitDataset('digits', subset(loadMnist().train, 32, 97), 0, 16);
  const { x, y } = digits.batch(Int32Array.from({ length: 32 }, (_, i) => i), null);

  for (const [label, temperature] of [['soft weights (temperature 1)', 1], ['fully binary weights', 1e-8]] as const) {
    it(`${label}: the loss falls over ${STEPS} steps on a fixed batch, and more of the batch is fitted`, () => {
      manualSeed(3);
      const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 }));
      setTemperature(model, temperature);
      const optimizer = new AdamW(bnextParamGroups(model, { lr: 1e-2, betas: [0.9, 0.999] }));
      const losses: number[] = [];
      const hits = (): number => noGrad(() => {
        model.eval();
        return topKHits(model.call(x), y, 1);
      });
      const hitsBefore = hits();
      for (let step = 0; step < STEPS; step++) {
        model.train();
        optimizer.zeroGrad(true);
        const loss = studentLoss(model.call(x), y, [], 'script');
        losses.push(loss.item());
        backward(loss);
        if (step === 0) {
          const without = model.namedParameters().filter(([, p]) => p.grad === null).map(([name]) => name);
          expect(without.every((name) => name === 'feature.0.prelu.weight' || name.endsWith('activation1.weight')), `parameters without a gradient: ${without.join(', ')}`).to.equal(true);
        }
        clipGradNorm(optimizer.parameters(), BNEXT_MAX_GRAD_NORM);
        noGrad(() => optimizer.step());
      }
      expect(losses.every(Number.isFinite), `losses ${losses.join(', ')}`).to.equal(true);
      expect(losses[STEPS - 1], `losses ${losses.map((l) => l.toFixed(3)).join(', ')}`).to.be.below(0.6 * losses[0]);
      expect(Math.min(...losses.slice(STEPS / 2)), 'the second half stays below the first step').to.be.below(losses[0]);
      expect(hits(), `top-1 hits on the batch: ${hitsBefore} before`).to.be.above(hitsBefore);
    });
  }
});
