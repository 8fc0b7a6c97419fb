/**
 * Losses against PyTorch (fixtures/ops/losses.safetensors): F.cross_entropy with class-index and
 * probability targets, reductions mean/sum/none, label smoothing 0 and 0.1; the distribution loss
 * against the official BNext DistributionLoss (imported by the exporter; the
 * teacher gets no gradient); F.mse_loss with each reduction. Gradients of the logits, and of the
 * probability target and the MSE target, which PyTorch also differentiates.
 *
 * Tolerance (rule in spec/helpers/golden.ts): forward and gradients `scale` 1e-5 (log-softmax sums
 * along classes, the reductions sum over the batch).
 */
import { expect } from 'chai';
import { crossEntropy, distributionLoss, mseLoss, type Reduction } from '../../src/nn/losses';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { tensor } from '../../src/tensor/create';
import { asFloat, describeGolden, type GoldenInput, type Kwargs, num, REDUCTION, str } from '../helpers/golden';
import { backward } from '../../src/autograd/graph';

function reduction(kw: Kwargs): Reduction {
  const r = str(kw, 'reduction');
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new Error(`unknown reduction ${r}`);
  return r;
}

function target(t: GoldenInput): IntTensor | Tensor {
  if (t instanceof IntTensor || t instanceof Tensor) return t;
  throw new Error('crossEntropy target must be class indices or probabilities');
}

describeGolden('losses', {
  crossEntropy: {
    run: ([x, t], kw) => crossEntropy(asFloat(x, 'logits'), target(t), { reduction: reduction(kw), labelSmoothing: num(kw, 'labelSmoothing') }),
    forward: REDUCTION,
  },
  distributionLoss: {
    run: ([s, t], kw) => distributionLoss(asFloat(s, 'student'), asFloat(t, 'teacher'), reduction(kw)),
    forward: REDUCTION,
  },
  mseLoss: { run: ([a, b], kw) => mseLoss(asFloat(a, 'input'), asFloat(b, 'target'), reduction(kw)), forward: REDUCTION },
});

describe('losses: bad input', () => {
  const logits = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3]);
  it('crossEntropy names a class index out of range', () => {
    expect(() => crossEntropy(logits, new IntTensor(new Int32Array([0, 3]), [2]))).to.throw(/class 3 is out of range for 3 classes/);
    expect(() => crossEntropy(logits, new IntTensor(new Int32Array([-1, 0]), [2]))).to.throw(/class -1/);
  });
  it('crossEntropy names both shapes of a mismatched target', () => {
    expect(() => crossEntropy(logits, new IntTensor(new Int32Array([0, 1, 2]), [3]))).to.throw(/\[2\].*\[3\]/);
    expect(() => crossEntropy(logits, tensor([1, 0, 0, 1], [2, 2]))).to.throw(/\[2, 3\].*\[2, 2\]/);
    expect(() => crossEntropy(tensor([1, 2, 3]), new IntTensor(new Int32Array([0]), [1]))).to.throw(/logits must be \[N, C\], got shape \[3\]/);
  });
  it('crossEntropy rejects label smoothing outside [0, 1]', () => {
    expect(() => crossEntropy(logits, new IntTensor(new Int32Array([0, 1]), [2]), { labelSmoothing: 1.5 })).to.throw(/label smoothing 1.5/);
  });
  it('distributionLoss and mseLoss name both shapes', () => {
    expect(() => distributionLoss(logits, tensor([1, 2, 3, 4], [2, 2]))).to.throw(/\[2, 3\].*\[2, 2\]/);
    expect(() => mseLoss(logits, tensor([1, 2, 3]))).to.throw(/\[2, 3\].*\[3\]/);
  });
  it('distributionLoss gives the teacher no gradient', () => {
    const s = tensor([0.3, -1, 2, 0.5, 0.1, -0.2], [2, 3]).requireGrad();
    const t = tensor([1, 0, -1, 0.2, 0.4, 0.6], [2, 3]).requireGrad();
    backward(distributionLoss(s, t));
    expect(s.grad).to.not.equal(null);
    expect(t.grad).to.equal(null);
  });
});
