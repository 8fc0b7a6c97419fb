/**
 * Kill at any moment: a short training run (kill-resume-child.ts) is killed with SIGKILL at
 * seeded random moments, resumed each time, and finally run to its end. After every kill each
 * file in the run folder must be whole (it parses; a checkpoint's tensor files exist and parse),
 * apart from the temporary files of atomic writes (io/atomic.ts), which the next run removes.
 * The final weights and log must equal, bit for bit, those of a run that was never interrupted.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { type FSWatcher, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../../src/io/files';
import type { StoredArray } from '../../src/io/stored';
import { decodePng } from '../../src/data/png';
import { Rng } from '../../src/tensor/random';

const CHILD = join('spec', 'train', 'kill-resume-child.ts');
const TEMP = /\.tmp-\d+-[0-9a-z]+$/;
/** The child's epochs (kill-resume-child.ts). */
const EPOCHS = 4;

interface Outcome {
  /** The exit code, or null when killed. */
  code: number | null;
  /** Milliseconds from "ready" to the exit. */
  ms: number;
  stderr: string;
}

/** When to kill: that many ms after "ready", or as the n-th temporary file of a write appears. */
type Kill = { afterMs: number } | { atTempFile: number } | null;

/** Runs the child in `dir` (created beforehand), killing it with SIGKILL as `kill` says. */
function run(dir: string, kill: Kill): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let ready = 0;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    if (kill && 'atTempFile' in kill) {
      // A write's temporary file exists from its open to its rename: a kill now lands mid-write.
      const names = new Set<string>();
      watcher = watch(dir, (_event, name) => {
        if (!name || !TEMP.test(name) || names.has(name)) return;
        names.add(name);
        if (names.size === kill.atTempFile) child.kill('SIGKILL');
      });
    }
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (ready === 0 && d.toString().includes('ready')) {
        ready = performance.now();
        if (kill && 'afterMs' in kill) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      watcher?.close();
      resolve({ code, ms: ready ? performance.now() - ready : 0, stderr });
    });
  });
}

/** Every file of the run folder, parsed by its kind; temporary files are listed apart. */
function checkWhole(dir: string): { temps: string[]; epochs: number } {
  const temps: string[] = [];
  let epochs = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (TEMP.test(name)) {
      temps.push(name);
    } else if (name.endsWith('.safetensors')) {
      readSafetensors(path);
    } else if (name === 'checkpoint.json') {
      const index = JSON.parse(readFileSync(path, 'utf8')) as { model: string; optimizer: string; state: { epoch: number } };
      readSafetensors(join(dir, index.model));
      readSafetensors(join(dir, index.optimizer));
      epochs = index.state.epoch;
    } else if (name === 'log.jsonl') {
      for (const line of readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')) JSON.parse(line);
    } else if (name === 'config.json') {
      JSON.parse(readFileSync(path, 'utf8'));
    } else if (name === 'curves.png') {
      decodePng(readFileSync(path), path);
    } else {
      expect.fail(`unexpected file ${name} in the run folder`);
    }
  }
  return { temps, epochs };
}

/** The log without its timings. */
function logOf(dir: string): unknown[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => ({ ...(JSON.parse(l) as object), seconds: 0 }));
}

describe('train: kill at any moment @slow', function () {
  this.timeout(600_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'bnext-kill-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('resumes after SIGKILLs at seeded random moments to the weights of an uninterrupted run, bit for bit, never leaving a half-written file', async () => {
    const reference = join(root, 'reference');
    mkdirSync(reference);
    const whole = await run(reference, null);
    expect(whole.code, whole.stderr).to.equal(0);

    const dir = join(root, 'killed');
    mkdirSync(dir);
    const rng = new Rng('kill-resume');
    const seen: string[] = [];
    let midWrite = 0;
    let done = 0;
    for (let k = 0; k < 8; k++) {
      // The kill lands in what is left of the run: even kills at a time drawn over its span
      // (before a checkpoint, during one, after the last), odd kills as one of its writes is under
      // way (config.json, then log, model, optimizer and index per epoch, then weights and curves).
      // (The BatchNorm recalibration and the last writes after the last epoch count as one more.)
      const left = (EPOCHS - done + 1) / (EPOCHS + 1);
      const writes = 1 + 4 * (EPOCHS - done) + 2;
      const kill: Kill = k % 2 === 0 ? { afterMs: rng.uniform() * left * whole.ms } : { atTempFile: 1 + rng.int(writes) };
      const outcome = await run(dir, kill);
      const { temps, epochs } = checkWhole(dir);
      done = epochs;
      if (temps.length > 0) midWrite++;
      const when = 'afterMs' in kill ? `${kill.afterMs.toFixed(0)} ms` : `write ${kill.atTempFile} of ${writes}`;
      seen.push(`${outcome.code === null ? 'killed' : `exit ${outcome.code}`} at ${when}: checkpoint at epoch ${epochs}${temps.length ? `, ${temps.length} temporary file(s) left` : ''}`);
      if (outcome.code !== null) expect(outcome.code, outcome.stderr).to.equal(0);
    }
    const last = await run(dir, null);
    expect(last.code, last.stderr).to.equal(0);
    const { temps } = checkWhole(dir);
    expect(temps, 'temporary files left after the final run').to.deep.equal([]);
    console.log(`      kill/resume (reference run ${whole.ms.toFixed(0)} ms; ${midWrite} of 8 kills left a write half done): ${seen.join('; ')}`);

    const expected = readSafetensors(join(reference, 'model.safetensors')).tensors;
    const actual = readSafetensors(join(dir, 'model.safetensors')).tensors;
    expect([...actual.keys()]).to.deep.equal([...expected.keys()]);
    const bytesOf = (a: StoredArray): Buffer => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    for (const [key, value] of expected) expect(bytesOf(actual.get(key)!).equals(bytesOf(value)), key).to.equal(true);
    expect(logOf(dir)).to.deep.equal(logOf(reference));
  });
});
