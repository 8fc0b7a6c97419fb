import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/tensor/random';
import { writeStateDict } from '../../src/nn/state-dict-file';
import { crc32 } from '../../src/engine/crc32';
import { BNX_VERSION, BNX_VERSIONS, parseBnx, serializeBnx } from '../../src/engine/bnx';
import { readBnx, writeBnx, loadPackedModel } from '../../src/engine/bnx-file';
import { bnxContentsOf } from '../../src/engine/load';
import { packModel } from '../../src/engine/packed-model';
import { unpackWeights } from '../../src/binary/pack';
import { resolveConfig } from '../../src/models/factory';
import { randomInput, randomModel } from './helpers';

const OPTIONS = { arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0] as [number, number, number, number], numClasses: 10 };

/** Rewrites the trailing checksum so that only the edit under test is wrong. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** The bytes with the JSON header edited (and its length and the checksum updated). */
function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + length))) as Record<string, unknown>;
  edit(header);
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

describe('engine/bnx', () => {
  const model = randomModel(OPTIONS, 'bnx');
  const bytes = serializeBnx(bnxContentsOf(model));
  const parse = (b: Uint8Array) => () => parseBnx(b, 'm.bnx');

  it('round-trips every float32 tensor and every binary weight', () => {
    const back = parseBnx(bytes, 'm.bnx');
    expect(back.config).to.deep.equal(model.config);
    const sd = model.stateDict();
    for (const [key, t] of back.floats) expect([...t.data], key).to.deep.equal([...sd.get(key)!.data]);
    expect(back.binary.size).to.equal(13);
    for (const [key, p] of back.binary) {
      const w = sd.get(key)!.data;
      expect([...unpackWeights(p)], key).to.deep.equal(Array.from(w, Math.sign));
    }
  });

  it('loads into an engine that computes what the engine of the float model computes, bit for bit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnx-'));
    try {
      writeBnx(join(dir, 'm.bnx'), bnxContentsOf(model));
      expect(readdirSync(dir)).to.deep.equal(['m.bnx']);
      const x = randomInput(new Rng('bnx input'), [2, 3, 12, 12]);
      const want = packModel(model).run(x);
      expect([...loadPackedModel(join(dir, 'm.bnx')).run(x).data]).to.deep.equal([...want.data]);
      // From the state_dict too, and a config mismatch with a .bnx is refused.
      writeStateDict(join(dir, 'm.safetensors'), model);
      expect([...loadPackedModel(join(dir, 'm.safetensors'), { config: model.config }).run(x).data]).to.deep.equal([...want.data]);
      expect([...loadPackedModel(join(dir, 'm.bnx'), { config: model.config }).run(x).data]).to.deep.equal([...want.data]);
      const other = resolveConfig({ ...OPTIONS, numClasses: 11 });
      expect(() => loadPackedModel(join(dir, 'm.bnx'), { config: other })).to.throw(/m\.bnx: the file holds .*"numClasses":10.* the options ask for .*"numClasses":11/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stores binary weights at 1 bit: BNext-T takes its float32 part plus 28M bits @slow', function () {
    this.timeout(60_000);
    const t = randomModel({ arch: 'bnext-t' }, 'bnext-t size');
    const contents = bnxContentsOf(t);
    let binary = 0;
    let floats = 0;
    for (const p of contents.binary.values()) binary += p.outChannels * p.inChannels * p.kernelSize * p.kernelSize;
    for (const f of contents.floats.values()) floats += f.size;
    expect(binary).to.equal(28_253_184);
    const size = serializeBnx(contents).length;
    // 1 bit per binary weight, 4 bytes per other float, plus a header of a few tens of KB.
    expect(size - (binary / 8 + floats * 4)).to.be.within(0, 100_000);
  });

  it('refuses a file that is not .bnx, naming what it found', () => {
    expect(parse(new TextEncoder().encode('{"__metadata__": {}}'))).to.throw(/m\.bnx: not a \.bnx file: it starts with bytes 7b 22 5f/);
    expect(parse(Uint8Array.of(0x50, 0x4b, 3, 4))).to.throw(/not a \.bnx file: it starts with bytes 50 4b 03 04/);
    expect(parse(new Uint8Array(0))).to.throw(/truncated \.bnx file: 0 bytes/);
  });

  it('refuses another version', () => {
    const v3 = bytes.slice();
    new DataView(v3.buffer).setUint32(8, BNX_VERSION + 1, true);
    expect(parse(v3)).to.throw(new RegExp(`m\\.bnx: \\.bnx version ${BNX_VERSION + 1} is not supported: this bnext reads versions 1 and 2`));
  });

  it('writes version 1 when nothing is quantized (readable by version-1 readers), and reads it', () => {
    expect(new DataView(bytes.buffer).getUint32(8, true)).to.equal(1);
    expect(BNX_VERSIONS).to.deep.equal([1, 2]);
  });

  it('refuses a truncated file wherever it is cut', () => {
    for (const cut of [3, 8, 20, 24, 100, bytes.length / 2, bytes.length - 5, bytes.length - 1]) {
      expect(parse(bytes.subarray(0, Math.floor(cut))), `cut at ${cut}`).to.throw(/m\.bnx: truncated \.bnx file/);
    }
  });

  it('refuses a corrupt file: a flipped bit anywhere after the preamble, or trailing bytes', () => {
    const rng = new Rng('flips');
    for (let t = 0; t < 20; t++) {
      const bad = bytes.slice();
      const at = 24 + rng.int(bytes.length - 24);
      bad[at] ^= 1 << rng.int(8);
      expect(parse(bad), `bit flipped at byte ${at}`).to.throw(/m\.bnx: corrupt \.bnx file: CRC-32 mismatch \(the file records 0x[0-9a-f]{8}, its content gives 0x[0-9a-f]{8}\)/);
    }
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(parse(longer)).to.throw(/corrupt \.bnx file: 3 bytes follow the checksum/);
  });

  it('refuses a header that does not describe its data, even with a valid checksum', () => {
    type Table = { name: string; dtype: string; shape: number[]; offset: number; bytes: number }[];
    const edits: [string, (h: Record<string, unknown>) => void, RegExp][] = [
      ['wrong size', (h) => { (h.tensors as Table)[0].bytes += 8; }, /tensor 0 'feature\.0\.conv1\.weight' has \d+ bytes, its dtype and shape \[8, 3, 3, 3\] need 864/],
      ['unknown dtype', (h) => { (h.tensors as Table)[1].dtype = 'F16'; }, /has dtype "F16", expected "F32", "B1", "Q8", "Q4"/],
      ['overlap', (h) => { (h.tensors as Table)[2].offset = (h.tensors as Table)[1].offset; }, /overlap/],
      ['past the end', (h) => { (h.tensors as Table)[3].offset = 1 << 30; }, /past the .*-byte data area/],
      ['bad config', (h) => { (h.config as Record<string, unknown>).stages = [1, 0, 1, 0]; }, /config is invalid: bnext: stage ratios 1:0:1:0 skip a stage/],
      ['missing config field', (h) => { delete (h.config as Record<string, unknown>).numClasses; }, /config field "numClasses" must be an integer/],
      ['wrong format', (h) => { h.format = 'other'; }, /expected a JSON object with "format": "bnext-packed"/],
      // 2^32 would wrap to 0 in the engine's Int32Array and silently zero weight 0 (found by the fuzzer).
      ['zero index past the weights', (h) => { Object.assign((h.tensors as Table).find((e) => e.dtype === 'B1')!, { zeros: [2 ** 32] }); }, /has an invalid zero list \(flat indices below \d+ expected\)/],
    ];
    for (const [what, edit, message] of edits) expect(parse(withHeader(bytes, edit)), what).to.throw(message);
  });

  it('bounds the architecture by the tensor table and the file size before building any model', () => {
    // Each file below has a valid checksum: only the header's architecture is out of bounds.
    const config = (edit: Record<string, unknown>) => withHeader(bytes, (h) => Object.assign(h.config as Record<string, unknown>, edit));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ stages: [1e308, 0, 0, 0] }, /^m\.bnx: corrupt \.bnx header: config is invalid: bnext: stage ratio 1 must be an integer from 0 to 64, got 1e\+308$/],
      [{ stages: [60, 0, 0, 0] }, /^m\.bnx: corrupt \.bnx header: config field "stages" is \[60,0,0,0\], which makes 121 blocks of at least two binary convolutions each, but the tensor table has 13 B1 entries$/],
      [{ baseWidth: 1e9 }, /config is invalid: bnext: base width must be an integer from 8 to 4096, got 1000000000$/],
      [{ baseWidth: 4096 }, /config is invalid: bnext: base width 4096, stage ratios 1:1:0:0, 10 classes and 3 input channels make \d+ weights, more than the 1073741824 a model may have$/],
      [{ baseWidth: 512 }, /config fields "baseWidth" 512 and "stages" \[1,1,0,0\] make \d+ binary-conv weights, the tensor table's B1 entries hold \d+$/],
      [{ numClasses: 1e9 }, /config is invalid: bnext: number of classes must be an integer from 1 to 1000000, got 1000000000$/],
      [{ numClasses: 100000 }, /config field "numClasses" is 100000, but a classifier of 64 features stores at least 4 bits per weight: the \d+-byte data area holds at most \d+ classes$/],
      [{ inChannels: 4000 }, /config field "inChannels" is 4000, but the stem convolution of 8 channels stores at least 4 bits per weight: the \d+-byte data area holds at most \d+ input channels$/],
    ];
    for (const [edit, message] of cases) expect(parse(config(edit)), JSON.stringify(edit)).to.throw(message);
    const b18 = serializeBnx(bnxContentsOf(randomModel({ arch: 'bnext-18', baseWidth: 8, stages: [1, 1, 1, 1], numClasses: 10 }, 'b18')));
    const blocks = withHeader(b18, (h) => Object.assign(h.config as Record<string, unknown>, { blocksPerLayer: [64, 64, 64, 64] }));
    expect(parse(blocks)).to.throw(/config field "blocksPerLayer" is \[64,64,64,64\], which makes 256 blocks of at least two binary convolutions each, but the tensor table has 8 B1 entries$/);
  });

  it('refuses packed words with bits set past the last channel', () => {
    const m = randomModel({ arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10 }, 'tail');
    const good = serializeBnx(bnxContentsOf(m));
    const header = JSON.parse(new TextDecoder().decode(good.subarray(24, 24 + new DataView(good.buffer).getUint32(12, true)))) as { tensors: { name: string; dtype: string; offset: number }[] };
    // Binary weights of 8 input channels use 8 of a word's 32 bits.
    const entry = header.tensors.find((e) => e.dtype === 'B1')!;
    const bad = good.slice();
    const at = 24 + new DataView(good.buffer).getUint32(12, true) + entry.offset + 3;
    bad[at] |= 0x80;
    expect(() => parseBnx(resealed(bad), 'm.bnx')).to.throw(new RegExp(`corrupt \\.bnx file: tensor '${entry.name.replace(/\./g, '\\.')}': .* has bits set past channel 7`));
  });

  it('refuses a file whose tensors do not fit the architecture of its header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnx-'));
    try {
      const contents = bnxContentsOf(model);
      contents.floats.delete('fc.bias');
      writeBnx(join(dir, 'a.bnx'), contents);
      expect(() => loadPackedModel(join(dir, 'a.bnx'))).to.throw(/a\.bnx: tensor 'fc\.bias' of the bnext model is missing/);
      const extra = bnxContentsOf(model);
      extra.floats.set('extra.weight', extra.floats.get('fc.bias')!);
      writeBnx(join(dir, 'b.bnx'), extra);
      expect(() => loadPackedModel(join(dir, 'b.bnx'))).to.throw(/b\.bnx: tensor 'extra\.weight' is not part of the bnext model/);
      expect(readBnx(join(dir, 'b.bnx')).floats.size).to.equal(extra.floats.size);
      expect(statSync(join(dir, 'b.bnx')).size).to.equal(readFileSync(join(dir, 'b.bnx')).length);
      writeFileSync(join(dir, 'c.bnx'), serializeBnx(contents).subarray(0, 50));
      expect(() => loadPackedModel(join(dir, 'c.bnx'))).to.throw(/c\.bnx: truncated/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
