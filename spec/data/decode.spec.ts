/**
 * Decoding against PIL 9.4's `Image.open(f).convert('RGB')`.
 *
 * PNG (every colour type and bit depth, palettes with and without alpha, PIL-written files with
 * adaptive filters): identical pixels, tolerance 0.
 *
 * JPEG: jpeg-js decodes the planes (its own IDCT), and we finish as libjpeg does (fancy chroma
 * upsampling, fixed-point colour; jpeg-color.ts). Measured on the 40x30 fixtures: grayscale max 1
 * (mean 0.08); baseline 4:4:4, 4:2:2, 4:2:0 (also at an odd size) and progressive 4:2:0 max 3
 * (mean under 0.2). On 500x375 photo-like JPEGs (4:2:0, 4:2:2, 4:4:4, progressive, quality 75
 * and 90, odd sizes), also max 3, mean 0.16. With jpeg-js's own chroma replication and colour
 * conversion the 4:2:0 fixture was off by up to 80 (mean 5.4). The tolerances are the measurements.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../../src/data/decode';
import { readImage, readImageAsync, writePng } from '../../src/data/files';
import { crop } from '../../src/data/geometry';
import { createImage, imageFromView, imageView } from '../../src/data/image';
import { decodeJpeg, readJpegHeader } from '../../src/data/jpeg';
import { decodePng, encodePng } from '../../src/data/png';
import { crc32 } from '../../src/engine/crc32';
import { expectSameImage, goldenImage, IMAGES, manifest, maxAbsDiff } from './fixtures';

/** Max and mean |a - b| per JPEG fixture: [max tolerance, mean tolerance]. */
const JPEG_TOLERANCE: Record<string, [number, number]> = {
  'decode/gray.jpg': [1, 0.1],
  'decode/base444.jpg': [3, 0.2],
  'decode/base420.jpg': [3, 0.2],
  'decode/base422.jpg': [3, 0.2],
  'decode/odd420.jpg': [3, 0.2],
  'decode/prog420.jpg': [3, 0.2],
};

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

describe('data/decode', () => {
  describe('golden: PNG equals PIL convert("RGB")', () => {
    for (const c of manifest.decode.filter((d) => d.file.endsWith('.png'))) {
      it(`${c.file}: ${c.note}`, () => expectSameImage(readImage(join(IMAGES, c.file)), goldenImage(c.golden), c.file));
    }
  });

  describe('golden: JPEG within the stated tolerance of PIL', () => {
    for (const c of manifest.decode.filter((d) => d.file.endsWith('.jpg'))) {
      it(`${c.file}: ${c.note}`, () => {
        const ours = readImage(join(IMAGES, c.file));
        const pil = goldenImage(c.golden);
        const [maxTol, meanTol] = JPEG_TOLERANCE[c.file];
        expect(maxAbsDiff(ours, pil, c.file)).to.be.at.most(maxTol);
        expect(meanAbsDiff(ours.data, pil.data)).to.be.at.most(meanTol);
      });
    }
  });

  it('a JPEG with an Adobe segment saying YCbCr decodes as without it (PIL reads both alike)', () => {
    const bytes = readFileSync(join(IMAGES, 'decode/base420.jpg'));
    // APP14 "Adobe": version 100, flags 0, 0, colour transform 1 (YCbCr), inserted after SOI.
    const app14 = [0xff, 0xee, 0x00, 0x0e, ...new TextEncoder().encode('Adobe'), 0x00, 0x64, 0, 0, 0, 0, 1];
    const withAdobe = new Uint8Array([...bytes.subarray(0, 2), ...app14, ...bytes.subarray(2)]);
    expect(readJpegHeader(withAdobe, 'adobe.jpg').adobeTransform).to.equal(1);
    expectSameImage(decodeImage(withAdobe, 'adobe.jpg'), decodeImage(bytes, 'plain.jpg'), 'Adobe YCbCr JPEG');
  });

  describe('bad input: errors name the file and the problem', () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'bnext-decode-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const png = () => readFileSync(join(IMAGES, 'decode/pil_rgb.png'));
    const jpg = () => readFileSync(join(IMAGES, 'decode/base420.jpg'));

    it('a zero-byte file', () => {
      const f = join(dir, 'empty.jpg');
      writeFileSync(f, new Uint8Array(0));
      expect(() => readImage(f)).to.throw(`${f}: empty file (0 bytes)`);
    });

    it('a truncated PNG (several cut points)', () => {
      const bytes = png();
      for (const cut of [bytes.length - 12, Math.floor(bytes.length / 2), 40, 9]) {
        const f = join(dir, `cut${cut}.png`);
        writeFileSync(f, bytes.subarray(0, cut));
        expect(() => readImage(f)).to.throw(new RegExp(`^${f}: truncated or corrupt PNG`));
      }
    });

    it('a PNG with a corrupted byte (CRC check)', () => {
      const bytes = new Uint8Array(png());
      bytes[bytes.length - 30] ^= 0xff;
      expect(() => decodePng(bytes, 'x.png')).to.throw(/^x\.png: truncated or corrupt PNG/);
    });

    /** A PNG with `edit` applied to its chunks, every chunk CRC recomputed (so only the edit is wrong). */
    const editedPng = (file: string, edit: (chunks: { type: string; data: Uint8Array }[]) => void): Uint8Array => {
      const bytes = new Uint8Array(readFileSync(join(IMAGES, file)));
      const view = new DataView(bytes.buffer);
      const chunks: { type: string; data: Uint8Array }[] = [];
      for (let at = 8; at < bytes.length; at += 12 + view.getUint32(at)) {
        chunks.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), data: bytes.slice(at + 8, at + 8 + view.getUint32(at)) });
      }
      edit(chunks);
      const parts = chunks.map(({ type, data }) => {
        const out = new Uint8Array(12 + data.length);
        const v = new DataView(out.buffer);
        v.setUint32(0, data.length);
        out.set(new TextEncoder().encode(type), 4);
        out.set(data, 8);
        v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
        return out;
      });
      return new Uint8Array(Buffer.concat([bytes.subarray(0, 8), ...parts]));
    };

    it('a PNG whose image data fails its Adler-32 check, though every chunk CRC is right (PIL refuses it too)', () => {
      const bytes = editedPng('decode/pil_rgb.png', (chunks) => {
        const idat = chunks.find((c) => c.type === 'IDAT')!;
        idat.data[idat.data.length - 2] ^= 0x01; // inside the Adler-32
      });
      expect(() => decodePng(bytes, 'x.png')).to.throw('x.png: corrupt PNG (the image data fails its Adler-32 check)');
    });

    it('a palette PNG without its PLTE chunk (fast-png would decode it as grayscale)', () => {
      const bytes = editedPng('decode/pal4.png', (chunks) => chunks.splice(chunks.findIndex((c) => c.type === 'PLTE'), 1));
      expect(() => decodePng(bytes, 'x.png')).to.throw('x.png: corrupt PNG (a palette image without a PLTE chunk)');
    });

    it('a PNG breaking the chunk rules PIL reads by: a bit depth its colour type lacks, two PLTE chunks, PLTE after IDAT', () => {
      const rgb1 = editedPng('decode/pil_rgb.png', (chunks) => { chunks[0].data[8] = 1; });
      expect(() => decodePng(rgb1, 'x.png')).to.throw('x.png: corrupt PNG (bit depth 1 is not allowed for colour type 2; allowed: 8, 16)');
      const twice = editedPng('decode/pal4.png', (chunks) => chunks.splice(1, 0, { type: 'PLTE', data: new Uint8Array(48) }));
      expect(() => decodePng(twice, 'x.png')).to.throw('x.png: corrupt PNG (2 PLTE chunks, one allowed)');
      const late = editedPng('decode/pal4.png', (chunks) => {
        const plte = chunks.splice(chunks.findIndex((c) => c.type === 'PLTE'), 1)[0];
        chunks.splice(chunks.findIndex((c) => c.type === 'IEND'), 0, plte);
      });
      expect(() => decodePng(late, 'x.png')).to.throw('x.png: corrupt PNG (the PLTE chunk comes after the image data)');
    });

    it('a grayscale PNG with a stray PLTE chunk decodes as grayscale, as PIL decodes it', () => {
      const plain = decodePng(readFileSync(join(IMAGES, 'decode/gray2.png')), 'x.png');
      const bytes = editedPng('decode/gray2.png', (chunks) => chunks.splice(1, 0, { type: 'PLTE', data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]) }));
      expect(Buffer.from(decodePng(bytes, 'x.png').data).equals(Buffer.from(plain.data))).to.equal(true);
    });

    it('a PNG or JPEG header claiming more pixels than its data can hold (within the pixel limit), refused before decoding', () => {
      const png = editedPng('decode/gray1.png', (chunks) => new DataView(chunks[0].data.buffer).setUint32(0, 4_000_000));
      expect(() => decodePng(png, 'x.png')).to.throw(/^x\.png: truncated or corrupt PNG \(a 4000000x15 image needs 7500015 bytes of filtered rows; its 12 bytes of IDAT inflate to at most 12384\)$/);
      const jpeg = new Uint8Array(jpg());
      const sof = Buffer.from(jpeg).indexOf(Buffer.from([0xff, 0xc0]));
      jpeg.set([0xff, 0xff], sof + 5); // height 65535
      expect(() => decodeJpeg(jpeg, 'x.jpg')).to.throw(/^x\.jpg: truncated or corrupt JPEG \(a 40x65535 frame has 40960 8x8 blocks, each coded in at least one bit; the file has 1260 bytes\)$/);
    });

    it('a truncated JPEG (several cut points)', () => {
      const bytes = jpg();
      for (const cut of [bytes.length - 2, Math.floor(bytes.length * 0.6), 200, 3]) {
        const f = join(dir, `cut${cut}.jpg`);
        writeFileSync(f, bytes.subarray(0, cut));
        expect(() => readImage(f)).to.throw(new RegExp(`^${f}: (truncated or corrupt JPEG|truncated JPEG)`));
      }
    });

    it('a CMYK JPEG is refused by name', () => {
      const f = join(IMAGES, 'decode/cmyk.jpg');
      expect(readJpegHeader(readFileSync(f), f).components).to.equal(4);
      expect(() => readImage(f)).to.throw(`${f}: CMYK JPEG (4 colour components) is not supported; convert it to RGB first`);
    });

    it('other formats are named, unknown ones show their first bytes', () => {
      expect(() => decodeImage(new TextEncoder().encode('GIF89a......'), 'a.gif')).to.throw('a.gif: GIF images are not supported (PNG and JPEG only)');
      expect(() => decodeImage(new TextEncoder().encode('BM..........'), 'a.bmp')).to.throw('a.bmp: BMP images are not supported');
      expect(() => decodeImage(new TextEncoder().encode('hello, world'), 'a.txt')).to.throw('a.txt: unknown image format (first bytes 68 65 6c 6c');
    });

    it('a missing file', async () => {
      const f = join(dir, 'nope.png');
      expect(() => readImage(f)).to.throw(`${f}: cannot read (ENOENT)`);
      let message = '';
      await readImageAsync(f).catch((e: Error) => (message = e.message));
      expect(message).to.equal(`${f}: cannot read (ENOENT)`);
    });

    /** The PNG with its IHDR width and height replaced (and the chunk's CRC updated). */
    function pngOfSize(width: number, height: number): Uint8Array {
      const bytes = new Uint8Array(png());
      const view = new DataView(bytes.buffer);
      view.setUint32(16, width);
      view.setUint32(20, height);
      view.setUint32(29, crc32(bytes.subarray(12, 29)));
      return bytes;
    }

    /** The JPEG with its frame header's height and width replaced. */
    function jpegOfSize(width: number, height: number): Uint8Array {
      const bytes = new Uint8Array(jpg());
      let sof = 2;
      while (!(bytes[sof] === 0xff && bytes[sof + 1] >= 0xc0 && bytes[sof + 1] <= 0xc2)) sof += 2 + ((bytes[sof + 2] << 8) | bytes[sof + 3]);
      const view = new DataView(bytes.buffer);
      view.setUint16(sof + 5, height);
      view.setUint16(sof + 7, width);
      return bytes;
    }

    it('one pixel limit for PNG and JPEG, checked from the header before anything is decoded', () => {
      // A PNG of 15000x15000 zeros compresses to ~200 KB and would decode into 1.2 GB; the header says so first.
      const limit = 'is 225000000 pixels, more than the limit of 100000000 (100 megapixels)';
      expect(() => decodeImage(pngOfSize(15000, 15000), 'big.png')).to.throw(`big.png: PNG image refused: 15000x15000 ${limit}`);
      expect(() => decodeImage(jpegOfSize(15000, 15000), 'big.jpg')).to.throw(`big.jpg: JPEG image refused: 15000x15000 ${limit}`);
      expect(() => createImage(15000, 15000)).to.throw(`image: 15000x15000 ${limit}`);
    });

    it('a zero width or height is refused naming the file', () => {
      const f = join(dir, 'flat.png');
      writeFileSync(f, pngOfSize(20, 0));
      expect(() => readImage(f)).to.throw(`${f}: PNG image refused: width and height must be positive integers, got 20x0`);
      expect(() => decodeImage(jpegOfSize(0, 30), 'flat.jpg')).to.throw('flat.jpg: JPEG image refused: width and height must be positive integers, got 0x30');
    });

    it('detects the format from the bytes, not the name', () => {
      const f = join(dir, 'really_a_png.JPEG');
      writeFileSync(f, png());
      expect(readImage(f).width).to.equal(20);
    });
  });

  describe('PNG encoding', () => {
    it('round-trips through our decoder and writes atomically', () => {
      const img = createImage(7, 5);
      for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37) % 256;
      expectSameImage(decodePng(encodePng(img), 'mem'), img, 'round trip');
      const dir = mkdtempSync(join(tmpdir(), 'bnext-png-'));
      try {
        writePng(join(dir, 'out.png'), img);
        expectSameImage(readImage(join(dir, 'out.png')), img, 'written file');
        expect(readdirSync(dir), 'no temporary file left beside it').to.deep.equal(['out.png']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('ndarray views share the pixels and convert back', () => {
    const img = readImage(join(IMAGES, 'decode/rgb8.png'));
    const view = imageView(img);
    expect(view.shape).to.deep.equal([15, 20, 3]);
    expect(view.get(2, 3, 1)).to.equal(img.data[(2 * 20 + 3) * 3 + 1]);
    expectSameImage(imageFromView(view.hi(10, 8, 3)), crop(img, 0, 0, 8, 10), 'top-left window of the view');
    expect(imageFromView(view.step(1, -1, 1)).data[0]).to.equal(img.data[19 * 3]);
  });
});
