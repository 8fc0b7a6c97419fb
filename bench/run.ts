/**
 * Entry of `npm run bench`: runs the benchmark modules below in order, or only those whose
 * names are given (`npm run bench -- float xnor`). Adding a benchmark is one line in `modules`.
 * Modules load lazily, so one module's dependencies cost nothing when it is not selected.
 */
import type { BenchModule } from './harness';

/** Name (as typed on the command line) and loader of each module, in running order. */
const modules: [string, () => Promise<{ default: BenchModule }>][] = [
  ['float', () => import('./float')],
  ['data', () => import('./data')],
  ['xnor', () => import('./xnor')],
  ['train', () => import('./train')],
  ['parallel', () => import('./parallel')],
  ['infer', () => import('./infer')],
  ['cli', () => import('./cli')],
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const known = modules.map(([name]) => name);
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length > 0) throw new Error(`bench: unknown module ${unknown.join(', ')}; known: ${known.join(', ')}`);
  for (const [name, load] of modules) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    const bench = (await load()).default;
    console.log(`\n== ${bench.name}: ${bench.title}`);
    const t0 = performance.now();
    await bench.run();
    console.log(`(${bench.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

await main();
