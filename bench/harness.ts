/**
 * The benchmark harness: what a benchmark module is, an interleaved timer, and table output.
 *
 * Timing method (own timer, not the `benchmark` package, because the variants compared here
 * differ 100x in speed and the slow ones can only run a few times):
 *   1. warm up: each variant runs once (JIT, scratch buffers). That call sets how many calls
 *      make one sample (enough for MIN_SAMPLE_MS, so short kernels are not timed at the
 *      clock's resolution); a call of over SLOW_CALL_MS is already past its JIT warm-up for
 *      most of its run and counts as the first sample;
 *   2. rounds: each round times one sample of every variant still owed samples, in an order
 *      rotated from round to round, so drifts of the (shared, virtual) CPU hit every variant
 *      alike. A variant stops at `rounds` samples or once it has used `budgetMs`;
 *   3. the result of a variant is the median of its samples.
 */

/** One module of `npm run bench`; bench/run.ts lists them. */
export interface BenchModule {
  /** Short name to select the module: `npm run bench -- float`. */
  name: string;
  /** A heading printed before the module runs. */
  title: string;
  run(): Promise<void>;
}

export interface Variant {
  name: string;
  /** Most samples to take. */
  rounds: number;
  /** Time after which the variant takes no more samples (it always gets at least one); default no limit. */
  budgetMs?: number;
  fn: () => void;
}

export interface Timing {
  /** Median time per call. */
  ms: number;
  samples: number;
}

/** Samples shorter than this are made of several calls. */
const MIN_SAMPLE_MS = 40;
/** A warm-up call this long counts as a sample. */
const SLOW_CALL_MS = 1000;

/** Median time per call in milliseconds of each variant, by name. */
export function timeInterleaved(variants: readonly Variant[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const [name, t] of measureInterleaved(variants)) result.set(name, t.ms);
  return result;
}

/** The median time per call and the number of samples of each variant, by name. */
export function measureInterleaved(variants: readonly Variant[]): Map<string, Timing> {
  const samples = variants.map((): number[] => []);
  const spent = variants.map(() => 0);
  const callsPerSample = variants.map((v, i) => {
    const t0 = performance.now();
    v.fn();
    const ms = performance.now() - t0;
    if (ms >= SLOW_CALL_MS) {
      samples[i].push(ms);
      spent[i] += ms;
    }
    return Math.max(1, Math.ceil(MIN_SAMPLE_MS / Math.max(ms, 1e-3)));
  });
  const owed = (i: number): boolean =>
    samples[i].length < variants[i].rounds && (samples[i].length === 0 || spent[i] < (variants[i].budgetMs ?? Infinity));
  for (let round = 0; variants.some((_, i) => owed(i)); round++) {
    for (let step = 0; step < variants.length; step++) {
      const i = (round + step) % variants.length;
      if (!owed(i)) continue;
      const calls = callsPerSample[i];
      const fn = variants[i].fn;
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) fn();
      const ms = performance.now() - t0;
      samples[i].push(ms / calls);
      spent[i] += ms;
    }
  }
  const result = new Map<string, Timing>();
  variants.forEach((v, i) => result.set(v.name, { ms: median(samples[i]), samples: samples[i].length }));
  return result;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A variant whose call returns a promise (work on worker threads, child processes). */
export interface AsyncVariant {
  name: string;
  fn: () => Promise<void>;
}

export interface RoundsTiming {
  /** Median milliseconds per call. */
  median: number;
  /** The fastest call: on a shared machine, the nearest to an idle one. */
  fastest: number;
  /** Median CPU milliseconds of this process per call, all threads together (its ratio to the wall time is the cores kept busy). */
  cpu: number;
}

/**
 * `warmup` calls of each variant, then `rounds` rounds, each timing one call of every variant
 * in an order rotated from round to round (as measureInterleaved does), one call at a time.
 */
export async function measureRounds(variants: readonly AsyncVariant[], rounds: number, warmup: number): Promise<Map<string, RoundsTiming>> {
  for (const v of variants) for (let i = 0; i < warmup; i++) await v.fn();
  const wall = variants.map((): number[] => []);
  const cpu = variants.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < variants.length; step++) {
      const i = (round + step) % variants.length;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await variants[i].fn();
      wall[i].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[i].push((c.user + c.system) / 1000);
    }
  }
  const result = new Map<string, RoundsTiming>();
  variants.forEach((v, i) => result.set(v.name, { median: median(wall[i]), fastest: Math.min(...wall[i]), cpu: median(cpu[i]) }));
  return result;
}
