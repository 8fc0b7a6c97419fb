/**
 * BNEXT_KERNELS: read by a Node program at start, passed on to the worker threads it spawns
 * (which then run on the parent's kernels, whatever the parent's own environment says), and a
 * bad value refused by the CLI in one line.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { environmentWithKernels, kernelsFromEnvironment, KERNELS_VARIABLE } from '../../src/io/environment';
import { kernelChoice, withKernels } from '../../src/tensor/kernels/kernel-choice';
import { spawnTypeScriptWorker } from '../../src/parallel/spawn';

/** The kernel choice a worker reports after serve.ts has started it. */
function reportedChoice(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.on('message', (m: { kind: string; choice?: string }) => {
      if (m.kind !== 'choice') return;
      resolve(m.choice);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('io/environment: BNEXT_KERNELS', () => {
  it('sets the kernels from the variable, fast when it is unset', () => {
    withKernels('fast', () => {
      expect(kernelsFromEnvironment({ [KERNELS_VARIABLE]: 'reference' })).to.equal('reference');
      expect(kernelChoice()).to.equal('reference');
      expect(kernelsFromEnvironment({})).to.equal('fast');
      expect(() => kernelsFromEnvironment({ [KERNELS_VARIABLE]: 'fastest' })).to.throw("BNEXT_KERNELS: 'fastest' is not a kernel set");
    });
  });

  it("gives a child this process's choice, over the variable's value", () => {
    withKernels('reference', () => {
      expect(environmentWithKernels({ PATH: '/bin', [KERNELS_VARIABLE]: 'fast' })).to.deep.equal({ PATH: '/bin', [KERNELS_VARIABLE]: 'reference' });
    });
  });

  it('a worker thread starts on the kernels its parent runs on (serve.ts reads them)', async function () {
    this.timeout(30_000);
    const entry = new URL('../helpers/kernel-choice-worker.ts', import.meta.url);
    for (const choice of ['reference', 'fast'] as const) {
      const worker = withKernels(choice, () => spawnTypeScriptWorker(entry, null));
      expect(await reportedChoice(worker)).to.equal(choice);
    }
  });

  it('the command line refuses a bad value in one line @slow', function () {
    this.timeout(30_000);
    const r = spawnSync(process.execPath, ['bin/bnext.mjs', 'stats', '--arch', 'bnext-t'], { encoding: 'utf8', env: { ...process.env, [KERNELS_VARIABLE]: 'gpu' } });
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.equal("bnext: BNEXT_KERNELS: 'gpu' is not a kernel set; use 'fast' or 'reference'");
  });
});
