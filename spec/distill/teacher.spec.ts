/**
 * Teachers: a model of ours (evaluation mode, no graph) and a file of precomputed logits, with
 * the checks that stop a wrong logits file before training (naming the file and both numbers).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModuleTeacher } from '../../src/distill/teacher';
import { loadLogitsTeacher } from '../../src/distill/teacher-file';
import { writeNpy } from '../../src/io/files';
import { Linear } from '../../src/nn/layers/linear';
import { Tensor } from '../../src/tensor/tensor';
import { tensor } from '../../src/tensor/create';
import { Rng } from '../../src/tensor/random';

describe('LogitsFileTeacher', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-teacher-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A [rows, classes] float32 .npy whose value at (r, c) is r * 10 + c. */
  function logitsFile(name: string, rows: number, classes: number): string {
    const data = new Float32Array(rows * classes).map((_, i) => Math.floor(i / classes) * 10 + (i % classes));
    const path = join(dir, name);
    writeNpy(path, { dtype: 'F32', shape: [rows, classes], data });
    return path;
  }

  it('gives the rows of the batch\'s samples, as constants', () => {
    const path = logitsFile('ok.npy', 5, 3);
    const teacher = loadLogitsTeacher(path, { numSamples: 5, numClasses: 3 }, 'effnet-b0');
    const out = teacher.logits({ images: new Tensor(new Float32Array(2), [2, 1]), indices: Int32Array.from([4, 1]) });
    expect(out.shape).to.deep.equal([2, 3]);
    expect(Array.from(out.data)).to.deep.equal([40, 41, 42, 10, 11, 12]);
    expect(out.requiresGrad).to.equal(false);
    expect(teacher).to.include({ name: 'effnet-b0', numSamples: 5, numClasses: 3 });
  });

  it('reads float16 logits (teachers run under autocast)', () => {
    const path = join(dir, 'half.npy');
    writeNpy(path, { dtype: 'F16', shape: [2, 2], data: Uint16Array.from([0x3c00, 0x4000, 0xbc00, 0x0000]) });
    const teacher = loadLogitsTeacher(path, { numSamples: 2, numClasses: 2 });
    expect(Array.from(teacher.logits({ images: new Tensor(new Float32Array(2), [2, 1]), indices: Int32Array.from([0, 1]) }).data)).to.deep.equal([1, 2, -1, 0]);
  });

  it('refuses a file whose row count is not the number of training samples, naming the file and both numbers', () => {
    const path = logitsFile('rows.npy', 9, 10);
    expect(() => loadLogitsTeacher(path, { numSamples: 10, numClasses: 10 })).to.throw(
      `${path}: teacher logits have 9 rows but the training data has 10 samples (shape [9, 10], expected [10, 10])`,
    );
  });

  it('refuses a file whose class count is not the student\'s, naming the file and both numbers', () => {
    const path = logitsFile('classes.npy', 10, 1000);
    expect(() => loadLogitsTeacher(path, { numSamples: 10, numClasses: 10 })).to.throw(
      `${path}: teacher logits have 1000 classes but the student has 10 (shape [10, 1000], expected [10, 10])`,
    );
  });

  it('refuses a file that is not 2-D, integer logits and non-finite values', () => {
    const flat = join(dir, 'flat.npy');
    writeNpy(flat, { dtype: 'F32', shape: [6], data: new Float32Array(6) });
    expect(() => loadLogitsTeacher(flat, { numSamples: 6, numClasses: 1 })).to.throw(`${flat}: teacher logits must be 2-D [samples, classes], found shape [6]`);
    const ints = join(dir, 'ints.npy');
    writeNpy(ints, { dtype: 'I64', shape: [1, 2], data: BigInt64Array.from([1n, 2n]) });
    expect(() => loadLogitsTeacher(ints, { numSamples: 1, numClasses: 2 })).to.throw(`${ints}: expected a float array`);
    const nan = join(dir, 'nan.npy');
    writeNpy(nan, { dtype: 'F32', shape: [2, 2], data: Float32Array.from([0, 1, 2, NaN]) });
    expect(() => loadLogitsTeacher(nan, { numSamples: 2, numClasses: 2 })).to.throw(`${nan}: teacher logit at row 1, class 1 is NaN`);
    expect(() => loadLogitsTeacher(join(dir, 'missing.npy'), { numSamples: 2, numClasses: 2 })).to.throw(/missing\.npy/);
  });

  it('refuses a sample index outside the table', () => {
    const path = logitsFile('idx.npy', 3, 2);
    const teacher = loadLogitsTeacher(path, { numSamples: 3, numClasses: 2 });
    expect(() => teacher.logits({ images: new Tensor(new Float32Array(1), [1, 1]), indices: Int32Array.from([3]) })).to.throw(`${path}: sample index 3 is outside the 3 rows of the teacher logits`);
  });
});

describe('ModuleTeacher', () => {
  it('runs the model in evaluation mode without a graph', () => {
    const model = new Linear(4, 3, { rng: new Rng(3) });
    model.train();
    const teacher = new ModuleTeacher('fc', model, 3);
    const out = teacher.logits({ images: tensor([1, 2, 3, 4, 4, 3, 2, 1], [2, 4]), indices: Int32Array.from([0, 1]) });
    expect(out.shape).to.deep.equal([2, 3]);
    expect(out.requiresGrad).to.equal(false);
    expect(out.node).to.equal(null);
    expect(model.training).to.equal(false);
  });

  it('refuses a model whose output is not [N, numClasses]', () => {
    const teacher = new ModuleTeacher('fc', new Linear(4, 3, { rng: new Rng(3) }), 10);
    expect(() => teacher.logits({ images: tensor([1, 2, 3, 4], [1, 4]), indices: Int32Array.from([0]) })).to.throw('teacher fc: output shape [1, 3], expected [1, 10]');
  });
});
