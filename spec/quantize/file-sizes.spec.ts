import { expect } from 'chai';
import { bnxFileSizes, bnxSizeLine } from '../../src/quantize/file-sizes';
import { randomModel } from '../engine/helpers';

describe('quantize/file-sizes', () => {
  it('gives the three file sizes and a report line', () => {
    const model = randomModel({ arch: 'bnext', baseWidth: 16, stages: [1, 1, 0, 0], numClasses: 10 }, 'sizes');
    const s = bnxFileSizes(model);
    expect(s.bnxPaper).to.be.below(s.bnx);
    expect(s.bnx).to.be.below(s.safetensors);
    expect(bnxSizeLine(model, 'm')).to.match(/^m files: \.bnx \(float32 rest\) [\d.]+ MiB \(\d+ bytes\), \.bnx --quantize paper [\d.]+ MiB \(\d+ bytes\), float32 safetensors [\d.]+ MiB \(\d+ bytes\): 1\/[\d.]+ and 1\/[\d.]+$/);
  });

  it('BNext-T with --quantize paper is at most 1/20 of its float32 safetensors file @slow', function () {
    this.timeout(120_000);
    const s = bnxFileSizes(randomModel({ arch: 'bnext-t' }, 'bnext-t sizes'));
    expect(s.safetensors).to.equal(123_691_504);
    expect(s.bnxPaper * 20).to.be.at.most(s.safetensors);
    // 28.25M bits + 2.5M codes (SE 4-bit, stem and classifier 8-bit) + 0.15M float32 + parameters + header.
    expect(s.bnxPaper).to.be.within(6_000_000, 6_184_575);
  });
});
