/**
 * Resizing against PIL 9.4 (`Image.resize`) and torchvision 0.14 (`Resize(int)`), bilinear and
 * bicubic, down- and upscaling, on the three fixture images.
 *
 * Measured: max |ours - PIL| = 0 on every case, so the tolerance is 0 (exact equality).
 */
import { expect } from 'chai';
import { resampleCoefficients, resize, type ResampleFilter } from '../../src/data/resample';
import { resizeShortSide } from '../../src/data/transforms';
import { createImage } from '../../src/data/image';
import { expectSameImage, goldenImage, manifest, source } from './fixtures';

describe('data/resample', () => {
  describe('golden: PIL Image.resize', () => {
    for (const c of manifest.transforms.filter((t) => t.op === 'resize')) {
      it(`${c.src} -> ${c.w}x${c.h} ${c.filter}`, () => {
        const out = resize(source(c.src as string), c.w as number, c.h as number, c.filter as ResampleFilter);
        expectSameImage(out, goldenImage(c.golden), `${c.src} ${c.filter} ${c.w}x${c.h}`);
      });
    }
  });

  describe('golden: torchvision Resize(short side)', () => {
    for (const c of manifest.transforms.filter((t) => t.op === 'resize_short')) {
      it(`${c.src} short side ${c.size} ${c.filter}`, () => {
        const out = resizeShortSide(source(c.src as string), c.size as number, c.filter as ResampleFilter);
        expectSameImage(out, goldenImage(c.golden), `${c.src} short ${c.size}`);
      });
    }
  });

  it('widens the filter support with the scale when downscaling (antialiasing)', () => {
    const up = resampleCoefficients(10, 20, 'bicubic');
    const down = resampleCoefficients(40, 10, 'bicubic');
    expect(up.ksize).to.equal(5); // support 2 -> ceil(2) * 2 + 1
    expect(down.ksize).to.equal(17); // support 2 * 4 = 8 -> 17 taps
    // Every output of the 4x downscale averages 16 inputs (away from the borders).
    expect(down.bounds[2 * 5 + 1]).to.equal(16);
  });

  it('has fixed-point weights that sum to one (2^22) per output pixel', () => {
    for (const filter of ['bilinear', 'bicubic'] as const) {
      const c = resampleCoefficients(37, 11, filter);
      for (let o = 0; o < 11; o++) {
        let s = 0;
        for (let k = 0; k < c.ksize; k++) s += c.weights[o * c.ksize + k];
        expect(Math.abs(s - (1 << 22))).to.be.at.most(c.ksize);
      }
    }
  });

  it('keeps a flat image flat and returns a copy for the same size', () => {
    const img = createImage(13, 9);
    img.data.fill(77);
    for (const filter of ['bilinear', 'bicubic'] as const) {
      const out = resize(img, 5, 21, filter);
      expect(out.data.every((v) => v === 77)).to.equal(true);
    }
    const same = resize(img, 13, 9, 'bicubic');
    expect(same.data).to.not.equal(img.data);
    expect(Array.from(same.data)).to.deep.equal(Array.from(img.data));
  });

  it('refuses a non-positive target size', () => {
    expect(() => resize(createImage(4, 4), 0, 3, 'bilinear')).to.throw(/positive integers, got 0x3/);
  });
});
