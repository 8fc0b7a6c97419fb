/**
 * clipGradNorm against torch.nn.utils.clip_grad_norm_ (fixtures/optim/clip.safetensors): norms
 * above and below the threshold, a parameter without a gradient, one tensor, 4000 elements.
 *
 * Tolerance: the returned total norm within 2.4e-7 relative (two float32 ulps: PyTorch sums each
 * tensor in float32 and then the per-tensor norms, we sum every square in float64 and round once);
 * the clipped gradients within 2.4e-7 · max(1, |torch|) (elementwise: the clip coefficient
 * carries that error).
 */
import { expect } from 'chai';
import { clipGradNorm } from '../../src/optim/clip';
import { Tensor } from '../../src/tensor/tensor';
import { tensor } from '../../src/tensor/create';
import { measure } from '../helpers/golden';
import { loadFixtureCases } from './fixtures';

const TOL = 2.4e-7;

describe('clipGradNorm vs torch.nn.utils.clip_grad_norm_ (fixtures/optim/clip.safetensors)', () => {
  const worst = { total: 0, grad: 0 };
  for (const c of loadFixtureCases('clip.safetensors')) {
    it(`${c.name}: total norm and clipped gradients`, () => {
      const names = c.meta.params as string[];
      const params = names.map((name) => {
        const p = new Tensor(new Float32Array(1), [1], true);
        if (c.get(`grad/${name}`)) p.grad = c.tensor(`grad/${name}`);
        return p;
      });
      const total = clipGradNorm(params, c.meta.maxNorm as number);
      const torchTotal = c.tensor('total').item();
      const e = Math.abs(total - torchTotal) / torchTotal;
      worst.total = Math.max(worst.total, e);
      expect(e, `${c.name} total: ours ${total}, torch ${torchTotal}`).to.be.at.most(TOL);
      names.forEach((name, i) => {
        const g = params[i].grad;
        if (!c.get(`clipped/${name}`)) {
          expect(g, `${c.name} ${name} had no gradient`).to.equal(null);
          return;
        }
        const { error } = measure(g!.data, c.tensor(`clipped/${name}`).data, 'elementwise');
        worst.grad = Math.max(worst.grad, error);
        expect(error, `${c.name} clipped ${name}`).to.be.at.most(TOL);
      });
    });
  }
  after(() => {
    if (process.env.GOLDEN_REPORT) console.log(`\n  clip vs torch: worst total-norm error ${worst.total.toExponential(2)}, worst gradient error ${worst.grad.toExponential(2)}`);
  });
});

describe('clipGradNorm', () => {
  it('leaves gradients untouched below the threshold and returns the norm', () => {
    const p = tensor([0, 0], [2], true);
    p.grad = tensor([3, 4]);
    expect(clipGradNorm([p], 5.5)).to.equal(5);
    expect(Array.from(p.grad.data)).to.deep.equal([3, 4]);
  });

  it('scales to maxNorm / (total + 1e-6) above it', () => {
    const p = tensor([0, 0], [2], true);
    p.grad = tensor([30, 40]);
    expect(clipGradNorm([p], 5)).to.equal(50);
    const c = Math.fround(5 / Math.fround(50 + 1e-6));
    expect(Array.from(p.grad.data)).to.deep.equal([Math.fround(30 * c), Math.fround(40 * c)]);
  });

  it('returns 0 when no parameter has a gradient, and refuses a negative maxNorm', () => {
    expect(clipGradNorm([tensor([1], [1], true)], 5)).to.equal(0);
    expect(() => clipGradNorm([], -1)).to.throw(/maxNorm must be >= 0, got -1/);
  });
});
