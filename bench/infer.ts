/**
 * Parallel inference (`npm run bench -- infer`): the speed-up of running batches on worker
 * threads (src/parallel/inference-pool.ts) over this thread alone, measured in one run:
 *
 *   1. BNext-T at 224x224, batch 8, 1000 classes, the packed XNOR engine: this thread, one worker,
 *      two workers with the default (guided) chunks, with one row at a time, and with fixed
 *      halves (chunks of 4 rows), to show what taking chunks on demand buys when the two vCPUs
 *      run at different speeds;
 *   2. the held-out digits (2,004 images, 24x24), the digits recipe's student (BNext C=16 1:1:0:0,
 *      stride-2 stem), batches of 64, float forward and packed engine: the evaluation loop of
 *      `bnext eval` in this process, on this thread and on two workers (pools started once);
 *   3. the same as whole `bnext eval` processes, with and without `--workers 2`: start-up,
 *      loading, the workers' own start-up and the evaluation, as a user runs it.
 *
 * Models are seeded random initialisations made fully binary (temperatures 1e-8): speed does not
 * depend on the weights' values. Every variant is warmed up, then rounds time one call of each
 * in an order rotated per round; reported are the median and the fastest call (the machine is
 * shared: the fastest is the nearest to an idle machine), and this process's CPU time per call,
 * all threads together (CPU / wall = cores kept busy). Each pool's logits are checked against
 * this thread's, bit for bit, before timing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, resolveConfig, type ArchOptions, type BNextModel } from '../src/models/factory';
import { manualSeed, Rng } from '../src/tensor/random';
import { Tensor } from '../src/tensor/tensor';
import { setTemperature } from '../src/optim/temperature';
import { DIGITS_STUDENT, digitsDatasets } from '../src/train/recipe';
import { evaluate, evaluateBatches } from '../src/train/evaluate';
import { writeStateDict } from '../src/nn/state-dict-file';
import { writeBnx } from '../src/engine/bnx-file';
import { bnxContentsOf } from '../src/engine/load';
import { InferencePool } from '../src/parallel/inference-pool';
import { type InferenceSource, localClassifier } from '../src/parallel/inference-source';
import { formatTable, measureRounds, type AsyncVariant, type BenchModule, type RoundsTiming } from './harness';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BNEXT_T_BATCH = 8;
const DIGITS_BATCH = 64;
/** Timed rounds (after one warm-up call each, none for whole processes). */
const BNEXT_T_ROUNDS = 5;
const DIGITS_ROUNDS = 3;
const PROCESS_ROUNDS = 2;

const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');

/** A seeded, fully binary model in evaluation mode. */
function binaryModel(options: ArchOptions, seed: string): BNextModel {
  manualSeed(seed);
  const model = buildModel(resolveConfig(options));
  setTemperature(model, 1e-8);
  return model.eval();
}

function bytesEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function startPool(source: InferenceSource, workers: number, chunkRows?: number): Promise<{ pool: InferencePool; ms: number }> {
  const t0 = performance.now();
  const pool = await InferencePool.start(source, chunkRows === undefined ? { workers } : { workers, chunkRows });
  return { pool, ms: performance.now() - t0 };
}

/** Rows of a table: wall times in seconds, images/s from the median and the speed-up over the first variant. */
function rows(names: readonly string[], t: Map<string, RoundsTiming>, images: number, withCpu: boolean): string[][] {
  const base = t.get(names[0])!;
  return names.map((name) => {
    const r = t.get(name)!;
    return [
      name, (r.median / 1000).toFixed(3), (r.fastest / 1000).toFixed(3), (images * 1000 / r.median).toFixed(1),
      `${(base.median / r.median).toFixed(2)}x`, `${(base.fastest / r.fastest).toFixed(2)}x`, withCpu ? (r.cpu / 1000).toFixed(3) : '-',
    ];
  });
}

const HEADER = ['', 'median s', 'fastest s', 'images/s', 'speed-up', 'fastest speed-up', 'CPU s'];

async function bnextT(): Promise<void> {
  const model = binaryModel({ arch: 'bnext-t' }, 'bench-infer-t');
  const rng = new Rng('bench-infer-x');
  const x = new Tensor(Float32Array.from({ length: BNEXT_T_BATCH * 3 * 224 * 224 }, () => rng.normal()), [BNEXT_T_BATCH, 3, 224, 224]);
  const source: InferenceSource = { engine: 'xnor', model };
  const here = localClassifier(source);
  const expected = here(x).data.slice();
  const one = await startPool(source, 1);
  const two = await startPool(source, 2);
  const single = await startPool(source, 2, 1);
  const halves = await startPool(source, 2, BNEXT_T_BATCH / 2);
  try {
    const pools: [string, InferencePool][] = [
      ['1 worker', one.pool], ['2 workers, guided chunks (default)', two.pool], ['2 workers, 1 row at a time', single.pool], [`2 workers, fixed halves (${BNEXT_T_BATCH / 2} rows)`, halves.pool],
    ];
    for (const [name, pool] of pools) {
      if (!bytesEqual((await pool.run(x)).data, expected)) throw new Error(`bench infer: ${name}: logits differ from this thread's`);
    }
    console.log(`\nBNext-T 224x224, batch ${BNEXT_T_BATCH}, packed engine; pools started in ${(one.ms / 1000).toFixed(2)} s (1 worker), ${(two.ms / 1000).toFixed(2)} s (2 workers); logits bit-identical to this thread's: yes`);
    const variants: AsyncVariant[] = [{ name: 'this thread', fn: async () => void here(x) }, ...pools.map(([name, pool]) => ({ name, fn: async () => void (await pool.run(x)) }))];
    const t = await measureRounds(variants, BNEXT_T_ROUNDS, 1);
    console.log(formatTable(HEADER, rows(variants.map((v) => v.name), t, BNEXT_T_BATCH, true)));
  } finally {
    await Promise.all([one, two, single, halves].map((p) => p.pool.close()));
  }
}

async function digitsInProcess(models: Record<'float' | 'xnor', InferenceSource>): Promise<void> {
  const test = digitsDatasets().test;
  console.log(`\nheld-out digits (${test.count} images, ${test.sampleShape.slice(1).join('x')}), BNext C=${DIGITS_STUDENT.baseWidth} ${DIGITS_STUDENT.stages!.join(':')}, batches of ${DIGITS_BATCH}: the evaluation loop in this process`);
  for (const engine of ['float', 'xnor'] as const) {
    const source = models[engine];
    const here = localClassifier(source);
    const expected = evaluate(here, test, DIGITS_BATCH);
    const { pool, ms } = await startPool(source, 2);
    try {
      const onPool = (): ReturnType<typeof evaluateBatches> => evaluateBatches((xs) => Promise.all(xs.map((b) => pool.run(b))), test, DIGITS_BATCH);
      const got = await onPool();
      if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`bench infer: digits ${engine}: metrics on the workers differ from this thread's`);
      const variants: AsyncVariant[] = [
        { name: `${engine}, this thread`, fn: async () => void evaluate(here, test, DIGITS_BATCH) },
        { name: `${engine}, 2 workers`, fn: async () => void (await onPool()) },
      ];
      const t = await measureRounds(variants, DIGITS_ROUNDS, 1);
      console.log(`${engine}: top-1 ${expected.top1.toFixed(2)}% (untrained) on both; 2-worker pool started in ${(ms / 1000).toFixed(2)} s`);
      console.log(formatTable(HEADER, rows(variants.map((v) => v.name), t, test.count, true)));
    } finally {
      await pool.close();
    }
  }
}

/** One whole `bnext eval` process; rejects with its stderr if it fails. */
function bnextEval(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/bnext.mjs'), 'eval', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bnext eval ${args.join(' ')} exited with ${code}: ${stderr.trim()}`))));
  });
}

async function digitsProcesses(model: BNextModel): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-infer-'));
  try {
    const weights = join(dir, 'student.safetensors');
    const bnx = join(dir, 'student.bnx');
    writeStateDict(weights, model);
    writeBnx(bnx, bnxContentsOf(model));
    const arch = ['--arch', 'bnext', '--base-width', String(DIGITS_STUDENT.baseWidth), '--stages', DIGITS_STUDENT.stages!.join(','), '--stem-stride', '2', '--in-channels', '1', '--classes', '10'];
    const engines: [string, string[]][] = [['float', [...arch, '--weights', weights]], ['xnor', ['--engine', 'xnor', '--weights', bnx]]];
    const variants: AsyncVariant[] = engines.flatMap(([engine, args]) => [
      { name: `bnext eval, ${engine}`, fn: () => bnextEval([...args, '--batch-size', String(DIGITS_BATCH)]) },
      { name: `bnext eval, ${engine}, --workers 2`, fn: () => bnextEval([...args, '--batch-size', String(DIGITS_BATCH), '--workers', '2']) },
    ]);
    const t = await measureRounds(variants, PROCESS_ROUNDS, 0);
    console.log('\nthe same as whole `bnext eval` processes (module loading, reading the weights, starting the workers included):');
    for (let i = 0; i < variants.length; i += 2) {
      console.log(formatTable(HEADER.slice(0, -1), rows([variants[i].name, variants[i + 1].name], t, digitsDatasets().test.count, false).map((r) => r.slice(0, -1))));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const inferBench: BenchModule = {
  name: 'infer',
  title: 'parallel inference: batches on this thread vs worker threads (packed engine and float forward)',
  async run(): Promise<void> {
    console.log(`node ${process.version}, ${availableParallelism()} CPUs; load average before: ${load()} (a shared machine: timings are noisy)`);
    await bnextT();
    const student = binaryModel(DIGITS_STUDENT, 'bench-infer-digits');
    await digitsInProcess({ float: { engine: 'float', model: student }, xnor: { engine: 'xnor', model: student } });
    await digitsProcesses(student);
    console.log(`\nload average after: ${load()}`);
  },
};

export default inferBench;
