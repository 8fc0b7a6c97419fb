/**
 * Our quantization against the official code's numbers (fixtures/quant/quant.safetensors, written
 * by fixtures/export/export_quant.py, which imports the official quantizer).
 *
 * Tolerances: exact (bit for bit) for the float32 sums, Eq. 5 on activations and Eq. 6 on
 * weights: every step there is one float32 operation in a fixed order, and torch's summation
 * order is reproduced (src/quantize/torch-sum.ts). The layer outputs (a convolution or GEMM of
 * those exact operands) are compared at 1e-5 of the output's scale: there the two libraries
 * accumulate the products in different orders.
 */
import { expect } from 'chai';
import { readSafetensors } from '../../src/io/files';
import { toTensor } from '../../src/io/stored';
import { Tensor } from '../../src/tensor/tensor';
import { conv2d } from '../../src/tensor/ops/conv';
import { add } from '../../src/tensor/ops/elementwise';
import { matmul } from '../../src/tensor/ops/matmul';
import { transpose } from '../../src/tensor/ops/layout';
import { torchSum } from '../../src/quantize/torch-sum';
import { fakeQuantizeRows, levelsOf, rangeOf } from '../../src/quantize/asymmetric';
import { roundHalfEven } from '../../src/tensor/rounding';
import { dequantizeWeight, quantizeWeight } from '../../src/quantize/weights';
import { packCodes, unpackCodes } from '../../src/quantize/codes';
import { CONV_CLIP, LINEAR_CLIP } from '../../src/quantize/plan';

const FILE = readSafetensors('fixtures/quant/quant.safetensors');
const meta = (name: string): Record<string, number | boolean | string> => JSON.parse(FILE.metadata[name]) as Record<string, number | boolean | string>;
const get = (name: string): Tensor => {
  const arr = FILE.tensors.get(name);
  if (!arr) throw new Error(`fixture has no tensor '${name}'`);
  return toTensor(arr, name);
};
const casesOf = (kind: string): string[] => Object.keys(FILE.metadata).filter((k) => k.startsWith(`${kind}/`));

/** Bit-for-bit equality, NaN equal to NaN; names the first differing element. */
function expectSameBits(ours: Float32Array, ref: Float32Array, what: string): void {
  expect(ours.length, `${what}: length`).to.equal(ref.length);
  const a = new Uint32Array(ours.buffer, ours.byteOffset, ours.length);
  const b = new Uint32Array(ref.buffer.slice(ref.byteOffset, ref.byteOffset + ref.byteLength));
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(ours[i]) && Number.isNaN(ref[i]))) expect.fail(`${what}: element ${i} is ${ours[i]}, the official ${ref[i]}`);
  }
}

/** max |ours - ref| / max(1, max |ref|). */
function scaleError(ours: Float32Array, ref: Float32Array): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / scale;
}

describe('quantize: the official quantizer\'s numbers (fixtures/quant)', () => {
  it('holds every kind of case', () => {
    for (const kind of ['sum', 'asym', 'conv', 'linear']) expect(casesOf(kind).length, kind).to.be.at.least(2);
  });

  it('float32 sums in torch\'s order equal torch.sum bit for bit, every length', () => {
    for (const name of casesOf('sum')) {
      const n = meta(name).n as number;
      // v_i = ((i * 2654435761 + 12345 n) mod 2^32 >> 8) / 2^24, as the exporter defines it.
      const row = new Float32Array(n);
      for (let i = 0; i < n; i++) row[i] = ((Math.imul(i, 2654435761) + Math.imul(12345, n)) >>> 8) / 2 ** 24;
      expectSameBits(Float32Array.of(torchSum(row, 0, n)), get(`${name}/sum`).data, name);
    }
  });

  for (const name of casesOf('asym')) {
    it(`${name}: Eq. 5 per row equals AsymQuantizer bit for bit`, () => {
      const { bits, clip, ties } = meta(name) as { bits: number; clip: number; ties: number };
      const x = get(`${name}/x`);
      const out = new Float32Array(x.size);
      fakeQuantizeRows(x.data, x.shape[0], x.shape[1], bits, clip, out);
      expectSameBits(out, get(`${name}/out`).data, name);
      if (name.includes('ties')) {
        // The case is about rounding half to even: Math.round (half up) would differ there.
        expect(ties, 'ties in the case').to.be.at.least(10);
        const row = x.data.subarray(0, x.shape[1]);
        const range = rangeOf(row, 0, row.length);
        const differs = [...row].some((v) => {
          const t = Math.fround(Math.fround(Math.fround(v - range.low) / range.span) * levelsOf(bits));
          return Math.round(t) !== roundHalfEven(t);
        });
        expect(differs, 'Math.round differs on a tie').to.equal(true);
      }
    });
  }

  for (const name of [...casesOf('conv'), ...casesOf('linear')]) {
    it(`${name}: Eq. 6 weights and Eq. 5 inputs equal the official layer's bit for bit; its output within 1e-5`, () => {
      const m = meta(name) as { kind: string; weightBits: number; activationBits: number; clip: number; stride?: number; padding?: number; activationQuantized?: boolean };
      const linear = m.kind === 'linear';
      expect(m.clip).to.equal(linear ? LINEAR_CLIP : CONV_CLIP);
      const w = get(`${name}/weight`);
      const q = quantizeWeight(w.data, w.shape, m.weightBits, m.clip, name);
      expectSameBits(dequantizeWeight(q), get(`${name}/qweight`).data, `${name} weight`);
      expect(Math.max(...q.codes)).to.be.at.most(levelsOf(m.weightBits));
      expect([...unpackCodes(packCodes(q.codes, m.weightBits), q.codes.length, m.weightBits, name)]).to.deep.equal([...q.codes]);

      const x = get(`${name}/input`);
      const want = get(`${name}/activation`);
      const quantizesInput = linear || m.activationQuantized === true;
      let act = x.data;
      if (quantizesInput) {
        // The official layer squeezes [N, C, 1, 1] to [N, C]: one range per sample.
        act = new Float32Array(x.size);
        fakeQuantizeRows(x.data, x.shape[0], x.size / x.shape[0], m.activationBits, m.clip, act);
      } else {
        expect(x.shape[1], 'only the 3-channel 8-bit stem input is left as it is').to.equal(3);
      }
      expectSameBits(act, want.data, `${name} activation`);

      const qw = new Tensor(dequantizeWeight(q), w.shape);
      const bias = FILE.tensors.has(`${name}/bias`) ? get(`${name}/bias`) : null;
      const a = new Tensor(act, x.shape);
      const y = linear
        ? add(matmul(a, transpose(qw)), bias!)
        : conv2d(a, qw, bias, { stride: m.stride, padding: m.padding });
      expect(scaleError(y.data, get(`${name}/out`).data)).to.be.at.most(1e-5);
    });
  }

  it('the clip cases clip: a scaled weight past 25 and inputs past 25 and 1000', () => {
    const w = get('linear/fc/weight');
    const q = quantizeWeight(w.data, w.shape, 8, LINEAR_CLIP, 'fc');
    const row = 2;
    const groupHigh = Math.fround(q.low[row] + q.span[row]);
    expect(groupHigh).to.be.closeTo(LINEAR_CLIP, 1e-5);
    // Reconstructed through span = (max - min) + 1e-8, the clipped top comes back a few ulps high.
    expect(Math.max(...get('linear/fc/activation').data)).to.be.closeTo(LINEAR_CLIP, 1e-5);
    expect(Math.max(...get('conv/se_squeeze_w4a8/input').data)).to.equal(1500);
    expect(Math.max(...get('conv/se_squeeze_w4a8/activation').data)).to.be.closeTo(CONV_CLIP, 1e-3);
  });
});
