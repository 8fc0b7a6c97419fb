/**
 * `bnext train` refuses bad input before training starts: a teacher logits file of the wrong
 * shape or class count, an output folder it cannot write (a checkpoint of another architecture:
 * spec/train/trainer.spec.ts).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/files';
import { bnext } from '../helpers/cli';

const TINY = ['--base-width', '8', '--stages', '1,0,0,0', '--epochs', '1'];

describe('cli: bnext train bad input @slow', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-train-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses teacher logits with the wrong number of rows, naming the file and both numbers', () => {
    const f = join(dir, 'teacher.npy');
    writeNpy(f, { dtype: 'F32', shape: [100, 10], data: new Float32Array(1000) });
    const out = join(dir, 'run1');
    const r = bnext(['train', ...TINY, '--teacher-logits', f, '--out', out]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/teacher\.npy: teacher logits have 100 rows but the training data has 7996 samples/);
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses teacher logits with the wrong number of classes', () => {
    const f = join(dir, 'teacher12.npy');
    writeNpy(f, { dtype: 'F32', shape: [7996, 12], data: new Float32Array(7996 * 12) });
    const r = bnext(['train', ...TINY, '--teacher-logits', f, '--out', join(dir, 'run2')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/teacher12\.npy: .*12 .*10/);
  });

  it('refuses an output folder it cannot write', function () {
    if (process.getuid && process.getuid() === 0) {
      // root writes anywhere: use a path under a regular file instead of a read-only folder.
      const file = join(dir, 'a-file');
      writeFileSync(file, 'x');
      const r = bnext(['train', ...TINY, '--out', join(file, 'run')]);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.match(/cannot write the output folder .*a-file\/run/);
      return;
    }
    const ro = join(dir, 'readonly');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r = bnext(['train', ...TINY, '--out', join(ro, 'run')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/cannot write the output folder/);
  });
});

describe('cli: bnext train Ctrl-C @slow', function () {
  this.timeout(300_000);

  it('saves a checkpoint mid-epoch on SIGINT when training on this thread alone, and --resume finishes the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnext-train-sigint-'));
    try {
      const out = join(dir, 'run');
      const args = ['train', ...TINY, '--batch-size', '16', '--workers', '1', '--out', out];
      const child = spawn(process.execPath, ['bin/bnext.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // The command prints its plan just before the first batch; interrupt a second later.
      const sent = new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('epochs of 7996 digits')) {
            setTimeout(() => {
              child.kill('SIGINT');
              resolve();
            }, 1000);
          }
        });
      });
      const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await sent;
      expect(status, stderr).to.equal(130);
      const { state } = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')) as { state: { epoch: number; batch: number } };
      expect(state.epoch).to.equal(0);
      expect(state.batch).to.be.greaterThan(0).and.lessThan(500);
      expect(existsSync(join(out, 'model.safetensors'))).to.equal(false);
      // A resume under other settings is refused, naming each with both values, and writes nothing.
      const files = (): Map<string, Buffer> => new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
      const before = files();
      const other = bnext([...args, '--resume', '--betas', '0.9,0.99', '--temperature', 'paper', '--seed', '1']);
      expect(other.status).to.equal(1);
      expect(other.stderr).to.match(/checkpoint\.json: the checkpoint is of another run configuration; .*Differing: betas: \[0\.99,0\.999\] in the checkpoint, \[0\.9,0\.99\] now; temperature: \[9\.99999993922529e-9\] in the checkpoint, \[1\] now; seed: 0 in the checkpoint, 1 now\./);
      const after = files();
      expect([...after.keys()]).to.deep.equal([...before.keys()]);
      for (const [f, bytes] of before) expect(after.get(f)!.equals(bytes), `${f} untouched`).to.equal(true);
      const resumed = bnext([...args, '--resume']);
      expect(resumed.status, resumed.stderr).to.equal(0);
      expect(existsSync(join(out, 'model.safetensors'))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
