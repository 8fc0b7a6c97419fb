/**
 * `bnext forward/eval/predict --engine xnor` from a .bnx file (model-io.ts's packedSourceFromArgs),
 * run in-process: the same logits, metrics and top-5 as from the state_dict it was packed from,
 * quantized files, and the refusals (a .bnx for the float engine, architecture options that
 * disagree with the file).
 */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forward } from '../../src/cli/commands/forward';
import { evalCommand } from '../../src/cli/commands/evaluate';
import { predict } from '../../src/cli/commands/predict';
import { writeNpy } from '../../src/io/files';
import { fromTensor } from '../../src/io/stored';
import { writeStateDict } from '../../src/nn/state-dict-file';
import { writeBnx } from '../../src/engine/bnx-file';
import { bnxContentsOf, packedModelFromContents } from '../../src/engine/load';
import { parseQuantization } from '../../src/quantize/scheme';
import type { BNextModel } from '../../src/models/factory';
import { Rng } from '../../src/tensor/random';
import { randomInput, randomModel } from '../engine/helpers';
import { refusal, run } from '../helpers/commands';

const BNEXT = ['--arch', 'bnext', '--base-width', '8', '--stages', '1,0,0,0', '--classes', '10'];
const BNEXT18 = ['--arch', 'bnext-18', '--base-width', '8', '--stages', '1,1,1,1', '--classes', '10'];
const IMAGES = 'fixtures/images/decode';

describe('cli: forward/eval/predict --engine xnor from a .bnx file', () => {
  let dir: string;
  let input: string;
  let folder: string;
  let images: string[];
  const files = new Map<string, { weights: string; bnx: string; model: BNextModel }>();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bnext-cli-bnx-'));
    for (const [name, arch] of [['bnext', 'bnext'], ['bnext-18', 'bnext-18']] as const) {
      const model = randomModel({ arch, baseWidth: 8, stages: arch === 'bnext' ? [1, 0, 0, 0] : [1, 1, 1, 1], numClasses: 10 }, `cli-bnx-${name}`);
      const weights = join(dir, `${name}.safetensors`);
      const bnx = join(dir, `${name}.bnx`);
      writeStateDict(weights, model);
      writeBnx(bnx, bnxContentsOf(model));
      files.set(name, { weights, bnx, model });
    }
    const bnext = files.get('bnext')!;
    writeBnx(join(dir, 'paper.bnx'), bnxContentsOf(bnext.model, { quantize: parseQuantization('paper') }));
    input = join(dir, 'x.npy');
    writeNpy(input, fromTensor(randomInput(new Rng('cli-bnx-input'), [2, 3, 16, 16])));
    // A two-class ImageFolder for eval, and the same images for predict.
    folder = join(dir, 'folder');
    images = [];
    for (const [cls, names] of [['a', ['base420.jpg', 'gray.jpg']], ['b', ['base444.jpg', 'base422.jpg']]] as const) {
      mkdirSync(join(folder, 'val', cls), { recursive: true });
      for (const name of names) {
        copyFileSync(join(IMAGES, name), join(folder, 'val', cls, name));
        images.push(join(folder, 'val', cls, name));
      }
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const logits = async (argv: string[], out: string): Promise<Buffer> => {
    await run(forward, [...argv, '--input', input, '--out', out]);
    return readFileSync(out);
  };

  for (const [name, arch] of [['bnext', BNEXT], ['bnext-18', BNEXT18]] as const) {
    it(`forward: ${name} from the .bnx (with or without --arch) writes the logits the state_dict gives`, async () => {
      const { weights, bnx } = files.get(name)!;
      const want = await logits([...arch, '--engine', 'xnor', '--weights', weights], join(dir, 'want.npy'));
      expect(await logits(['--engine', 'xnor', '--weights', bnx], join(dir, 'bare.npy'))).to.deep.equal(want);
      expect(await logits([...arch, '--engine', 'xnor', '--weights', bnx], join(dir, 'arch.npy'))).to.deep.equal(want);
    });

    it(`eval: ${name} from the .bnx prints the metrics the state_dict gives`, async () => {
      const { weights, bnx } = files.get(name)!;
      const data = ['--data', folder, '--size', '16', '--batch-size', '3'];
      const want = await run(evalCommand, [...arch, '--engine', 'xnor', '--weights', weights, ...data]);
      expect(want).to.match(/ on .*folder: top-1 [\d.]+%, top-5 [\d.]+%, loss [\d.]+ \(xnor engine\)$/);
      expect(await run(evalCommand, ['--engine', 'xnor', '--weights', bnx, ...data])).to.equal(want);
    });
  }

  it('predict: the top-5 from the .bnx are those from the state_dict', async () => {
    const { weights, bnx } = files.get('bnext')!;
    const want = await run(predict, [...BNEXT, '--engine', 'xnor', '--weights', weights, '--size', '16', ...images]);
    expect(want.split('\n')).to.have.length(4 * 6);
    expect(await run(predict, ['--engine', 'xnor', '--weights', bnx, '--size', '16', ...images])).to.equal(want);
  });

  it('a quantized .bnx: forward writes the in-memory quantized engine\'s logits; eval and predict run it', async () => {
    const { model } = files.get('bnext')!;
    const bnx = join(dir, 'paper.bnx');
    const engine = packedModelFromContents(bnxContentsOf(model, { quantize: parseQuantization('paper') }));
    const out = join(dir, 'q.npy');
    await run(forward, ['--engine', 'xnor', '--weights', bnx, '--input', input, '--out', out]);
    const x = randomInput(new Rng('cli-bnx-input'), [2, 3, 16, 16]);
    writeNpy(join(dir, 'q-want.npy'), fromTensor(engine.run(x)));
    expect(readFileSync(out)).to.deep.equal(readFileSync(join(dir, 'q-want.npy')));
    expect(readFileSync(out)).to.not.deep.equal(await logits(['--engine', 'xnor', '--weights', files.get('bnext')!.bnx], join(dir, 'float32.npy')));
    expect(await run(evalCommand, ['--engine', 'xnor', '--weights', bnx, '--data', folder, '--size', '16'])).to.match(/\(xnor engine\)$/);
    expect((await run(predict, ['--engine', 'xnor', '--weights', bnx, '--size', '16', images[0]])).split('\n')).to.have.length(6);
  });

  it('refuses a .bnx with the float engine, for each command, writing nothing', async () => {
    const { bnx } = files.get('bnext')!;
    const message = /is a \.bnx file \(packed weights for --engine xnor\); the float engine needs a state_dict \(safetensors or a torch\.save file\)/;
    const out = join(dir, 'none.npy');
    for (const engine of [[], ['--engine', 'float']]) {
      expect((await refusal(forward, [...BNEXT, ...engine, '--weights', bnx, '--input', input, '--out', out])).message).to.match(/^forward: .*bnext\.bnx /).and.match(message);
      expect((await refusal(evalCommand, [...engine, '--weights', bnx, '--data', folder])).message).to.match(/^eval: /).and.match(message);
      expect((await refusal(predict, [...BNEXT, ...engine, '--weights', bnx, images[0]])).message).to.match(/^predict: /).and.match(message);
    }
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses architecture options that disagree with the .bnx file, naming the options', async () => {
    const { bnx } = files.get('bnext')!;
    const out = join(dir, 'none.npy');
    const classes = await refusal(forward, ['--classes', '12', '--engine', 'xnor', '--weights', bnx, '--input', input, '--out', out]);
    expect(classes.message).to.match(/^forward: .*bnext\.bnx holds BNext C=8 1:0:0:0, 10 classes, .*, the architecture options ask for BNext C=8 1:0:0:0, 12 classes, .*\(they differ in --classes\)/);
    const arch = await refusal(evalCommand, [...BNEXT18, '--engine', 'xnor', '--weights', bnx, '--data', folder]);
    expect(arch.message).to.match(/^eval: .*holds BNext C=8 .*ask for BNext-18 C=8 blocks 1:1:1:1, 10 classes \(they differ in --arch\)/);
    const ablation = await refusal(predict, [...BNEXT, '--no-elm', '--engine', 'xnor', '--weights', bnx, images[0]]);
    expect(ablation.message).to.match(/^predict: .*\(they differ in --no-elm\)/);
    expect(existsSync(out)).to.equal(false);
  });

  it('refuses an unknown --engine, and says in --help that --weights may be a .bnx file', async () => {
    const { weights } = files.get('bnext')!;
    expect((await refusal(evalCommand, [...BNEXT, '--engine', 'gpu', '--weights', weights])).message).to.equal("eval: --engine must be float or xnor, got 'gpu'");
    for (const command of [forward, evalCommand, predict]) expect(command.usage, command.name).to.match(/--engine xnor --weights M\.bnx/);
  });
});
