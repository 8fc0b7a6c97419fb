/**
 * Average pooling: the 2x2 stride-2 fast path of pool2d.ts gives the bits of the plain loops of
 * reference/pool2d.ts (the same four values summed in the same order) on the grid's maps, odd
 * sizes included; the loops themselves follow PyTorch's divisor rule.
 */
import { expect } from 'chai';
import { Rng } from '../../../../src/tensor/random';
import { avgPool2dBackward, avgPool2dForward } from '../../../../src/tensor/kernels/pool2d';
import { poolGeometry } from '../../../../src/tensor/kernels/pool2d-geometry';
import { avgPool2dBackwardReference, avgPool2dForwardReference } from '../../../../src/tensor/kernels/reference/pool2d';
import { withKernels } from '../../../../src/tensor/kernels/kernel-choice';
import { expectSameBits, GRID_CHANNELS, gridValues } from '../../../helpers/kernel-grid';

describe('reference/pool2d', () => {
  it('divides by the whole window with countIncludePad, by the input positions without', () => {
    // A 2x2 input, 2x2 window, stride 1, padding 1: the corner window holds one input value.
    const g = poolGeometry([1, 1, 2, 2], [2, 2], [1, 1], [1, 1], 'avgPool2d');
    const x = Float32Array.of(4, 8, 12, 16);
    const out = new Float32Array(9);
    avgPool2dForwardReference(x, g, true, out);
    expect(out[0]).to.equal(1);
    expect(out[4]).to.equal(10);
    avgPool2dForwardReference(x, g, false, out);
    expect(out[0]).to.equal(4);
    const dx = new Float32Array(4).fill(NaN);
    avgPool2dBackwardReference(new Float32Array(9).fill(1), g, false, dx);
    // Each input lies in four windows: one of 1 input position, two of 2, one of 4.
    expect([...dx]).to.deep.equal([1 + 0.5 + 0.5 + 0.25, 1 + 0.5 + 0.5 + 0.25, 1 + 0.5 + 0.5 + 0.25, 1 + 0.5 + 0.5 + 0.25]);
  });

  it('the 2x2 stride-2 fast path gives its bits, forward and backward, odd sizes and batch > 1 included', () => {
    const rng = new Rng('pool-grid');
    for (const c of GRID_CHANNELS) for (const [h, w] of [[2, 2], [5, 7], [8, 8], [9, 6]]) for (const n of [1, 3]) {
      const g = poolGeometry([n, c, h, w], [2, 2], [2, 2], [0, 0], 'avgPool2d');
      const x = gridValues(rng, n * c * h * w, 0.2);
      const dy = gridValues(rng, n * c * g.outH * g.outW);
      const what = `[${n}, ${c}, ${h}, ${w}]`;
      const fast = new Float32Array(dy.length).fill(NaN);
      const ref = new Float32Array(dy.length);
      withKernels('fast', () => avgPool2dForward(x, g, true, fast));
      avgPool2dForwardReference(x, g, true, ref);
      expectSameBits(fast, ref, `forward ${what}`);
      const dx = new Float32Array(x.length).fill(NaN);
      const dxRef = new Float32Array(x.length);
      withKernels('fast', () => avgPool2dBackward(dy, g, true, dx));
      avgPool2dBackwardReference(dy, g, true, dxRef);
      expectSameBits(dx, dxRef, `backward ${what}`);
    }
  });
});
