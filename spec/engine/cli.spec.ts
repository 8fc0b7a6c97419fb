/**
 * `bnext pack` and `bnext forward --engine xnor` end to end (child processes, tagged @slow):
 * golden cases packed to .bnx and run from it and from their state_dict.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, readNpy, writeNpy } from '../../src/io/files';
import { type StoredArray, toTensor } from '../../src/io/stored';
import { relativeError } from './helpers';
import { withoutInit } from '../../src/nn/init';
import { loadWeights } from '../../src/nn/state-dict-file';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { bnxContentsOf, packedModelFromContents } from '../../src/engine/load';
import { parseQuantization } from '../../src/quantize/scheme';

const DIR = 'fixtures/models';

function bnext(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/bnext.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The case's state_dict and input, written where the CLI can read them. */
function unpackCase(file: string, dir: string): { weights: string; input: string; logits: Float32Array } {
  const tensors = readSafetensors(join(DIR, file)).tensors;
  const sd = new Map<string, StoredArray>();
  for (const [k, arr] of tensors) if (k.startsWith('sd.')) sd.set(k.slice(3), arr);
  const weights = join(dir, file);
  writeSafetensors(weights, sd);
  const input = join(dir, `${file}.x.npy`);
  writeNpy(input, tensors.get('input')!);
  return { weights, input, logits: toTensor(tensors.get('logits')!, 'logits').data };
}

describe('engine: bnext pack and bnext forward --engine xnor @slow', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-pack-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { file: 'bnext_full_k1000_bin_eval.safetensors', arch: ['--arch', 'bnext', '--base-width', '8', '--stages', '1,1,0,0', '--classes', '1000'] },
    { file: 'bnext18_k10_bin_eval.safetensors', arch: ['--arch', 'bnext-18', '--base-width', '8', '--stages', '1,1,1,1', '--classes', '10'] },
  ];
  for (const c of cases) {
    it(`${c.file}: packs, and runs from the .bnx and the state_dict within 1e-4 of the reference`, () => {
      const { weights, input, logits } = unpackCase(c.file, dir);
      const bnx = join(dir, `${c.file}.bnx`);
      const packed = bnext(['pack', ...c.arch, '--weights', weights, '--out', bnx]);
      expect(packed.stderr).to.equal('');
      expect(packed.status).to.equal(0);
      expect(packed.stdout).to.match(/^wrote .*\.bnx: [\d.]+ MiB \(\d+ binary weights at 1 bit, \d+ float32 values\)/);
      for (const source of [bnx, weights]) {
        const out = join(dir, 'y.npy');
        const run = bnext(['forward', ...c.arch, '--engine', 'xnor', '--weights', source, '--input', input, '--out', out]);
        expect(run.stderr, source).to.equal('');
        expect(relativeError(toTensor(readNpy(out), out).data, logits), source).to.be.at.most(1e-4);
      }
    });
  }

  it('packs with --quantize paper: a smaller version-2 file the engine runs as the in-memory quantized engine does', () => {
    const c = cases[0];
    const { weights, input } = unpackCase(c.file, dir);
    const bnx = join(dir, 'paper.bnx');
    const packed = bnext(['pack', ...c.arch, '--weights', weights, '--out', bnx, '--quantize', 'paper']);
    expect(packed.stderr).to.equal('');
    expect(packed.stdout).to.match(/^wrote .*paper\.bnx: [\d.]+ MiB \(\d+ binary weights at 1 bit, \d+ float32 values, \d+ weights at 4 bits, \d+ weights at 8 bits\) quantized paper; /);
    expect(readFileSync(bnx).readUInt32LE(8)).to.equal(2);
    const out = join(dir, 'q.npy');
    const run = bnext(['forward', ...c.arch, '--engine', 'xnor', '--weights', bnx, '--input', input, '--out', out]);
    expect(run.stderr).to.equal('');
    const model = withoutInit(() => buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 1000 })));
    loadWeights(model, weights);
    const want = packedModelFromContents(bnxContentsOf(model.eval(), { quantize: parseQuantization('paper') })).run(toTensor(readNpy(input), input));
    expect([...toTensor(readNpy(out), out).data]).to.deep.equal([...want.data]);
  });

  it('refuses a bad --quantize value, naming it, and writes nothing', () => {
    const c = cases[0];
    const { weights } = unpackCase(c.file, dir);
    const out = join(dir, 'bad.bnx');
    const r = bnext(['pack', ...c.arch, '--weights', weights, '--out', out, '--quantize', '4bit']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^bnext: pack: --quantize must be none, paper, w8 or four weight\/activation bit pairs .*; '4bit' has 1 part\n$/);
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses to pack a model in the middle of progressive binarization, writing nothing', () => {
    const { weights } = unpackCase('bnext_full_k10_prog_eval.safetensors', dir);
    const out = join(dir, 'prog.bnx');
    const r = bnext(['pack', '--arch', 'bnext', '--base-width', '8', '--stages', '2,0,0,0', '--classes', '10', '--weights', weights, '--out', out]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^bnext: feature\.1\.Attention\.binary_conv: temperature 0\.3.* not below 1e-7, .*fully binary weights/);
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses a corrupt .bnx, a wrong --engine and --train with the packed engine', () => {
    const c = cases[0];
    const { weights, input } = unpackCase(c.file, dir);
    const bnx = join(dir, 'c.bnx');
    expect(bnext(['pack', ...c.arch, '--weights', weights, '--out', bnx]).status).to.equal(0);
    const bytes = readFileSync(bnx);
    bytes[bytes.length - 100] ^= 4;
    writeFileSync(bnx, bytes);
    const out = join(dir, 'z.npy');
    const corrupt = bnext(['forward', ...c.arch, '--engine', 'xnor', '--weights', bnx, '--input', input, '--out', out]);
    expect(corrupt.status).to.equal(1);
    expect(corrupt.stderr).to.match(/c\.bnx: corrupt \.bnx file: CRC-32 mismatch/);
    expect(bnext(['forward', ...c.arch, '--engine', 'gpu', '--weights', weights, '--input', input, '--out', out]).stderr).to.match(/--engine must be float or xnor, got 'gpu'/);
    expect(bnext(['forward', ...c.arch, '--engine', 'xnor', '--train', '--target', input, '--weights', weights, '--input', input, '--out', out]).stderr).to.match(/--engine xnor runs evaluation only/);
    expect(existsSync(out)).to.equal(false);
  });
});
