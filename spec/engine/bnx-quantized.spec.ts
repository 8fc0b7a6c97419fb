/**
 * .bnx version 2: quantized weights (Q8, Q4) round trip, load into the same engine, and are
 * refused with a clear message when the header or the data does not describe them.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/tensor/random';
import { crc32 } from '../../src/engine/crc32';
import { parseBnx, serializeBnx } from '../../src/engine/bnx';
import { writeBnx, loadPackedModel } from '../../src/engine/bnx-file';
import { bnxContentsOf, packedModelFromContents } from '../../src/engine/load';
import { parseQuantization } from '../../src/quantize/scheme';
import { randomInput, randomModel } from './helpers';

const OPTIONS = { arch: 'bnext', baseWidth: 16, stages: [1, 1, 0, 0] as [number, number, number, number], numClasses: 10 };

interface Entry { name: string; dtype: string; shape: number[]; offset: number; bytes: number; groupSize?: number; input?: { bits: number; clip: number } }

function headerOf(bytes: Uint8Array): { config: unknown; tensors: Entry[] } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + length))) as { config: unknown; tensors: Entry[] };
}

/** Rewrites the trailing checksum so that only the edit under test is wrong. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** The bytes with the JSON header edited (its length and the checksum updated). */
function withHeader(bytes: Uint8Array, edit: (tensors: Entry[]) => void): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const header = headerOf(bytes);
  edit(header.tensors);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const rest = bytes.subarray(24 + length);
  const out = new Uint8Array(24 + padded + rest.length);
  out.set(bytes.subarray(0, 24));
  out.fill(0x20, 24, 24 + padded);
  out.set(json, 24);
  out.set(rest, 24 + padded);
  new DataView(out.buffer).setUint32(12, padded, true);
  return resealed(out);
}

describe('engine/bnx: quantized weights (version 2)', () => {
  const model = randomModel(OPTIONS, 'bnx quantized');
  const contents = bnxContentsOf(model, { quantize: parseQuantization('paper') });
  const bytes = serializeBnx(contents);
  const parse = (b: Uint8Array) => () => parseBnx(b, 'q.bnx');
  const se = 'feature.1.Attention.se.se.1.weight';

  it('is version 2 and lists each quantized weight as Q8/Q4 with its group size and input quantization', () => {
    expect(new DataView(bytes.buffer).getUint32(8, true)).to.equal(2);
    const table = headerOf(bytes).tensors;
    const byName = new Map(table.map((e) => [e.name, e]));
    expect(byName.get('feature.0.conv1.weight')).to.include({ dtype: 'Q8', groupSize: 9 });
    expect(byName.get('feature.0.conv1.weight')!.input).to.equal(undefined);
    expect(byName.get(se)).to.deep.include({ dtype: 'Q4', shape: [2, 16, 1, 1], groupSize: 16, input: { bits: 8, clip: 1000 } });
    expect(byName.get('feature.1.Attention.se.se.3.weight')).to.deep.include({ dtype: 'Q4', groupSize: 2, input: { bits: 8, clip: 1000 } });
    expect(byName.get('fc.weight')).to.deep.include({ dtype: 'Q8', shape: [10, 128], groupSize: 128, input: { bits: 8, clip: 25 } });
    // The stem, squeeze and expand of each of the 13 binary units, the classifier.
    expect(table.filter((e) => e.dtype.startsWith('Q')).length).to.equal(1 + 2 * 13 + 1);
    // Q4: norm (2) + low and span per group (2 + 2) as float32, then 32 codes in 16 bytes.
    expect(byName.get(se)!.bytes).to.equal(4 * (2 + 2 * 2) + 16);
  });

  it('round-trips codes, parameters and input quantization exactly', () => {
    const back = parseBnx(bytes, 'q.bnx');
    expect(back.quantized.size).to.equal(contents.quantized.size);
    for (const [key, layer] of contents.quantized) {
      const got = back.quantized.get(key)!;
      expect(got.activation, key).to.deep.equal(layer.activation);
      const [a, b] = [got.weight, layer.weight];
      expect([a.shape, a.bits, a.groupSize], key).to.deep.equal([b.shape, b.bits, b.groupSize]);
      for (const field of ['codes', 'norm', 'low', 'span'] as const) expect([...a[field]], `${key} ${field}`).to.deep.equal([...b[field]]);
    }
    expect([...back.floats.keys()]).to.deep.equal([...contents.floats.keys()]);
    expect([...back.binary.keys()]).to.deep.equal([...contents.binary.keys()]);
    expect(serializeBnx(back)).to.deep.equal(bytes);
  });

  it('loads from a file into the engine it was made from, bit for bit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnx-q-'));
    try {
      writeBnx(join(dir, 'q.bnx'), contents);
      const x = randomInput(new Rng('bnx quantized input'), [2, 3, 12, 12]);
      expect([...loadPackedModel(join(dir, 'q.bnx')).run(x).data]).to.deep.equal([...packedModelFromContents(contents).run(x).data]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is smaller than the float32 .bnx: 4-bit SE weights, 8-bit stem and classifier', () => {
    const plain = serializeBnx(bnxContentsOf(model)).length;
    expect(bytes.length).to.be.below(plain);
  });

  it('refuses quantized entries whose header does not describe them', () => {
    const edits: [string, (t: Entry[]) => void, RegExp][] = [
      ['Q4 in a version-1 file', () => undefined, /tensor \d+ 'feature\.0\.conv1\.weight' has dtype "Q8", which \.bnx version 1 does not have \(quantized weights need version 2\)/],
      ['no group size', (t) => { delete t.find((e) => e.name === se)!.groupSize; }, /'feature\.1\.Attention\.se\.se\.1\.weight' has groupSize undefined, expected a divisor of the 16 weights per output channel/],
      ['group size not a divisor', (t) => { t.find((e) => e.name === se)!.groupSize = 3; }, /has groupSize 3, expected a divisor of the 16 weights per output channel/],
      ['wrong size', (t) => { t.find((e) => e.name === se)!.bytes += 8; }, /'feature\.1\.Attention\.se\.se\.1\.weight' has 48 bytes, its dtype and shape \[2, 16, 1, 1\] need 40/],
      ['1-D shape', (t) => { t.find((e) => e.name === se)!.shape = [32]; }, /is Q4 with shape \[32\], expected a non-empty 2-D or 4-D weight/],
      ['input bits', (t) => { t.find((e) => e.name === se)!.input = { bits: 9, clip: 1000 }; }, /has input bits 9, expected an integer from 2 to 8/],
      ['input clip', (t) => { t.find((e) => e.name === se)!.input = { bits: 8, clip: -1 }; }, /has input clip -1, expected a positive number/],
      ['input not an object', (t) => { (t.find((e) => e.name === se)! as { input: unknown }).input = 8; }, /has input 8, expected \{"bits": 2\.\.8, "clip": a positive number\}/],
      ['unknown kind', (t) => { t.find((e) => e.name === se)!.dtype = 'Q2'; }, /has dtype "Q2", expected "F32", "B1", "Q8", "Q4"/],
    ];
    for (const [what, edit, message] of edits) {
      let bad = withHeader(bytes, edit);
      if (what.includes('version-1')) {
        bad = bad.slice();
        new DataView(bad.buffer).setUint32(8, 1, true);
        bad = resealed(bad);
      }
      expect(parse(bad), what).to.throw(message);
    }
  });

  it('refuses corrupt parameters (a checksum-valid file whose norm, low or span is impossible)', () => {
    const entry = headerOf(bytes).tensors.find((e) => e.name === se)!;
    const start = 24 + new DataView(bytes.buffer).getUint32(12, true) + entry.offset;
    const withFloat = (index: number, value: number): Uint8Array => {
      const bad = bytes.slice();
      new DataView(bad.buffer).setFloat32(start + 4 * index, value, true);
      return resealed(bad);
    };
    // Layout: norm[2], low[2], span[2], codes.
    expect(parse(withFloat(1, Number.NaN))).to.throw(/q\.bnx: corrupt \.bnx file: tensor 'feature\.1\.Attention\.se\.se\.1\.weight': channel 1 has norm NaN, expected a finite number >= 0/);
    expect(parse(withFloat(0, -1))).to.throw(/channel 0 has norm -1/);
    expect(parse(withFloat(2, Number.POSITIVE_INFINITY))).to.throw(/group 0 has low Infinity, expected a finite number/);
    expect(parse(withFloat(5, 0))).to.throw(/group 1 has span 0, expected a finite number > 0/);
  });

  it('refuses a quantized tensor whose shape does not fit the architecture', () => {
    const other = bnxContentsOf(randomModel({ ...OPTIONS, numClasses: 11 }, 'other'), { quantize: parseQuantization('paper') });
    const mixed = parseBnx(bytes, 'q.bnx');
    mixed.quantized.set('fc.weight', other.quantized.get('fc.weight')!);
    expect(() => packedModelFromContents(mixed, 'q.bnx')).to.throw(/q\.bnx: tensor 'fc\.weight' has shape \[11, 128\], the model expects \[10, 128\]/);
    mixed.quantized.set('extra.weight', other.quantized.get('fc.weight')!);
    mixed.quantized.delete('fc.weight');
    expect(() => packedModelFromContents(mixed, 'q.bnx')).to.throw(/q\.bnx: tensor 'fc\.weight' of the bnext model is missing/);
  });

  it('refuses to store codes other than 4 or 8 bits, and a tensor stored twice', () => {
    const odd = bnxContentsOf(model, { quantize: parseQuantization('paper') });
    odd.quantized.get(se)!.weight.bits = 6;
    expect(() => serializeBnx(odd)).to.throw(/serializeBnx: 'feature\.1\.Attention\.se\.se\.1\.weight' has 6-bit codes; a \.bnx file stores 4- or 8-bit codes/);
    const twice = bnxContentsOf(model, { quantize: parseQuantization('paper') });
    twice.floats.set('fc.weight', model.fc.weight);
    expect(() => serializeBnx(twice)).to.throw(/serializeBnx: 'fc\.weight' is quantized and also stored otherwise/);
  });
});
