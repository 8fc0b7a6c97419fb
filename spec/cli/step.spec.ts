/**
 * `bnext step` runs the bundle's training-step cases from the command line: on the inputs of
 * models/bnext_small/train_step_* (fixtures/conformance/bundle) its state after one step is the
 * bundle's expected state and, within the case's tolerance, the official PyTorch step's
 * (fixtures/conformance/official). Bad input is one line, and nothing is written.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareArrays } from '../../src/conformance/compare';
import type { Manifest, OutputRef } from '../../src/conformance/manifest';
import { readSafetensors } from '../../src/io/files';

const BUNDLE = 'fixtures/conformance/bundle';
const OFFICIAL = 'fixtures/conformance/official';
const CASE = 'models/bnext_small';
const ARCH = ['--arch', 'bnext', '--base-width', '8', '--stages', '1,0,0,0', '--classes', '10'];

function bnext(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/bnext.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: bnext step on the bundle\'s training-step cases', function () {
  this.timeout(60_000);
  let dir: string;
  const manifest = JSON.parse(readFileSync(join(BUNDLE, 'manifest.json'), 'utf8')) as Manifest;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-step-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, teachers] of [['ce', 0], ['distill', 2]] as const) {
    it(`train_step_${label}: the state after one step is the bundle's and the official one`, () => {
      const spec = manifest.cases.find((c) => c.id === `${CASE}/train_step_${label}`)!;
      const out = join(dir, `${label}.safetensors`);
      const teacherArgs = Array.from({ length: teachers }, (_, i) => ['--teacher', join(BUNDLE, CASE, `train_step_${label}`, `teacher${i}.npy`)]).flat();
      const r = bnext(['step', ...ARCH, '--weights', join(BUNDLE, CASE, 'weights.safetensors'), '--input', join(BUNDLE, CASE, 'x_train.npy'),
        '--target', join(BUNDLE, CASE, 'target.npy'), ...teacherArgs, '--epoch', String(spec.attributes.epoch), '--epochs', String(spec.attributes.epochs), '--out', out]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/step 1: loss [\d.]+, gradient norm [\d.]+/);
      const ref = spec.outputs.find((o) => o.name === 'state_after') as OutputRef & { format: 'safetensors' };
      const ours = readSafetensors(out).tensors;
      for (const source of [BUNDLE, OFFICIAL]) {
        const want = readSafetensors(join(source, ref.file)).tensors;
        for (const { key } of ref.tensors!) {
          const errors = compareArrays(ours.get(key)!, want.get(key)!, ref.tolerance);
          expect(errors.firstBad, `${source}: ${key}`).to.equal(-1);
        }
      }
    });
  }

  it('refuses teacher logits of the wrong shape in one line, writing nothing', () => {
    const out = join(dir, 'bad.safetensors');
    const r = bnext(['step', ...ARCH, '--weights', join(BUNDLE, CASE, 'weights.safetensors'), '--input', join(BUNDLE, CASE, 'x_train.npy'),
      '--target', join(BUNDLE, CASE, 'target.npy'), '--teacher', join(BUNDLE, CASE, 'x_train.npy'), '--out', out]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/x_train\.npy: teacher logits must have shape \[2, 10\], found \[2, 3, 8, 8\]/);
    expect(existsSync(out)).to.equal(false);
  });
});
