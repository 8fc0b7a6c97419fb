/**
 * The benchmark harness: what a benchmark module is, an interleaved timer, and table output.
 *
 * Timing method (own timer, not the `benchmark` package, because the variants compared here
 * differ 100x in speed and the slow ones may only run a few times):
 *   1. warm up: each variant runs once untimed (JIT, scratch buffers), and that run sets how
 *      many calls make one sample (enough for MIN_SAMPLE_MS, so short kernels are not timed
 *      at the clock's resolution);
 *   2. rounds: each round times one sample of every variant still owed rounds, in an order
 *      rotated from round to round, so drifts of the (shared, virtual) CPU hit every variant alike;
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
  /** Timed samples to take; slow variants may take fewer. */
  rounds: number;
  fn: () => void;
}

/** Samples shorter than this are made of several calls. */
const MIN_SAMPLE_MS = 40;

/** Median time per call in milliseconds of each variant, by name. */
export function timeInterleaved(variants: readonly Variant[]): Map<string, number> {
  const callsPerSample = variants.map((v) => {
    const t0 = performance.now();
    v.fn();
    const ms = performance.now() - t0;
    return Math.max(1, Math.ceil(MIN_SAMPLE_MS / Math.max(ms, 1e-3)));
  });
  const samples = variants.map((): number[] => []);
  const maxRounds = Math.max(...variants.map((v) => v.rounds));
  for (let round = 0; round < maxRounds; round++) {
    for (let step = 0; step < variants.length; step++) {
      const i = (round + step) % variants.length;
      if (samples[i].length >= variants[i].rounds) continue;
      const calls = callsPerSample[i];
      const fn = variants[i].fn;
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) fn();
      samples[i].push((performance.now() - t0) / calls);
    }
  }
  const result = new Map<string, number>();
  variants.forEach((v, i) => result.set(v.name, median(samples[i])));
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
