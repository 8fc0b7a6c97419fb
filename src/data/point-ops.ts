/**
 * Per-pixel tone operations of PIL's ImageOps, as RandAugment uses them: each builds a lookup
 * table per channel (from the image's histogram where needed) and maps every byte through it.
 * The tables follow Pillow 9.4's ImageOps exactly (golden-tested in spec/data/randaugment.spec.ts).
 */
import { createImage, type RgbImage } from './image';

/** Maps channel c of every pixel through `luts[c]` (256 entries each). */
export function applyLuts(img: RgbImage, luts: readonly [Uint8Array, Uint8Array, Uint8Array]): RgbImage {
  const out = createImage(img.width, img.height);
  const src = img.data;
  const dst = out.data;
  const [l0, l1, l2] = luts;
  for (let i = 0; i < src.length; i += 3) {
    dst[i] = l0[src[i]];
    dst[i + 1] = l1[src[i + 1]];
    dst[i + 2] = l2[src[i + 2]];
  }
  return out;
}

/** The same 256-entry table for all three channels. */
export function applyLut(img: RgbImage, lut: Uint8Array): RgbImage {
  return applyLuts(img, [lut, lut, lut]);
}

/** A table from a function of the byte value. */
function tableOf(fn: (v: number) => number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = fn(v);
  return lut;
}

/** 256-bin histograms of the three channels. */
export function channelHistograms(img: RgbImage): [Int32Array, Int32Array, Int32Array] {
  const h: [Int32Array, Int32Array, Int32Array] = [new Int32Array(256), new Int32Array(256), new Int32Array(256)];
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) {
    h[0][d[i]]++;
    h[1][d[i + 1]]++;
    h[2][d[i + 2]]++;
  }
  return h;
}

export function invert(img: RgbImage): RgbImage {
  return applyLut(img, tableOf((v) => 255 - v));
}

/** Inverts the values at or above `threshold` (a threshold of 256 changes nothing). */
export function solarize(img: RgbImage, threshold: number): RgbImage {
  return applyLut(img, tableOf((v) => (v < threshold ? v : 255 - v)));
}

/** Adds `add` (capped at 255) to the values below `threshold` (timm's SolarizeAdd). */
export function solarizeAdd(img: RgbImage, add: number, threshold = 128): RgbImage {
  return applyLut(img, tableOf((v) => (v < threshold ? Math.min(255, v + add) : v)));
}

/** Keeps the `bits` most significant bits of each value (0 bits gives black). */
export function posterize(img: RgbImage, bits: number): RgbImage {
  if (!Number.isInteger(bits) || bits < 0 || bits > 8) throw new Error(`posterize: bits must be an integer in 0..8, got ${bits}`);
  const mask = ~((1 << (8 - bits)) - 1) & 0xff;
  return applyLut(img, tableOf((v) => v & mask));
}

/**
 * Stretches each channel so its darkest value becomes 0 and its brightest 255 (cutoff 0). A
 * channel with a single value is left alone.
 */
export function autocontrast(img: RgbImage): RgbImage {
  const luts = channelHistograms(img).map((h) => {
    let lo = 0;
    while (lo < 256 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi >= 0 && h[hi] === 0) hi--;
    if (hi <= lo) return tableOf((v) => v);
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    return tableOf((v) => {
      const t = Math.trunc(v * scale + offset);
      return t < 0 ? 0 : t > 255 ? 255 : t;
    });
  });
  return applyLuts(img, [luts[0], luts[1], luts[2]]);
}

/**
 * Histogram equalisation per channel, PIL's variant: the step is (pixel count minus the count of
 * the last occupied bin) / 255, integer division throughout; a channel with one occupied bin, or a
 * zero step, is left alone.
 */
export function equalize(img: RgbImage): RgbImage {
  const luts = channelHistograms(img).map((h) => {
    let occupied = 0;
    let total = 0;
    let lastCount = 0;
    for (let v = 0; v < 256; v++) {
      if (h[v] === 0) continue;
      occupied++;
      total += h[v];
      lastCount = h[v];
    }
    if (occupied <= 1) return tableOf((v) => v);
    const step = Math.floor((total - lastCount) / 255);
    if (step === 0) return tableOf((v) => v);
    const lut = new Uint8Array(256);
    let n = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      lut[v] = Math.min(255, Math.floor(n / step));
      n += h[v];
    }
    return lut;
  });
  return applyLuts(img, [luts[0], luts[1], luts[2]]);
}
