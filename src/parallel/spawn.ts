/**
 * Starts a worker thread whose entry may be a TypeScript file. The repo runs TypeScript through tsx
 * without a build step, but a worker does not inherit the main thread's loader hooks, and
 * `execArgv: ['--import', 'tsx']` does not apply them to the worker's entry either (Node 20:
 * "Unknown file extension .ts"). So the worker starts from a one-line bootstrap that registers
 * tsx's ESM loader in the worker, then imports the entry. This works the same under `tsx`,
 * `node --import tsx`, bin/bnext.mjs and mocha; from the compiled package (dist/) the entry is
 * JavaScript and starts directly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { environmentWithKernels } from '../io/environment';

let tsxApi: string | null = null;
let live = 0;

/** Worker threads started here that have not exited yet (tests check that none leak). */
export function liveWorkers(): number {
  return live;
}

/** The file URL of tsx's ESM `register` API (its `import` condition: the CommonJS build cannot register from a worker). */
function tsxApiUrl(): string {
  if (tsxApi) return tsxApi;
  const packageJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(packageJson, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> }).exports;
  const entry = exports?.['./esm/api']?.import?.default;
  if (!entry) throw new Error(`${packageJson}: no ESM entry for tsx/esm/api; cannot start TypeScript worker threads`);
  tsxApi = pathToFileURL(join(dirname(packageJson), entry)).href;
  return tsxApi;
}

/**
 * The URL of the module `name` (without extension) beside the module at `base` (its
 * `import.meta.url`): the .ts source when running from the sources, the compiled .js in dist/.
 */
export function siblingModule(name: string, base: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

export function spawnTypeScriptWorker(entry: URL, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const load = entry.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(tsxApiUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`
    : `import(${JSON.stringify(entry.href)});`;
  // The parent's flags are tsx's own preflight and loader, which do not work inside a worker.
  // BNEXT_KERNELS carries this thread's kernel choice (io/environment.ts), which serve.ts reads.
  const worker = new Worker(load, { eval: true, execArgv: [], workerData, resourceLimits, env: environmentWithKernels() });
  live++;
  worker.once('exit', () => live--);
  return worker;
}
