import { expect } from 'chai';
import { crc32, crc32Reference } from '../../src/engine/crc32';

describe('engine/crc32', () => {
  it('gives the standard check value and zlib\'s results', () => {
    const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(crc32(ascii('123456789'))).to.equal(0xcbf43926);
    expect(crc32(new Uint8Array(0))).to.equal(0);
    // zlib.crc32(b'The quick brown fox jumps over the lazy dog')
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).to.equal(0x414fa339);
    expect(crc32(new Uint8Array(1000).fill(0xff))).to.equal(0xe0533230);
  });

  it('continues over pieces as over the whole', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff);
    expect(crc32(bytes.subarray(100), crc32(bytes.subarray(0, 100)))).to.equal(crc32(bytes));
  });

  it('slicing by 8 equals the byte-at-a-time definition at every length and offset', () => {
    const bytes = Uint8Array.from({ length: 4099 }, (_, i) => (i * 2654435761) >>> 24);
    for (let start = 0; start < 9; start++) {
      for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 1000, 4090 - start]) {
        const piece = bytes.subarray(start, start + length);
        expect(crc32(piece), `start ${start}, length ${length}`).to.equal(crc32Reference(piece));
        expect(crc32(piece, 0x12345678)).to.equal(crc32Reference(piece, 0x12345678));
      }
    }
  });
});
