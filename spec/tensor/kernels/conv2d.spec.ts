import { expect } from 'chai';
import { Rng } from '../../../src/tensor/random';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward } from '../../../src/tensor/kernels/conv2d';
import {
  conv2dBackwardFilterReference, conv2dBackwardInputReference, conv2dForwardReference,
} from '../../../src/tensor/kernels/reference/conv2d';
import { conv2dGeometry, type Conv2dParams } from '../../../src/tensor/kernels/conv2d-geometry';
import { expectClose, randomArray } from './helpers';

interface Case {
  n: number; cIn: number; h: number; w: number; cOut: number; k: number | [number, number];
  stride?: number | [number, number]; padding?: number | [number, number]; dilation?: number | [number, number];
  groups?: number; bias?: boolean;
}

function pair(v: number | [number, number] | undefined, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : v;
}

function describeCase(c: Case): string {
  return JSON.stringify(c);
}

/** Runs forward and both gradients through the fast kernels and the direct loops and compares them. */
function check(rng: Rng, c: Case): void {
  const [kh, kw] = pair(c.k, 1);
  const groups = c.groups ?? 1;
  const params: Conv2dParams = { stride: pair(c.stride, 1), padding: pair(c.padding, 0), dilation: pair(c.dilation, 1), groups };
  const xShape = [c.n, c.cIn, c.h, c.w];
  const wShape = [c.cOut, c.cIn / groups, kh, kw];
  const g = conv2dGeometry(xShape, wShape, params);
  const x = randomArray(rng, c.n * c.cIn * c.h * c.w);
  const w = randomArray(rng, c.cOut * (c.cIn / groups) * kh * kw);
  const bias = c.bias ? randomArray(rng, c.cOut) : null;
  const outSize = c.n * c.cOut * g.outH * g.outW;
  const what = describeCase(c);

  // Outputs start as garbage: every kernel must overwrite, not add.
  const out = randomArray(rng, outSize);
  const outRef = new Float32Array(outSize);
  conv2dForward(x, w, bias, g, out);
  conv2dForwardReference(x, w, bias, g, outRef);
  expectClose(out, outRef, `forward ${what}`);

  const dy = randomArray(rng, outSize);
  const dx = randomArray(rng, x.length);
  const dxRef = new Float32Array(x.length);
  conv2dBackwardInput(dy, w, g, dx);
  conv2dBackwardInputReference(dy, w, g, dxRef);
  expectClose(dx, dxRef, `backward input ${what}`);

  const dw = randomArray(rng, w.length);
  const dwRef = new Float32Array(w.length);
  conv2dBackwardFilter(dy, x, g, dw);
  conv2dBackwardFilterReference(dy, x, g, dwRef);
  expectClose(dw, dwRef, `backward filter ${what}`);
}

describe('conv2d kernels', () => {
  it('compute a known 3x3 convolution with padding', () => {
    // All-ones 3x3 kernel over a 3x3 ramp with padding 1: each output sums its neighbourhood.
    const g = conv2dGeometry([1, 1, 3, 3], [1, 1, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const out = new Float32Array(9);
    conv2dForward(x, new Float32Array(9).fill(1), Float32Array.of(0.5), g, out);
    expect(Array.from(out)).to.deep.equal([12.5, 21.5, 16.5, 27.5, 45.5, 33.5, 24.5, 39.5, 28.5]);
  });

  it('match the direct loops for 1x1, 3x3 and 7x7 kernels, with and without bias, batch > 1', () => {
    const rng = new Rng('conv-kernels');
    const cases: Case[] = [
      { n: 2, cIn: 5, h: 6, w: 7, cOut: 9, k: 1 },
      { n: 2, cIn: 5, h: 6, w: 7, cOut: 9, k: 1, bias: true },
      { n: 3, cIn: 4, h: 8, w: 5, cOut: 6, k: 3, padding: 1, bias: true },
      { n: 2, cIn: 3, h: 9, w: 10, cOut: 5, k: 3 },
      { n: 2, cIn: 3, h: 12, w: 11, cOut: 4, k: 7, padding: 3, bias: true },
      { n: 1, cIn: 2, h: 7, w: 7, cOut: 3, k: 7 },
      // 1x1 on 1x1 maps (squeeze-and-expand): the dense-layer path, with stride too.
      { n: 5, cIn: 12, h: 1, w: 1, cOut: 3, k: 1, bias: true },
      { n: 9, cIn: 2, h: 1, w: 1, cOut: 17, k: 1, stride: 2 },
    ];
    for (const c of cases) check(rng, c);
  });

  it('match the direct loops with stride 2, padding, dilation 2 and groups', () => {
    const rng = new Rng('conv-params');
    const cases: Case[] = [
      { n: 2, cIn: 4, h: 9, w: 8, cOut: 6, k: 3, stride: 2, padding: 1, bias: true },
      { n: 2, cIn: 4, h: 9, w: 8, cOut: 6, k: 1, stride: 2 },
      { n: 2, cIn: 3, h: 10, w: 9, cOut: 5, k: 3, dilation: 2, padding: 2 },
      { n: 2, cIn: 3, h: 13, w: 12, cOut: 4, k: 7, stride: 2, padding: 3, bias: true },
      { n: 2, cIn: 6, h: 7, w: 6, cOut: 9, k: 3, padding: 1, groups: 3, bias: true },
      { n: 2, cIn: 8, h: 6, w: 6, cOut: 8, k: 3, padding: 1, groups: 8 },
      { n: 2, cIn: 4, h: 5, w: 5, cOut: 6, k: 1, groups: 2, bias: true },
      { n: 1, cIn: 4, h: 11, w: 9, cOut: 4, k: [3, 5], stride: [2, 1], padding: [0, 2], dilation: [1, 2], groups: 2 },
      { n: 2, cIn: 3, h: 5, w: 6, cOut: 2, k: 3, padding: 4, stride: 3 },
      { n: 1, cIn: 2, h: 1, w: 1, cOut: 3, k: 3, padding: 1, bias: true },
    ];
    for (const c of cases) check(rng, c);
  });

  it('match the direct loops on random geometries', () => {
    const rng = new Rng('conv-random');
    for (let t = 0; t < 25; t++) {
      const groups = 1 + rng.int(3);
      const k = 1 + rng.int(4);
      const dilation = 1 + rng.int(2);
      const padding = rng.int(k + 1);
      const span = dilation * (k - 1) + 1;
      const c: Case = {
        n: 1 + rng.int(3), cIn: groups * (1 + rng.int(4)), cOut: groups * (1 + rng.int(5)),
        h: Math.max(1, span - 2 * padding) + rng.int(8), w: Math.max(1, span - 2 * padding) + rng.int(8),
        k, stride: 1 + rng.int(3), padding, dilation, groups, bias: rng.uniform() < 0.5,
      };
      check(rng, c);
    }
  });

  it('process large images in bands of output rows', () => {
    // 64 input channels * 9 taps * 64 x 64 outputs exceeds the column budget, so bands are used.
    check(new Rng('conv-bands'), { n: 1, cIn: 64, h: 64, w: 64, cOut: 3, k: 3, padding: 1, bias: true });
  });

  it('reject mismatched shapes with a clear error', () => {
    const p: Conv2dParams = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
    expect(() => conv2dGeometry([1, 3, 5, 5], [4, 2, 3, 3], p)).to.throw(/expects 2 input channels/);
    expect(() => conv2dGeometry([1, 3, 2, 2], [4, 3, 3, 3], p)).to.throw(/smaller than the dilated kernel/);
    expect(() => conv2dGeometry([1, 4, 5, 5], [4, 2, 3, 3], { ...p, groups: 3 })).to.throw(/groups=3/);
  });
});
