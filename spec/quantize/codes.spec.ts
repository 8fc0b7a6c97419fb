import { expect } from 'chai';
import { codeBytes, packCodes, unpackCodes } from '../../src/quantize/codes';

describe('quantize/codes', () => {
  it('packs 8-bit codes one per byte and 4-bit codes two per byte, low nibble first', () => {
    expect([...packCodes(Uint8Array.of(0, 255, 17), 8)]).to.deep.equal([0, 255, 17]);
    expect([...packCodes(Uint8Array.of(1, 2, 15, 0, 9), 4)]).to.deep.equal([0x21, 0x0f, 0x09]);
    expect(codeBytes(5, 4)).to.equal(3);
    expect(codeBytes(5, 8)).to.equal(5);
  });

  it('unpacks what it packs, for odd and even counts', () => {
    for (const n of [1, 2, 7, 64]) {
      const codes = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 16);
      for (const bits of [4, 8]) expect([...unpackCodes(packCodes(codes, bits), n, bits, 'c')], `${n} at ${bits}`).to.deep.equal([...codes]);
    }
  });

  it('refuses a non-zero pad nibble, a wrong byte count and widths it cannot store', () => {
    expect(() => unpackCodes(Uint8Array.of(0x21, 0x13), 3, 4, 't')).to.throw(/t: the pad nibble after the last 4-bit code is not 0/);
    expect(() => unpackCodes(Uint8Array.of(1, 2), 3, 8, 't')).to.throw(/t: 2 code bytes, 3 8-bit codes need 3/);
    expect(() => packCodes(Uint8Array.of(1), 3)).to.throw(/packCodes: 3-bit codes cannot be stored \(4 or 8 bits\)/);
  });
});
