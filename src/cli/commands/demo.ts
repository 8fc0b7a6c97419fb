/**
 * `bnext demo`: a short tour of the engine on random data: builds a small BNext, prints its
 * statistics, and takes a few training steps of plain SGD to show the loss going down.
 */
import type { Command } from '../command';
import { intOption, parseArgs } from '../args';
import { buildModel, resolveConfig } from '../../models/factory';
import { countModel } from '../../models/stats';
import { manualSeed, Rng } from '../../tensor/random';
import { randn } from '../../tensor/create';
import { IntTensor } from '../../tensor/tensor';
import { crossEntropy } from '../../nn/losses';
import { noGrad } from '../../autograd/graph';

export const demo: Command = {
  name: 'demo',
  summary: 'a quick tour: build a small BNext, count it, take a few training steps',
  usage: 'usage: bnext demo [--steps N] [--seed S]',
  async run(argv) {
    const args = parseArgs(argv, ['steps', 'seed'], [], 'demo');
    const steps = intOption(args, 'steps', 10, 'demo');
    const seed = intOption(args, 'seed', 0, 'demo');
    manualSeed(seed);
    const config = resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 });
    const model = buildModel(config);
    const { total } = countModel(model, 3, 32, () => 'all');
    console.log(`BNext C=8 1:1:1:1, 10 classes: ${total.params} parameters (${total.binaryParams} binary), ${total.bops} BOPs and ${total.flops} FLOPs at 32x32`);
    const rng = new Rng(seed);
    const x = randn([16, 3, 32, 32], rng);
    const y = new IntTensor(Int32Array.from({ length: 16 }, () => rng.int(10)), [16]);
    model.train();
    for (let step = 1; step <= steps; step++) {
      const t0 = performance.now();
      for (const p of model.parameters()) p.grad = null;
      const loss = crossEntropy(model.call(x), y);
      loss.backward();
      noGrad(() => {
        for (const p of model.parameters()) {
          if (!p.grad) continue;
          for (let i = 0; i < p.size; i++) p.data[i] -= 0.05 * p.grad.data[i];
        }
      });
      console.log(`step ${step}: loss ${loss.item().toFixed(4)} (${(performance.now() - t0).toFixed(0)} ms)`);
    }
    return 0;
  },
};
