/**
 * The kernel switch: it selects what every fast kernel's entry point runs, restores itself after
 * `withKernels`, refuses unknown names, and in a run under BNEXT_KERNELS it holds the variable's
 * choice (the golden specs run under BNEXT_KERNELS=reference in `npm test`, package.json
 * "test:reference").
 */
import { expect } from 'chai';
import { Rng } from '../../../src/tensor/random';
import {
  kernelChoice, parseKernelChoice, setKernels, usingReferenceKernels, withKernels,
} from '../../../src/tensor/kernels/kernel-choice';
import { conv2dForward } from '../../../src/tensor/kernels/conv2d';
import { conv2dGeometry } from '../../../src/tensor/kernels/conv2d-geometry';
import { conv2dForwardReference } from '../../../src/tensor/kernels/reference/conv2d';
import { gridValues } from '../../helpers/kernel-grid';

describe('kernel-choice', () => {
  it('holds the choice BNEXT_KERNELS names (fast when unset)', () => {
    expect(kernelChoice()).to.equal(parseKernelChoice(process.env.BNEXT_KERNELS, 'BNEXT_KERNELS'));
  });

  it('sends a kernel entry point to its reference, and back, restoring the previous choice', () => {
    // Through im2col + GEMM with a depth of 576 (three depth blocks, each rounded to float32):
    // the fast sums and the reference's, rounded once, differ somewhere.
    const rng = new Rng('kernel-choice');
    const g = conv2dGeometry([2, 64, 8, 8], [16, 64, 3, 3], { stride: [3, 3], padding: [1, 1], dilation: [1, 1], groups: 1 });
    const x = gridValues(rng, 2 * 64 * 64);
    const w = gridValues(rng, 16 * 64 * 9);
    const size = 2 * 16 * g.outH * g.outW;
    const ref = new Float32Array(size);
    conv2dForwardReference(x, w, null, g, ref);
    const before = kernelChoice();
    const viaReference = new Float32Array(size);
    withKernels('reference', () => {
      expect(usingReferenceKernels()).to.equal(true);
      conv2dForward(x, w, null, g, viaReference);
    });
    expect(kernelChoice()).to.equal(before);
    expect([...viaReference]).to.deep.equal([...ref]);
    const viaFast = new Float32Array(size);
    withKernels('fast', () => conv2dForward(x, w, null, g, viaFast));
    expect([...viaFast], 'the fast path is another computation').to.not.deep.equal([...ref]);
  });

  it('refuses a name that is not a kernel set, naming where it came from', () => {
    expect(parseKernelChoice(undefined, 'X')).to.equal('fast');
    expect(parseKernelChoice('', 'X')).to.equal('fast');
    expect(parseKernelChoice('reference', 'X')).to.equal('reference');
    expect(() => parseKernelChoice('refrence', 'BNEXT_KERNELS')).to.throw("BNEXT_KERNELS: 'refrence' is not a kernel set; use 'fast' or 'reference'");
    expect(() => setKernels('slow' as never)).to.throw(/setKernels: 'slow' is not a kernel set/);
  });
});
