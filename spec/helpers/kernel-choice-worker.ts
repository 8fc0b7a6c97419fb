/**
 * A worker thread entry for spec/io/environment.spec.ts, served as every worker of bnext is
 * (parallel/serve.ts): its state is the kernel choice it started on, which it reports once ready.
 */
import { parentPort } from 'node:worker_threads';
import { serve } from '../../src/parallel/serve';
import { kernelChoice } from '../../src/tensor/kernels/kernel-choice';

serve('spec/helpers/kernel-choice-worker.ts', () => kernelChoice(), () => ({ reply: { kind: 'none', id: 0 }, transfer: [] }));
parentPort?.postMessage({ kind: 'choice', choice: kernelChoice() });
