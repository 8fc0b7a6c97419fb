import { expect } from 'chai';
import { withoutInit } from '../../src/nn/init';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { countModel } from '../../src/models/stats';

/**
 * BNext-T/S/M/L and BNext-18 at 224x224 with 1000 classes. Parameter counts, BOPs and FLOPs are
 * exact integers counted with forward hooks on the official constructors (torch 1.13). OPs agree
 * with the paper's Table 2 to its printed digits; sizes to within 0.2 MiB (docs/paper-map.md,
 * "Counting BOPs, FLOPs and size").
 */
const TABLE = [
  { arch: 'bnext-t', params: 30_862_236, binary: 28_253_184, bops: 4_816_896_000, flops: 13_344_512, ops: '0.886e+8', mib: '13.3' },
  { arch: 'bnext-s', params: 68_594_614, binary: 63_569_664, bops: 10_838_016_000, flops: 21_128_640, ops: '1.905e+8', mib: '26.7' },
  { arch: 'bnext-m', params: 134_501_974, binary: 126_238_464, bops: 20_086_456_320, flops: 24_262_080, ops: '3.381e+8', mib: '46.6' },
  { arch: 'bnext-l', params: 326_546_640, binary: 308_310_016, bops: 52_150_927_360, flops: 39_418_880, ops: '8.543e+8', mib: '106.3' },
  { arch: 'bnext-18', params: 12_064_648, binary: 10_985_472, bops: 1_676_279_808, flops: 138_141_696, ops: '1.643e+8', mib: '5.4' },
];

/** Rounds `value` to the significant digits that `printed` shows, in the same exponent. */
function asPrinted(value: number, printed: string): string {
  const [mantissa, exponent] = printed.split('e');
  const decimals = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  const scaled = value / 10 ** Number(exponent ?? 0);
  return exponent === undefined ? scaled.toFixed(decimals) : `${scaled.toFixed(decimals)}e${exponent}`;
}

describe('models/stats', () => {
  for (const row of TABLE) {
    it(`${row.arch} at 224 with 1000 classes gives the official constructors' counts, Table 2's OPs and the size`, function () {
      this.timeout(120_000);
      const config = resolveConfig({ arch: row.arch });
      const model = withoutInit(() => buildModel(config));
      const { total } = countModel(model, 3, 224, () => 'all');
      expect(total.params).to.equal(row.params);
      expect(total.binaryParams).to.equal(row.binary);
      expect(total.bops).to.equal(row.bops);
      expect(total.flops).to.equal(row.flops);
      expect(asPrinted(total.ops, row.ops)).to.equal(row.ops);
      expect(total.sizeMiB.toFixed(1)).to.equal(row.mib);
    });
  }

  it('sums its rows to the total', () => {
    const config = resolveConfig({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 });
    const { total, rows } = countModel(buildModel(config), 3, 32, (p) => p.split('.').slice(0, 2).join('.'));
    expect(rows.reduce((a, r) => a + r.params, 0)).to.equal(total.params);
    expect(rows.reduce((a, r) => a + r.bops, 0)).to.equal(total.bops);
    expect(rows.reduce((a, r) => a + r.flops, 0)).to.equal(total.flops);
  });
});
