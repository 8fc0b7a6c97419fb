/**
 * The default recipe end to end on a few digits (the real run, `npm start`, takes minutes): the
 * run folder, summary.json's fields, the teachers' logits files and the packed student.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { DIGITS_SHIFT, DIGITS_SIZE, RECIPE_DEFAULTS, type RecipeSummary, runDigitsRecipe } from '../../src/train/recipe';
import { readNpy } from '../../src/io/files';
import { loadRun } from '../../src/train/run-folder';
import { floatClassifier, predictLogits } from '../../src/train/evaluate';
import { subset } from '../helpers/training';

describe('train/recipe', function () {
  this.timeout(300_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'bnext-recipe-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('trains the teachers and a fully binary student, and writes the run folder and summary.json @slow', async () => {
    const mnist = loadMnist();
    const train = new DigitDataset('train', subset(mnist.train, 64, 100), DIGITS_SHIFT, DIGITS_SIZE);
    const test = new DigitDataset('test', subset(mnist.test, 48, 40), 0, DIGITS_SIZE);
    const outDir = join(root, 'digits');
    // The recipe reports on the console; keep the test output to the test's own lines.
    const log = console.log;
    console.log = () => {};
    let summary: RecipeSummary;
    try {
      summary = await runDigitsRecipe({
        ...RECIPE_DEFAULTS, outDir, teacherEpochs: 1, studentEpochs: 2, batchSize: 16, batchNormSamples: 32, workers: 1, progress: false,
        student: { ...RECIPE_DEFAULTS.student, baseWidth: 8, stages: [1, 0, 0, 0] }, data: { train, test },
      });
    } finally {
      console.log = log;
    }
    expect(summary.fullyBinary).to.equal(true);
    expect(summary.teachers.map((t) => t.name).sort()).to.deep.equal(['cnn-m', 'cnn-s']);
    // The packed engine computes the float model's function: on 48 digits the same top-1.
    expect(summary.testTop1Xnor).to.equal(summary.testTop1Float);
    expect(summary.packedBytes).to.be.a('number').and.below(summary.floatBytes);
    const written = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as RecipeSummary;
    expect(written).to.deep.equal(summary);
    for (const f of ['curves.png', 'student/model.safetensors', 'student/model.bnx', 'student/log.jsonl']) expect(existsSync(join(outDir, f)), f).to.equal(true);
    // The sample batch the README runs `bnext forward` on: the first held-out digits and their labels.
    const sample = readNpy(join(outDir, 'sample-batch.npy'));
    expect(sample.shape).to.deep.equal([16, 1, DIGITS_SIZE, DIGITS_SIZE]);
    expect([...sample.data]).to.deep.equal([...test.batch(Int32Array.from({ length: 16 }, (_, i) => i), null).x.data]);
    const targets = readNpy(join(outDir, 'sample-targets.npy'));
    expect(targets).to.deep.include({ dtype: 'I64', shape: [16] });
    // Each teacher's logits file holds what its saved model predicts on the centred digits.
    for (const name of ['cnn-s', 'cnn-m']) {
      const dir = join(outDir, 'teachers', name);
      const stored = readNpy(join(dir, 'train-logits.npy'));
      expect(stored.shape).to.deep.equal([64, 10]);
      expect([...stored.data]).to.deep.equal([...predictLogits(floatClassifier(loadRun(dir).model), train)]);
    }
  });
});
