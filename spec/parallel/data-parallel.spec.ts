import { expect } from 'chai';
import { DataParallel } from '../../src/parallel/data-parallel';
import { liveWorkers } from '../../src/parallel/spawn';
import { shardBatch } from '../../src/parallel/shards';
import { loadMnist } from '../../src/data/mnist';
import { DigitDataset } from '../../src/train/dataset';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { buildAnyModel, resolveAnyConfig } from '../../src/models/zoo';
import { withoutInit } from '../../src/nn/init';
import { Module, type StateDict } from '../../src/nn/module';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { manualSeed, Rng } from '../../src/tensor/random';
import { setTemperature } from '../../src/optim/temperature';
import { gapSensitiveLoss, type EnsembleForm } from '../../src/distill/ensemble';
import { LogitsFileTeacher, ModuleTeacher, type Teacher } from '../../src/distill/teacher';
import { evaluate, evaluateBatches, floatClassifier } from '../../src/train/evaluate';
import { subset } from '../helpers/training';
import { AdamW } from '../../src/optim/adamw';
import { bnextParamGroups } from '../../src/optim/param-groups';
import { crossEntropy } from '../../src/nn/losses';
import { backward } from '../../src/autograd/graph';
import { failure } from '../helpers/failure';

const STUDENT = resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 });

function copyState(model: Module): StateDict {
  const out: StateDict = new Map();
  for (const [k, v] of model.stateDict()) out.set(k, v instanceof IntTensor ? new IntTensor(v.data.slice(), v.shape) : new Tensor(v.data.slice(), v.shape));
  return out;
}

describe('parallel/data-parallel', function () {
  this.timeout(60_000);
  const digits = new DigitDataset('digits', loadMnist().train, 2);
  const indices = Int32Array.from([3, 141, 59, 26, 535, 89, 79, 323, 84]);

  function setup(): { student: Module; teachers: Teacher[] } {
    manualSeed(11);
    const student = buildModel(STUDENT);
    setTemperature(student, 0.25);
    // Running statistics that are not the defaults, to see that rank 0's travel both ways.
    for (const [name, b] of student.namedBuffers()) if (name.endsWith('running_mean')) b.data.fill(0.125);
    const cnn = buildAnyModel(resolveAnyConfig({ arch: 'cnn-s', numClasses: 10, inChannels: 1 }));
    const table = new Tensor(Float32Array.from({ length: 1000 * 10 }, (_, i) => 3 * Math.sin(i)), [1000, 10]);
    return { student, teachers: [new LogitsFileTeacher('table', table, 'table.npy'), new ModuleTeacher('cnn-s', cnn, 10)] };
  }

  afterEach(() => expect(liveWorkers(), 'worker threads left running').to.equal(0));

  /** Bytes of a typed array, for bit-exact comparisons (-0 and NaN payloads included). */
  function bytes(a: Float32Array | Int32Array): Buffer {
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  }

  /**
   * The emulation of one data-parallel step: replicas built from `state`, one shard each, run in
   * this thread; returns each replica with its logits and loss.
   */
  function emulate(state: StateDict, x: Tensor, indices: Int32Array, teachers: Teacher[], form: EnsembleForm) {
    const per = x.size / x.shape[0];
    return shardBatch(indices.length, 2).map(({ start, end }) => {
      const r = withoutInit(() => buildModel(STUDENT));
      r.loadStateDict(state);
      r.train();
      const xs = new Tensor(x.data.slice(start * per, end * per), [end - start, ...x.shape.slice(1)]);
      const is = indices.slice(start, end);
      const logits = r.call(xs);
      const loss = gapSensitiveLoss(logits, teachers.map((t) => t.logits({ images: xs, indices: is })), form).loss;
      backward(loss);
      return { model: r, logits, loss: loss.item() };
    });
  }

  it('gives the averaged gradients of two replicas run on the two shards, bit for bit, and keeps rank 0\'s buffers @slow', async () => {
    const { student, teachers } = setup();
    const group = await DataParallel.start({ workers: 2, model: student, teachers });
    try {
      // Two steps; between them the weights change, as an optimizer step changes them.
      const steps: { indices: Int32Array; teachers: Teacher[]; form: EnsembleForm; sizes: number[] }[] = [
        { indices, teachers, form: 'script', sizes: [5, 4] },
        { indices: indices.slice(2), teachers: teachers.slice(0, 1), form: 'per-sample', sizes: [4, 3] },
      ];
      for (const [k, step] of steps.entries()) {
        if (k > 0) for (const p of student.parameters()) for (let i = 0; i < p.size; i++) p.data[i] *= 0.9;
        const before = copyState(student);
        const { x, y } = digits.batch(step.indices, new Rng(k));
        const shards = await group.computeGradients({ x, y, indices: step.indices }, step.teachers, step.form);
        const replicas = emulate(before, x, step.indices, step.teachers, step.form);
        expect(shards.map((s) => s.y.data.length)).to.deep.equal(step.sizes);
        const [r0, r1] = replicas.map((r) => r.model.parameters());
        const params = student.parameters();
        let compared = 0;
        for (let j = 0; j < params.length; j++) {
          // The model registers some parameters it never uses (as the official one does): no gradient anywhere.
          if (!r0[j].grad) {
            expect(r1[j].grad, `step ${k}, gradient ${j}`).to.equal(null);
            expect(params[j].grad, `step ${k}, gradient ${j}`).to.equal(null);
            continue;
          }
          compared++;
          // Summed in rank order, then divided by the worker count, in float32.
          const expected = new Float32Array(r0[j].grad!.data);
          for (let i = 0; i < expected.length; i++) expected[i] += r1[j].grad!.data[i];
          for (let i = 0; i < expected.length; i++) expected[i] /= 2;
          expect(params[j].grad, `step ${k}, gradient ${j}`).to.not.equal(null);
          expect(bytes(params[j].grad!.data).equals(bytes(expected)), `step ${k}, gradient of parameter ${j}`).to.equal(true);
        }
        expect(compared).to.be.greaterThan(20);
        for (let r = 0; r < 2; r++) {
          expect(shards[r].loss, `step ${k}, shard ${r} loss`).to.equal(replicas[r].loss);
          expect(bytes(shards[r].logits.data).equals(bytes(replicas[r].logits.data)), `step ${k}, shard ${r} logits`).to.equal(true);
        }
        // The main model keeps its weights and takes rank 0's updated buffers.
        const rank0 = replicas[0].model.stateDict();
        const mine = student.stateDict();
        const buffers = new Set(student.namedBuffers().map(([n]) => n));
        for (const [key, v] of before) {
          expect(bytes(mine.get(key)!.data).equals(bytes((buffers.has(key) ? rank0.get(key)! : v).data)), `step ${k}, ${key}`).to.equal(true);
        }
        expect(mine.get('feature.0.bn1.num_batches_tracked')!.data[0]).to.equal(k + 1);
      }
    } finally {
      await group.close();
    }
  });

  it('steps like the single-thread trainer with one worker: the optimizer steps the weights the forward clamped in place', async () => {
    const { student } = setup();
    const here = withoutInit(() => buildModel(STUDENT));
    here.loadStateDict(copyState(student));
    // A large lr drives latent binary weights past ±1.5 and Info-RCP scales out of [0, 1] within
    // a few steps; from then on the forward's in-place clamps decide what the optimizer steps.
    const optimizers = [student, here].map((m) => new AdamW(bnextParamGroups(m, { lr: 0.6 })));
    const group = await DataParallel.start({ workers: 1, model: student, teachers: [] });
    try {
      for (let k = 0; k < 6; k++) {
        const { x, y } = digits.batch(indices, new Rng(k));
        for (const o of optimizers) o.zeroGrad(true);
        await group.computeGradients({ x, y, indices }, [], 'script');
        here.train();
        backward(crossEntropy(here.call(x), y));
        for (const o of optimizers) o.step();
        for (const [key, v] of here.stateDict()) expect(bytes(student.stateDict().get(key)!.data).equals(bytes(v.data)), `step ${k}, ${key}`).to.equal(true);
      }
    } finally {
      await group.close();
    }
    const latent = here.namedParameters().filter(([k]) => k.endsWith('binary_conv.weight')).flatMap(([, v]) => [...v.data]);
    expect(Math.max(...latent.map(Math.abs)), 'latent weights went past the clamp').to.be.greaterThan(1.5);
  });

  it('evaluates on the workers with the main thread\'s logits and metrics, bit for bit, with the weights sent at each call, leaving them alone', async () => {
    const { student, teachers } = setup();
    const small = new DigitDataset('held-out', subset(loadMnist().test, 70, 13));
    const before = copyState(student);
    // Batches of 32 over 70 samples: 32, 32, 6, taken by whichever worker is free.
    const expected = evaluate(floatClassifier(student), small, 32);
    const xs = [0, 32, 64].map((start) => small.batch(Int32Array.from({ length: Math.min(32, 70 - start) }, (_, i) => start + i), null).x);
    const direct = xs.map((x) => floatClassifier(student)(x));
    const group = await DataParallel.start({ workers: 2, model: student, teachers });
    try {
      const logits = await group.predict(xs);
      expect(logits.map((l) => l.shape)).to.deep.equal(direct.map((l) => l.shape));
      for (let k = 0; k < xs.length; k++) expect(bytes(logits[k].data).equals(bytes(direct[k].data)), `batch ${k} logits`).to.equal(true);
      expect(await evaluateBatches((b) => group.predict(b), small, 32)).to.deep.equal(expected);
      for (const [key, v] of student.stateDict()) expect(bytes(v.data).equals(bytes(before.get(key)!.data)), key).to.equal(true);
      // Other weights on the main thread: the workers predict with them at the next call.
      for (const p of student.parameters()) for (let i = 0; i < p.size; i++) p.data[i] *= -0.5;
      const changed = xs.map((x) => floatClassifier(student)(x));
      const again = await group.predict(xs);
      for (let k = 0; k < xs.length; k++) {
        expect(bytes(again[k].data).equals(bytes(changed[k].data)), `batch ${k} logits after the weights changed`).to.equal(true);
        expect(bytes(again[k].data).equals(bytes(direct[k].data)), `batch ${k}: the new weights change the logits`).to.equal(false);
      }
    } finally {
      await group.close();
    }
  });

  it('reports an error inside a worker as an Error naming the worker and the cause, and stops', async () => {
    const { student, teachers } = setup();
    const group = await DataParallel.start({ workers: 2, model: student, teachers });
    try {
      const x = new Tensor(new Float32Array(4 * 3 * 8 * 8), [4, 3, 8, 8]);
      const y = new IntTensor(new Int32Array(4), [4]);
      const err = await failure(group.computeGradients({ x, y, indices: new Int32Array(4) }, [], 'script'));
      expect(err).to.be.instanceOf(Error);
      expect(err.message).to.match(/^data-parallel worker [01] \(of 2\) failed: BNext: input must be \[N, 1, H, W\], got \[2, 3, 8, 8\]$/);
      expect((err.cause as Error).stack).to.match(/replica\.ts/);
      // The group is unusable afterwards, with the same error.
      expect((await failure(group.computeGradients({ x, y, indices: new Int32Array(4) }, [], 'script'))).message).to.equal(err.message);
    } finally {
      await group.close();
    }
  });

  it('fails to start with a clear Error when a worker cannot build its replica', async () => {
    const { student } = setup();
    // A model whose configuration says 5 classes but that has 10: the worker's replica differs.
    Object.defineProperty(student, 'config', { value: { ...STUDENT, numClasses: 5 } });
    const err = await failure(DataParallel.start({ workers: 2, model: student, teachers: [] }));
    expect(err.message).to.match(/^data-parallel worker [01] \(of 2\) failed: replica [01]: the student built from its configuration differs from the main thread's at entry \d+: 'parameter fc.weight \[5, 32\]' here, 'parameter fc.weight \[10, 32\]' there$/);
  });

  it('refuses models and teachers that a worker cannot rebuild, before starting any thread', async () => {
    class Custom extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const { student, teachers } = setup();
    expect((await failure(DataParallel.start({ workers: 2, model: new Custom(), teachers: [] }))).message).to.equal(
      'the student: a Custom is not one of the zoo\'s models (BNext, BNext-18, CNN), so worker threads cannot rebuild it; train with workers: 1');
    const odd: Teacher = { name: 'odd', numClasses: 10, logits: (b) => new Tensor(new Float32Array(b.indices.length * 10), [b.indices.length, 10]) };
    expect((await failure(DataParallel.start({ workers: 2, model: student, teachers: [...teachers, odd] }))).message).to.match(/^teacher odd: only model teachers and logits-file teachers can be sent to worker threads/);
    expect((await failure(DataParallel.start({ workers: 0, model: student, teachers }))).message).to.equal('data-parallel: worker count must be a positive integer, got 0');
  });

  it('refuses a teacher it was not started with', async () => {
    const { student, teachers } = setup();
    const group = await DataParallel.start({ workers: 2, model: student, teachers: teachers.slice(0, 1) });
    try {
      const { x, y } = digits.batch(indices, null);
      expect((await failure(group.computeGradients({ x, y, indices }, teachers, 'script'))).message).to.equal('data-parallel: teacher cnn-s was not given to the workers when they started');
    } finally {
      await group.close();
    }
  });
});
