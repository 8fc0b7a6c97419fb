/**
 * Bit packing of signs for the XNOR-popcount convolution (xnor-conv.ts) in the layout of
 * packed-layout.ts (docs/conventions.md, "Packed signs"). NaN has no sign at all: packing
 * refuses it.
 *
 * The loops below must give the words and zero lists of reference/pack.ts bit for bit, and hand
 * over to it when the reference kernels are chosen (kernel-choice.ts).
 */
import { formatShape } from '../tensor/shape';
import { usingReferenceKernels } from '../tensor/kernels/kernel-choice';
import {
  BITS, noSignError, OUT_CHANNEL_BLOCK, type PackedActivations, type PackedWeights, signBit, weightWord, withKernelTables, wordsPerPixel,
} from './packed-layout';
import { packActivationsReference, packWeightsReference } from './reference/pack';

// The packed types are defined with their layout; callers of packing may take them from here.
export type { PackedActivations, PackedWeights } from './packed-layout';

const NO_ZEROS = new Int32Array(0);

/**
 * Packs sign(x + bias[c]) of an NCHW batch, one pass over x. `bias` (per channel, may be null)
 * is the unit's learnable shift before binarization; the sum is not rounded to float32 first,
 * which cannot change its sign. `reuse` lends its buffer when large enough.
 */
export function packActivations(x: Float32Array, shape: readonly number[], pad: number, bias: Float32Array | null = null, reuse?: PackedActivations): PackedActivations {
  if (shape.length !== 4) throw new Error(`packActivations: expected an NCHW shape, got ${formatShape(shape)}`);
  const [n, c, h, w] = shape;
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`packActivations: pad must be a non-negative integer (k // 2 of the kernel), got ${pad}`);
  if (x.length < n * c * h * w) throw new Error(`packActivations: shape ${formatShape(shape)} needs ${n * c * h * w} values, got ${x.length}`);
  if (bias && bias.length !== c) throw new Error(`packActivations: bias has ${bias.length} values for ${c} channels`);
  if (usingReferenceKernels()) {
    const packed = packActivationsReference(x, shape, pad, bias);
    return reuse ? Object.assign(reuse, packed) : packed;
  }
  const wpp = wordsPerPixel(c);
  const size = n * (h + 2 * pad) * (w + 2 * pad) * wpp;
  let words: Int32Array;
  if (reuse && reuse.words.length >= size) {
    words = reuse.words;
    // The border must be zero: it is, unless the buffer last held another geometry.
    const same = reuse.channels === c && reuse.height === h && reuse.width === w && reuse.pad === pad;
    if (!same && pad > 0) words.fill(0, 0, size);
  } else {
    words = new Int32Array(size);
  }
  const shift = bias ?? new Float32Array(c);
  const suspects = packSigns(x, n, c, h, w, pad, shift, words);
  const zeros = suspects > 0 ? findZeros(x, n, c, h * w, shift) : NO_ZEROS;
  const packed: PackedActivations = { n, channels: c, height: h, width: w, pad, wordsPerPixel: wpp, words, zeros };
  return reuse ? Object.assign(reuse, packed) : packed;
}

/** Word offset of each pixel of an h x w plane in a padded, packed image (scratch, grown on demand). */
let pixelOffsets = new Int32Array(0);

/**
 * The packing loop: for each word of 32 channels, eight consecutive pixels of the plane at a
 * time (rows may be straddled: each pixel's destination comes from `pixelOffsets`), so each of
 * the 32 channel planes is read eight floats at a time. Channels run from last to first and
 * each bit enters by a shift of one: a shift by a variable count costs more on x86. Bits are
 * set from the comparison result (no branch: random signs would mispredict). Returns a count
 * that is nonzero when some value may be 0 or NaN (a product of eight that is not > 0 in
 * magnitude; an underflow only costs a needless check), for `findZeros` to sort out
 * (docs/performance.md, "Packing").
 */
function packSigns(x: Float32Array, n: number, c: number, h: number, w: number, pad: number, bias: Float32Array, out: Int32Array): number {
  const wpp = wordsPerPixel(c);
  const hw = h * w;
  const wp = w + 2 * pad;
  const image = (h + 2 * pad) * wp * wpp;
  if (pixelOffsets.length < hw) pixelOffsets = new Int32Array(hw);
  const at = pixelOffsets;
  for (let y = 0, p = 0; y < h; y++) for (let xx = 0; xx < w; xx++, p++) at[p] = ((y + pad) * wp + xx + pad) * wpp;
  let suspects = 0;
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < wpp; j++) {
      const c0 = j * BITS;
      const last = Math.min(BITS, c - c0) - 1;
      const plane0 = (b * c + c0) * hw;
      const o = b * image + j;
      let p = 0;
      for (; p + 8 <= hw; p += 8) {
        let w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0;
        for (let k = last; k >= 0; k--) {
          const s = plane0 + k * hw + p;
          const bk = bias[c0 + k];
          const v0 = x[s] + bk, v1 = x[s + 1] + bk, v2 = x[s + 2] + bk, v3 = x[s + 3] + bk;
          const v4 = x[s + 4] + bk, v5 = x[s + 5] + bk, v6 = x[s + 6] + bk, v7 = x[s + 7] + bk;
          w0 = (w0 << 1) | +(v0 < 0); w1 = (w1 << 1) | +(v1 < 0); w2 = (w2 << 1) | +(v2 < 0); w3 = (w3 << 1) | +(v3 < 0);
          w4 = (w4 << 1) | +(v4 < 0); w5 = (w5 << 1) | +(v5 < 0); w6 = (w6 << 1) | +(v6 < 0); w7 = (w7 << 1) | +(v7 < 0);
          suspects += +!(Math.abs(v0 * v1 * v2 * v3 * v4 * v5 * v6 * v7) > 0);
        }
        out[o + at[p]] = w0; out[o + at[p + 1]] = w1; out[o + at[p + 2]] = w2; out[o + at[p + 3]] = w3;
        out[o + at[p + 4]] = w4; out[o + at[p + 5]] = w5; out[o + at[p + 6]] = w6; out[o + at[p + 7]] = w7;
      }
      for (; p < hw; p++) {
        let word = 0;
        for (let k = last; k >= 0; k--) {
          const v = x[plane0 + k * hw + p] + bias[c0 + k];
          word = (word << 1) | +(v < 0);
          suspects += +!(Math.abs(v) > 0);
        }
        out[o + at[p]] = word;
      }
    }
  }
  return suspects;
}

/** The exact zeros of x + bias (rare: a second pass only when the first saw a suspect). */
function findZeros(x: Float32Array, n: number, c: number, hw: number, bias: Float32Array): Int32Array {
  const found: number[] = [];
  for (let i = 0; i < n * c * hw; i++) {
    const v = x[i] + bias[Math.floor(i / hw) % c];
    if (v === 0) found.push(i);
    else if (v !== v) throw noSignError('packActivations', `NCHW index ${i}`);
  }
  return found.length > 0 ? Int32Array.from(found) : NO_ZEROS;
}

/** Packs sign(w) of a [Cout, Cin, k, k] weight (square kernels). */
export function packWeights(w: Float32Array, shape: readonly number[]): PackedWeights {
  if (shape.length !== 4 || shape[2] !== shape[3]) throw new Error(`packWeights: expected a [Cout, Cin, k, k] weight, got ${formatShape(shape)}`);
  const [cout, cin, k] = shape;
  if (w.length !== cout * cin * k * k) throw new Error(`packWeights: shape ${formatShape(shape)} needs ${cout * cin * k * k} values, got ${w.length}`);
  if (usingReferenceKernels()) return packWeightsReference(w, shape);
  const wpp = wordsPerPixel(cin);
  const taps = k * k;
  const words = new Int32Array(Math.ceil(cout / OUT_CHANNEL_BLOCK) * OUT_CHANNEL_BLOCK * taps * wpp);
  const zeros: number[] = [];
  // The source in its own order, each value's bit set in its (output channel, tap) word row.
  for (let co = 0, i = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      const bit = 1 << (ci & 31);
      for (let t = 0, at = co * taps * wpp + (ci >>> 5); t < taps; t++, i++, at += wpp) {
        const v = w[i];
        if (v < 0) words[at] |= bit;
        else if (v === 0) zeros.push(i);
        else if (v !== v) throw noSignError('packWeights', `index ${i} of weight ${formatShape(shape)}`);
      }
    }
  }
  return withKernelTables(words, cout, cin, k, zeros.length > 0 ? Int32Array.from(zeros) : NO_ZEROS);
}

/**
 * Packed weights from their words as a .bnx file stores them ([Cout][k][k][words], no padding
 * rows), checking that tail bits are clear.
 */
export function packedWeightsFromWords(stored: Int32Array, cout: number, cin: number, k: number, zeros: Int32Array = NO_ZEROS): PackedWeights {
  const wpp = wordsPerPixel(cin);
  if (stored.length !== cout * k * k * wpp) throw new Error(`packed weight [${cout}, ${cin}, ${k}, ${k}] needs ${cout * k * k * wpp} words, got ${stored.length}`);
  const tail = cin % BITS === 0 ? 0 : ~0 << (cin % BITS);
  if (tail !== 0) {
    for (let i = wpp - 1; i < stored.length; i += wpp) {
      if ((stored[i] & tail) !== 0) throw new Error(`packed weight [${cout}, ${cin}, ${k}, ${k}]: word ${i} has bits set past channel ${cin - 1}`);
    }
  }
  for (let i = 0; i < zeros.length; i++) {
    if (!(zeros[i] >= 0 && zeros[i] < cout * cin * k * k) || (i > 0 && zeros[i] <= zeros[i - 1])) {
      throw new Error(`packed weight [${cout}, ${cin}, ${k}, ${k}]: zero list entry ${i} (${zeros[i]}) is out of range or out of order`);
    }
  }
  const padded = Math.ceil(cout / OUT_CHANNEL_BLOCK) * OUT_CHANNEL_BLOCK;
  const words = new Int32Array(padded * k * k * wpp);
  words.set(stored);
  return withKernelTables(words, cout, cin, k, zeros);
}

/** The words without the padding rows: what a .bnx file stores. */
export function storedWords(p: PackedWeights): Int32Array {
  return p.words.subarray(0, p.outChannels * p.kernelSize * p.kernelSize * p.wordsPerPixel);
}

/** The ±1 (and 0) float weight that packed weights stand for: the inverse of `packWeights`. */
export function unpackWeights(p: PackedWeights): Float32Array {
  const { outChannels: cout, inChannels: cin, kernelSize: k } = p;
  const out = new Float32Array(cout * cin * k * k);
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) out[((co * cin + ci) * k + ky) * k + kx] = 1 - 2 * signBit(p.words[weightWord(p, co, ci, ky, kx)], ci);
      }
    }
  }
  for (let i = 0; i < p.zeros.length; i++) out[p.zeros[i]] = 0;
  return out;
}
