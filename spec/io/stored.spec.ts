import { expect } from 'chai';
import { decodeBF16, decodeF16 } from '../../src/io/half';
import {
  checkStoredArray, fromIntTensor, fromTensor, type StoredArray, toIntTensor, toTensor,
} from '../../src/io/stored';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { expectSameNumbers } from './helpers';

describe('io/stored', () => {
  describe('16-bit float decoding', () => {
    it('decodes binary16 zeros, normals, subnormals, infinities and NaN exactly', () => {
      const bits = [0x0000, 0x8000, 0x3c00, 0xc100, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x3555];
      const want = [0, -0, 1, -2.5, 65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, 0.333251953125];
      expectSameNumbers(decodeF16(new Uint16Array(bits)), want, 'f16');
      expect(decodeF16(new Uint16Array([0x7e00, 0xfc01]))).to.satisfy((d: Float32Array) => d.every(Number.isNaN));
    });

    it('decodes every binary16 pattern monotonically within each sign', () => {
      const all = decodeF16(Uint16Array.from({ length: 0x7c01 }, (_, i) => i));
      for (let i = 1; i < all.length; i++) if (!(all[i] > all[i - 1])) expect.fail(`f16 0x${i.toString(16)} not increasing`);
    });

    it('decodes bfloat16 as the high half of a float32', () => {
      const want = [1, -2, 3.3895313892515355e38, -Infinity, 2 ** -133];
      expectSameNumbers(decodeBF16(new Uint16Array([0x3f80, 0xc000, 0x7f7f, 0xff80, 0x0001])), want, 'bf16');
    });
  });

  describe('toTensor', () => {
    it('shares F32 data', () => {
      const data = new Float32Array([1, 2, 3, 4, 5, 6]);
      const t = toTensor({ dtype: 'F32', shape: [2, 3], data }, 'w');
      expect(t.data).to.equal(data);
      expect(t.shape).to.deep.equal([2, 3]);
    });

    it('converts F16, BF16 and F64 to float32', () => {
      expect([...toTensor({ dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }, 'h').data]).to.deep.equal([1, -2]);
      expect([...toTensor({ dtype: 'BF16', shape: [1], data: new Uint16Array([0x4040]) }, 'b').data]).to.deep.equal([3]);
      expect([...toTensor({ dtype: 'F64', shape: [2], data: new Float64Array([0.1, 1e300]) }, 'd').data]).to.deep.equal([Math.fround(0.1), Infinity]);
    });

    it('refuses integer arrays, naming the array and dtype', () => {
      const steps: StoredArray = { dtype: 'I64', shape: [], data: new BigInt64Array([5n]) };
      expect(() => toTensor(steps, 'bn.num_batches_tracked')).to.throw(/bn\.num_batches_tracked: expected a float array .* found dtype I64 with shape \[\]/);
      expect(() => toTensor({ dtype: 'BOOL', shape: [1], data: new Uint8Array(1) }, 'mask')).to.throw(/mask: .*found dtype BOOL/);
    });

    it('converts integers when explicitly allowed', () => {
      expect([...toTensor({ dtype: 'I64', shape: [2], data: new BigInt64Array([5n, -3n]) }, 'n', { allowIntegers: true }).data]).to.deep.equal([5, -3]);
      expect([...toTensor({ dtype: 'U8', shape: [2], data: new Uint8Array([255, 1]) }, 'p', { allowIntegers: true }).data]).to.deep.equal([255, 1]);
    });
  });

  describe('toIntTensor', () => {
    it('converts every integer dtype to int32, sharing I32 data', () => {
      const i32 = new Int32Array([1, -2]);
      expect(toIntTensor({ dtype: 'I32', shape: [2], data: i32 }, 'a').data).to.equal(i32);
      const cases: StoredArray[] = [
        { dtype: 'I64', shape: [2], data: new BigInt64Array([-2147483648n, 2147483647n]) },
        { dtype: 'I16', shape: [2], data: new Int16Array([-2147483648, 2147483647]) },
        { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
        { dtype: 'U8', shape: [1, 2], data: new Uint8Array([0, 255]) },
        { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
      ];
      const want = [[-2147483648, 2147483647], [0, -1], [-128, 127], [0, 255], [1, 0]];
      cases.forEach((arr, i) => {
        const t = toIntTensor(arr, arr.dtype);
        expect([...t.data], arr.dtype).to.deep.equal(want[i]);
        expect(t.shape).to.deep.equal(arr.shape);
      });
    });

    it('refuses values outside int32, naming the array', () => {
      const big: StoredArray = { dtype: 'I64', shape: [2], data: new BigInt64Array([0n, 2n ** 31n]) };
      expect(() => toIntTensor(big, 'steps')).to.throw(/steps: value 2147483648 at flat index 1 does not fit in int32/);
    });

    it('refuses float arrays', () => {
      expect(() => toIntTensor({ dtype: 'F32', shape: [1], data: new Float32Array(1) }, 'labels')).to.throw(/labels: expected an integer array, found dtype F32/);
    });
  });

  describe('fromTensor / fromIntTensor', () => {
    it('stores a Tensor as F32 sharing its data', () => {
      const t = new Tensor(new Float32Array([1, 2]), [1, 2]);
      const arr = fromTensor(t);
      expect(arr.dtype).to.equal('F32');
      expect(arr.data).to.equal(t.data);
      expect(arr.shape).to.deep.equal([1, 2]);
    });

    it('stores an IntTensor as I64 (default) or I32', () => {
      const t = new IntTensor(new Int32Array([-1, 7]), [2]);
      const i64 = fromIntTensor(t);
      expect(i64.dtype).to.equal('I64');
      expect([...i64.data]).to.deep.equal([-1n, 7n]);
      expect(fromIntTensor(t, 'I32').data).to.equal(t.data);
    });
  });

  describe('checkStoredArray', () => {
    it('accepts consistent arrays, including a Node Buffer for U8', () => {
      checkStoredArray({ dtype: 'U8', shape: [3], data: Buffer.from([1, 2, 3]) }, 'buf');
    });

    it('names the array and the problem', () => {
      expect(() => checkStoredArray({ dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }, 'w')).to.throw(/w: shape \[2, 2\] needs 4 elements, data has 3/);
      expect(() => checkStoredArray({ dtype: 'F32', shape: [1.5], data: new Float32Array(1) }, 'w')).to.throw(/w: invalid shape/);
      const bad = { dtype: 'F8', shape: [1], data: new Uint8Array(1) } as unknown as StoredArray;
      expect(() => checkStoredArray(bad, 'w')).to.throw(/w: unknown dtype 'F8'/);
    });
  });
});
