/**
 * RandAugment ('inc' operation set) against PIL 9.4: each operation at magnitudes 7, 10 and 2.6,
 * both signs for the signed ones, with timm 0.6's level functions, bicubic resampling and the
 * ImageNet-mean fill. Also the policy parsing and the random draws.
 *
 * Measured: max |ours - PIL| = 0 for every operation (tolerance 0), including the affine warps
 * (rotate, shear, translate) and the float32 blends of the enhance operations.
 */
import { expect } from 'chai';
import {
  applyOp, opArgument, parseRandAugment, RandAugment, RAND_INCREASING_OPS, RAND_OPS, IMAGENET_FILL,
  type AppliedOp, type RandAugmentOp,
} from '../../src/data/randaugment';
import { Rng } from '../../src/tensor/random';
import { expectSameImage, goldenImage, manifest, source } from './fixtures';

describe('data/randaugment', () => {
  it('the exporter used the fill colour we use', () => {
    expect(manifest.fill).to.deep.equal([...IMAGENET_FILL]);
  });

  describe('golden: each operation, PIL 9.4', () => {
    for (const c of manifest.randaugment) {
      const op = c.op as RandAugmentOp;
      it(`${op} ${c.src} m=${c.magnitude}${c.negate ? ' negated' : ''}`, () => {
        const arg = opArgument(op, c.magnitude, c.negate);
        if (c.arg === null) expect(arg).to.equal(null);
        else expect(arg).to.be.closeTo(c.arg, 1e-12);
        const out = applyOp(source(c.src), op, arg, IMAGENET_FILL, 'bicubic');
        expectSameImage(out, goldenImage(c.golden), `${op} m=${c.magnitude}`);
      });
    }
  });

  describe('policy strings', () => {
    it("parses BNext's rand-m7-mstd0.5-inc1", () => {
      const c = parseRandAugment('rand-m7-mstd0.5-inc1');
      expect(c).to.include({ numOps: 2, magnitude: 7, magnitudeStd: 0.5, magnitudeMax: 10, prob: 0.5, interpolation: 'bicubic', translatePct: 0.45 });
      expect(c.ops).to.equal(RAND_INCREASING_OPS);
      expect(c.fill).to.deep.equal([124, 116, 104]);
    });

    it('defaults like timm: m10, n2, no noise, the standard op set', () => {
      const c = parseRandAugment('rand');
      expect(c).to.include({ numOps: 2, magnitude: 10, magnitudeStd: 0 });
      expect(c.ops).to.equal(RAND_OPS);
      expect(parseRandAugment('rand-n3-m9-mstd101').magnitudeStd).to.equal(Infinity);
    });

    it('refuses what it cannot honour, by name', () => {
      expect(() => parseRandAugment('augmix-m3')).to.throw(/must start with 'rand'/);
      expect(() => parseRandAugment('rand-m7-w0')).to.throw(/weighted op choice \('w0'\)/);
      expect(() => parseRandAugment('rand-q7')).to.throw(/unknown section 'q7'/);
    });
  });

  describe('level functions (inc set, timm 0.6)', () => {
    it('map magnitude 7 as timm does', () => {
      expect(opArgument('Rotate', 7, false)).to.be.closeTo(21, 1e-12);
      expect(opArgument('ShearX', 7, true)).to.be.closeTo(-0.21, 1e-12);
      expect(opArgument('TranslateYRel', 7, false)).to.be.closeTo(0.315, 1e-12);
      expect(opArgument('PosterizeIncreasing', 7, false)).to.equal(2);
      expect(opArgument('SolarizeIncreasing', 7, false)).to.equal(77);
      expect(opArgument('SolarizeAdd', 7, false)).to.equal(77);
      expect(opArgument('ColorIncreasing', 7, false)).to.be.closeTo(1.63, 1e-12);
      expect(opArgument('ContrastIncreasing', 7, true)).to.be.closeTo(0.37, 1e-12);
      expect(opArgument('SharpnessIncreasing', 10, true)).to.be.closeTo(0.1, 1e-12);
      expect(opArgument('Equalize', 7, false)).to.equal(null);
    });
  });

  describe('random draws', () => {
    it('is reproducible from the seed and keeps the image size', () => {
      const ra = new RandAugment('rand-m7-mstd0.5-inc1');
      const img = source('s0');
      const a = ra.apply(img, new Rng(11));
      const b = ra.apply(img, new Rng(11));
      expect([a.width, a.height]).to.deep.equal([img.width, img.height]);
      expect(Array.from(a.data)).to.deep.equal(Array.from(b.data));
    });

    it('applies each chosen op with probability 0.5, magnitudes ~ N(7, 0.5) clipped to [0, 10]', () => {
      const ra = new RandAugment('rand-m7-mstd0.5-inc1');
      const img = source('s1');
      const rng = new Rng('draws');
      const trace: AppliedOp[] = [];
      for (let i = 0; i < 300; i++) ra.apply(img, rng, trace);
      expect(trace.length).to.equal(600);
      const applied = trace.filter((t) => t.applied);
      expect(applied.length / trace.length).to.be.within(0.44, 0.56);
      const mags = applied.map((t) => t.magnitude ?? NaN);
      const mean = mags.reduce((s, m) => s + m, 0) / mags.length;
      const sd = Math.sqrt(mags.reduce((s, m) => s + (m - mean) ** 2, 0) / mags.length);
      expect(mean).to.be.closeTo(7, 0.1);
      expect(sd).to.be.closeTo(0.5, 0.08);
      const used = new Set(trace.map((t) => t.op));
      expect(used.size).to.equal(RAND_INCREASING_OPS.length);
      const rotations = applied.filter((t) => t.op === 'Rotate').map((t) => t.arg ?? 0);
      expect(rotations.some((r) => r < 0) && rotations.some((r) => r > 0)).to.equal(true);
    });
  });
});
