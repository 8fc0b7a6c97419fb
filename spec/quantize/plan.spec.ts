import { expect } from 'chai';
import { CONV_CLIP, LINEAR_CLIP, quantizationPlan } from '../../src/quantize/plan';
import { parseQuantization } from '../../src/quantize/scheme';
import { randomModel } from '../engine/helpers';

describe('quantize/plan', () => {
  it('BNext: the stem, every squeeze and expand convolution, and the classifier', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 }, 'plan');
    const plan = quantizationPlan(model, parseQuantization('paper')!);
    expect(plan.get('feature.0.conv1.weight')).to.deep.equal({ weightBits: 8, weightClip: CONV_CLIP, activation: null });
    expect(plan.get('feature.1.Attention.se.se.1.weight')).to.deep.equal({ weightBits: 4, weightClip: CONV_CLIP, activation: { bits: 8, clip: CONV_CLIP } });
    expect(plan.get('feature.3.FFN.se.se.3.weight')).to.deep.equal({ weightBits: 4, weightClip: CONV_CLIP, activation: { bits: 8, clip: CONV_CLIP } });
    expect(plan.get('fc.weight')).to.deep.equal({ weightBits: 8, weightClip: LINEAR_CLIP, activation: { bits: 8, clip: LINEAR_CLIP } });
    const se = [...plan.keys()].filter((k) => k.includes('.se.se.'));
    expect(se.length).to.equal(2 * model.namedModules().filter(([p]) => p.endsWith('.se') && !p.endsWith('.se.se')).length);
    expect(plan.size).to.equal(se.length + 2);
  });

  it('BNext-18: its stem conv1 and classifier; no SE branch without Info-Recoupling; 32/32 leaves a layer out', () => {
    const m18 = randomModel({ arch: 'bnext-18', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }, 'plan18');
    const plan = quantizationPlan(m18, parseQuantization('w8')!);
    expect(plan.has('conv1.weight')).to.equal(true);
    expect(plan.get('layer0.0.Attention.se.se.1.weight')!.weightBits).to.equal(8);
    expect([...plan.keys()].some((k) => k.includes('downsample'))).to.equal(false);
    const noIr = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, infoRecoupling: false }, 'plan-noir');
    expect([...quantizationPlan(noIr, parseQuantization('paper')!).keys()]).to.deep.equal(['feature.0.conv1.weight', 'fc.weight']);
    const seOnly = quantizationPlan(noIr, parseQuantization('32/32-4/8-4/8-32/32')!);
    expect(seOnly.size).to.equal(0);
  });
});
