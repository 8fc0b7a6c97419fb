import { expect } from 'chai';
import { Rng } from '../../../src/tensor/random';
import { conv2dGeometry } from '../../../src/tensor/kernels/conv2d-geometry';
import { col2im, im2col } from '../../../src/tensor/kernels/im2col';
import { randomArray } from './helpers';

describe('im2col', () => {
  it('lays out padded 2x2 patches of a 3x3 image with stride 2', () => {
    const g = conv2dGeometry([1, 1, 3, 3], [1, 1, 2, 2], { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 });
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const col = new Float32Array(4 * g.outH * g.outW).fill(-1);
    im2col(x, 0, g, 1, 0, g.outH, col);
    // Rows (ky, kx) = (0,0), (0,1), (1,0), (1,1); columns are the 2x2 output positions.
    expect(Array.from(col)).to.deep.equal([
      0, 0, 0, 5,
      0, 0, 4, 6,
      0, 2, 0, 8,
      1, 3, 7, 9,
    ]);
  });

  it('col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', () => {
    const rng = new Rng('im2col-adjoint');
    const g = conv2dGeometry([1, 3, 7, 6], [2, 3, 3, 2], { stride: [2, 1], padding: [1, 2], dilation: [2, 1], groups: 1 });
    const oy0 = 1, oy1 = g.outH;
    const rows = 3 * 3 * 2;
    const width = (oy1 - oy0) * g.outW;
    const x = randomArray(rng, 2 + 3 * 7 * 6);
    const c = randomArray(rng, rows * width);
    const col = new Float32Array(rows * width);
    im2col(x, 2, g, 3, oy0, oy1, col);
    const back = new Float32Array(x.length);
    col2im(c, g, 3, oy0, oy1, back, 2);
    let lhs = 0, rhs = 0;
    for (let i = 0; i < col.length; i++) lhs += col[i] * c[i];
    for (let i = 2; i < x.length; i++) rhs += x[i] * back[i];
    expect(back[0]).to.equal(0);
    expect(lhs).to.be.closeTo(rhs, 1e-4 * Math.abs(lhs) + 1e-6);
  });
});
