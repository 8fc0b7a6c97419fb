/**
 * PyTorch checkpoints on the command line (fixtures/torch, written by torch 1.13): `forward`,
 * `--engine xnor` and `pack` give from `.pth.tar` (zip and legacy formats) exactly what they give
 * from the safetensors of the same weights; `convert` writes those tensors; and a malicious
 * checkpoint is refused with one clear line and no output.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../../src/cli/command';
import { forward } from '../../src/cli/commands/forward';
import { pack } from '../../src/cli/commands/pack';
import { convert } from '../../src/cli/commands/convert';
import { writeNpy, readSafetensors } from '../../src/io/files';
import { loadWeights } from '../../src/nn/state-dict-file';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { Rng } from '../../src/tensor/random';
import { expectedTensors, expectSameTensors, manifest, TORCH_FIXTURES } from '../io/torch/helpers';

const { base_width: baseWidth, stages, num_classes: numClasses } = manifest.model;
const ARCH = ['--arch', 'bnext', '--base-width', String(baseWidth), '--stages', stages.join(','), '--classes', String(numClasses)];
const fixture = (name: string): string => join(TORCH_FIXTURES, name);
const SAFETENSORS = fixture('bnext_state_dict.safetensors');
const CHECKPOINTS = ['bnext_checkpoint.pth.tar', 'bnext_checkpoint_legacy.pth.tar'];

/** Runs a command in-process, expecting success; returns what it printed to stdout and stderr. */
async function run(command: Command, argv: string[]): Promise<{ out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => void err.push(parts.join(' '));
  try {
    expect(await command.run(argv)).to.equal(0);
  } finally {
    Object.assign(console, { log, error });
  }
  return { out: out.join('\n'), err: err.join('\n') };
}

describe('cli: torch.save checkpoints as --weights', () => {
  let dir: string;
  let input: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bnext-torch-'));
    input = join(dir, 'x.npy');
    const rng = new Rng(5);
    writeNpy(input, { dtype: 'F32', shape: [2, 3, 16, 16], data: Float32Array.from({ length: 2 * 3 * 256 }, () => rng.normal()) });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const logits = async (weights: string, engine: string, name: string): Promise<Buffer> => {
    const out = join(dir, name);
    await run(forward, [...ARCH, '--engine', engine, '--weights', weights, '--input', input, '--out', out]);
    return readFileSync(out);
  };

  for (const engine of ['float', 'xnor']) {
    it(`forward --engine ${engine}: the same logits from the .pth.tar (zip and legacy) as from the safetensors, bit for bit`, async () => {
      const reference = await logits(SAFETENSORS, engine, `${engine}-ref.npy`);
      for (const checkpoint of CHECKPOINTS) {
        expect((await logits(fixture(checkpoint), engine, `${engine}-${checkpoint}.npy`)).equals(reference), checkpoint).to.equal(true);
      }
    });
  }

  it('says which checkpoint entry it read and which it ignored', async () => {
    const { err } = await run(forward, [...ARCH, '--weights', fixture(CHECKPOINTS[0]), '--input', input, '--out', join(dir, 'y.npy')]);
    expect(err).to.equal(`${fixture(CHECKPOINTS[0])}: read the checkpoint's 'state_dict', 73 tensors; ignored its other entries: ${manifest.files[0].ignored_keys!.join(', ')}`);
  });

  it('pack writes the same .bnx from the .pth.tar as from the safetensors', async () => {
    await run(pack, [...ARCH, '--weights', SAFETENSORS, '--out', join(dir, 'ref.bnx')]);
    await run(pack, [...ARCH, '--weights', fixture(CHECKPOINTS[1]), '--out', join(dir, 'pth.bnx')]);
    expect(readFileSync(join(dir, 'pth.bnx')).equals(readFileSync(join(dir, 'ref.bnx')))).to.equal(true);
  });

  it('loadWeights reads a checkpoint into a model and reports where the state_dict came from', () => {
    const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth, stages, numClasses }));
    const report = loadWeights(model, fixture(CHECKPOINTS[0]), { stateDictKey: 'state_dict' });
    expect(report.file).to.deep.equal({ format: 'torch-zip', stateDictKey: 'state_dict', ignoredKeys: manifest.files[0].ignored_keys, tensorCount: 73 });
    expect([...model.stateDict().get('fc.bias')!.data]).to.deep.equal([...expectedTensors('bnext_state_dict.safetensors').get('fc.bias')!.data]);
  });

  it('convert writes the checkpoint\'s tensors as safetensors, names and types as stored', async () => {
    for (const [name, expected] of [[CHECKPOINTS[1], 'bnext_state_dict.safetensors'], ['views.pth', 'views.expected.safetensors'], ['fp16.pth', 'fp16.expected.safetensors']]) {
      const out = join(dir, `${name}.safetensors`);
      const { out: printed } = await run(convert, [fixture(name), '--out', out]);
      expect(printed).to.match(new RegExp(`^wrote ${out.replace(/[.]/g, '\\.')}: \\d+ tensors \\(`));
      const written = readSafetensors(out);
      const prefix = name === CHECKPOINTS[1] ? 'module.' : '';
      expectSameTensors(written.tensors, new Map([...expectedTensors(expected)].map(([k, v]) => [prefix + k, v])), name);
      expect(written.metadata).to.deep.equal({ format: 'pt', source: name });
    }
  });

  it('refuses a checkpoint that calls os.system: one line naming it, exit code 1, no output @slow', () => {
    const out = join(dir, 'never.npy');
    const r = spawnSync(process.execPath, ['bin/bnext.mjs', 'forward', ...ARCH, '--weights', fixture('malicious_os_system.pth'), '--input', input, '--out', out], { encoding: 'utf8' });
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^bnext: fixtures\/torch\/malicious_os_system\.pth: pickle: refused the global 'posix\.system'/);
    expect(existsSync(out)).to.equal(false);
    const converted = join(dir, 'never.safetensors');
    const c = spawnSync(process.execPath, ['bin/bnext.mjs', 'convert', fixture('malicious_os_system_legacy.pth'), '--out', converted], { encoding: 'utf8' });
    expect(c.status).to.equal(1);
    expect(c.stderr).to.match(/refused the global 'posix\.system'/);
    expect(existsSync(converted)).to.equal(false);
  });
});
