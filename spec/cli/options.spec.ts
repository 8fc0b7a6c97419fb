/**
 * The command line's boundary: numeric options out of range are refused by name before anything
 * runs (one shared check, src/tensor/arguments.ts); a model with NaN logits makes `eval` fail; a
 * diverging `train` stops with a message and a non-zero exit; no command is a usage error; the
 * help texts state what each command really does.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { writeStateDict } from '../../src/nn/state-dict-file';
import { manualSeed } from '../../src/tensor/random';
import { commands } from '../../src/cli/commands/index';
import { UsageError } from '../../src/cli/args';
import { bnext } from '../helpers/cli';


const TINY = ['--arch', 'bnext', '--base-width', '8', '--stages', '1,0,0,0', '--classes', '10', '--in-channels', '1'];

describe('cli: options and exit codes', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-options-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 with the usage when no command is given (0 for --help)', () => {
    const r = bnext([]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^bnext: no command given\n\nbnext: BNext binary neural networks/);
    expect(r.stderr).to.include('usage: bnext <command> [options]');
    expect(bnext(['--help']).status).to.equal(0);
  });

  it('refuses numeric options out of range, naming the option, the range and the value', async () => {
    const refused: [string[], string][] = [
      [['eval', '--batch-size', '0', ...TINY, '--weights', 'w.safetensors'], "eval: --batch-size must be an integer from 1 to 65536, got '0'"],
      [['eval', '--batch-size', '-1', ...TINY, '--weights', 'w.safetensors'], "eval: --batch-size must be an integer from 1 to 65536, got '-1'"],
      [['eval', '--size', '100000', ...TINY, '--weights', 'w.safetensors'], "eval: --size must be an integer from 1 to 4096, got '100000'"],
      [['preprocess', '--pipeline', 'imagenet-eval', '--size', '100000', '--out', join(dir, 'x.npy'), 'a.png'], "preprocess: --size must be an integer from 1 to 4096, got '100000'"],
      [['predict', '--size', '0', '--arch', 'bnext-t', '--weights', 'w.safetensors', 'a.png'], "predict: --size must be an integer from 1 to 4096, got '0'"],
      [['stats', '--arch', 'bnext', '--base-width', '1e9', '--stages', '1,1,1,1'], "stats: --base-width must be an integer from 8 to 4096, got '1e9'"],
      [['stats', '--arch', 'bnext-t', '--classes', '-3'], "stats: --classes must be an integer from 1 to 1000000, got '-3'"],
      [['stats', '--arch', 'bnext', '--base-width', '8', '--stages', '1e308,0,0,0'], "stats: --stages must be four integers from 0 to 64 like 1,1,3,1, got '1e308,0,0,0'"],
      [['stats', '--arch', 'bnext-t', '--resolution', '0'], "stats: --resolution must be an integer from 1 to 4096, got '0'"],
      [['train', '--epochs', '0'], "train: --epochs must be an integer from 1 to 100000, got '0'"],
      [['train', '--lr', '-1'], "train: --lr must be a finite number > 0, got '-1'"],
      [['train', '--workers', '0'], "train: --workers must be an integer from 1 to 256, got '0'"],
      [['train', '--epochs', '2', '--warmup', '3'], "train: --warmup must be an integer from 0 to 2, got '3'"],
      [['recipe', '--batch-size', '0'], "recipe: --batch-size must be an integer from 1 to 65536, got '0'"],
      [['recipe', '--student-epochs', '1.5'], "recipe: --student-epochs must be an integer from 1 to 100000, got '1.5'"],
      [['step', '--weights', 'w.safetensors', '--out', 'o.safetensors', '--steps', '0'], "step: --steps must be an integer from 1 to 10000, got '0'"],
      [['step', '--weights', 'w.safetensors', '--out', 'o.safetensors', '--lr', '0'], "step: --lr must be a finite number > 0, got '0'"],
      [['conformance', 'export', '--seed', '1.5', join(dir, 'bundle')], "conformance export: --seed must be an integer from -9007199254740991 to 9007199254740991, got '1.5'"],
    ];
    // In process: each is the UsageError the CLI prints as one line with exit code 1 (below).
    for (const [[name, ...argv], message] of refused) {
      const command = await commands.find((c) => c.name === name)!.load();
      const error = await command.run(argv).then(() => null, (e: unknown) => e);
      // By name: a command loaded lazily (import()) under mocha, which requires the specs, has
      // its own instance of args.ts, so its UsageError is not the class imported above.
      expect((error as Error).name, `${name} ${argv.join(' ')}`).to.equal(UsageError.name);
      expect((error as Error).message).to.equal(message);
    }
    const r = bnext(['eval', '--batch-size', '0']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.equal("bnext: eval: --batch-size must be an integer from 1 to 65536, got '0'\n");
  });

  it('makes eval fail on NaN logits, and scores a zeroed classifier 0, not 100%', () => {
    manualSeed(3);
    const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 1 }));
    const state = model.stateDict();
    for (const key of ['fc.weight', 'fc.bias']) state.get(key)!.data.fill(0);
    const zeroed = join(dir, 'zeroed.safetensors');
    writeStateDict(zeroed, model);
    const z = bnext(['eval', ...TINY, '--weights', zeroed]);
    expect(z.status, z.stderr).to.equal(0);
    expect(z.stdout).to.match(/top-1 0\.00%, top-5 0\.00%, loss 2\.3026 \(float engine\)/);
    state.get('fc.bias')!.data.fill(Number.NaN);
    const nan = join(dir, 'nan.safetensors');
    writeStateDict(nan, model);
    const r = bnext(['eval', ...TINY, '--weights', nan]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^bnext: eval: .*nan\.safetensors: digits-test: the logits of sample 0 are not finite \(class 0 is NaN\)/);
  });

  it('stops a diverging train run with a message and exit code 1, writing no weights', () => {
    const out = join(dir, 'diverged');
    const r = bnext(['train', '--base-width', '8', '--stages', '1,0,0,0', '--epochs', '1', '--lr', '1e30', '--out', out]);
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/^bnext: train: the training loss is (NaN|Infinity|-Infinity) at epoch 1, batch \d+: training diverged \(peak learning rate 1e\+30; try a lower one\)/m);
    expect(existsSync(join(out, 'model.safetensors'))).to.equal(false);
  });

  it('help texts: kc lists --arch once; train states its own defaults (10 classes, one input channel)', async () => {
    const usage = async (name: string): Promise<string> => (await commands.find((c) => c.name === name)!.load()).usage;
    expect((await usage('kc')).split('\n').filter((l) => l.trimStart().startsWith('--arch'))).to.have.length(1);
    const train = await usage('train');
    expect(train).to.match(/--classes N {12}number of classes \(default 10\)/);
    expect(train).to.match(/--in-channels K {8}input channels of the stem \(default 1\)/);
    expect(train).to.match(/--base-width C {9}base width \(default 16\)/);
    expect(train).to.not.include('default 1000');
  });
});
