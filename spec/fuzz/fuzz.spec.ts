/**
 * The fuzzer (fuzz/): its oracle catches each kind of defect in a deliberately faulty parser, its
 * inputs are reproducible from the seed, and every real parser survives a few hundred mutated
 * files with a fixed seed (the full runs, 100,000 per parser, are `npm run fuzz`).
 */
import { expect } from 'chai';
import { fuzzParser, loadTarget, makeInput } from '../../fuzz/fuzz';
import { PARSERS } from '../../fuzz/target';

const QUICK_COUNT = 200;

describe('fuzz: the fuzzer and every parser', function () {
  this.timeout(300_000);

  it('classifies a faulty parser\'s crash, hang, allocation and wrong result as defects', async () => {
    const report = await fuzzParser('canary', { count: 40, seed: 'spec', timeoutMs: 300, killGraceMs: 1000, targetModule: new URL('./canary-targets.ts', import.meta.url) });
    for (const outcome of ['same', 'rejected', 'crash', 'hang', 'allocation', 'wrong', 'verified', 'unverified'] as const) {
      expect(report.counts[outcome], outcome).to.be.greaterThan(0);
    }
    expect(report.findings.length).to.equal(report.counts.crash + report.counts.hang + report.counts.allocation + report.counts.wrong);
    const kinds = new Set(report.findings.map((f) => f.detail.split(':')[0]));
    expect([...kinds]).to.include.members(['TypeError', 'allocation of 8589934592 bytes refused (8589934592 bytes in all, bound 1028)']);
  });

  it('rebuilds the same input from the same seed and index', async () => {
    const target = await loadTarget('pth');
    const seeds = target.seeds();
    const a = makeInput(target, 'x', 17, seeds);
    const b = makeInput(target, 'x', 17, seeds);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).to.equal(true);
    expect(a.mutations).to.deep.equal(b.mutations);
  });

  for (const parser of PARSERS) {
    it(`${parser}: ${QUICK_COUNT} mutated files, each refused by the parser's own error or decoded right`, async () => {
      const report = await fuzzParser(parser, { count: QUICK_COUNT, seed: 'quick' });
      const described = report.findings.map((f) => `input ${f.index} (${f.mutations.join('; ')}): ${f.outcome}: ${f.detail}`);
      expect(described).to.deep.equal([]);
      expect(report.count).to.equal(QUICK_COUNT);
    });
  }
});
