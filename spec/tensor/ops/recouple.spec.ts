import { expect } from 'chai';
import { recouplingMean } from '../../../src/tensor/ops/recouple';
import { adaptiveAvgPool2d } from '../../../src/tensor/ops/pool';
import { add, mul, sub } from '../../../src/tensor/ops/elementwise';
import { Rng } from '../../../src/tensor/random';
import { Tensor } from '../../../src/tensor/tensor';
import { backward } from '../../../src/autograd/graph';

function random(rng: Rng, shape: number[], lo: number, hi: number): Tensor {
  const d = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.uniform();
  return new Tensor(d, shape, true);
}

function bits(t: Tensor | null): number[] {
  return Array.from(new Uint32Array(t!.data.buffer, t!.data.byteOffset, t!.data.length));
}

describe('recouplingMean (fused Info-Recoupling squeeze)', () => {
  it('equals adaptiveAvgPool2d(scale·inp + (1 - scale)·main, 1) bit for bit, values and gradients', () => {
    const rng = new Rng('recouple');
    for (const shape of [[3, 4, 5, 6], [2, 8, 1, 1], [4, 16, 2, 2]]) {
      const c = shape[1];
      const scale = random(rng, [1, c, 1, 1], 0, 1);
      const inp = random(rng, shape, -2, 2);
      const main = random(rng, shape, -3, 3);
      const upstream = random(rng, [shape[0], c, 1, 1], -1, 1);
      const fused = [scale, inp, main].map((t) => new Tensor(t.data.slice(), t.shape, true));
      const y = recouplingMean(fused[0], fused[1], fused[2]);
      const ref = adaptiveAvgPool2d(add(mul(scale, inp), mul(sub(1, scale), main)), 1);
      expect(bits(y), `forward ${shape}`).to.deep.equal(bits(ref));
      backward(y, upstream);
      backward(ref, upstream);
      [scale, inp, main].forEach((t, i) => expect(bits(fused[i].grad), `gradient ${i} ${shape}`).to.deep.equal(bits(t.grad)));
    }
  });

  it('names the shapes it needs', () => {
    const t = (shape: number[]) => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    expect(() => recouplingMean(t([1, 2, 1, 1]), t([1, 2, 3, 3]), t([1, 2, 3, 2]))).to.throw(/\[1, 2, 3, 3\].*\[1, 2, 3, 2\]/);
    expect(() => recouplingMean(t([1, 3, 1, 1]), t([1, 2, 3, 3]), t([1, 2, 3, 3]))).to.throw(/scale \[1, 3, 1, 1\] must be \[1, 2, 1, 1\]/);
  });
});
