/**
 * The seeded fuzzer: input `i` of parser P under seed S is a seed file of P mutated by the
 * generator seeded with "S:P:i" (one to three mutations, format-aware ones more often than
 * format-blind ones), so any input can be rebuilt from (P, S, i). Each input is decoded in a
 * worker thread (fuzz/worker.ts) and classified: parsed (same as the seed, verified against a
 * reference decode, or unverified), rejected with the parser's own error, or a defect: a crash
 * (any other error), a hang (slower than the time limit, or never returning), an allocation
 * beyond what the input's length justifies (or the worker's heap exhausted), or a wrong result.
 */
import { Rng } from '../src/tensor/random';
import { spawnTypeScriptWorker } from '../src/parallel/spawn';
import type { Worker } from 'node:worker_threads';
import { GENERIC_MUTATORS } from './mutate';
import { DEFECTS, type FromWorker, type Job, type JobResult, type Outcome, OUTCOMES, type WorkerInit } from './protocol';
import type { FuzzTarget } from './target';

export interface FuzzOptions {
  count: number;
  seed: string;
  /** A decode slower than this is a hang (default 2000 ms). */
  timeoutMs?: number;
  /** How long past the time limit to wait for an answer before ending the worker (default 8000 ms). */
  killGraceMs?: number;
  /** Keep unverified inputs with their decoded results (for fuzz/reference.py). */
  keepUnverified?: boolean;
  /** Only these input indices (to reproduce a finding). */
  indices?: readonly number[];
  onProgress?: (done: number) => void;
  /** The module whose `TARGETS` holds the parser (default: fuzz/targets.ts, the real parsers). */
  targetModule?: URL;
}

export interface Finding {
  parser: string;
  index: number;
  seedFile: string;
  mutations: string[];
  outcome: Outcome;
  detail: string;
  bytes: Uint8Array;
}

export interface FuzzReport {
  parser: string;
  count: number;
  counts: Record<Outcome, number>;
  /** Rejections whose message carries a library's runtime error text. */
  internalMessages: number;
  findings: Finding[];
  unverified: { index: number; bytes: Uint8Array; output: Uint8Array }[];
  /** Rejection messages with numbers blanked, by frequency. */
  rejections: Map<string, number>;
  slowestMs: number;
  largestAllocation: number;
}

/** Worker heap limit: a decode that needs more has allocated more than any input justifies. */
const WORKER_HEAP_MB = 1024;
/** How long past the time limit the main thread waits, by default, before it ends a worker. */
const KILL_GRACE_MS = 8000;

/** Input `index`: which seed, which mutations, the bytes. */
export function makeInput(target: FuzzTarget, seed: string, index: number, seeds: readonly { name: string; bytes: Uint8Array }[]): { seedIndex: number; mutations: string[]; bytes: Uint8Array } {
  const rng = new Rng(`${seed}:${target.name}:${index}`);
  const seedIndex = rng.int(seeds.length);
  let bytes = seeds[seedIndex].bytes;
  const all = seeds.map((s) => s.bytes);
  const mutations: string[] = [];
  const n = rng.uniform() < 0.7 ? 1 : 2 + rng.int(2);
  for (let k = 0; k < n; k++) {
    const aware = rng.uniform() < 0.6;
    const mutate = aware ? target.mutators[rng.int(target.mutators.length)] : GENERIC_MUTATORS[rng.int(GENERIC_MUTATORS.length)];
    try {
      const m = mutate(bytes, rng, all);
      bytes = m.bytes;
      mutations.push(m.what);
    } catch {
      // A format-aware mutation may not understand an already mutated file; the next one runs.
      mutations.push(`${mutate.name} did not apply`);
    }
  }
  return { seedIndex, mutations, bytes };
}

/** A worker ready for jobs, with a way to run one under the kill timer. */
class WorkerSession {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private pending: { resolve: (r: JobResult | null) => void; timer: NodeJS.Timeout } | null = null;
  private lastExit = '';

  constructor(private readonly init: WorkerInit, private readonly killGraceMs: number) {}

  private start(): Promise<void> {
    const worker = spawnTypeScriptWorker(new URL('./worker.ts', import.meta.url), this.init, { maxOldGenerationSizeMb: WORKER_HEAP_MB });
    this.worker = worker;
    this.ready = new Promise((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') resolve();
        else if (this.pending) {
          clearTimeout(this.pending.timer);
          const { resolve: done } = this.pending;
          this.pending = null;
          done(m.result);
        }
      });
      worker.on('error', (e) => {
        this.lastExit = `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}`;
        reject(e);
      });
      worker.on('exit', () => {
        if (this.worker === worker) this.worker = null;
        if (this.pending) {
          clearTimeout(this.pending.timer);
          const { resolve: done } = this.pending;
          this.pending = null;
          done(null);
        }
      });
    });
    return this.ready;
  }

  /** The result, or null when the worker died or was killed (see `lastExit`). */
  async run(job: Job): Promise<{ result: JobResult | null; exit: string }> {
    if (!this.worker) await this.start();
    await this.ready;
    this.lastExit = '';
    const result = await new Promise<JobResult | null>((resolve) => {
      const timer = setTimeout(() => {
        this.lastExit = 'killed: no answer';
        void this.worker?.terminate();
      }, this.init.timeoutMs + this.killGraceMs);
      this.pending = { resolve, timer };
      this.worker!.postMessage(job);
    });
    return { result, exit: this.lastExit };
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}

/** The real parsers' targets. */
export const PARSER_TARGETS = new URL('./targets.ts', import.meta.url);

export async function loadTarget(parser: string, module: URL = PARSER_TARGETS): Promise<FuzzTarget> {
  const { TARGETS } = (await import(module.href)) as { TARGETS: Record<string, FuzzTarget> };
  const target = TARGETS[parser];
  if (!target) throw new Error(`fuzz: no target '${parser}' in ${module.href}`);
  return target;
}

export async function fuzzParser(parser: string, options: FuzzOptions): Promise<FuzzReport> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const targetModule = options.targetModule ?? PARSER_TARGETS;
  const target = await loadTarget(parser, targetModule);
  const seeds = target.seeds();
  const init: WorkerInit = { targetModule: targetModule.href, parser, timeoutMs, wantOutputs: options.keepUnverified ?? false };
  const session = new WorkerSession(init, options.killGraceMs ?? KILL_GRACE_MS);
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const report: FuzzReport = {
    parser, count: 0, counts, internalMessages: 0, findings: [], unverified: [], rejections: new Map(), slowestMs: 0, largestAllocation: 0,
  };
  const indices = options.indices ?? Array.from({ length: options.count }, (_, i) => i);
  try {
    for (const index of indices) {
      const input = makeInput(target, options.seed, index, seeds);
      const { result, exit } = await session.run({ index, seedIndex: input.seedIndex, bytes: input.bytes });
      const outcome: Outcome = result?.outcome ?? (/OUT_OF_MEMORY/.test(exit) ? 'allocation' : 'hang');
      const detail = result?.detail ?? (exit || 'the worker ended');
      counts[outcome]++;
      report.count++;
      if (result) {
        report.slowestMs = Math.max(report.slowestMs, result.ms);
        report.largestAllocation = Math.max(report.largestAllocation, result.allocated);
        if (result.internalMessage) report.internalMessages++;
        if (outcome === 'rejected') {
          const key = detail.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N').slice(0, 120);
          report.rejections.set(key, (report.rejections.get(key) ?? 0) + 1);
        }
        if (outcome === 'unverified' && result.output) report.unverified.push({ index, bytes: input.bytes, output: result.output });
      }
      if (DEFECTS.includes(outcome)) {
        report.findings.push({ parser, index, seedFile: seeds[input.seedIndex].name, mutations: input.mutations, outcome, detail, bytes: input.bytes });
      }
      options.onProgress?.(report.count);
    }
  } finally {
    await session.close();
  }
  return report;
}
