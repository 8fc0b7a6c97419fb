/**
 * The deterministic transforms against torchvision 0.14 on PIL images: center crop (including a
 * crop larger than the image), resized crop (bicubic), pad + crop (CIFAR's RandomCrop with fixed
 * offsets), horizontal flip, ToTensor + Normalize, and RandomResizedCrop's fallback parameters.
 *
 * Measured: every pixel equal (tolerance 0); normalised floats bit-identical (tolerance 0).
 */
import { expect } from 'chai';
import { crop, hflip, pad } from '../../src/data/geometry';
import { createImage } from '../../src/data/image';
import {
  centerCrop, randomCropWithPadding, randomHorizontalFlip, randomResizedCropParams, resizedCrop,
  toNormalizedCHW, IMAGENET_RRC,
} from '../../src/data/transforms';
import { CIFAR_STATS, IMAGENET_STATS, imagenetEvalImage } from '../../src/data/pipelines';
import { Rng } from '../../src/tensor/random';
import { expectSameImage, goldenFloats, goldenImage, manifest, source } from './fixtures';

const cases = (op: string) => manifest.transforms.filter((t) => t.op === op);

describe('data/transforms', () => {
  describe('golden: torchvision CenterCrop', () => {
    for (const c of cases('center_crop')) {
      it(`${c.src} ${c.w}x${c.h}`, () => {
        expectSameImage(centerCrop(source(c.src as string), c.w as number, c.h as number), goldenImage(c.golden), 'center crop');
      });
    }
  });

  describe('golden: torchvision resized_crop (bicubic)', () => {
    for (const c of cases('resized_crop')) {
      it(`${c.src} box (${c.top}, ${c.left}, ${c.h}x${c.w}) -> ${c.size}`, () => {
        const box = { top: c.top as number, left: c.left as number, height: c.h as number, width: c.w as number };
        const out = resizedCrop(source(c.src as string), box, c.size as number, c.size as number, 'bicubic');
        expectSameImage(out, goldenImage(c.golden), 'resized crop');
      });
    }
  });

  describe('golden: torchvision pad(4) + crop', () => {
    for (const c of cases('pad_crop')) {
      it(`${c.src} at (${c.top}, ${c.left})`, () => {
        const padded = pad(source(c.src as string), c.padding as number);
        const out = crop(padded, c.left as number, c.top as number, c.size as number, c.size as number);
        expectSameImage(out, goldenImage(c.golden), 'pad crop');
      });
    }
  });

  describe('golden: torchvision hflip', () => {
    for (const c of cases('hflip')) {
      it(c.src as string, () => expectSameImage(hflip(source(c.src as string)), goldenImage(c.golden), 'hflip'));
    }
  });

  describe('golden: ToTensor + Normalize (bit-identical float32)', () => {
    for (const c of cases('normalize')) {
      it(`${c.src} ${c.stats}`, () => {
        const img = source(c.src as string);
        const out = toNormalizedCHW(img, c.stats === 'cifar' ? CIFAR_STATS : IMAGENET_STATS);
        const golden = goldenFloats(c.golden);
        expect(golden.shape).to.deep.equal([3, img.height, img.width]);
        expect(Array.from(out)).to.deep.equal(Array.from(golden.data));
      });
    }
  });

  describe('golden: the ImageNet eval pipeline (Resize(floor(32 / 0.95)) bicubic, CenterCrop(32), Normalize)', () => {
    for (const c of cases('imagenet_eval')) {
      it(`${c.src} size ${c.size}`, () => {
        const img = imagenetEvalImage(source(c.src as string), c.size as number);
        const out = toNormalizedCHW(img, IMAGENET_STATS);
        const golden = goldenFloats(c.golden);
        expect(golden.shape).to.deep.equal([3, c.size, c.size]);
        expect(Array.from(out)).to.deep.equal(Array.from(golden.data));
      });
    }
  });

  describe('golden: RandomResizedCrop.get_params fallback', () => {
    for (const c of manifest.rrc_fallback) {
      it(`${c.src} ratio [${c.ratio.map((r) => r.toFixed(2)).join(', ')}]`, () => {
        const img = source(c.src);
        // A scale above 1 never fits, so all 10 attempts fail and the fallback decides.
        const box = randomResizedCropParams(img.width, img.height, { scale: [4, 5], ratio: c.ratio }, new Rng(1));
        expect(box).to.deep.equal({ top: c.top, left: c.left, height: c.h, width: c.w });
      });
    }
  });

  it('RandomResizedCrop boxes stay inside the image and within the scale and ratio bounds', () => {
    const rng = new Rng('rrc');
    let fallbacks = 0;
    for (let i = 0; i < 2000; i++) {
      const box = randomResizedCropParams(500, 375, IMAGENET_RRC, rng);
      expect(box.left).to.be.within(0, 500 - box.width);
      expect(box.top).to.be.within(0, 375 - box.height);
      if (box.width === 500 && box.height === 375) {
        fallbacks++;
        continue;
      }
      const area = (box.width * box.height) / (500 * 375);
      expect(area).to.be.within(0.07, 1.01);
      // Rounding w and h to integers moves the ratio a little past its bounds on small boxes.
      expect(box.width / box.height).to.be.within(0.7, 1.4);
    }
    expect(fallbacks).to.be.below(40);
  });

  it('random crop with padding: seeded, and within the padded image', () => {
    const img = source('s0');
    const a = randomCropWithPadding(img, 32, 4, new Rng(5));
    const b = randomCropWithPadding(img, 32, 4, new Rng(5));
    expect(a.width).to.equal(32);
    expect(Array.from(a.data)).to.deep.equal(Array.from(b.data));
    expect(() => randomCropWithPadding(createImage(10, 10), 32, 4, new Rng(1))).to.throw(/does not fit the padded 18x18/);
  });

  it('random horizontal flip flips about half the time', () => {
    const img = source('s1');
    const rng = new Rng(3);
    let flips = 0;
    for (let i = 0; i < 400; i++) if (randomHorizontalFlip(img, 0.5, rng) !== img) flips++;
    expect(flips).to.be.within(160, 240);
  });

  it('crop fills outside the image with the fill colour', () => {
    const img = createImage(2, 2, new Uint8Array(12).fill(9));
    const out = crop(img, -1, 1, 3, 2, [1, 2, 3]);
    expect(Array.from(out.data)).to.deep.equal([1, 2, 3, 9, 9, 9, 9, 9, 9, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });
});
