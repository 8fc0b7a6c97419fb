import { expect } from 'chai';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { conv2dForwardReference } from '../../src/tensor/kernels/reference/conv2d';
import { conv2dGeometry } from '../../src/tensor/kernels/conv2d-geometry';
import { signOf } from '../../src/tensor/kernels/elementwise';
import { batchNorm } from '../../src/tensor/ops/normalization';
import { prelu } from '../../src/tensor/ops/activation';
import { packActivations, packWeights } from '../../src/binary/pack';
import { batchNormEpilogue } from '../../src/binary/channel-epilogue';
import { xnorConv2d } from '../../src/binary/xnor-conv';

interface Case {
  n: number; c: number; h: number; w: number; cout: number; k: 1 | 3 | 5; stride: 1 | 2;
}

/** Values with random signs; `zeroRate` of them exactly 0. */
function values(rng: Rng, length: number, zeroRate = 0): Float32Array {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = rng.uniform() < zeroRate ? 0 : rng.normal();
  return a;
}

/** The float convolution of sign(x + bias) by sign(w), zero padding k//2: the oracle. */
function reference(cs: Case, x: Float32Array, bias: Float32Array | null, w: Float32Array): Float32Array {
  const { n, c, h, w: width, cout, k, stride } = cs;
  const sx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) sx[i] = signOf(Math.fround(x[i] + (bias ? bias[Math.floor(i / (h * width)) % c] : 0)));
  const sw = w.map(signOf);
  const g = conv2dGeometry([n, c, h, width], [cout, c, k, k], { stride: [stride, stride], padding: [k >> 1, k >> 1], dilation: [1, 1], groups: 1 });
  const out = new Float32Array(n * cout * g.outH * g.outW);
  conv2dForwardReference(sx, sw, null, g, out);
  return out;
}

function packed(cs: Case, x: Float32Array, bias: Float32Array | null, w: Float32Array, out: Float32Array): void {
  const input = packActivations(x, [cs.n, cs.c, cs.h, cs.w], cs.k >> 1, bias);
  xnorConv2d(input, packWeights(w, [cs.cout, cs.c, cs.k, cs.k]), cs.stride, out);
}

function expectEqual(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** BatchNorm (evaluation) then PReLU by the float ops, on the raw convolution: the fused epilogue's oracle. */
function normalizedReference(cs: Case, raw: Float32Array, p: { mean: Float32Array; variance: Float32Array; weight: Float32Array; bias: Float32Array; slope: Float32Array }): Float32Array {
  const t4 = (d: Float32Array) => new Tensor(d, [cs.cout]);
  const shape = [cs.n, cs.cout, raw.length / (cs.n * cs.cout), 1];
  const bn = batchNorm(new Tensor(raw, shape), t4(p.weight), t4(p.bias), t4(p.mean), t4(p.variance), { training: false, momentum: 0.1, eps: 1e-5 });
  return prelu(bn, t4(p.slope)).data;
}

function randomNorm(rng: Rng, cout: number): { mean: Float32Array; variance: Float32Array; weight: Float32Array; bias: Float32Array; slope: Float32Array } {
  return {
    mean: values(rng, cout), variance: values(rng, cout).map((v) => v * v + 0.1),
    weight: values(rng, cout), bias: values(rng, cout), slope: values(rng, cout),
  };
}

function randomCase(rng: Rng): Case {
  const pick = <T>(list: readonly T[]): T => list[rng.int(list.length)];
  return {
    n: 1 + rng.int(3),
    c: pick([1, 3, 17, 31, 32, 33, 63, 64, 65, 96, 100, 130, 160]),
    h: 1 + rng.int(9),
    w: 1 + rng.int(9),
    cout: 1 + rng.int(19),
    k: pick([1, 3, 3, 5] as const),
    stride: pick([1, 2] as const),
  };
}

const label = (cs: Case): string => `[${cs.n}, ${cs.c}, ${cs.h}, ${cs.w}] * ${cs.cout}x${cs.c}x${cs.k}x${cs.k} stride ${cs.stride}`;

describe('binary/xnor-conv', () => {
  it('equals the float convolution of the signs on 200 random shapes, every element', () => {
    const rng = new Rng('xnor-random');
    for (let t = 0; t < 200; t++) {
      const cs = randomCase(rng);
      const x = values(rng, cs.n * cs.c * cs.h * cs.w);
      const bias = rng.uniform() < 0.5 ? values(rng, cs.c) : null;
      const w = values(rng, cs.cout * cs.c * cs.k * cs.k);
      const want = reference(cs, x, bias, w);
      const got = new Float32Array(want.length).fill(NaN);
      packed(cs, x, bias, w, got);
      expectEqual(got, want, label(cs));
    }
  });

  it('covers every path of the kernel: 3x3 full adder, 1x1 and 5x5 with an odd last word, partial blocks, with and without BatchNorm + PReLU', () => {
    // Words per pixel 1-7 (odd and even: the general path takes two words a step), output
    // channels around the block of 8, pixel counts not a multiple of 4, stride 2, batch 2.
    const rng = new Rng('xnor-paths');
    for (const k of [1, 3, 5] as const) for (const c of [32, 33, 64, 96, 100, 160, 224]) for (const cout of [7, 8, 9, 16, 17]) {
      const cs: Case = { n: 1 + rng.int(2), c, h: 1 + rng.int(11), w: 1 + rng.int(11), cout, k, stride: rng.uniform() < 0.3 ? 2 : 1 };
      const x = values(rng, cs.n * cs.c * cs.h * cs.w);
      const w = values(rng, cs.cout * cs.c * cs.k * cs.k);
      const raw = reference(cs, x, null, w);
      const input = packActivations(x, [cs.n, cs.c, cs.h, cs.w], cs.k >> 1);
      const weights = packWeights(w, [cs.cout, cs.c, cs.k, cs.k]);
      const got = new Float32Array(raw.length).fill(NaN);
      xnorConv2d(input, weights, cs.stride, got);
      expectEqual(got, raw, label(cs));
      const norm = randomNorm(rng, cs.cout);
      const fused = new Float32Array(raw.length).fill(NaN);
      xnorConv2d(input, weights, cs.stride, fused, batchNormEpilogue(norm.mean, norm.variance, norm.weight, norm.bias, 1e-5, norm.slope));
      expectEqual(fused, normalizedReference(cs, raw, norm), `${label(cs)}, BatchNorm + PReLU`);
    }
  });

  it('covers the BNext shapes of the benchmark (C a multiple of 32, stride 2, batch 8)', () => {
    const rng = new Rng('xnor-bnext');
    const cases: Case[] = [
      { n: 1, c: 128, h: 14, w: 14, cout: 128, k: 3, stride: 1 },
      { n: 1, c: 64, h: 15, w: 13, cout: 64, k: 3, stride: 2 },
      { n: 2, c: 96, h: 7, w: 7, cout: 96, k: 1, stride: 1 },
      { n: 8, c: 64, h: 8, w: 8, cout: 64, k: 3, stride: 1 },
      { n: 1, c: 256, h: 6, w: 6, cout: 12, k: 1, stride: 2 },
    ];
    for (const cs of cases) {
      const x = values(rng, cs.n * cs.c * cs.h * cs.w);
      const w = values(rng, cs.cout * cs.c * cs.k * cs.k);
      const want = reference(cs, x, null, w);
      const got = new Float32Array(want.length);
      packed(cs, x, null, w, got);
      expectEqual(got, want, label(cs));
    }
  });

  it('stays exact with sign(0) = 0 in inputs, weights or both (50 random shapes each)', () => {
    const rng = new Rng('xnor-zeros');
    for (const [inputZeros, weightZeros] of [[0.2, 0], [0, 0.2], [0.3, 0.3], [1, 0], [0, 1]]) {
      for (let t = 0; t < 50; t++) {
        const cs = randomCase(rng);
        const x = values(rng, cs.n * cs.c * cs.h * cs.w, inputZeros);
        const w = values(rng, cs.cout * cs.c * cs.k * cs.k, weightZeros);
        const want = reference(cs, x, null, w);
        const got = new Float32Array(want.length);
        packed(cs, x, null, w, got);
        expectEqual(got, want, `${label(cs)}, zero rates ${inputZeros}/${weightZeros}`);
      }
    }
  });

  it('counts x + bias = 0 as a zero, not as +1', () => {
    const x = new Float32Array([0.5, -0.25, 1, 2]);
    const bias = new Float32Array([-0.5]);
    const cs: Case = { n: 1, c: 1, h: 2, w: 2, cout: 1, k: 1, stride: 1 };
    const w = new Float32Array([-1]);
    const got = new Float32Array(4);
    packed(cs, x, bias, w, got);
    expectEqual(got, new Float32Array([0, 1, -1, -1]), 'x + bias');
  });

  it('fuses BatchNorm and PReLU into the store without changing a bit', () => {
    const rng = new Rng('xnor-epilogue');
    for (let t = 0; t < 30; t++) {
      const cs = randomCase(rng);
      const x = values(rng, cs.n * cs.c * cs.h * cs.w, t % 3 === 0 ? 0.2 : 0);
      const w = values(rng, cs.cout * cs.c * cs.k * cs.k);
      const raw = reference(cs, x, null, w);
      const norm = randomNorm(rng, cs.cout);
      const got = new Float32Array(raw.length);
      const input = packActivations(x, [cs.n, cs.c, cs.h, cs.w], cs.k >> 1);
      xnorConv2d(input, packWeights(w, [cs.cout, cs.c, cs.k, cs.k]), cs.stride, got, batchNormEpilogue(norm.mean, norm.variance, norm.weight, norm.bias, 1e-5, norm.slope));
      expectEqual(got, normalizedReference(cs, raw, norm), label(cs));
    }
  });

  it('refuses mismatched channels, a wrong border and a kernel larger than the input', () => {
    const x = new Float32Array(2 * 4 * 4);
    const w3 = packWeights(new Float32Array(3 * 2 * 9).fill(1), [3, 2, 3, 3]);
    const out = new Float32Array(100);
    expect(() => xnorConv2d(packActivations(x, [1, 2, 4, 4], 0), w3, 1, out)).to.throw(/border of 0, the kernel needs 1/);
    expect(() => xnorConv2d(packActivations(new Float32Array(3 * 16), [1, 3, 4, 4], 1), w3, 1, out)).to.throw(/3 channels, the weight expects 2/);
    expect(() => xnorConv2d(packActivations(x, [1, 2, 4, 4], 1), w3, 1, new Float32Array(5))).to.throw(/output buffer has 5 values/);
  });
});
