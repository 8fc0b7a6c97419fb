import { expect } from 'chai';
import { Rng } from '../../../src/tensor/random';
import {
  conv2dBackwardFilterReference, conv2dBackwardInputReference, conv2dForwardReference, conv2dGeometry,
} from '../../../src/tensor/kernels/conv2d';
import { winogradApplies, winogradBackwardFilter, winogradBackwardInput, winogradForward } from '../../../src/tensor/kernels/winograd';
import { expectClose, randomArray } from './helpers';

interface Case { n: number; cIn: number; cOut: number; h: number; w: number; pad: number; bias?: boolean; ternary?: boolean }

/** Forward and both gradients by F(2x2, 3x3) against the direct loops. */
function check(rng: Rng, c: Case): void {
  const g = conv2dGeometry([c.n, c.cIn, c.h, c.w], [c.cOut, c.cIn, 3, 3], { stride: [1, 1], padding: [c.pad, c.pad], dilation: [1, 1], groups: 1 });
  const x = randomArray(rng, c.n * c.cIn * c.h * c.w);
  // BNext convolves sign(x): values in {-1, 0, +1}.
  if (c.ternary) for (let i = 0; i < x.length; i++) x[i] = Math.round(1.4 * x[i]);
  const w = randomArray(rng, c.cOut * c.cIn * 9);
  const bias = c.bias ? randomArray(rng, c.cOut) : null;
  const what = JSON.stringify(c);
  const outSize = c.n * c.cOut * g.outH * g.outW;
  const out = randomArray(rng, outSize);
  const outRef = new Float32Array(outSize);
  winogradForward(x, w, bias, g, out);
  conv2dForwardReference(x, w, bias, g, outRef);
  expectClose(out, outRef, `forward ${what}`);

  const dy = randomArray(rng, outSize);
  const dx = randomArray(rng, x.length);
  const dxRef = new Float32Array(x.length);
  winogradBackwardInput(dy, w, g, dx);
  conv2dBackwardInputReference(dy, w, g, dxRef);
  expectClose(dx, dxRef, `backward input ${what}`);

  const dw = randomArray(rng, w.length);
  const dwRef = new Float32Array(w.length);
  winogradBackwardFilter(dy, x, g, dw);
  conv2dBackwardFilterReference(dy, x, g, dwRef);
  expectClose(dw, dwRef, `backward filter ${what}`);
}

describe('winograd F(2x2, 3x3)', () => {
  it('matches the direct loops on even and odd sizes, paddings 0 to 2, with and without bias', () => {
    const rng = new Rng('winograd');
    const cases: Case[] = [
      { n: 3, cIn: 8, cOut: 8, h: 4, w: 4, pad: 1, ternary: true },
      { n: 2, cIn: 16, cOut: 8, h: 2, w: 2, pad: 1, bias: true },
      { n: 2, cIn: 8, cOut: 12, h: 7, w: 5, pad: 1, bias: true },
      { n: 1, cIn: 9, cOut: 8, h: 6, w: 9, pad: 0 },
      { n: 2, cIn: 8, cOut: 9, h: 5, w: 6, pad: 2, ternary: true },
      { n: 1, cIn: 8, cOut: 8, h: 3, w: 3, pad: 0 },
    ];
    for (const c of cases) check(rng, c);
  });

  it('goes through several chunks of images when a batch exceeds the scratch budget', () => {
    // 16 positions x 16 channels x 32 x 32 tiles = 256K floats per image: four images per chunk.
    check(new Rng('winograd-chunks'), { n: 6, cIn: 16, cOut: 8, h: 64, w: 64, pad: 1, ternary: true });
  });

  it('applies to 3x3 stride-1 undilated ungrouped convolutions with at least 8 channels each way', () => {
    const geometry = (cIn: number, cOut: number, o: { stride?: number; pad?: number; dil?: number; groups?: number; k?: number } = {}) =>
      conv2dGeometry([2, cIn, 8, 8], [cOut, cIn / (o.groups ?? 1), o.k ?? 3, o.k ?? 3], {
        stride: [o.stride ?? 1, o.stride ?? 1], padding: [o.pad ?? 1, o.pad ?? 1], dilation: [o.dil ?? 1, o.dil ?? 1], groups: o.groups ?? 1,
      });
    expect(winogradApplies(geometry(8, 8))).to.equal(true);
    expect(winogradApplies(geometry(3, 8))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { stride: 2 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { dil: 2, pad: 2 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { groups: 2 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { k: 1, pad: 0 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { pad: 3 }))).to.equal(false);
  });
});
