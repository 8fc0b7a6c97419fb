/**
 * The conformance kit against a real backend: the committed small bundle
 * (fixtures/conformance/bundle) and the results the official PyTorch code gave for it
 * (fixtures/conformance/official, written by fixtures/export/conformance_runner.py). `check`
 * passes on them, fails naming the case when one value of a result is changed, and reports bad
 * bundles and bad results one clear message per problem, never modifying the bundle.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BundleError, checkBundle } from '../../src/conformance/check';
import { junitReport, textReport } from '../../src/conformance/report';
import { readSafetensors, writeSafetensors, readNpy, writeNpy } from '../../src/io/files';

const BUNDLE = 'fixtures/conformance/bundle';
const OFFICIAL = 'fixtures/conformance/official';

function bnext(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/bnext.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A digest of every file of a folder, to show that `check` leaves the bundle as it was. */
function digest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(p).update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

describe('conformance: the official PyTorch code checked against the committed bundle', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-conformance-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes every case of every level on the official results', () => {
    const report = checkBundle(BUNDLE, OFFICIAL);
    const failed = report.cases.filter((c) => !c.passed).map((c) => c.id);
    expect(failed, textReport(report)).to.deep.equal([]);
    expect(report.cases.length).to.be.greaterThan(100);
    expect(new Set(report.cases.map((c) => c.level))).to.deep.equal(new Set(['ops', 'layers', 'models']));
  });

  it('fails the case whose result has one value changed, naming it and the first diverging module', () => {
    const results = join(dir, 'changed');
    cpSync(OFFICIAL, results, { recursive: true });
    // An integer of an XNOR convolution, off by 2 (one sign flipped).
    const conv = join(results, 'ops/xnor_conv2d/c33_k3_s2_5x4/y.npy');
    const y = readNpy(conv);
    (y.data as Int32Array)[7] += 2;
    writeNpy(conv, y);
    // One module's output inside the small BNext's evaluation trace.
    const trace = join(results, 'models/bnext_small/eval/activations.safetensors');
    const file = readSafetensors(trace);
    const key = 'feature.2.Attention.norm1';
    (file.tensors.get(key)!.data as Float32Array)[3] += 0.01;
    writeSafetensors(trace, file.tensors);

    const before = digest(BUNDLE);
    const report = checkBundle(BUNDLE, results);
    expect(digest(BUNDLE)).to.equal(before);
    const failed = report.cases.filter((c) => !c.passed);
    expect(failed.map((c) => c.id)).to.deep.equal(['ops/xnor_conv2d/c33_k3_s2_5x4', 'models/bnext_small/eval']);
    const eval_ = failed[1].outputs.find((o) => o.name === 'activations')!;
    expect(eval_.firstDivergence).to.equal(key);
    const text = textReport(report);
    expect(text).to.match(/FAIL ops\/xnor_conv2d\/c33_k3_s2_5x4/);
    expect(text).to.match(/activations\.safetensors: first diverges at feature\.2\.Attention\.norm1: tensor 'feature\.2\.Attention\.norm1' at \[0, 0, 0, 3\]/);
    expect(text).to.match(/^136 passed, 2 failed/m);
    const junit = junitReport(report);
    expect(junit).to.match(/<testsuites name="bnext conformance" tests="138" failures="2"/);
    expect(junit).to.match(/<testcase classname="conformance\.ops\.xnor_conv2d" name="ops\/xnor_conv2d\/c33_k3_s2_5x4"[^]*?<failure message=/);

    // The command line: exit 1, the report, and the JUnit file.
    const junitPath = join(dir, 'report.xml');
    const r = bnext(['conformance', 'check', BUNDLE, '--results', results, '--junit', junitPath, '--case', 'ops/xnor_conv2d', '--case', 'models/bnext_small/eval']);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(/FAIL models\/bnext_small\/eval/);
    expect(r.stdout).to.match(/\d+ passed, 2 failed/);
    expect(readFileSync(junitPath, 'utf8')).to.match(/failures="2"/);
  });

  it('names a missing, mis-typed or mis-shaped result file', () => {
    const results = join(dir, 'bad');
    cpSync(OFFICIAL, results, { recursive: true });
    rmSync(join(results, 'ops/sign/zeros/y.npy'));
    writeNpy(join(results, 'ops/sign_ste_grad/clip1.5/dx.npy'), { dtype: 'F64', shape: [4, 32], data: new Float64Array(128) });
    writeNpy(join(results, 'ops/cross_entropy/smoothing0/dlogits.npy'), { dtype: 'F32', shape: [6, 9], data: new Float32Array(54) });
    const report = checkBundle(BUNDLE, results, { only: ['ops/sign', 'ops/sign_ste_grad', 'ops/cross_entropy'] });
    const problems = report.cases.flatMap((c) => c.outputs.map((o) => o.problem).filter((p) => p !== null));
    expect(problems).to.deep.equal([
      `${join(results, 'ops/sign/zeros/y.npy')}: missing (output 'y' of case ops/sign/zeros)`,
      `${join(results, 'ops/sign_ste_grad/clip1.5/dx.npy')}: has dtype F64, expected F32`,
      `${join(results, 'ops/cross_entropy/smoothing0/dlogits.npy')}: has shape [6, 9], expected [6, 10]`,
    ]);
    expect(report.failed).to.equal(3);
  });

  it('refuses a bundle with a missing file, another schema version or an unknown op, one message per problem', () => {
    const bundle = join(dir, 'bundle');
    cpSync(BUNDLE, bundle, { recursive: true });
    rmSync(join(bundle, 'ops/sign/zeros/x.npy'));
    rmSync(join(bundle, 'models/bnext_small/weights.safetensors'));
    let error: unknown = null;
    try {
      checkBundle(bundle, OFFICIAL);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(BundleError);
    const problems = (error as BundleError).problems;
    expect(problems[0]).to.equal(`${join(bundle, 'ops/sign/zeros/x.npy')}: missing (input 'x' of case ops/sign/zeros)`);
    expect(problems.filter((p) => p.includes('weights.safetensors')).length).to.equal(4); // four cases share it

    const manifest = JSON.parse(readFileSync(join(BUNDLE, 'manifest.json'), 'utf8')) as { schemaVersion: number; cases: { op: string }[] };
    writeFileSync(join(bundle, 'manifest.json'), JSON.stringify({ ...manifest, schemaVersion: 2 }));
    let r = bnext(['conformance', 'check', bundle, '--results', OFFICIAL]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.equal(`bnext: ${join(bundle, 'manifest.json')}: schema version 2, this bnext reads version 1 (the bundle is newer: update bnext)`);

    manifest.cases[0].op = 'sign_xor';
    manifest.cases[5].op = 'popcount64';
    writeFileSync(join(bundle, 'manifest.json'), JSON.stringify(manifest));
    r = bnext(['conformance', 'check', bundle, '--results', OFFICIAL]);
    expect(r.status).to.equal(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/case 'ops\/sign\/zeros': unknown op "sign_xor" \(this bnext knows sign, sign_ste_grad, /);
    expect(lines[1]).to.match(/unknown op "popcount64"/);
    expect(r.stderr).not.to.match(/ at .*\.ts:\d+/); // no stack trace
  });

  it('refuses to export over a folder that holds files', () => {
    const r = bnext(['conformance', 'export', BUNDLE, '--level', 'ops']);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.equal(`bnext: ${BUNDLE} exists and is not empty; give a new or empty folder for the bundle`);
    expect(existsSync(`${BUNDLE}.tmp-${process.pid}`)).to.equal(false);
  });
});

describe('conformance: the committed bundle is what bnext computes @slow', function () {
  this.timeout(120_000);
  it('a fresh export at the same seed passes the committed bundle\'s check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnext-conformance-fresh-'));
    try {
      const fresh = join(dir, 'bundle');
      const r = bnext(['conformance', 'export', fresh]);
      expect(r.status, r.stderr).to.equal(0);
      const report = checkBundle(BUNDLE, fresh);
      expect(report.cases.filter((c) => !c.passed).map((c) => c.id), textReport(report)).to.deep.equal([]);
      expect(readFileSync(join(fresh, 'manifest.json'), 'utf8')).to.equal(readFileSync(join(BUNDLE, 'manifest.json'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
