/**
 * The packed engine on quantized contents (bnext pack --quantize; src/quantize) against the float
 * model given the same fake-quantized weights (Eq. 6) and the same run-time input quantization
 * (Eq. 5) of the squeeze-and-expand convolutions and the classifier. The packed engine computes
 * the float model's arithmetic everywhere but in the binary convolution (packed-model.ts), so for
 * BNext the two agree bit for bit, as unquantized; for BNext-18 within 1e-5 (its float path is
 * an ulp off at binary activations, spec/engine/packed-model.spec.ts).
 *
 * Then the model golden cases (fixtures/models, official weights) through the quantized engine:
 * the same check, and the top-1 agreement with the unquantized engine, printed with the logit
 * differences (at least 3/4 of the samples; see the note there on why not all).
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { noGrad } from '../../src/autograd/record';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { Conv2d } from '../../src/nn/layers/conv2d';
import { Linear } from '../../src/nn/layers/linear';
import type { Module, StateDict } from '../../src/nn/module';
import { withoutInit } from '../../src/nn/init';
import { readSafetensors } from '../../src/io/files';
import { toTensor } from '../../src/io/stored';
import { stateValueOf } from '../../src/nn/serialize';
import { buildModel, resolveConfig, type ArchOptions, type BNextModel } from '../../src/models/factory';
import { packModel } from '../../src/engine/packed-model';
import { bnxContentsOf, packedModelFromContents } from '../../src/engine/load';
import { parseBnx, serializeBnx } from '../../src/engine/bnx';
import { fakeQuantizeRows } from '../../src/quantize/asymmetric';
import { dequantizeWeight } from '../../src/quantize/weights';
import { parseQuantization, type QuantizationScheme } from '../../src/quantize/scheme';
import { quantizeModel } from '../../src/quantize/plan';
import { archOptionsOf, MODEL_FIXTURES, modelCases } from '../helpers/model-cases';
import { argmaxRows, randomInput, randomModel, relativeError } from './helpers';

/**
 * A copy of `model` that runs as the official quantized model: weights replaced by their
 * fake-quantized values, and the planned layers' inputs fake quantized per sample on each call.
 */
function fakeQuantizedFloatModel(model: BNextModel, scheme: QuantizationScheme): BNextModel {
  const copy = withoutInit(() => buildModel(model.config));
  copy.loadStateDict(model.stateDict());
  const layers = quantizeModel(model, scheme);
  const modules = new Map<string, Module>(copy.namedModules().map(([path, m]) => [`${path}.weight`, m]));
  const state = copy.stateDict();
  for (const [key, layer] of layers) {
    state.get(key)!.data.set(dequantizeWeight(layer.weight));
    const q = layer.activation;
    if (!q) continue;
    const m = modules.get(key);
    if (!(m instanceof Conv2d) && !(m instanceof Linear)) throw new Error(`${key} is not a conv or linear layer`);
    const forward = m.forward.bind(m);
    m.forward = (x: Tensor): Tensor => {
      const out = new Float32Array(x.size);
      fakeQuantizeRows(x.data, x.shape[0], x.size / x.shape[0], q.bits, q.clip, out);
      return forward(new Tensor(out, x.shape));
    };
  }
  return copy.eval();
}

/** The quantized engine of a model, through the .bnx bytes (so the file format is on the path). */
function quantizedEngine(model: BNextModel, scheme: QuantizationScheme) {
  return packedModelFromContents(parseBnx(serializeBnx(bnxContentsOf(model, { quantize: scheme })), 'q.bnx'), 'q.bnx');
}

const CASES: { name: string; options: ArchOptions; input: number[]; exact: boolean }[] = [
  { name: 'BNext, all four stages', options: { arch: 'bnext', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }, input: [3, 3, 16, 16], exact: true },
  { name: 'BNext, 1000 classes (stride-2 stem)', options: { arch: 'bnext', baseWidth: 8, stages: [1, 2, 0, 0], numClasses: 1000 }, input: [2, 3, 24, 16], exact: true },
  { name: 'BNext without ELM-Attention', options: { arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10, elmAttention: false }, input: [2, 3, 12, 12], exact: true },
  { name: 'BNext without Info-Recoupling (no SE branch)', options: { arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10, infoRecoupling: false }, input: [2, 3, 12, 12], exact: true },
  { name: 'BNext-18, CIFAR stem', options: { arch: 'bnext-18', baseWidth: 8, stages: [1, 2, 1, 1], numClasses: 10 }, input: [2, 3, 16, 16], exact: false },
  { name: 'BNext-18, ImageNet stem (7x7)', options: { arch: 'bnext-18', baseWidth: 16, stages: [1, 1, 1, 1], numClasses: 1000 }, input: [2, 3, 32, 32], exact: false },
];

describe('engine: quantized .bnx contents (Eqs. 5 and 6)', () => {
  for (const preset of ['paper', 'w8', '8/8-4/8-4/4-8/8', '32/32-4/4-4/4-32/32']) {
    // The four-stage model (the slowest float model) with the paper's setting only.
    for (const c of CASES.filter((k) => preset === 'paper' || !k.name.includes('four stages'))) {
      it(`${preset}, ${c.name}: the fake-quantized float model's logits${c.exact ? ' bit for bit' : ' within 1e-5'}`, () => {
        const scheme = parseQuantization(preset)!;
        const model = randomModel(c.options, c.name);
        const x = randomInput(new Rng(`${c.name} input`), c.input);
        const want = noGrad(() => fakeQuantizedFloatModel(model, scheme).call(x));
        const got = quantizedEngine(model, scheme).run(x);
        if (c.exact) expect([...got.data]).to.deep.equal([...want.data]);
        else expect(relativeError(got.data, want.data)).to.be.below(1e-5);
        expect(argmaxRows(got)).to.deep.equal(argmaxRows(want));
      });
    }
  }

  it('quantization changes the logits (the layers are really quantized), and a sample does not depend on its batch', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 16, stages: [1, 1, 1, 0], numClasses: 10 }, 'changes');
    const x = randomInput(new Rng('changes input'), [3, 3, 16, 16]);
    const plain = packModel(model).run(x);
    const engine = quantizedEngine(model, parseQuantization('paper')!);
    const quantized = engine.run(x);
    expect(relativeError(quantized.data, plain.data)).to.be.above(1e-6);
    const one = new Tensor(x.data.slice(3 * 16 * 16, 2 * 3 * 16 * 16), [1, 3, 16, 16]);
    expect([...engine.run(one).data]).to.deep.equal([...quantized.data.slice(10, 20)]);
  });

  it('refuses input quantization the engine cannot apply (the stem), naming the tensor', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 }, 'stem input');
    const contents = bnxContentsOf(model, { quantize: parseQuantization('paper') });
    contents.quantized.get('feature.0.conv1.weight')!.activation = { bits: 8, clip: 1000 };
    expect(() => packedModelFromContents(contents, 's.bnx')).to.throw(/s\.bnx: packed engine: 'feature\.0\.conv1\.weight' asks for input quantization, which the engine applies to the squeeze-and-expand convolutions and the classifier only/);
  });

  describe('the model golden cases (official weights) with --quantize paper', () => {
    // These small untrained models are chaotic: multiplying only the stem weights by
    // (1 ± 1e-3) at random already moves their logits by 5-30% (sign flips of binary
    // activations cascade), so their top-1 under quantization is a weak signal; a trained model
    // is the real measure (the report's digits student: 92.86% -> 92.51%). What must hold here:
    // the quantized engine computes the fake-quantized float model, and most top-1 survive.
    const rows: string[] = [];
    let agree = 0;
    let samples = 0;
    after(() => {
      console.log(`      quantized vs unquantized engine, max |logit difference| / max |logit| (top-1 agreement):\n${rows.map((r) => `        ${r}`).join('\n')}\n        top-1 agrees on ${agree}/${samples} samples`);
      expect(agree, 'top-1 agreement over all cases').to.be.at.least(0.75 * samples);
    });
    for (const c of modelCases.filter((k) => k.binary_weights === 'sign')) {
      it(`${c.name}: the fake-quantized float model's logits ${c.arch === 'bnext' ? 'bit for bit' : 'within 1e-5'}`, () => {
        const file = readSafetensors(join(MODEL_FIXTURES, c.file));
        const sd: StateDict = new Map();
        for (const [k, arr] of file.tensors) if (k.startsWith('sd.')) sd.set(k.slice(3), stateValueOf(arr, k));
        const model = withoutInit(() => buildModel(resolveConfig(archOptionsOf(c))));
        model.loadStateDict(sd);
        model.eval();
        const x = toTensor(file.tensors.get('input')!, 'input');
        const scheme = parseQuantization('paper')!;
        const quantized = quantizedEngine(model, scheme).run(x);
        const want = noGrad(() => fakeQuantizedFloatModel(model, scheme).call(x));
        if (c.arch === 'bnext') expect([...quantized.data]).to.deep.equal([...want.data]);
        else expect(relativeError(quantized.data, want.data)).to.be.below(1e-5);
        const plain = argmaxRows(packModel(model).run(x));
        const top1 = argmaxRows(quantized);
        const same = top1.filter((k, i) => k === plain[i]).length;
        agree += same;
        samples += top1.length;
        rows.push(`${c.name}: ${relativeError(quantized.data, packModel(model).run(x).data).toExponential(2)} (${same}/${top1.length})`);
      });
    }
  });
});
