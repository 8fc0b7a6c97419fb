/**
 * Top-k accuracy against PyTorch (fixtures/train/topk.safetensors, written by
 * fixtures/export/export_metrics.py): a tie with the target counts as a miss, which is the
 * target's position after torch's stable sort with the target placed after every class it ties
 * with; on logits without ties the counts equal the official script's `accuracy` exactly.
 */
import { expect } from 'chai';
import { readSafetensors } from '../../src/io/files';
import { toIntTensor, toTensor } from '../../src/io/stored';
import { addBatch, emptyMetrics, NonFiniteLogitsError, summarize, topKHits } from '../../src/train/metrics';
import { evaluate } from '../../src/train/evaluate';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import type { Dataset } from '../../src/train/dataset';

const FIXTURE = 'fixtures/train/topk.safetensors';

function row(t: Tensor, i: number): Tensor {
  const c = t.shape[1];
  return new Tensor(t.data.slice(i * c, (i + 1) * c), [1, c]);
}

describe('train/metrics', () => {
  const { tensors, metadata } = readSafetensors(FIXTURE);
  const cases = Object.keys(metadata).filter((k) => k !== 'official_commit');

  it('has the cases the exporter writes', () => {
    expect(cases).to.deep.equal(['distinct', 'ties', 'equal', 'ties1000']);
  });

  for (const name of cases) {
    const logits = toTensor(tensors.get(`${name}/logits`)!, `${name}/logits`);
    const target = toIntTensor(tensors.get(`${name}/target`)!, `${name}/target`);
    const rank = toIntTensor(tensors.get(`${name}/rank`)!, `${name}/rank`);
    const official = toTensor(tensors.get(`${name}/official`)!, `${name}/official`);
    const n = logits.shape[0];

    it(`${name}: a sample is a top-k hit exactly when torch's stable sort ranks the target below k with ties ahead of it`, () => {
      for (let i = 0; i < n; i++) {
        const y = new IntTensor(Int32Array.of(target.data[i]), [1]);
        for (const k of [1, 5]) expect(topKHits(row(logits, i), y, k), `${name} row ${i}, k=${k}`).to.equal(rank.data[i] < k ? 1 : 0);
      }
    });

    it(`${name}: never counts a hit the official accuracy does not count`, () => {
      for (let i = 0; i < n; i++) {
        const y = new IntTensor(Int32Array.of(target.data[i]), [1]);
        expect(100 * topKHits(row(logits, i), y, 1)).to.be.at.most(official.data[2 * i]);
        expect(100 * topKHits(row(logits, i), y, 5)).to.be.at.most(official.data[2 * i + 1]);
      }
    });
  }

  it('equals the official accuracy on logits without ties', () => {
    const logits = toTensor(tensors.get('distinct/logits')!, 'logits');
    const target = toIntTensor(tensors.get('distinct/target')!, 'target');
    const m = emptyMetrics();
    addBatch(m, logits, target, 0);
    const { top1, top5 } = JSON.parse(metadata.distinct) as { top1: number; top5: number };
    expect(summarize(m).top1).to.equal(top1);
    expect(summarize(m).top5).to.equal(top5);
  });

  it('scores all-equal logits (a zeroed classifier) 0, where the official topk scores chance', () => {
    const logits = toTensor(tensors.get('equal/logits')!, 'logits');
    const target = toIntTensor(tensors.get('equal/target')!, 'target');
    const m = emptyMetrics();
    addBatch(m, logits, target, Math.log(10));
    expect(summarize(m)).to.deep.include({ top1: 0, top5: 0 });
    const official = JSON.parse(metadata.equal) as { top1: number; top5: number };
    expect(official).to.deep.equal({ top1: 10, top5: 50 });
  });

  it('refuses NaN and infinite logits, naming the sample, the class and the value', () => {
    const y = new IntTensor(Int32Array.of(0, 1), [2]);
    const m = emptyMetrics();
    addBatch(m, new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2]), y, 0.5, 'digits');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const logits = new Tensor(Float32Array.of(1, 2, 3, bad), [2, 2]);
      expect(() => addBatch(m, logits, y, 0.5, 'digits')).to.throw(NonFiniteLogitsError, new RegExp(`^digits: the logits of sample 3 are not finite \\(class 1 is ${bad}\\)`));
    }
    expect(m.samples).to.equal(2);
  });

  it('makes evaluate fail on a model with NaN weights instead of scoring it', () => {
    const data: Dataset = {
      name: 'held-out', count: 3, numClasses: 4, sampleShape: [1, 1, 1],
      batch: (indices) => ({ x: new Tensor(new Float32Array(indices.length), [indices.length, 1, 1, 1]), y: new IntTensor(new Int32Array(indices.length), [indices.length]) }),
    };
    const nan = (x: Tensor): Tensor => new Tensor(new Float32Array(x.shape[0] * 4).fill(Number.NaN), [x.shape[0], 4]);
    expect(() => evaluate(nan, data, 2)).to.throw(NonFiniteLogitsError, /^held-out: the logits of sample 0 are not finite \(class 0 is NaN\)/);
    const zero = (x: Tensor): Tensor => new Tensor(new Float32Array(x.shape[0] * 4), [x.shape[0], 4]);
    // Four classes: every class is among the top "5" (k = min(5, classes)), ties or not.
    expect(evaluate(zero, data, 2)).to.deep.include({ top1: 0, top5: 100 });
    expect(() => evaluate(zero, data, 0)).to.throw(/evaluate: batchSize must be an integer from 1 to 65536, got 0/);
  });
});
