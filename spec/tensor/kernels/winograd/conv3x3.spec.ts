import { expect } from 'chai';
import { Rng } from '../../../../src/tensor/random';
import { conv2dBackwardFilterReference, conv2dBackwardInputReference, conv2dForwardReference } from '../../../../src/tensor/kernels/reference/conv2d';
import { conv2dGeometry } from '../../../../src/tensor/kernels/conv2d-geometry';
import { stridedTilingFor, tilingFor, winogradApplies, winogradBackwardFilter, winogradBackwardInput, winogradForward } from '../../../../src/tensor/kernels/winograd/conv3x3';
import { expectClose, randomArray } from '../helpers';

interface Case { n: number; cIn: number; cOut: number; h: number; w: number; pad: number; stride?: number; bias?: boolean; ternary?: boolean }

/** Forward and both gradients by Winograd against the direct loops. */
function check(rng: Rng, c: Case): void {
  const stride = c.stride ?? 1;
  const g = conv2dGeometry([c.n, c.cIn, c.h, c.w], [c.cOut, c.cIn, 3, 3], { stride: [stride, stride], padding: [c.pad, c.pad], dilation: [1, 1], groups: 1 });
  expect(winogradApplies(g), `applies to ${JSON.stringify(c)}`).to.equal(true);
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

describe('winograd F(4x4, 3x3), F(2x2, 3x3) and the 2x2-map form', () => {
  it('takes the 2x2-map form on 2x2 maps with padding 1, F(4x4) from 3x3 outputs up, F(2x2) below', () => {
    // (outH, outW, inH, inW, padH, padW)
    expect(tilingFor(2, 2, 2, 2, 1, 1).alpha).to.equal(3);
    expect(tilingFor(2, 2, 4, 4, 0, 0).alpha).to.equal(4);
    expect(tilingFor(2, 2, 2, 2, 2, 1).alpha).to.equal(4);
    expect(tilingFor(1, 5, 1, 5, 1, 1).alpha).to.equal(4);
    expect(tilingFor(3, 3, 3, 3, 1, 1).alpha).to.equal(6);
    expect(tilingFor(4, 4, 4, 4, 1, 1).alpha).to.equal(6);
    expect(tilingFor(32, 32, 32, 32, 1, 1).alpha).to.equal(6);
    // Stride 2: 4x4 tiles from 3x3 outputs up, 2x2 tiles below.
    expect(stridedTilingFor(2, 2).alpha).to.equal(5);
    expect(stridedTilingFor(3, 3).alpha).to.equal(9);
    expect(stridedTilingFor(16, 16).alpha).to.equal(9);
  });

  it('matches the direct loops on even and odd sizes, paddings 0 to 2, with and without bias', () => {
    const rng = new Rng('winograd');
    const cases: Case[] = [
      { n: 3, cIn: 8, cOut: 8, h: 4, w: 4, pad: 1, ternary: true },
      { n: 2, cIn: 16, cOut: 8, h: 2, w: 2, pad: 1, bias: true },
      { n: 2, cIn: 8, cOut: 12, h: 7, w: 5, pad: 1, bias: true },
      { n: 1, cIn: 9, cOut: 8, h: 6, w: 9, pad: 0 },
      { n: 2, cIn: 8, cOut: 9, h: 5, w: 6, pad: 2, ternary: true },
      { n: 1, cIn: 8, cOut: 8, h: 3, w: 3, pad: 0 },
      { n: 3, cIn: 3, cOut: 5, h: 9, w: 10, pad: 1, bias: true },
      { n: 2, cIn: 2, cOut: 17, h: 12, w: 4, pad: 1 },
      { n: 5, cIn: 20, cOut: 2, h: 2, w: 3, pad: 1, ternary: true },
      { n: 3, cIn: 11, cOut: 9, h: 2, w: 2, pad: 1, bias: true },
      { n: 2, cIn: 4, cOut: 16, h: 2, w: 2, pad: 2 },
    ];
    for (const c of cases) check(rng, c);
  });

  it('computes stride-2 convolutions (4x4 and 2x2 output tiles) on even and odd sizes, paddings 0 to 2', () => {
    const rng = new Rng('winograd-stride-2');
    const cases: Case[] = [
      { n: 3, cIn: 8, cOut: 8, h: 8, w: 8, pad: 1, stride: 2, ternary: true },
      { n: 2, cIn: 5, cOut: 11, h: 16, w: 10, pad: 1, stride: 2, bias: true },
      { n: 2, cIn: 9, cOut: 4, h: 9, w: 13, pad: 1, stride: 2 },
      { n: 1, cIn: 3, cOut: 8, h: 13, w: 12, pad: 0, stride: 2, bias: true },
      { n: 1, cIn: 6, cOut: 8, h: 19, w: 17, pad: 0, stride: 2 },
      { n: 2, cIn: 8, cOut: 3, h: 13, w: 14, pad: 2, stride: 2, ternary: true },
      { n: 2, cIn: 5, cOut: 6, h: 9, w: 10, pad: 2, stride: 2 },
      { n: 3, cIn: 16, cOut: 9, h: 4, w: 4, pad: 1, stride: 2, bias: true },
      { n: 2, cIn: 7, cOut: 8, h: 5, w: 4, pad: 1, stride: 2, ternary: true },
      { n: 2, cIn: 4, cOut: 5, h: 6, w: 5, pad: 0, stride: 2 },
    ];
    for (const c of cases) check(rng, c);
  });

  it('goes through several chunks of images when a batch exceeds the scratch budget', () => {
    // 36 positions x 16 channels x 16 x 16 tiles = 147K values per image: one image per chunk.
    check(new Rng('winograd-chunks'), { n: 3, cIn: 16, cOut: 8, h: 64, w: 64, pad: 1, ternary: true });
    // 36 x 8 x 8 x 8 = 18K per image, 14 at most: 30 images go in three chunks of 10.
    check(new Rng('winograd-chunks-3'), { n: 30, cIn: 8, cOut: 5, h: 32, w: 30, pad: 1 });
    // Stride 2: 81 x 16 x 8 x 8 = 83K per image, three at most: 14 images in chunks of 3, 3, 3, 3, 2.
    check(new Rng('winograd-chunks-2'), { n: 14, cIn: 16, cOut: 8, h: 64, w: 64, pad: 1, stride: 2 });
  });

  it('is as close to the exact convolution as one float32 rounding of it, with either tiling', () => {
    // BNext's case: signs in, small latent weights, many channels. Intermediates in float64 leave
    // only the final rounding (F(4x4) with float32 intermediates was 40x further off).
    const rng = new Rng('winograd-precision');
    for (const [channels, size, stride] of [[64, 4, 1], [32, 8, 1], [64, 2, 1], [32, 16, 2], [64, 4, 2]]) {
      const n = 2;
      const x = new Float32Array(n * channels * size * size).map(() => Math.sign(rng.uniform() - 0.5));
      const w = new Float32Array(channels * channels * 9).map(() => (rng.uniform() - 0.5) * 0.002);
      const g = conv2dGeometry([n, channels, size, size], [channels, channels, 3, 3], { stride: [stride, stride], padding: [1, 1], dilation: [1, 1], groups: 1 });
      const exact = new Float64Array(n * channels * g.outH * g.outW);
      conv2dForwardReference(x, w, null, g, exact);
      const out = new Float32Array(exact.length);
      winogradForward(x, w, null, g, out);
      let scale = 0;
      let error = 0;
      let rounding = 0;
      for (let i = 0; i < exact.length; i++) {
        scale = Math.max(scale, Math.abs(exact[i]));
        error = Math.max(error, Math.abs(out[i] - exact[i]));
        rounding = Math.max(rounding, Math.abs(Math.fround(exact[i]) - exact[i]));
      }
      expect(error / scale, `${channels} channels, ${size}x${size}, stride ${stride}`).to.be.at.most((rounding / scale) * 1.01 + 1e-12);
    }
  });

  it('applies to 3x3 undilated ungrouped convolutions with at least 2 channels each way, stride 1 or 2 (outputs from 4x4)', () => {
    const geometry = (cIn: number, cOut: number, o: { stride?: number; pad?: number; dil?: number; groups?: number; k?: number } = {}) =>
      conv2dGeometry([2, cIn, 8, 8], [cOut, cIn / (o.groups ?? 1), o.k ?? 3, o.k ?? 3], {
        stride: [o.stride ?? 1, o.stride ?? 1], padding: [o.pad ?? 1, o.pad ?? 1], dilation: [o.dil ?? 1, o.dil ?? 1], groups: o.groups ?? 1,
      });
    expect(winogradApplies(geometry(8, 8))).to.equal(true);
    expect(winogradApplies(geometry(3, 8))).to.equal(true);
    expect(winogradApplies(geometry(1, 8))).to.equal(false);
    expect(winogradApplies(geometry(8, 1))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { stride: 2 }))).to.equal(true);
    // 8x8 input, no padding: 3x3 outputs, where a 4x4 tile costs as much as the direct sum.
    expect(winogradApplies(geometry(8, 8, { stride: 2, pad: 0 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { stride: 3 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { dil: 2, pad: 2 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { groups: 2 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { k: 1, pad: 0 }))).to.equal(false);
    expect(winogradApplies(geometry(8, 8, { pad: 3 }))).to.equal(false);
  });
});
