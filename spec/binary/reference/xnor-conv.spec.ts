/**
 * The XNOR convolution: the fast path of xnor-conv.ts (4x8 register blocks, border correction,
 * 16-bit table, separate zero pass, fused epilogue) gives the integers of reference/xnor-conv.ts
 * bit for bit on the kernel grid, with and without BatchNorm + PReLU; the reference itself
 * equals the float convolution of the signs (sign(0) = 0) computed by the float reference.
 */
import { Rng } from '../../../src/tensor/random';
import { packActivations, packWeights } from '../../../src/binary/pack';
import { xnorConv2d } from '../../../src/binary/xnor-conv';
import { xnorGeometry } from '../../../src/binary/xnor-geometry';
import { xnorConv2dReference } from '../../../src/binary/reference/xnor-conv';
import { batchNormEpilogue } from '../../../src/binary/channel-epilogue';
import { withKernels } from '../../../src/tensor/kernels/kernel-choice';
import { conv2dGeometry } from '../../../src/tensor/kernels/conv2d-geometry';
import { conv2dForwardReference } from '../../../src/tensor/kernels/reference/conv2d';
import { signOf } from '../../../src/tensor/kernels/elementwise';
import { describeGridCase, expectSameBits, type GridCase, gridValues, kernelGrid } from '../../helpers/kernel-grid';

/** A grid case's random values (exact zeros at the case's rate), packed, and the geometry. */
function packedCase(rng: Rng, c: GridCase) {
  const x = gridValues(rng, c.n * c.cIn * c.h * c.w, c.zeros);
  const w = gridValues(rng, c.cOut * c.cIn * c.k * c.k, c.zeros);
  const input = packActivations(x, [c.n, c.cIn, c.h, c.w], c.k >> 1);
  const weights = packWeights(w, [c.cOut, c.cIn, c.k, c.k]);
  return { x, w, input, weights, g: xnorGeometry(input, weights, c.stride) };
}

describe('reference/xnor-conv', () => {
  it('equals the float convolution of the signs on the grid, zeros included', () => {
    const rng = new Rng('xnor-reference');
    for (const c of kernelGrid()) {
      const pad = c.k >> 1;
      const { x, w, input, weights, g } = packedCase(rng, c);
      const got = new Float32Array(c.n * c.cOut * g.outHeight * g.outWidth).fill(NaN);
      xnorConv2dReference(input, weights, g, got, null);
      const fg = conv2dGeometry([c.n, c.cIn, c.h, c.w], [c.cOut, c.cIn, c.k, c.k], { stride: [c.stride, c.stride], padding: [pad, pad], dilation: [1, 1], groups: 1 });
      const want = new Float32Array(got.length);
      conv2dForwardReference(x.map(signOf), w.map(signOf), null, fg, want);
      expectSameBits(got, want, describeGridCase(c));
    }
  });

  it('the fast kernel gives its integers on the grid, bit for bit, with and without BatchNorm + PReLU', () => {
    const rng = new Rng('xnor-grid');
    for (const c of kernelGrid()) {
      const { input, weights, g } = packedCase(rng, c);
      const size = c.n * c.cOut * g.outHeight * g.outWidth;
      const variance = gridValues(rng, c.cOut).map((v) => v * v + 0.1);
      const epilogue = batchNormEpilogue(gridValues(rng, c.cOut), variance, gridValues(rng, c.cOut), gridValues(rng, c.cOut), 1e-5, gridValues(rng, c.cOut));
      for (const e of [null, epilogue]) {
        const want = new Float32Array(size);
        xnorConv2dReference(input, weights, g, want, e);
        const got = new Float32Array(size).fill(NaN);
        withKernels('fast', () => xnorConv2d(input, weights, c.stride, got, e));
        expectSameBits(got, want, `${describeGridCase(c)}${e ? ', BatchNorm + PReLU' : ''}`);
      }
    }
  });
});
