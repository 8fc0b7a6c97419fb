import { expect } from 'chai';
import { noGrad } from '../../src/autograd/record';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import type { ArchOptions } from '../../src/models/factory';
import { packModel } from '../../src/engine/packed-model';
import { createModel } from '../../src/models/create';
import { setTemperature } from '../../src/optim/temperature';
import { forwardWithActivations } from '../../src/nn/activations';
import { packedSign } from '../../src/binary/packed-layout';
import { argmaxRows, randomInput, randomModel, relativeError } from './helpers';

const CASES: { name: string; options: ArchOptions; input: number[] }[] = [
  { name: 'BNext, all four stages', options: { arch: 'bnext', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }, input: [2, 3, 16, 16] },
  { name: 'BNext, 1000 classes (stride-2 stem), non-square', options: { arch: 'bnext', baseWidth: 8, stages: [1, 2, 0, 0], numClasses: 1000 }, input: [3, 3, 24, 16] },
  { name: 'BNext without ELM-Attention', options: { arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10, elmAttention: false }, input: [2, 3, 12, 12] },
  { name: 'BNext without Info-Recoupling', options: { arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10, infoRecoupling: false }, input: [2, 3, 12, 12] },
  { name: 'BNext without both', options: { arch: 'bnext', baseWidth: 16, stages: [1, 1, 0, 0], numClasses: 10, elmAttention: false, infoRecoupling: false }, input: [2, 3, 12, 12] },
  { name: 'BNext-18, CIFAR stem', options: { arch: 'bnext-18', baseWidth: 8, stages: [1, 2, 1, 1], numClasses: 10 }, input: [2, 3, 16, 16] },
  { name: 'BNext-18, ImageNet stem', options: { arch: 'bnext-18', baseWidth: 16, stages: [1, 1, 1, 1], numClasses: 1000 }, input: [2, 3, 32, 32] },
];

describe('engine/packed-model', () => {
  for (const c of CASES) {
    it(`${c.name}: the float model's logits within 1e-5 relative, the same top-1`, () => {
      const model = randomModel(c.options, c.name);
      const x = randomInput(new Rng(`${c.name} input`), c.input);
      const want = noGrad(() => model.call(x));
      const got = packModel(model).run(x);
      expect(got.shape).to.deep.equal(want.shape);
      expect(relativeError(got.data, want.data), 'relative error').to.be.below(1e-5);
      expect(argmaxRows(got)).to.deep.equal(argmaxRows(want));
    });
  }

  it('keeps sign(0) = 0: an all-zero image with zero shifts gives the float logits', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10 }, 'zeros');
    // Zero BatchNorm shifts and means before the first unit, and zero move biases, keep zeros zero.
    const sd = model.stateDict();
    for (const [name, t] of sd) {
      if (!(t instanceof Tensor)) continue;
      if (/^feature\.0\.bn1\.(bias|running_mean)$/.test(name) || /move\.bias$/.test(name)) t.data.fill(0);
    }
    const x = new Tensor(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
    const want = noGrad(() => model.call(x));
    const got = packModel(model).run(x);
    expect(relativeError(got.data, want.data)).to.be.below(1e-5);
  });

  it('a freshly initialised model on a two-level image (integer sums with exact ties at 0): the float model\'s logits bit for bit', () => {
    // Fresh BatchNorm statistics (mean 0, variance 1) pass a convolution's exact 0 on to the next
    // sign; a float kernel that leaves 1e-14 there flips that sign (docs/conventions.md, "sign(0)").
    for (const seed of [0, 1]) {
      const model = createModel('bnext', { baseWidth: 16, stages: [1, 1, 0, 0], numClasses: 10, inChannels: 1, seed });
      setTemperature(model, 1e-8);
      model.eval();
      const x = randomInput(new Rng(`two levels ${seed}`), [4, 1, 24, 24]);
      for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i] > 0.5 ? 1 : 0;
      expect([...packModel(model).run(x).data], `seed ${seed}`).to.deep.equal([...noGrad(() => model.call(x)).data]);
    }
  });

  it('refuses weights that are not fully binary, naming the layer and the threshold', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 }, 'progressive');
    model.stateDict().get('feature.2.FFN_1.binary_conv.temperature')!.data[0] = 0.3;
    expect(() => packModel(model)).to.throw(/feature\.2\.FFN_1\.binary_conv: temperature 0\.3.* not below 1e-7.*fully binary/);
    const m18 = randomModel({ arch: 'bnext-18', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }, 'progressive-18');
    m18.stateDict().get('layer1.0.Attention.binary_conv.temperature')!.data[0] = 2e-5;
    expect(() => packModel(m18)).to.throw(/layer1\.0\.Attention\.binary_conv: temperature .* not below 0\.00001/);
  });

  it('gives the same logits run after run, and after a run at another size (reused buffers)', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10 }, 'reuse');
    const engine = packModel(model);
    const rng = new Rng('reuse input');
    const x = randomInput(rng, [2, 3, 16, 16]);
    const first = [...engine.run(x).data];
    expect([...engine.run(x).data]).to.deep.equal(first);
    const other = randomInput(rng, [1, 3, 24, 8]);
    expect([...engine.run(other).data]).to.deep.equal([...noGrad(() => model.call(other)).data]);
    expect([...engine.run(x).data]).to.deep.equal(first);
  });

  for (const c of [CASES[0], CASES[5]]) {
    it(`${c.name}: trace shows each binary convolution's signs and integer sums as the float model computes them`, () => {
      const model = randomModel(c.options, `${c.name} trace`);
      const x = randomInput(new Rng(`${c.name} trace input`), c.input);
      const engine = packModel(model);
      const trace = engine.trace(x);
      const { activations } = forwardWithActivations(model, x);
      expect([...trace.logits.data]).to.deep.equal([...engine.run(x).data]);
      expect([...trace.binaryConvs.keys()]).to.deep.equal([...engine.binaryWeights.keys()]);
      for (const [key, conv] of trace.binaryConvs) {
        const path = key.replace(/\.binary_conv\.weight$/, '');
        // The float model binarizes move(x) = x + shift and convolves the ±1 tensors to exact integers.
        const shifted = activations.get(`${path}.move`)!;
        const [n, ch, h, w] = shifted.shape;
        expect(conv.input.shape, key).to.deep.equal(shifted.shape);
        expect(conv.weights, key).to.equal(engine.binaryWeights.get(key));
        let wrongSigns = 0;
        for (let b = 0; b < n; b++) for (let k = 0; k < ch; k++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
          const v = shifted.data[((b * ch + k) * h + y) * w + xx];
          if (packedSign(conv.packed, b, k, y, xx) !== (v < 0 ? -1 : 1)) wrongSigns++;
        }
        expect(wrongSigns, `${key}: packed signs against sign(move(x))`).to.equal(0);
        const floatSums = activations.get(`${path}.binary_conv`)!;
        expect(conv.sums.shape, key).to.deep.equal(floatSums.shape);
        const off = conv.sums.data.findIndex((v, i) => !Number.isInteger(v) || v !== floatSums.data[i]);
        expect(off, `${key}: integer sums against the float model's convolution of the signs`).to.equal(-1);
      }
    });
  }

  it('keeps its own copy of the float parameters', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 }, 'copy');
    const x = randomInput(new Rng('copy input'), [1, 3, 8, 8]);
    const engine = packModel(model);
    const before = engine.run(x).data.slice();
    for (const p of model.parameters()) p.data.fill(0.1);
    expect([...engine.run(x).data]).to.deep.equal([...before]);
  });
});
