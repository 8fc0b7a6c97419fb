/**
 * The semantics of the reverse-mode graph (src/autograd/graph.ts), in PyTorch's manner:
 * requiresGrad propagation, backward from a scalar or with an upstream gradient and its errors,
 * accumulation into leaves across calls, the no-grad scope, detach, tensors used more than once,
 * and broadcast gradients reduced back to each input's shape.
 */
import { expect } from 'chai';
import { backward } from '../../src/autograd/graph';
import { isGradEnabled, noGrad } from '../../src/autograd/record';
import * as T from '../../src/tensor/ops/index';
import type { Tensor } from '../../src/tensor/tensor';

const values = (t: Tensor | null): number[] => {
  if (!t) throw new Error('no gradient');
  return Array.from(t.data);
};
const f32 = (xs: number[]): number[] => xs.map(Math.fround);

describe('autograd graph', () => {
  describe('requiresGrad propagation', () => {
    it('an op output requires grad iff one of its inputs does', () => {
      const a = T.tensor([1, 2]).requireGrad();
      const b = T.tensor([3, 4]);
      const c = T.add(a, b);
      const d = T.mul(b, b);
      expect(c.requiresGrad).to.equal(true);
      expect(c.node?.op).to.equal('Add');
      expect(d.requiresGrad).to.equal(false);
      expect(d.node).to.equal(null);
      expect(T.exp(c).requiresGrad).to.equal(true);
    });

    it('only leaves can be marked, and a detached copy can be', () => {
      const a = T.tensor([1, 2]).requireGrad();
      const c = T.neg(a);
      expect(() => c.requireGrad()).to.throw(/only leaf tensors/);
      expect(c.detach().requireGrad().requiresGrad).to.equal(true);
    });

    it('inputs that do not require grad get no gradient', () => {
      const a = T.tensor([1, 2]).requireGrad();
      const b = T.tensor([3, 4]);
      T.sum(T.mul(a, b)).backward();
      expect(values(a.grad)).to.deep.equal([3, 4]);
      expect(b.grad).to.equal(null);
    });
  });

  describe('backward', () => {
    it('from a scalar seeds the gradient with 1', () => {
      const x = T.tensor([1, -2, 3]).requireGrad();
      T.sum(T.mul(x, x)).backward();
      expect(values(x.grad)).to.deep.equal([2, -4, 6]);
    });

    it('from a one-element tensor of any rank', () => {
      const x = T.tensor([2], [1, 1]).requireGrad();
      T.mul(x, 5).backward();
      expect(values(x.grad)).to.deep.equal([5]);
    });

    it('with an upstream gradient', () => {
      const x = T.tensor([1, 2, 3, 4], [2, 2]).requireGrad();
      T.mul(x, 3).backward(T.tensor([1, 0.5, -1, 2], [2, 2]));
      expect(values(x.grad)).to.deep.equal([3, 1.5, -3, 6]);
      expect(x.grad!.shape).to.deep.equal([2, 2]);
    });

    it('refuses a non-scalar without a gradient, naming the shape', () => {
      const y = T.mul(T.tensor([1, 2, 3, 4], [2, 2]).requireGrad(), 2);
      expect(() => y.backward()).to.throw(/one-element tensor, got shape \[2, 2\]/);
    });

    it('refuses a gradient of the wrong shape, naming both shapes', () => {
      const y = T.mul(T.tensor([1, 2, 3, 4], [2, 2]).requireGrad(), 2);
      expect(() => y.backward(T.tensor([1, 2, 3, 4]))).to.throw(/gradient shape \[4\] does not match tensor shape \[2, 2\]/);
    });

    it('refuses a tensor outside any graph', () => {
      expect(() => T.tensor([1]).backward()).to.throw(/does not require grad/);
      expect(() => backward(T.sum(T.tensor([1, 2])))).to.throw(/does not require grad/);
    });

    it('leaves non-leaf gradients unset unless retainsGrad is set', () => {
      const x = T.tensor([1, 2]).requireGrad();
      const h = T.mul(x, 2);
      const k = T.mul(x, 3);
      k.retainsGrad = true;
      T.sum(T.add(h, k)).backward();
      expect(h.grad).to.equal(null);
      expect(values(k.grad)).to.deep.equal([1, 1]);
      expect(values(x.grad)).to.deep.equal([5, 5]);
    });

    it('handles a chain deeper than the call stack', () => {
      const x = T.tensor([1.5]).requireGrad();
      let y = x;
      for (let i = 0; i < 20000; i++) y = T.neg(y);
      y.backward();
      expect(values(x.grad)).to.deep.equal([1]);
    });
  });

  describe('accumulation', () => {
    it('adds into .grad across backward calls until it is reset', () => {
      const x = T.tensor([1, 2]).requireGrad();
      T.sum(T.mul(x, 3)).backward();
      T.sum(T.mul(x, x)).backward();
      expect(values(x.grad)).to.deep.equal([3 + 2, 3 + 4]);
      x.grad = null;
      T.sum(T.mul(x, 3)).backward();
      expect(values(x.grad)).to.deep.equal([3, 3]);
    });

    it('a second backward through the same graph adds the same gradient again', () => {
      const x = T.tensor([1, 2]).requireGrad();
      const loss = T.sum(T.mul(x, x));
      loss.backward();
      loss.backward();
      expect(values(x.grad)).to.deep.equal([4, 8]);
    });

    it('a tensor used twice by one op gets both contributions', () => {
      const x = T.tensor([1, -2]).requireGrad();
      T.sum(T.mul(x, x)).backward();
      expect(values(x.grad)).to.deep.equal([2, -4]);
      const y = T.tensor([1, -2]).requireGrad();
      T.sum(T.add(y, y)).backward();
      expect(values(y.grad)).to.deep.equal([2, 2]);
    });

    it('a shared intermediate collects all its consumers before passing its gradient on', () => {
      // a = exp(x); L = Σ (a·a + a): dL/dx = (2a + 1)·a, only if a's gradient is complete first.
      const x = T.tensor([0.5, -1]).requireGrad();
      const a = T.exp(x);
      T.sum(T.add(T.mul(a, a), a)).backward();
      const expected = Array.from(a.data, (v) => (2 * v + 1) * v);
      values(x.grad).forEach((g, i) => expect(g).to.be.closeTo(expected[i], 1e-6 * Math.abs(expected[i])));
    });
  });

  describe('gradient storage (accumulation in place, recycled arrays)', () => {
    /** A small network whose intermediates have several consumers, as BNext's units do. */
    function step(x: Tensor, w: Tensor): Tensor {
      const h = T.mul(x, w);
      const r = T.relu(h);
      return T.sum(T.add(T.mul(r, h), T.add(r, T.exp(T.mul(h, 0.1)))));
    }

    it('gives the same gradients, bit for bit, however often the same shapes come back', () => {
      const x = T.tensor([0.5, -1, 2, 1.5, -0.25, 0.75], [2, 3]).requireGrad();
      const w = T.tensor([0.3, -0.7, 1.1]).requireGrad();
      const runs: number[][] = [];
      for (let i = 0; i < 4; i++) {
        x.grad = null;
        w.grad = null;
        step(x, w).backward();
        runs.push([...values(x.grad), ...values(w.grad)]);
      }
      for (const r of runs) expect(r).to.deep.equal(runs[0]);
    });

    it('never reuses an array a caller can still see: leaf gradients, retained gradients, outputs', () => {
      const x = T.tensor([0.5, -1, 2, 1.5]).requireGrad();
      const w = T.tensor([0.3, -0.7, 1.1, 0.2]).requireGrad();
      const h = T.mul(x, w);
      h.retainsGrad = true;
      step(h, w).backward();
      const kept = [x.grad!, w.grad!, h.grad!, h].map((t) => ({ t, before: values(t) }));
      for (let i = 0; i < 3; i++) {
        x.grad = null;
        w.grad = null;
        step(T.mul(x, w), w).backward();
      }
      for (const { t, before } of kept) expect(values(t)).to.deep.equal(before);
    });
  });

  describe('noGrad', () => {
    it('records nothing inside the scope and restores the mode after it', () => {
      const x = T.tensor([1, 2]).requireGrad();
      const y = noGrad(() => {
        expect(isGradEnabled()).to.equal(false);
        return T.exp(T.mul(x, 2));
      });
      expect(y.requiresGrad).to.equal(false);
      expect(y.node).to.equal(null);
      expect(isGradEnabled()).to.equal(true);
      expect(T.mul(x, 2).requiresGrad).to.equal(true);
    });

    it('restores the mode when the scope throws, and nests', () => {
      expect(() => noGrad(() => { throw new Error('boom'); })).to.throw('boom');
      expect(isGradEnabled()).to.equal(true);
      noGrad(() => {
        noGrad(() => undefined);
        expect(isGradEnabled()).to.equal(false);
      });
      expect(isGradEnabled()).to.equal(true);
    });
  });

  describe('detach', () => {
    it('cuts the graph: a detached operand is a constant', () => {
      const x = T.tensor([2, 3]).requireGrad();
      const d = x.detach();
      expect(d.requiresGrad).to.equal(false);
      expect(d.node).to.equal(null);
      expect(d.data).to.equal(x.data); // shares storage
      T.sum(T.mul(d, x)).backward();
      expect(values(x.grad)).to.deep.equal([2, 3]); // not 2x
    });

    it('of an intermediate stops the gradient there', () => {
      const x = T.tensor([1, 2]).requireGrad();
      const h = T.mul(x, 4);
      T.sum(T.add(T.mul(h.detach(), 1), x)).backward();
      expect(values(x.grad)).to.deep.equal([1, 1]);
    });
  });

  describe('broadcasting gradients', () => {
    it('reduce back to each input shape', () => {
      const a = T.tensor([1, 2, 3, 4, 5, 6], [2, 3]).requireGrad();
      const b = T.tensor([10, 20, 30]).requireGrad();
      const c = T.tensor([2], [1, 1]).requireGrad();
      const s = T.tensor([0.5], []).requireGrad();
      const y = T.mul(T.add(T.add(a, b), c), s);
      y.backward(T.tensor([1, 1, 1, 2, 2, 2], [2, 3]));
      expect(a.grad!.shape).to.deep.equal([2, 3]);
      expect(values(a.grad)).to.deep.equal([0.5, 0.5, 0.5, 1, 1, 1]);
      expect(b.grad!.shape).to.deep.equal([3]);
      expect(values(b.grad)).to.deep.equal([1.5, 1.5, 1.5]);
      expect(c.grad!.shape).to.deep.equal([1, 1]);
      expect(values(c.grad)).to.deep.equal([4.5]);
      expect(s.grad!.shape).to.deep.equal([]);
      // Σ dy·(a + b + c) = (13 + 24 + 35) + 2·(16 + 27 + 38)
      expect(values(s.grad)).to.deep.equal(f32([72 + 2 * 81]));
    });

    it('over a new leading dimension and a size-1 middle one', () => {
      const a = T.tensor([1, 2, 3, 4, 5, 6], [3, 1, 2]).requireGrad();
      const b = T.ones([2, 3, 4, 2]);
      T.sum(T.mul(a, b)).backward();
      expect(a.grad!.shape).to.deep.equal([3, 1, 2]);
      expect(values(a.grad)).to.deep.equal([8, 8, 8, 8, 8, 8]);
    });
  });
});
