import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors';
import { readSafetensors, writeSafetensors } from '../../src/io/files';
import { type StoredArray, toTensor } from '../../src/io/stored';
import { expected, expectSameNumbers, expectStoredEquals, FIXTURES, fixtureBytes, floatOf, withTempDir } from './helpers';

/** One array of every dtype, with awkward values. */
function everyDtype(): Record<string, StoredArray> {
  return {
    f32: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1.5, -0, NaN, -Infinity]) },
    f16: { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x8000, 0x7e00]) },
    bf16: { dtype: 'BF16', shape: [1, 2], data: new Uint16Array([0x3f80, 0xff80]) },
    f64: { dtype: 'F64', shape: [2], data: new Float64Array([0.1, -1e300]) },
    i64: { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]) },
    i32: { dtype: 'I32', shape: [2], data: new Int32Array([-2147483648, 7]) },
    i16: { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) },
    i8: { dtype: 'I8', shape: [1], data: new Int8Array([-128]) },
    u8: { dtype: 'U8', shape: [2, 1], data: new Uint8Array([255, 0]) },
    bool: { dtype: 'BOOL', shape: [], data: new Uint8Array([1]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  };
}

/** Bytes of a safetensors file with the given header (object or raw text) and data area. */
function fileWith(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

const parseBad = (bytes: Uint8Array) => () => parseSafetensors(bytes, 'bad.safetensors');
const f32Entry = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

describe('io/safetensors', () => {
  describe('files written the way PyTorch users write them', () => {
    const want = expected.safetensors['state.safetensors'];

    it('reads every dtype, shape and value exactly, and the metadata', () => {
      const file = parseSafetensors(fixtureBytes('safetensors/state.safetensors'), 'state.safetensors');
      expect(file.metadata).to.deep.equal(want.metadata);
      expect([...file.tensors.keys()].sort()).to.deep.equal(Object.keys(want.tensors).sort());
      for (const [name, arr] of file.tensors) {
        expect(arr.dtype, name).to.equal(want.tensors[name].dtype);
        expectStoredEquals(arr, want.tensors[name], name);
      }
    });

    it('decodes F16 and BF16 to the float32 values PyTorch gives', () => {
      const file = parseSafetensors(fixtureBytes('safetensors/state.safetensors'), 'state.safetensors');
      for (const name of ['half', 'brain']) {
        const values = want.tensors[name].values.map((v) => Math.fround(floatOf(v)));
        expectSameNumbers(toTensor(file.tensors.get(name)!, name).data, values, name);
      }
    });

    it('shares memory with the file bytes when the data is aligned', () => {
      const bytes = fixtureBytes('safetensors/state.safetensors');
      const file = parseSafetensors(bytes, 'state.safetensors');
      for (const arr of file.tensors.values()) expect(arr.data.buffer).to.equal(bytes.buffer);
    });

    it('copies misaligned data (an unpadded header from an older writer)', () => {
      const bytes = fixtureBytes('safetensors/legacy_unpadded.safetensors');
      const file = parseSafetensors(bytes, 'legacy_unpadded.safetensors');
      const legacy = expected.safetensors['legacy_unpadded.safetensors'];
      for (const [name, arr] of file.tensors) expectStoredEquals(arr, legacy.tensors[name], name);
      expect(file.tensors.get('c.weight')!.data.buffer).to.not.equal(bytes.buffer);
    });

    it('writes back byte-identical files (same layout as the reference writer)', () => {
      const bytes = fixtureBytes('safetensors/state.safetensors');
      const file = parseSafetensors(bytes, 'state.safetensors');
      expect(Buffer.from(serializeSafetensors(file.tensors, file.metadata)).equals(Buffer.from(bytes))).to.equal(true);
    });

    it('reads from disk with readSafetensors', () => {
      const file = readSafetensors(join(FIXTURES, 'safetensors/state.safetensors'));
      expectStoredEquals(file.tensors.get('conv.weight')!, want.tensors['conv.weight'], 'conv.weight');
    });
  });

  describe('round trips', () => {
    it('round-trips every dtype, from a Record or a Map', () => {
      const arrays = everyDtype();
      for (const input of [arrays, new Map(Object.entries(arrays))]) {
        const back = parseSafetensors(serializeSafetensors(input, { framework: 'bnext' }), 'rt.safetensors');
        expect(back.metadata).to.deep.equal({ framework: 'bnext' });
        expect(back.tensors.size).to.equal(Object.keys(arrays).length);
        for (const [name, arr] of Object.entries(arrays)) {
          const got = back.tensors.get(name)!;
          expect(got.dtype, name).to.equal(arr.dtype);
          expect(got.shape, name).to.deep.equal(arr.shape);
          expect([...got.data], name).to.deep.equal([...arr.data]);
        }
      }
    });

    it('lays tensors out largest dtype first, then by name, each aligned for its type', () => {
      const bytes = serializeSafetensors(everyDtype());
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(headerLength % 8).to.equal(0);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: number[] }>;
      const order = Object.entries(header).sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
      // 'empty' and 'f32' are both F32; 'empty' is zero bytes so it shares f32's start offset.
      expect(order.map(([name]) => name)).to.deep.equal(['i64', 'f64', 'empty', 'f32', 'i32', 'bf16', 'f16', 'i16', 'i8', 'u8', 'bool']);
      const file = parseSafetensors(bytes, 'rt.safetensors');
      for (const arr of file.tensors.values()) expect(arr.data.buffer).to.equal(bytes.buffer);
    });

    it('writes an empty file exactly as the reference writer does', () => {
      expect([...serializeSafetensors({})]).to.deep.equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
      expect(parseSafetensors(serializeSafetensors({}), 'empty.safetensors').tensors.size).to.equal(0);
    });

    it('orders integer-like tensor names by their bytes, as the reference writer does', () => {
      const one = (v: number): StoredArray => ({ dtype: 'F32', shape: [1], data: new Float32Array([v]) });
      const bytes = serializeSafetensors({ b: one(1), '10': one(2), '9': one(3) }, { z: '1', '0': '2' });
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))));
      expect(text.trimEnd()).to.equal(
        '{"__metadata__":{"0":"2","z":"1"},"10":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
          '"9":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
      );
    });

    it('writeSafetensors writes a file readSafetensors reads back, leaving no temp file', () => {
      withTempDir((dir) => {
        const path = join(dir, 'model.safetensors');
        writeSafetensors(path, everyDtype(), { epoch: '3' });
        const file = readSafetensors(path);
        expect(file.metadata).to.deep.equal({ epoch: '3' });
        expect([...file.tensors.get('i64')!.data]).to.deep.equal([-(2n ** 63n), 2n ** 63n - 1n, 0n]);
        expect(readdirSync(dir)).to.deep.equal(['model.safetensors']);
      });
    });
  });

  describe('bad input', () => {
    const good = () => fixtureBytes('safetensors/state.safetensors');

    it('refuses a zero-byte file', () => {
      expect(parseBad(new Uint8Array(0))).to.throw(/bad\.safetensors: file has 0 bytes, too short/);
    });

    it('refuses a file truncated inside the header', () => {
      expect(parseBad(good().subarray(0, 100))).to.throw(/bad\.safetensors: header length \d+ runs past the end of the file \(100 bytes\)/);
    });

    it('refuses a file truncated inside the data', () => {
      const bytes = good();
      expect(parseBad(bytes.subarray(0, bytes.length - 3))).to.throw(/bad\.safetensors: tensor 'mask' has data_offsets \[\d+, \d+\] out of range/);
    });

    it('refuses a header length beyond the file and beyond 100 MB', () => {
      const bytes = fileWith({});
      new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
      expect(parseBad(bytes)).to.throw(/bad\.safetensors: header length 1000 runs past the end/);
      new DataView(bytes.buffer).setBigUint64(0, 2n ** 62n, true);
      expect(parseBad(bytes)).to.throw(/bad\.safetensors: header length \d+ exceeds the 100000000-byte limit/);
    });

    it('refuses a header that is not UTF-8, not JSON, or not an object', () => {
      const latin = fileWith('{}');
      latin[9] = 0xff;
      expect(parseBad(latin)).to.throw(/bad\.safetensors: header is not valid UTF-8/);
      expect(parseBad(fileWith('{"a": '))).to.throw(/bad\.safetensors: header is not valid JSON/);
      expect(parseBad(fileWith('[1, 2]'))).to.throw(/bad\.safetensors: header is not a JSON object/);
      expect(parseBad(fileWith('null'))).to.throw(/bad\.safetensors: header is not a JSON object/);
    });

    it('refuses unknown and unsupported dtypes', () => {
      expect(parseBad(fileWith({ w: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))))
        .to.throw(/bad\.safetensors: tensor 'w' has unsupported dtype 'Q7'/);
      expect(parseBad(fileWith({ w: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))))
        .to.throw(/bad\.safetensors: tensor 'w' has unsupported dtype 'U32'/);
    });

    it('refuses malformed entries', () => {
      const data = new Uint8Array(8);
      expect(parseBad(fileWith({ w: 3 }, data))).to.throw(/bad\.safetensors: tensor 'w' is not a JSON object/);
      expect(parseBad(fileWith({ w: { shape: [2], data_offsets: [0, 8] } }, data))).to.throw(/bad\.safetensors: tensor 'w' has no dtype/);
      expect(parseBad(fileWith({ w: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } }, data))).to.throw(/bad\.safetensors: tensor 'w' has invalid shape/);
      expect(parseBad(fileWith({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data))).to.throw(/bad\.safetensors: tensor 'w' has invalid shape/);
      for (const offsets of [[0], [-8, 0], [0, 8.5], [8, 0], '0-8']) {
        expect(parseBad(fileWith({ w: { dtype: 'F32', shape: [2], data_offsets: offsets } }, data))).to.throw(/bad\.safetensors: tensor 'w' has invalid data_offsets/);
      }
    });

    it('refuses offsets outside the data area', () => {
      expect(parseBad(fileWith({ w: f32Entry(0, 16) }, new Uint8Array(8)))).to.throw(/bad\.safetensors: tensor 'w' has data_offsets \[0, 16\] out of range: the data area has 8 bytes/);
    });

    it('refuses a byte length that does not match shape and dtype', () => {
      expect(parseBad(fileWith({ w: f32Entry(0, 8, [3]) }, new Uint8Array(8))))
        .to.throw(/bad\.safetensors: tensor 'w' has 8 bytes \(data_offsets \[0, 8\]\) but shape \[3\] of F32 needs 12/);
    });

    it('refuses overlapping entries', () => {
      expect(parseBad(fileWith({ a: f32Entry(0, 8), b: f32Entry(4, 12) }, new Uint8Array(12))))
        .to.throw(/bad\.safetensors: tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap \(data_offsets\)/);
    });

    it('refuses a hole between entries, before the first, and trailing bytes', () => {
      expect(parseBad(fileWith({ a: f32Entry(0, 4), b: f32Entry(8, 12) }, new Uint8Array(12))))
        .to.throw(/bad\.safetensors: hole of 4 bytes at data offset 4, before tensor 'b'/);
      expect(parseBad(fileWith({ a: f32Entry(4, 8) }, new Uint8Array(8)))).to.throw(/bad\.safetensors: hole of 4 bytes at data offset 0/);
      expect(parseBad(fileWith({ a: f32Entry(0, 4) }, new Uint8Array(8)))).to.throw(/bad\.safetensors: .*cover only 4 \(4 trailing bytes\)/);
    });

    it('refuses __metadata__ that is not a map of strings', () => {
      expect(parseBad(fileWith({ __metadata__: { epoch: 3 } }))).to.throw(/bad\.safetensors: __metadata__ value of 'epoch' is number/);
      expect(parseBad(fileWith({ __metadata__: ['a'] }))).to.throw(/bad\.safetensors: __metadata__ is not a JSON object/);
    });

    it('names the file path in errors from readSafetensors', () => {
      withTempDir((dir) => {
        const path = join(dir, 'broken.safetensors');
        writeFileSync(path, readFileSync(join(FIXTURES, 'safetensors/state.safetensors')).subarray(0, 50));
        expect(() => readSafetensors(path)).to.throw(/broken\.safetensors: header length/);
      });
    });

    it('refuses to write inconsistent arrays or a tensor named __metadata__, leaving no file', () => {
      withTempDir((dir) => {
        const path = join(dir, 'out.safetensors');
        const short: StoredArray = { dtype: 'F32', shape: [3], data: new Float32Array(2) };
        expect(() => writeSafetensors(path, { w: short })).to.throw(/tensor 'w': shape \[3\] needs 3 elements, data has 2/);
        const wrongType = { dtype: 'I64', shape: [2], data: new Int32Array(2) } as unknown as StoredArray;
        expect(() => writeSafetensors(path, { w: wrongType })).to.throw(/tensor 'w': dtype I64 needs a BigInt64Array, got Int32Array/);
        expect(() => writeSafetensors(path, { __metadata__: everyDtype().f32 })).to.throw(/'__metadata__' is reserved/);
        expect(existsSync(path)).to.equal(false);
        expect(readdirSync(dir)).to.deep.equal([]);
      });
    });
  });
});
