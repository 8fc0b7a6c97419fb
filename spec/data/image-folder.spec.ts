/**
 * ImageFolder (torchvision's indexing), class-name files, samplers and the data loader, on a
 * small ImageNet-style tree built in a temporary folder.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClassNames } from '../../src/data/class-names';
import { readClassNames } from '../../src/data/files';
import { createImage } from '../../src/data/image';
import { compareCodePoints, ImageFolder, openSplit } from '../../src/data/image-folder';
import { DataLoader, type Batch } from '../../src/data/loader';
import { makePipeline } from '../../src/data/pipelines';
import { encodePng } from '../../src/data/png';
import { RandomSampler, RepeatAugSampler, SequentialSampler } from '../../src/data/sampler';

function pngOf(value: number, width = 40, height = 36): Uint8Array {
  const img = createImage(width, height);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (value + i * 7) % 256;
  return encodePng(img);
}

async function collect(gen: AsyncGenerator<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

describe('data/image-folder, class names, samplers, loader', () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'bnext-folder-'));
    const files: Record<string, Uint8Array> = {
      'train/n02/b.png': pngOf(1),
      'train/n02/a.PNG': pngOf(2),
      'train/n02/notes.txt': new TextEncoder().encode('not an image'),
      'train/n02/sub/c.png': pngOf(3),
      'train/n01/z.jpeg': pngOf(4), // a PNG named .jpeg: decoded by its signature
      'train/N03/x.png': pngOf(5),
      'train/n01 extra/y.png': pngOf(6),
      'val/n01/v.png': pngOf(7),
      'val/n02/w.png': pngOf(8),
    };
    for (const [rel, bytes] of Object.entries(files)) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), bytes);
    }
    symlinkSync(join(root, 'train/n02'), join(root, 'train/n04'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('ImageFolder', () => {
    it('sorts classes by code point and lists images recursively, as torchvision does', () => {
      const ds = openSplit(root, 'train');
      expect(ds.classes).to.deep.equal(['N03', 'n01', 'n01 extra', 'n02', 'n04']);
      const rel = ds.samples.map((s) => [s.path.slice(root.length + 1), s.label]);
      expect(rel).to.deep.equal([
        ['train/N03/x.png', 0], ['train/n01/z.jpeg', 1], ['train/n01 extra/y.png', 2],
        ['train/n02/a.PNG', 3], ['train/n02/b.png', 3], ['train/n02/sub/c.png', 3],
        ['train/n04/a.PNG', 4], ['train/n04/b.png', 4], ['train/n04/sub/c.png', 4],
      ]);
    });

    it('code-point order differs from UTF-16 order where it must', () => {
      const names = ['\u{1F600}', '\uFF5E', 'a'];
      expect([...names].sort(compareCodePoints)).to.deep.equal(['a', '\uFF5E', '\u{1F600}']);
    });

    it('a missing train/, a missing root, an empty class folder: errors naming the path', () => {
      const bare = mkdtempSync(join(tmpdir(), 'bnext-bare-'));
      try {
        expect(() => openSplit(bare, 'train')).to.throw(`${join(bare, 'train')}: no train/ folder`);
        expect(() => openSplit(join(bare, 'nope'), 'val')).to.throw(`${join(bare, 'nope')}: dataset folder not found`);
        mkdirSync(join(bare, 'train/empty_class'), { recursive: true });
        mkdirSync(join(bare, 'train/full'), { recursive: true });
        writeFileSync(join(bare, 'train/full/a.png'), pngOf(0));
        writeFileSync(join(bare, 'train/empty_class/readme.txt'), 'x');
        expect(() => openSplit(bare, 'train')).to.throw(`${join(bare, 'train/empty_class')}: class folder has no image files`);
        mkdirSync(join(bare, 'val'));
        expect(() => openSplit(bare, 'val')).to.throw(`${join(bare, 'val')}: no class folders`);
      } finally {
        rmSync(bare, { recursive: true, force: true });
      }
    });

    it('a class map fixes label order and names, and refuses folders it does not know', () => {
      const map = parseClassNames('{"0": ["n02", "goldfish"], "1": ["n01", "tench"]}', 'map.json');
      const ds = openSplit(root, 'val', { classMap: map });
      expect(ds.classes).to.deep.equal(['n02', 'n01']);
      expect(ds.classNames).to.deep.equal(['goldfish', 'tench']);
      expect(ds.samples.map((s) => s.label)).to.deep.equal([0, 1]);
      expect(() => openSplit(root, 'train', { classMap: map })).to.throw(/class folder is not in the class map/);
    });
  });

  describe('class-name files', () => {
    it('plain names, synset lines, JSON arrays and the index-to-[id, name] JSON', () => {
      expect(parseClassNames('tench\ngoldfish\n\n', 'a')).to.deep.equal({ names: ['tench', 'goldfish'], ids: null });
      expect(parseClassNames('n01440764 tench, Tinca tinca\r\nn01443537 goldfish\r\n', 'b')).to.deep.equal({
        names: ['tench, Tinca tinca', 'goldfish'], ids: ['n01440764', 'n01443537'],
      });
      expect(parseClassNames('["a", "b"]', 'c')).to.deep.equal({ names: ['a', 'b'], ids: null });
      expect(parseClassNames('{"1": ["n2", "b"], "0": ["n1", "a"]}', 'd')).to.deep.equal({ names: ['a', 'b'], ids: ['n1', 'n2'] });
      expect(parseClassNames('{"0": "a", "1": "b"}', 'e')).to.deep.equal({ names: ['a', 'b'], ids: null });
    });

    it('bad files are errors naming the file', () => {
      expect(() => parseClassNames('', 'x.txt')).to.throw('x.txt: class-name file is empty');
      expect(() => parseClassNames('a\n\nb', 'x.txt')).to.throw('x.txt:2: blank line inside the class list');
      expect(() => parseClassNames('{"0": "a", "5": "b"}', 'y.json')).to.throw("y.json: key '5' is not a class index in 0..1");
      expect(() => parseClassNames('[1, 2]', 'z.json')).to.throw('z.json: entry 0 is not a string');
      expect(() => parseClassNames('{"0": ', 'w.json')).to.throw(/^w\.json: invalid JSON/);
      expect(() => readClassNames(join(root, 'missing.txt'))).to.throw(`${join(root, 'missing.txt')}: cannot read (ENOENT)`);
    });
  });

  describe('samplers', () => {
    it('random: a permutation per epoch, reproducible from the seed', () => {
      const s = new RandomSampler(50, 7);
      const e0 = Array.from(s.indices(0));
      expect([...e0].sort((a, b) => a - b)).to.deep.equal(Array.from(new SequentialSampler(50).indices()));
      expect(Array.from(new RandomSampler(50, 7).indices(0))).to.deep.equal(e0);
      expect(Array.from(s.indices(1))).to.not.deep.equal(e0);
    });

    it('repeated augmentation: each index 3 times in a row, floor(N / 256) * 256 per epoch', () => {
      const s = new RepeatAugSampler(1000, { seed: 1 });
      expect(s.length).to.equal(768);
      const idx = Array.from(s.indices(0));
      for (let k = 0; k < 765; k += 3) expect(idx[k]).to.equal(idx[k + 1]).and.to.equal(idx[k + 2]);
      expect(new Set(idx).size).to.equal(256);
    });

    it('repeated augmentation across replicas: the copies of an image go to different replicas', () => {
      const opts = { numReplicas: 3, seed: 2, selectedRound: 0 };
      const parts = [0, 1, 2].map((rank) => Array.from(new RepeatAugSampler(10, { ...opts, rank }).indices(0)));
      expect(parts.map((p) => p.length)).to.deep.equal([4, 4, 4]);
      for (let k = 0; k < 4; k++) expect(parts[0][k]).to.equal(parts[1][k]).and.to.equal(parts[2][k]);
      expect(() => new RepeatAugSampler(100)).to.throw(/give 0 per epoch/);
    });
  });

  describe('DataLoader', () => {
    it('batches, labels and normalises; the last batch is smaller unless dropped', async () => {
      const ds = openSplit(root, 'train');
      const loader = new DataLoader(ds, makePipeline('imagenet-eval', { size: 16 }), { batchSize: 4 });
      expect(loader.length).to.equal(3);
      const batches = await collect(loader.epoch(0));
      expect(batches.map((b) => b.images.shape)).to.deep.equal([[4, 3, 16, 16], [4, 3, 16, 16], [1, 3, 16, 16]]);
      expect(batches.flatMap((b) => Array.from(b.labels.data))).to.deep.equal(ds.samples.map((s) => s.label));
      const dropped = new DataLoader(ds, makePipeline('imagenet-eval', { size: 16 }), { batchSize: 4, dropLast: true });
      expect((await collect(dropped.epoch(0))).length).to.equal(2);
    });

    it('shuffled augmentation is reproducible and independent of batch size and read-ahead', async () => {
      const ds = openSplit(root, 'train');
      const pipeline = makePipeline('imagenet-train', { size: 24 });
      const run = async (batchSize: number, prefetch: number) => {
        const loader = new DataLoader(ds, pipeline, { batchSize, shuffle: true, seed: 5, prefetch });
        const batches = await collect(loader.epoch(2));
        return { paths: batches.flatMap((b) => b.paths), pixels: batches.flatMap((b) => Array.from(b.images.data)) };
      };
      const a = await run(3, 0);
      const b = await run(2, 3);
      expect(b.paths).to.deep.equal(a.paths);
      expect(b.pixels).to.deep.equal(a.pixels);
      expect(a.paths).to.not.deep.equal(ds.samples.map((s) => s.path));
    });

    it('an unreadable file is an error naming it, or with skipUnreadable a logged skip', async () => {
      const broken = mkdtempSync(join(tmpdir(), 'bnext-broken-'));
      try {
        mkdirSync(join(broken, 'c'));
        writeFileSync(join(broken, 'c/good.png'), pngOf(1));
        writeFileSync(join(broken, 'c/trunc.png'), pngOf(2).subarray(0, 50));
        writeFileSync(join(broken, 'c/zero.jpg'), new Uint8Array(0));
        const ds = ImageFolder.open(broken);
        const pipeline = makePipeline('imagenet-eval', { size: 8 });
        let message = '';
        await collect(new DataLoader(ds, pipeline, { batchSize: 3 }).epoch(0)).catch((e: Error) => (message = e.message));
        expect(message).to.match(new RegExp(`^${join(broken, 'c/trunc.png')}: truncated or corrupt PNG`));
        const logs: string[] = [];
        const batches = await collect(new DataLoader(ds, pipeline, { batchSize: 3, skipUnreadable: true, log: (m) => logs.push(m) }).epoch(0));
        expect(batches.map((b) => b.paths)).to.deep.equal([[join(broken, 'c/good.png')]]);
        expect(logs.length).to.equal(2);
        expect(logs[0].startsWith(`skipping ${join(broken, 'c/trunc.png')}: truncated or corrupt PNG (`)).to.equal(true);
        expect(logs[1]).to.equal(`skipping ${join(broken, 'c/zero.jpg')}: empty file (0 bytes)`);
      } finally {
        rmSync(broken, { recursive: true, force: true });
      }
    });
  });
});
