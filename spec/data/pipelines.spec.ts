/**
 * The named pipelines, `evalPipeline` (the input `bnext predict` feeds the model), and the
 * `bnext preprocess` command that writes a pipeline's batch as .npy.
 *
 * The ImageNet eval pipeline at size 32 equals torchvision's bit for bit (transforms.spec.ts);
 * here it is checked again through the file-level entry points.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preprocess } from '../../src/cli/commands/preprocess';
import { evalPipeline, makePipeline, PIPELINE_NAMES, runPipeline } from '../../src/data/pipelines';
import { readImage } from '../../src/data/files';
import { readNpy } from '../../src/io/files';
import { Rng } from '../../src/tensor/random';
import { goldenFloats, IMAGES, manifest, source } from './fixtures';

const evalCase = (src: string) => {
  const c = manifest.transforms.find((t) => t.op === 'imagenet_eval' && t.src === src);
  if (!c) throw new Error(`no imagenet_eval golden for ${src}`);
  return goldenFloats(c.golden).data;
};

describe('data/pipelines', () => {
  it('evalPipeline from a decoded image and from bytes equals torchvision', () => {
    const path = join(IMAGES, manifest.sources.s2);
    expect(Array.from(evalPipeline(readImage(path), 32))).to.deep.equal(Array.from(evalCase('s2')));
    expect(Array.from(evalPipeline(readFileSync(path), 32))).to.deep.equal(Array.from(evalCase('s2')));
    expect(evalPipeline(readImage(path)).length).to.equal(3 * 224 * 224);
    expect(() => evalPipeline(new Uint8Array(0), 32, 'upload')).to.throw('upload: empty file (0 bytes)');
  });

  it('every pipeline gives 3 x size x size and the random ones are seeded', () => {
    const img = source('s0');
    for (const name of PIPELINE_NAMES) {
      const p = makePipeline(name, name === 'cifar-eval' ? { size: 40 } : { size: 32 });
      if (name === 'cifar-eval') {
        expect(() => runPipeline(p, img, new Rng(1), 's0.png')).to.throw('s0.png: cifar-eval takes 40x40 images as they are (no resize), got 40x30');
        continue;
      }
      const a = runPipeline(p, img, new Rng(1), 's0');
      const b = runPipeline(p, img, new Rng(1), 's0');
      expect(a.length).to.equal(3 * 32 * 32);
      expect(Array.from(a)).to.deep.equal(Array.from(b));
    }
    expect(makePipeline('imagenet-eval').size).to.equal(224);
    expect(makePipeline('cifar-train').size).to.equal(32);
    expect(() => makePipeline('imagenet-eval', { size: 0 })).to.throw(/size must be an integer from 1 to 4096, got 0/);
    expect(() => makePipeline('cifar-train', { size: 100000 })).to.throw(/pipeline cifar-train: size must be an integer from 1 to 4096, got 100000/);
  });

  describe('bnext preprocess', () => {
    let dir = '';
    const log = console.log;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'bnext-preprocess-'));
      console.log = () => {};
    });
    after(() => {
      console.log = log;
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes the float32 NCHW batch of imagenet-eval, equal to torchvision', async () => {
      const out = join(dir, 'eval.npy');
      const srcs = ['s0', 's1'].map((s) => join(IMAGES, manifest.sources[s]));
      expect(await preprocess.run(['--pipeline', 'imagenet-eval', '--size', '32', '--out', out, ...srcs])).to.equal(0);
      const arr = readNpy(out);
      expect(arr.dtype).to.equal('F32');
      expect(arr.shape).to.deep.equal([2, 3, 32, 32]);
      const data = arr.data as Float32Array;
      expect(Array.from(data.subarray(0, 3072))).to.deep.equal(Array.from(evalCase('s0')));
      expect(Array.from(data.subarray(3072))).to.deep.equal(Array.from(evalCase('s1')));
    });

    it('train pipelines follow --seed', async () => {
      const src = join(IMAGES, manifest.sources.s1);
      const run = async (seed: string, file: string) => {
        await preprocess.run(['--pipeline', 'cifar-train', '--seed', seed, '--out', join(dir, file), src, src]);
        return Array.from(readNpy(join(dir, file)).data as Float32Array);
      };
      const a = await run('4', 'a.npy');
      expect(await run('4', 'b.npy')).to.deep.equal(a);
      expect(await run('5', 'c.npy')).to.not.deep.equal(a);
    });

    it('refuses bad arguments by name', async () => {
      const msg = async (argv: string[]) => {
        try {
          await preprocess.run(argv);
          return '';
        } catch (e) {
          return (e as Error).message;
        }
      };
      expect(await msg(['--pipeline', 'imagenet', '--out', 'x.npy', 'a.png'])).to.match(/unknown --pipeline 'imagenet'/);
      expect(await msg(['--pipeline', 'cifar-eval', 'a.png'])).to.equal('preprocess: --out is required');
      expect(await msg(['--pipeline', 'cifar-eval', '--out', 'x.npy'])).to.equal('preprocess: no images given');
      expect(await msg(['--pipeline', 'cifar-eval', '--randaugment', 'rand', '--out', 'x.npy', 'a.png'])).to.match(/imagenet-train only/);
      expect(await msg(['--pipeline', 'imagenet-eval', '--out', join(dir, 'x.npy'), join(dir, 'missing.png')])).to.equal(`${join(dir, 'missing.png')}: cannot read (ENOENT)`);
    });
  });
});
