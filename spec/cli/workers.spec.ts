/**
 * `bnext forward/eval/predict --workers N`, run in-process: the same logits file, metrics line
 * and top-5 as on one thread, for the float model and the packed engine; and the refusals.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/args';
import { forward } from '../../src/cli/commands/forward';
import { evalCommand } from '../../src/cli/commands/evaluate';
import { predict } from '../../src/cli/commands/predict';
import { writeNpy } from '../../src/io/files';
import { fromTensor } from '../../src/io/stored';
import { writeStateDict } from '../../src/nn/state-dict-file';
import { writeBnx } from '../../src/engine/bnx-file';
import { bnxContentsOf } from '../../src/engine/load';
import { liveWorkers } from '../../src/parallel/spawn';
import { Rng } from '../../src/tensor/random';
import { randomInput, randomModel } from '../engine/helpers';
import { refusal, run } from '../helpers/commands';

const RGB = ['--arch', 'bnext', '--base-width', '8', '--stages', '1,0,0,0', '--classes', '10'];
const GRAY = [...RGB, '--in-channels', '1'];
const IMAGES = ['base420.jpg', 'gray.jpg', 'base444.jpg'].map((f) => join('fixtures/images/decode', f));

describe('cli: --workers on forward, eval and predict', function () {
  this.timeout(180_000);
  let dir: string;
  const files: Record<'rgb' | 'gray', { weights: string; bnx: string }> = { rgb: { weights: '', bnx: '' }, gray: { weights: '', bnx: '' } };
  let input: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bnext-cli-workers-'));
    for (const kind of ['rgb', 'gray'] as const) {
      const model = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: kind === 'rgb' ? 3 : 1 }, `cli-workers-${kind}`);
      files[kind] = { weights: join(dir, `${kind}.safetensors`), bnx: join(dir, `${kind}.bnx`) };
      writeStateDict(files[kind].weights, model);
      writeBnx(files[kind].bnx, bnxContentsOf(model));
    }
    input = join(dir, 'x.npy');
    // 5 rows over 2 workers.
    writeNpy(input, fromTensor(randomInput(new Rng('cli-workers-input'), [5, 3, 16, 16])));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => expect(liveWorkers(), 'worker threads left running').to.equal(0));

  const engines = [
    ['xnor', (kind: 'rgb' | 'gray') => ['--engine', 'xnor', '--weights', files[kind].bnx]],
    ['float', (kind: 'rgb' | 'gray') => [...(kind === 'rgb' ? RGB : GRAY), '--weights', files[kind].weights]],
  ] as const;

  for (const [engine, weights] of engines) {
    it(`forward --engine ${engine} --workers 2 writes the one-thread logits file, byte for byte @slow`, async () => {
      const outs = ['1', '2'].map((n) => join(dir, `${engine}-${n}.npy`));
      for (const [k, workers] of ['1', '2'].entries()) await run(forward, [...weights('rgb'), '--input', input, '--out', outs[k], '--workers', workers]);
      expect(readFileSync(outs[1]).equals(readFileSync(outs[0]))).to.equal(true);
    });

    it(`eval --engine ${engine} --workers 2 prints the one-thread metrics of the held-out digits @slow`, async () => {
      const alone = await run(evalCommand, [...weights('gray'), '--batch-size', '100']);
      expect(alone).to.match(/on mnist: top-1 [\d.]+%, top-5 [\d.]+%, loss [\d.]+/);
      expect(await run(evalCommand, [...weights('gray'), '--batch-size', '100', '--workers', '2'])).to.equal(alone);
    });
  }

  it('predict --workers 2 prints the one-thread top-5 of each image, in order @slow', async () => {
    for (const [, weights] of engines) {
      const args = [...weights('rgb'), '--size', '16', ...IMAGES];
      const alone = await run(predict, args);
      expect(alone.split('\n')).to.have.length(3 * 6);
      expect(await run(predict, [...args, '--workers', '2'])).to.equal(alone);
    }
  });

  it('refuses a bad --workers, and --workers with --train or --dump-activations, before starting any worker', async () => {
    const f = [...RGB, '--weights', files.rgb.weights, '--input', input, '--out', join(dir, 'y.npy')];
    for (const [command, argv, message] of [
      [forward, [...f, '--workers', '0'], "forward: --workers must be an integer from 1 to 256, got '0'"],
      [evalCommand, ['--engine', 'xnor', '--weights', files.gray.bnx, '--workers', 'two'], "eval: --workers must be an integer from 1 to 256, got 'two'"],
      [predict, ['--engine', 'xnor', '--weights', files.rgb.bnx, '--workers', '-1', IMAGES[0]], "predict: --workers must be an integer from 1 to 256, got '-1'"],
      [forward, [...f, '--workers', '2', '--dump-activations', join(dir, 'a.safetensors')], 'forward: --workers runs evaluation only (no --train or --dump-activations)'],
    ] as const) {
      const err = await refusal(command, [...argv]);
      expect(err).to.be.instanceOf(UsageError);
      expect(err.message).to.equal(message);
    }
  });
});
