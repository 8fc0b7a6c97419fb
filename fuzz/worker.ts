/**
 * The fuzzer's worker thread: decodes each input under the allocation tracker and classifies
 * what happened (fuzz/protocol.ts). A decode that never returns is caught by the main thread,
 * which terminates this worker; one that exhausts the worker's heap ends it the same way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { install, measureAllocations } from './alloc-tracker';
import type { FromWorker, Job, JobResult, WorkerInit } from './protocol';
import type { FuzzTarget } from './target';

install();
const init = workerData as WorkerInit;
// Imported after `install`, so that the parsers' allocations go through the tracker.
const { TARGETS } = (await import(init.targetModule)) as { TARGETS: Record<string, FuzzTarget> };
const { ReferenceRejects } = await import('./target');
const { outputFile } = await import('./outputs');
const target = TARGETS[init.parser];
const seeds = target.seeds();
const seedDigests = seeds.map(({ bytes, name }) => {
  try {
    return target.decode(bytes, name);
  } catch {
    return null;
  }
});

const INTERNAL = /Cannot (read|set) propert|is not a function|is not iterable|Invalid (typed )?array length|out of bounds|outside the bounds|Maximum call stack|Array buffer allocation failed/;
const BUILT_IN = [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const frame = e.stack?.split('\n').find((l) => l.trim().startsWith('at '))?.trim() ?? '';
  return `${e.name}: ${e.message.slice(0, 300)}${frame ? ` (${frame})` : ''}`;
}

function classify(job: Job): JobResult {
  const source = `input-${job.index}`;
  const start = performance.now();
  const { report, value, error } = measureAllocations(target.allocationBound(job.bytes.length), () => target.decode(job.bytes, source));
  const ms = performance.now() - start;
  const base = { index: job.index, ms, allocated: report.total, internalMessage: false };
  if (report.violation) return { ...base, outcome: 'allocation', detail: `${report.violation.message}${error && error !== report.violation ? `; then ${describe(error)}` : ''}` };
  if (error !== undefined) {
    const own = error instanceof Error && !BUILT_IN.some((C) => error instanceof C) && error.message.startsWith(`${source}:`);
    if (!own) return { ...base, outcome: 'crash', detail: describe(error) };
    return { ...base, outcome: 'rejected', detail: (error as Error).message.slice(source.length + 2, source.length + 200), internalMessage: INTERNAL.test((error as Error).message) };
  }
  if (ms > init.timeoutMs) return { ...base, outcome: 'hang', detail: `decoded in ${ms.toFixed(0)} ms` };
  if (value === seedDigests[job.seedIndex]) return { ...base, outcome: 'same', detail: '' };
  let reference: string | null;
  try {
    reference = target.reference(job.bytes, seeds[job.seedIndex].bytes);
  } catch (e) {
    if (e instanceof ReferenceRejects) return { ...base, outcome: 'wrong', detail: `accepted, but the reference decode finds it invalid (${e.message})` };
    return { ...base, outcome: 'unverified', detail: `the reference decode failed: ${describe(e)}` };
  }
  if (reference === null) {
    const result: JobResult = { ...base, outcome: 'unverified', detail: '' };
    if (init.wantOutputs) result.output = outputFile(init.parser, job.bytes, source);
    return result;
  }
  return reference === value ? { ...base, outcome: 'verified', detail: '' } : { ...base, outcome: 'wrong', detail: 'decoded differently from the reference decode' };
}

const port = parentPort!;
port.on('message', (job: Job) => {
  const message: FromWorker = { kind: 'result', result: classify(job) };
  port.postMessage(message);
});
port.postMessage({ kind: 'ready', seeds: seeds.length } satisfies FromWorker);
