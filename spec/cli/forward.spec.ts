/**
 * `bnext forward` bad input: each a one-line error, exit code 1, and no output file written.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/files';
import { writeStateDict } from '../../src/nn/state-dict-file';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { manualSeed } from '../../src/tensor/random';

const SMALL = ['--arch', 'bnext', '--base-width', '8', '--stages', '1,0,0,0', '--classes', '10'];

function bnext(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['bin/bnext.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('cli: bnext forward bad input @slow', function () {
  this.timeout(60_000);
  let dir: string;
  let weights: string;
  let input: string;
  let out: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bnext-cli-'));
    manualSeed(0);
    weights = join(dir, 'w.safetensors');
    writeStateDict(weights, buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 })));
    input = join(dir, 'x.npy');
    writeNpy(input, { dtype: 'F32', shape: [2, 3, 8, 8], data: new Float32Array(2 * 3 * 64).fill(0.5) });
    out = join(dir, 'y.npy');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => rmSync(out, { force: true }));

  const cases: [string, () => string[], RegExp][] = [
    ['unknown --arch', () => ['--arch', 'bnext-xl', '--weights', weights, '--input', input, '--out', out], /unknown architecture 'bnext-xl'/],
    ['inconsistent widths (a skipped stage)', () => ['--arch', 'bnext', '--base-width', '8', '--stages', '1,0,1,0', '--weights', weights, '--input', input, '--out', out], /skip a stage/],
    ['a base width too small for squeeze-and-expand', () => ['--arch', 'bnext', '--base-width', '4', '--stages', '1,1,1,1', '--weights', weights, '--input', input, '--out', out], /--base-width must be an integer from 8 to 4096, got .4./],
    ['a state_dict of another architecture', () => ['--arch', 'bnext', '--base-width', '8', '--stages', '1,1,0,0', '--classes', '10', '--weights', weights, '--input', input, '--out', out], /w\.safetensors does not fit the model: missing keys: feature\.4\.Attention\.scale/],
    ['a state_dict of another class count', () => [...SMALL.slice(0, -1), '12', '--weights', weights, '--input', input, '--out', out], /fc\.weight: expected shape \[12, 32\], found \[10, 32\]/],
    ['a missing weights file', () => [...SMALL, '--weights', join(dir, 'nope.safetensors'), '--input', input, '--out', out], /nope\.safetensors/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}`, () => {
      const r = bnext(['forward', ...args()]);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(message);
      expect(existsSync(out)).to.equal(false);
    });
  }

  it('refuses a wrong input rank and channel count, naming the file', () => {
    const bad = join(dir, 'bad.npy');
    writeNpy(bad, { dtype: 'F32', shape: [3, 8, 8], data: new Float32Array(192) });
    let r = bnext(['forward', ...SMALL, '--weights', weights, '--input', bad, '--out', out]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/bad\.npy: input must be 4-D \[N, C, H, W\], found shape \[3, 8, 8\]/);
    writeNpy(bad, { dtype: 'F32', shape: [1, 1, 8, 8], data: new Float32Array(64) });
    r = bnext(['forward', ...SMALL, '--weights', weights, '--input', bad, '--out', out]);
    expect(r.stderr).to.match(/bad\.npy: input has 1 channels, the model expects 3/);
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses a target out of range, and writes nothing', () => {
    const t = join(dir, 't.npy');
    writeNpy(t, { dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, 10n]) });
    const grads = join(dir, 'g.safetensors');
    const r = bnext(['forward', ...SMALL, '--weights', weights, '--input', input, '--out', out, '--train', '--target', t, '--grads', grads]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/t\.npy: target 10 at index 1 is out of range for 10 classes/);
    expect(existsSync(out)).to.equal(false);
    expect(existsSync(grads)).to.equal(false);
  });

  it('writes logits for good input', () => {
    const r = bnext(['forward', ...SMALL, '--weights', weights, '--input', input, '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(existsSync(out)).to.equal(true);
  });
});
