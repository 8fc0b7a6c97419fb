import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { conv2d } from '../../src/tensor/ops/conv';
import { conv2dForwardReference } from '../../src/tensor/kernels/reference/conv2d';
import { conv2dGeometry } from '../../src/tensor/kernels/conv2d-geometry';
import { sum } from '../../src/tensor/ops/reduce';
import { mul } from '../../src/tensor/ops/elementwise';
import { binaryConv2d, isSignValued, withFloatBinaryConvs } from '../../src/binary/binary-conv-op';
import { BinaryConv2d } from '../../src/binary/layers';
import { readSafetensors } from '../../src/io/files';
import { toIntTensor, toTensor } from '../../src/io/stored';
import { stateValueOf } from '../../src/nn/serialize';
import { buildModel, resolveConfig, type ArchOptions } from '../../src/models/factory';
import { withoutInit } from '../../src/nn/init';
import { crossEntropy } from '../../src/nn/losses';
import { backward } from '../../src/autograd/graph';

/** ±1 one float32 ulp off (as (b - r) + r may give), with some exact zeros. */
function nearSigns(rng: Rng, shape: number[], zeroRate = 0.05): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    const mag = u < 0.3 ? 1 + 2 ** -23 : u < 0.6 ? 1 - 2 ** -24 : 1;
    d[i] = rng.uniform() < zeroRate ? 0 : rng.uniform() < 0.5 ? -mag : mag;
  }
  return new Tensor(d, shape, true);
}

function relative(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe('binary/binary-conv-op', () => {
  it('computes the exact integer convolution of the signs, with the float backward unchanged', () => {
    const rng = new Rng('op');
    for (const [shape, k, stride] of [[[2, 40, 7, 6], 3, 1], [[1, 64, 9, 9], 3, 2], [[3, 33, 5, 5], 1, 1]] as const) {
      const x = nearSigns(rng, [...shape]);
      const w = nearSigns(rng, [11, shape[1], k, k], 0.02);
      const options = { stride, padding: k >> 1 };
      const packed = binaryConv2d(x, w, options);
      // The direct loops (exact for integers; the fast float conv2d may take a Winograd path).
      const geometry = conv2dGeometry(x.shape, w.shape, { stride: [stride, stride], padding: [k >> 1, k >> 1], dilation: [1, 1], groups: 1 });
      const exact = new Float32Array(packed.size);
      conv2dForwardReference(x.data.map(Math.sign), w.data.map(Math.sign), null, geometry, exact);
      expect([...packed.data]).to.deep.equal([...exact]);
      const float = conv2d(x, w, null, options);
      expect(relative(packed.data, float.data)).to.be.below(1e-6);
      // The same recorded op: gradients equal bit for bit.
      const g = new Tensor(Float32Array.from({ length: packed.size }, () => rng.normal()), packed.shape);
      backward(sum(mul(packed, g)));
      const [dx, dw] = [x.grad!.data.slice(), w.grad!.data.slice()];
      x.grad = null;
      w.grad = null;
      backward(sum(mul(float, g)));
      expect([...dx]).to.deep.equal([...x.grad!.data]);
      expect([...dw]).to.deep.equal([...w.grad!.data]);
    }
  });

  it('takes the float path for values that are not signs, and when switched off', () => {
    const rng = new Rng('fallback');
    const x = nearSigns(rng, [1, 8, 5, 5]);
    const w = new Tensor(Float32Array.from({ length: 4 * 8 * 9 }, () => rng.normal() * 0.1), [4, 8, 3, 3]);
    expect(isSignValued(w.data)).to.equal(false);
    expect([...binaryConv2d(x, w, { stride: 1, padding: 1 }).data]).to.deep.equal([...conv2d(x, w, null, { stride: 1, padding: 1 }).data]);
    const signs = nearSigns(rng, [4, 8, 3, 3]);
    const off = withFloatBinaryConvs(() => binaryConv2d(x, signs, { stride: 1, padding: 1 }));
    expect([...off.data]).to.deep.equal([...conv2d(x, signs, null, { stride: 1, padding: 1 }).data]);
    // Too thin to pay (Cin·k² = 8 < 32): float, so not integers for these near-±1 values.
    const thin = binaryConv2d(x, nearSigns(rng, [4, 8, 1, 1], 0), { stride: 1, padding: 0 });
    expect(thin.data.every(Number.isInteger)).to.equal(false);
  });

  it('is what BinaryConv2d runs in training once its weights are fully binary', () => {
    const rng = new Rng('layer');
    const conv = new BinaryConv2d(16, 8, 3, { rng });
    conv.temperature.data[0] = 1e-8;
    const x = nearSigns(rng, [2, 16, 6, 6], 0);
    // Inputs one ulp off ±1: only the packed path gives integers.
    const out = conv.train().call(x);
    expect(out.data.every(Number.isInteger)).to.equal(true);
    expect(withFloatBinaryConvs(() => conv.call(x)).data.every(Number.isInteger)).to.equal(false);
    conv.temperature.data[0] = 0.5;
    expect(conv.call(x).data.every(Number.isInteger)).to.equal(false);
  });

  describe('training golden cases: packed forward against the float forward and the reference', () => {
    const DIR = 'fixtures/models';
    interface Case { name: string; file: string; arch: string; base_width: number; num_classes: number; in_channels: number; stage_ratios?: [number, number, number, number]; blocks_per_layer?: [number, number, number, number]; stem_stride?: number; elm_attention: boolean; info_recoupling: boolean; mode: string; tolerance: Record<string, number> }
    const cases = (JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: Case[] }).cases.filter((c) => c.mode === 'train');
    for (const c of cases) {
      it(`${c.name}: logits, loss and gradients within the case's tolerance either way; logits within 1e-6 of each other`, () => {
        const file = readSafetensors(join(DIR, c.file));
        const options: ArchOptions = c.arch === 'bnext'
          ? { arch: 'bnext', baseWidth: c.base_width, stages: c.stage_ratios, numClasses: c.num_classes, stemStride: c.stem_stride, inChannels: c.in_channels, elmAttention: c.elm_attention, infoRecoupling: c.info_recoupling }
          : { arch: 'bnext-18', baseWidth: c.base_width, stages: c.blocks_per_layer, numClasses: c.num_classes, inChannels: c.in_channels };
        const step = () => {
          const model = withoutInit(() => buildModel(resolveConfig(options)));
          const sd = new Map();
          for (const [k, arr] of file.tensors) if (k.startsWith('sd.')) sd.set(k.slice(3), stateValueOf(arr, k));
          model.loadStateDict(sd);
          const logits = model.train().call(toTensor(file.tensors.get('input')!, 'input'));
          const loss = crossEntropy(logits, toIntTensor(file.tensors.get('target')!, 'target'));
          backward(loss);
          return { logits, loss, params: model.namedParameters() };
        };
        const packed = step();
        const float = withFloatBinaryConvs(step);
        const ref = (k: string) => toTensor(file.tensors.get(k)!, k).data;
        for (const run of [packed, float]) {
          expect(relative(run.logits.data, ref('logits'))).to.be.at.most(c.tolerance.logits);
          expect(relative(run.loss.data, ref('loss'))).to.be.at.most(c.tolerance.loss);
        }
        expect(relative(packed.logits.data, float.logits.data)).to.be.at.most(1e-6);
        packed.params.forEach(([name, p], i) => {
          const r = file.tensors.get(`grad.${name}`);
          if (!p.grad || !r) return;
          expect(relative(p.grad.data, ref(`grad.${name}`)), `packed grad ${name}`).to.be.at.most(c.tolerance.grad);
          expect(relative(float.params[i][1].grad!.data, ref(`grad.${name}`)), `float grad ${name}`).to.be.at.most(c.tolerance.grad);
        });
      });
    }
  });
});
