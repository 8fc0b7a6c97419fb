import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy, serializeNpy } from '../../src/io/npy';
import { readNpy, writeNpy } from '../../src/io/files';
import { type StoredArray, type StoredDType, toTensor } from '../../src/io/stored';
import { expected, expectSameNumbers, expectStoredEquals, FIXTURES, fixtureBytes, floatOf, withTempDir } from './helpers';

/** The dtype each fixture must parse to. */
const FIXTURE_DTYPES: Record<string, StoredDType> = {
  'f4.npy': 'F32', 'f8.npy': 'F64', 'f2.npy': 'F16', 'i8.npy': 'I64', 'i4.npy': 'I32', 'i2.npy': 'I16',
  'i1.npy': 'I8', 'u1.npy': 'U8', 'b1.npy': 'BOOL', 'scalar_f8.npy': 'F64', 'empty_f4.npy': 'F32',
  'f4_3d.npy': 'F32', 'f4_v1.npy': 'F32', 'f4_v2.npy': 'F32', 'f4_v3.npy': 'F32',
};

/** A copy of `bytes` with `edit` applied. */
function edited(bytes: Uint8Array, edit: (b: Uint8Array) => void): Uint8Array {
  const copy = new Uint8Array(bytes);
  edit(copy);
  return copy;
}

/** A version 1.0 file whose header text is `header` (padded like numpy) followed by `data`. */
function npyWith(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const padded = header + ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, padded.length, true);
  out.set(Buffer.from(padded, 'latin1'), 10);
  out.set(data, 10 + padded.length);
  return out;
}

const parseBad = (bytes: Uint8Array) => () => parseNpy(bytes, 'bad.npy');

describe('io/npy', () => {
  describe('files written by numpy', () => {
    for (const [name, dtype] of Object.entries(FIXTURE_DTYPES)) {
      it(`reads ${name} as ${dtype} with exact values`, () => {
        const arr = parseNpy(fixtureBytes(join('npy', name)), name);
        expect(arr.dtype).to.equal(dtype);
        expectStoredEquals(arr, expected.npy[name], name);
      });
    }

    it('writes byte-identical files to np.save (version 1.0, padding, growth space)', () => {
      for (const name of Object.keys(FIXTURE_DTYPES).filter((n) => n !== 'f4_v2.npy' && n !== 'f4_v3.npy')) {
        const bytes = fixtureBytes(join('npy', name));
        expect(Buffer.from(serializeNpy(parseNpy(bytes, name))).equals(Buffer.from(bytes)), name).to.equal(true);
      }
    });

    it('decodes <f2 to the float32 values numpy gives', () => {
      const want = expected.npy['f2.npy'].values.map((v) => Math.fround(floatOf(v)));
      expectSameNumbers(toTensor(parseNpy(fixtureBytes('npy/f2.npy'), 'f2.npy'), 'f2').data, want, 'f2');
    });

    it('shares memory with the file bytes (numpy aligns data to 64 bytes)', () => {
      const bytes = fixtureBytes('npy/f4.npy');
      expect(parseNpy(bytes, 'f4.npy').data.buffer).to.equal(bytes.buffer);
    });

    it('copies data that is not aligned in memory', () => {
      const bytes = fixtureBytes('npy/f8.npy');
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      const arr = parseNpy(shifted.subarray(1), 'f8.npy');
      expect(arr.data.buffer).to.not.equal(shifted.buffer);
      expectStoredEquals(arr, expected.npy['f8.npy'], 'f8');
    });

    it('reads from disk with readNpy', () => {
      expectStoredEquals(readNpy(join(FIXTURES, 'npy/i8.npy')), expected.npy['i8.npy'], 'i8');
    });
  });

  describe('round trips', () => {
    const arrays: StoredArray[] = [
      { dtype: 'F32', shape: [2, 2], data: new Float32Array([1.5, -0, NaN, -Infinity]) },
      { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x8000, 0x7e00]) },
      { dtype: 'F64', shape: [], data: new Float64Array([0.1]) },
      { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]) },
      { dtype: 'I32', shape: [1, 2], data: new Int32Array([-2147483648, 7]) },
      { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) },
      { dtype: 'I8', shape: [1], data: new Int8Array([-128]) },
      { dtype: 'U8', shape: [2, 1, 1], data: new Uint8Array([255, 0]) },
      { dtype: 'BOOL', shape: [0], data: new Uint8Array(0) },
    ];
    for (const arr of arrays) {
      it(`round-trips ${arr.dtype} of shape [${arr.shape.join(', ')}]`, () => {
        const back = parseNpy(serializeNpy(arr), 'rt.npy');
        expect(back.dtype).to.equal(arr.dtype);
        expect(back.shape).to.deep.equal(arr.shape);
        expect([...back.data]).to.deep.equal([...arr.data]);
      });
    }

    it('starts the data on a 64-byte boundary', () => {
      for (const arr of arrays) expect((serializeNpy(arr).length - arr.data.byteLength) % 64).to.equal(0);
    });

    it('switches to version 2.0 when the header does not fit in 65535 bytes', () => {
      const shape = new Array<number>(22000).fill(1);
      const bytes = serializeNpy({ dtype: 'F32', shape, data: new Float32Array([4]) });
      expect(bytes[6]).to.equal(2);
      expect((bytes.length - 4) % 64).to.equal(0);
      const back = parseNpy(bytes, 'wide.npy');
      expect(back.shape).to.deep.equal(shape);
      expect([...back.data]).to.deep.equal([4]);
    });

    it('refuses to write BF16, which numpy lacks', () => {
      expect(() => serializeNpy({ dtype: 'BF16', shape: [1], data: new Uint16Array(1) })).to.throw(/numpy has no BF16 dtype/);
    });

    it('writeNpy writes a file readNpy reads back, leaving no temp file', () => {
      withTempDir((dir) => {
        const path = join(dir, 'x.npy');
        writeNpy(path, arrays[0]);
        expect([...readNpy(path).data]).to.deep.equal([...arrays[0].data]);
        expect(readdirSync(dir)).to.deep.equal(['x.npy']);
      });
    });
  });

  describe('bad input', () => {
    const good = () => fixtureBytes('npy/f4.npy');

    it('refuses a zero-byte or truncated preamble', () => {
      expect(parseBad(new Uint8Array(0))).to.throw(/bad\.npy: file has 0 bytes, too short/);
      expect(parseBad(good().subarray(0, 9))).to.throw(/bad\.npy: file has 9 bytes, too short/);
    });

    it('refuses a bad magic string', () => {
      expect(parseBad(edited(good(), (b) => (b[1] = 0x58)))).to.throw(/bad\.npy: bad magic: not an \.npy file/);
    });

    it('refuses unsupported format versions', () => {
      expect(parseBad(edited(good(), (b) => (b[6] = 4)))).to.throw(/bad\.npy: unsupported npy format version 4\.0/);
      expect(parseBad(edited(good(), (b) => (b[7] = 1)))).to.throw(/bad\.npy: unsupported npy format version 1\.1/);
    });

    it('refuses a header length beyond the file', () => {
      expect(parseBad(good().subarray(0, 60))).to.throw(/bad\.npy: header length 118 runs past the end of the file \(60 bytes\)/);
    });

    it('refuses Fortran-order arrays (a file numpy wrote)', () => {
      expect(parseBad(fixtureBytes('npy/fortran.npy'))).to.throw(/bad\.npy: Fortran order \(column-major\) is not supported/);
    });

    it('refuses big-endian data (a file numpy wrote)', () => {
      expect(parseBad(fixtureBytes('npy/big_endian.npy'))).to.throw(/bad\.npy: big-endian dtype '>f4' is not supported/);
    });

    it('refuses data that is too short or too long for the shape', () => {
      const bytes = good();
      expect(parseBad(bytes.subarray(0, bytes.length - 4))).to.throw(/bad\.npy: data is too short: 44 bytes, shape \(3, 4\) of <f4 needs 48/);
      const longer = new Uint8Array(bytes.length + 2);
      longer.set(bytes);
      expect(parseBad(longer)).to.throw(/bad\.npy: data is too long: 50 bytes/);
    });

    it('refuses headers that are not the dict numpy writes', () => {
      expect(parseBad(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "))).to.throw(/bad\.npy: header is not a Python literal/);
      expect(parseBad(npyWith('[1, 2]'))).to.throw(/bad\.npy: header is not a Python dict/);
      expect(parseBad(npyWith("{'descr': '<f4', 'shape': (1,), }"))).to.throw(/bad\.npy: header has keys \[descr, shape\]/);
      expect(parseBad(npyWith("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }"))).to.throw(/bad\.npy: fortran_order is 0/);
      expect(parseBad(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"))).to.throw(/bad\.npy: shape \(-1,\) is not a tuple/);
      // numpy's reader refuses a list where the shape's tuple belongs.
      expect(parseBad(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }"))).to.throw(/bad\.npy: shape \[2,3\] is not a tuple/);
    });

    it('names a huge shape by its first and last dimensions and its rank, not in full', () => {
      const rank = 20000;
      const shape = `(${Array.from({ length: rank }, (_, i) => (i === rank - 1 ? 7 : 1)).join(', ')})`;
      let message = '';
      try {
        parseNpy(npyWith(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`, new Uint8Array(4)), 'bad.npy');
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).to.equal('bad.npy: data is too short: 4 bytes, shape (1, 1, 1, 1, 1, 1, …, 7) [20000 dimensions] of <f4 needs 28');
      const descr = 'x'.repeat(50000);
      expect(parseBad(npyWith(`{'descr': '<${descr}', 'fortran_order': False, 'shape': (1,), }`))).to.throw(/^bad\.npy: unsupported dtype '<x{76}\.\.\.' \(supported/);
    });

    it('refuses unsupported and structured dtypes', () => {
      expect(parseBad(npyWith("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)))).to.throw(/bad\.npy: unsupported dtype '<c8'/);
      expect(parseBad(npyWith("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)))).to.throw(/bad\.npy: dtype '\|f4' has no explicit little-endian/);
      expect(parseBad(npyWith("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)))).to.throw(/bad\.npy: structured dtype/);
    });

    it('accepts Python 2 long integers in the shape', () => {
      const arr = parseNpy(npyWith("{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 1L), }", new Uint8Array([3, 4])), 'py2.npy');
      expect(arr.shape).to.deep.equal([2, 1]);
    });

    it('refuses a version 3.0 header that is not UTF-8', () => {
      const bytes = edited(fixtureBytes('npy/f4_v3.npy'), (b) => (b[20] = 0xff));
      expect(parseBad(bytes)).to.throw(/bad\.npy: header is not valid UTF-8/);
    });
  });
});
