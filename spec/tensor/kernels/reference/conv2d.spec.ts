/**
 * The fast float convolution (conv2d.ts: Winograd, dense 1x1, im2col + GEMM) against the direct
 * loops of reference/conv2d.ts over the kernel grid (spec/helpers/kernel-grid.ts): forward and
 * both gradients, each element within FLOAT_ROUNDINGS float32 roundings of the magnitude it sums.
 */
import { expect } from 'chai';
import { Rng } from '../../../../src/tensor/random';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward } from '../../../../src/tensor/kernels/conv2d';
import { conv2dGeometry } from '../../../../src/tensor/kernels/conv2d-geometry';
import {
  conv2dBackwardFilterReference, conv2dBackwardInputReference, conv2dForwardReference, eachTap,
} from '../../../../src/tensor/kernels/reference/conv2d';
import { withKernels } from '../../../../src/tensor/kernels/kernel-choice';
import { absolute, describeGridCase, FLOAT_ROUNDINGS, gridValues, kernelGrid, RoundingMeter } from '../../../helpers/kernel-grid';

describe('reference/conv2d', () => {
  it('lists the taps of a strided, padded 3x3 convolution: inside the image only, in weight order', () => {
    // One 3x3 input, one 3x3 filter, stride 2, padding 1: a 2x2 output; output (0, 0) reads the
    // input's top-left 2x2 with the filter's bottom-right 2x2.
    const g = conv2dGeometry([1, 1, 3, 3], [1, 1, 3, 3], { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 });
    const taps: [number, number, number][] = [];
    eachTap(g, (o, i, k) => taps.push([o, i, k]));
    expect(taps.filter(([o]) => o === 0)).to.deep.equal([[0, 0, 4], [0, 1, 5], [0, 3, 7], [0, 4, 8]]);
    expect(taps.filter(([o]) => o === 3)).to.deep.equal([[3, 4, 0], [3, 5, 1], [3, 7, 3], [3, 8, 4]]);
    expect(taps).to.have.length(16);
  });

  it('computes a grouped convolution and its gradients by hand', () => {
    // Two groups of one channel each, 1x1 kernels: out = w·x per channel, dx = w·dy, dw = Σ dy·x.
    const g = conv2dGeometry([1, 2, 1, 2], [2, 1, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 });
    const x = Float32Array.of(1, 2, 3, 4);
    const w = Float32Array.of(10, -1);
    const out = new Float32Array(4);
    conv2dForwardReference(x, w, Float32Array.of(0.5, 0), g, out);
    expect([...out]).to.deep.equal([10.5, 20.5, -3, -4]);
    const dy = Float32Array.of(1, 1, 2, 0);
    const dx = new Float32Array(4).fill(NaN);
    conv2dBackwardInputReference(dy, w, g, dx);
    expect([...dx]).to.deep.equal([10, 10, -2, 0]);
    const dw = new Float32Array(2).fill(NaN);
    conv2dBackwardFilterReference(dy, x, g, dw);
    expect([...dw]).to.deep.equal([3, 6]);
  });

  it(`the fast kernels agree with it on the grid within ${FLOAT_ROUNDINGS} roundings of each element's magnitude`, () => {
    const rng = new Rng('conv-grid');
    const meter = new RoundingMeter();
    for (const c of kernelGrid()) {
      const pad = c.k >> 1;
      const g = conv2dGeometry([c.n, c.cIn, c.h, c.w], [c.cOut, c.cIn, c.k, c.k], { stride: [c.stride, c.stride], padding: [pad, pad], dilation: [1, 1], groups: 1 });
      const x = gridValues(rng, c.n * c.cIn * c.h * c.w, c.zeros);
      const w = gridValues(rng, c.cOut * c.cIn * c.k * c.k, c.zeros);
      const bias = gridValues(rng, c.cOut);
      const outSize = c.n * c.cOut * g.outH * g.outW;
      const dy = gridValues(rng, outSize, c.zeros);

      // Each of the three: the fast kernel, the reference, and the reference on magnitudes.
      const compare = (what: string, size: number, fast: (out: Float32Array) => void, ref: (out: Float32Array, abs: boolean) => void): void => {
        const got = new Float32Array(size).fill(NaN);
        const want = new Float32Array(size);
        const magnitude = new Float32Array(size);
        withKernels('fast', () => fast(got));
        ref(want, false);
        ref(magnitude, true);
        meter.check(got, want, magnitude, `${what} ${describeGridCase(c)}`);
      };
      const m = (a: Float32Array, abs: boolean): Float32Array => (abs ? absolute(a) : a);
      compare('forward', outSize, (out) => conv2dForward(x, w, bias, g, out), (out, abs) => conv2dForwardReference(m(x, abs), m(w, abs), m(bias, abs), g, out));
      compare('input gradient', x.length, (dx) => conv2dBackwardInput(dy, w, g, dx), (dx, abs) => conv2dBackwardInputReference(m(dy, abs), m(w, abs), g, dx));
      compare('filter gradient', w.length, (dw) => conv2dBackwardFilter(dy, x, g, dw), (dw, abs) => conv2dBackwardFilterReference(m(dy, abs), m(x, abs), g, dw));
    }
    if (process.env.KERNEL_REPORT) console.log(`conv2d: worst ${meter.worst.toFixed(2)} roundings`);
  });
});
