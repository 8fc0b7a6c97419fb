import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { InferencePool } from '../../src/parallel/inference-pool';
import { type InferenceSource, localClassifier } from '../../src/parallel/inference-source';
import { liveWorkers } from '../../src/parallel/spawn';
import { bnxContentsOf } from '../../src/engine/load';
import { packModel } from '../../src/engine/packed-model';
import { parseQuantization } from '../../src/quantize/scheme';
import { buildAnyModel, resolveAnyConfig } from '../../src/models/zoo';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { floatClassifier } from '../../src/train/evaluate';
import { manualSeed, Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';
import { randomInput, randomModel } from '../engine/helpers';
import { failure } from '../helpers/failure';

/** Bytes of a typed array, for bit-exact comparisons (-0 and NaN payloads included). */
function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Expects the pool's logits of `x` to be the one-thread logits of the whole batch, bit for bit. */
function expectSame(got: Tensor, expected: Tensor, what: string): void {
  expect(got.shape, what).to.deep.equal(expected.shape);
  expect(bytes(got.data).equals(bytes(expected.data)), `${what}: logits differ from one thread's`).to.equal(true);
}

describe('parallel/inference-pool', function () {
  this.timeout(120_000);
  afterEach(() => expect(liveWorkers(), 'worker threads left running').to.equal(0));

  // BNext with every kind of unit (ELM-Attention, FFN_3x3, a stride-2 stage with FFN_1 ‖ FFN_2),
  // 1000 classes (stride-2 stem), random weights and statistics, fully binary.
  const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 1000 }, 'pool-bnext');
  const rng = new Rng('pool-input');
  // 5 over 2 workers (not divisible), 1 (fewer rows than workers), 8 (full GEMM tiles), 13; guided
  // chunks of 4, 3, 2 and 1 rows for 13 alone, other sizes when all four are queued at once.
  const batches = [5, 1, 8, 13].map((n) => randomInput(rng, [n, 3, 32, 32]));

  const sources: { name: string; slow?: boolean; source: () => InferenceSource; expected: (x: Tensor) => Tensor }[] = [
    { name: 'packed engine of a model', source: () => ({ engine: 'xnor', model }), expected: (x) => packModel(model).run(x) },
    {
      name: 'packed engine of quantized .bnx contents (Eq. 5 on each row)',
      slow: true,
      source: () => ({ engine: 'xnor', contents: bnxContentsOf(model, { quantize: parseQuantization('paper') }), name: 'quantized' }),
      expected: (x) => localClassifier({ engine: 'xnor', contents: bnxContentsOf(model, { quantize: parseQuantization('paper') }) })(x),
    },
    { name: 'float forward', source: () => ({ engine: 'float', model }), expected: (x) => floatClassifier(model)(x) },
  ];
  for (const s of sources) {
    it(`${s.name}: 2 workers give the logits of one thread, bit for bit, for batches of 5, 1, 8 and 13, one by one and concurrently${s.slow ? ' @slow' : ''}`, async () => {
      const pool = await InferencePool.start(s.source(), { workers: 2 });
      try {
        expect(pool.workers).to.equal(2);
        const expected = batches.map((x) => s.expected(x));
        for (const [k, x] of batches.entries()) expectSame(await pool.run(x), expected[k], `batch of ${x.shape[0]}`);
        const together = await Promise.all(batches.map((x) => pool.run(x)));
        together.forEach((t, k) => expectSame(t, expected[k], `batch of ${batches[k].shape[0]}, run concurrently`));
      } finally {
        await pool.close();
      }
    });
  }

  it('runs BNext-18 and a teacher CNN too, in chunks of any size @slow', async () => {
    const b18 = randomModel({ arch: 'bnext-18', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }, 'pool-bnext18');
    manualSeed(5);
    const cnn = buildAnyModel(resolveAnyConfig({ arch: 'cnn-s', numClasses: 10, inChannels: 3 }));
    const x = randomInput(new Rng('pool-18'), [7, 3, 32, 32]);
    const cases: [string, InferenceSource, number, Tensor][] = [
      ['packed BNext-18', { engine: 'xnor', model: b18 }, 3, packModel(b18).run(x)],
      ['float BNext-18', { engine: 'float', model: b18 }, 7, floatClassifier(b18)(x)],
      ['float cnn-s', { engine: 'float', model: cnn }, 2, floatClassifier(cnn)(x)],
    ];
    for (const [name, source, chunkRows, expected] of cases) {
      const pool = await InferencePool.start(source, { workers: 2, chunkRows });
      try {
        expectSame(await pool.run(x), expected, `${name}, chunks of ${chunkRows} rows`);
      } finally {
        await pool.close();
      }
    }
  });

  it('refuses bad options and sources by name before starting any worker', async () => {
    const src: InferenceSource = { engine: 'xnor', model };
    expect((await failure(InferencePool.start(src, { workers: 0 }))).message).to.equal('InferencePool: workers must be an integer from 1 to 256, got 0');
    expect((await failure(InferencePool.start(src, { workers: 2, chunkRows: 1.5 }))).message).to.equal('InferencePool: chunkRows must be an integer from 1 to 65536, got 1.5');
    const odd = { workers: 2, threads: 4 } as unknown as { workers: number };
    expect((await failure(InferencePool.start(src, odd))).message).to.equal("InferencePool: unknown option 'threads' (valid: workers, chunkRows)");
    // Temperature 1: the binary convolutions are not sign(w) yet, so there is nothing to pack.
    manualSeed(3);
    const soft = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 }));
    expect((await failure(InferencePool.start({ engine: 'xnor', model: soft }, { workers: 2 }))).message).to.match(/temperature/);
    expect(liveWorkers()).to.equal(0);
  });

  it('rejects a bad batch with an Error naming it and stays usable; after close, runs fail', async () => {
    const pool = await InferencePool.start({ engine: 'xnor', model }, { workers: 2 });
    let closed = false;
    try {
      const gray = new Tensor(new Float32Array(2 * 32 * 32), [2, 1, 32, 32]);
      expect((await failure(pool.run(gray))).message).to.equal('inference: input must be [N, 3, H, W] with N >= 1, got [2, 1, 32, 32]');
      // A size the stride-2 stages cannot halve evenly fails in the worker: that batch only.
      const err = await failure(pool.run(randomInput(new Rng('odd'), [3, 3, 20, 20])));
      expect(err.message).to.match(/^inference worker [01] \(of 2\) failed: /);
      expectSame(await pool.run(batches[0]), packModel(model).run(batches[0]), 'after a failed batch');
      await pool.close();
      closed = true;
      expect((await failure(pool.run(batches[1]))).message).to.equal('inference: the workers have been closed');
    } finally {
      if (!closed) await pool.close();
    }
  });

  it('does not keep the process alive when the caller forgets to close it @slow', () => {
    const script = `
      import { InferencePool } from './src/parallel/inference-pool.ts';
      import { buildModel, resolveConfig } from './src/models/factory.ts';
      import { Tensor } from './src/tensor/tensor.ts';
      const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 }));
      const pool = await InferencePool.start({ engine: 'float', model }, { workers: 2 });
      const logits = await pool.run(new Tensor(new Float32Array(3 * 3 * 8 * 8), [3, 3, 8, 8]));
      console.log('logits ' + logits.shape.join('x'));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error, 'the process did not exit by itself').to.equal(undefined);
    expect(r.stderr).to.equal('');
    expect(r.stdout.trim()).to.equal('logits 3x10');
    expect(r.status).to.equal(0);
  });
});
