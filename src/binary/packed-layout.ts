/**
 * How signs are stored as bits (paper Sec. 3.1: a binary value takes one bit, so one 32-bit word
 * holds 32 of them): the layout that packing (pack.ts, reference/pack.ts) writes, the XNOR
 * convolution (xnor-conv.ts, reference/xnor-conv.ts) reads and .bnx files store
 * (docs/bnx-format.md). docs/conventions.md ("Packed signs") states it for reimplementers:
 *   - bit 1 means -1 and bit 0 means +1 (the float's sign bit, as in Larq Compute Engine);
 *   - channels last, 32 channels per word: channel c is bit (c mod 32) of word floor(c / 32), so
 *     a pixel (or a weight tap) takes ceil(C / 32) words;
 *   - the tail bits past channel C - 1 in the last word are 0 in activations and weights alike,
 *     so they never differ and add nothing to popcount(a XOR w);
 *   - sign(0): torch.sign(0) = 0, which no bit can hold: a zero is stored as +1 (bit 0) and its
 *     flat index in the source is listed in `zeros`, for the convolution to take out again;
 *   - activations carry a border of `pad` pixels of zero words (+1), which the fast kernel reads
 *     and corrects for; weights are stored per output channel and tap, the output channels
 *     rounded up to OUT_CHANNEL_BLOCK with rows of zero words.
 */

import { popcount32 } from './popcount';

/** Channels per packed word. */
export const BITS = 32;

/**
 * Packed weights hold their output channels in blocks of this many, the last padded with rows of
 * zero words: the XNOR kernel's register block reads one block at a time (xnor-kernel.ts).
 */
export const OUT_CHANNEL_BLOCK = 8;

export function wordsPerPixel(channels: number): number {
  return Math.ceil(channels / BITS);
}

/** Signs of an NCHW batch as NHWC words with a zero border. */
export interface PackedActivations {
  n: number;
  channels: number;
  height: number;
  width: number;
  pad: number;
  wordsPerPixel: number;
  /** [n][height + 2·pad][width + 2·pad][wordsPerPixel]; may be longer than that (a reused buffer). */
  words: Int32Array;
  /** NCHW flat indices of the source's exact zeros (sign 0, packed as +1), increasing. */
  zeros: Int32Array;
}

/** Signs of a [Cout, Cin, k, k] weight, per output channel and tap. */
export interface PackedWeights {
  outChannels: number;
  inChannels: number;
  kernelSize: number;
  wordsPerPixel: number;
  /** outChannels rounded up to OUT_CHANNEL_BLOCK. */
  paddedOutChannels: number;
  /** [paddedOutChannels][k][k][wordsPerPixel]; the padding rows are zero words. */
  words: Int32Array;
  /** [paddedOutChannels][k·k]: the sum of each tap's ±1 signs (Cin - 2·popcount), for borders. */
  tapSums: Int32Array;
  /**
   * [class][paddedOutChannels]: k²·Cin minus the tap sums of the taps that a border class puts
   * in the zero padding (xnor-conv.ts). A class is (top rows, bottom rows, left columns, right
   * columns) in the padding, each 0..k//2: 16 classes for 3x3, 1 for 1x1.
   */
  borderBase: Int32Array;
  /** Flat [Cout, Cin, k, k] indices of exact zeros (sign 0, packed as +1), increasing. */
  zeros: Int32Array;
}

/** Index in `words` of the word holding channel c of pixel (b, y, x), y and x inside the image. */
export function activationWord(p: Pick<PackedActivations, 'height' | 'width' | 'pad' | 'wordsPerPixel'>, b: number, c: number, y: number, x: number): number {
  const wp = p.width + 2 * p.pad;
  return ((b * (p.height + 2 * p.pad) + y + p.pad) * wp + x + p.pad) * p.wordsPerPixel + (c >>> 5);
}

/** Index in `words` of the word holding input channel ci of tap (ky, kx) of output channel co. */
export function weightWord(p: Pick<PackedWeights, 'kernelSize' | 'wordsPerPixel'>, co: number, ci: number, ky: number, kx: number): number {
  return ((co * p.kernelSize + ky) * p.kernelSize + kx) * p.wordsPerPixel + (ci >>> 5);
}

/**
 * The four coordinates of a flat index into a row-major 4-D array whose last three sizes are
 * given: (b, c, y, x) of an NCHW activation, (co, ci, ky, kx) of a weight. For the zero lists.
 */
export function position4(i: number, d1: number, d2: number, d3: number): [number, number, number, number] {
  return [Math.floor(i / (d1 * d2 * d3)), Math.floor(i / (d2 * d3)) % d1, Math.floor(i / d3) % d2, i % d3];
}

/** The sign bit of channel c in its word: 1 for -1, 0 for +1. */
export function signBit(word: number, c: number): number {
  return (word >>> (c & 31)) & 1;
}

/** The sign a packed activation [b, c, y, x] holds (±1; a listed zero shows as +1). */
export function packedSign(p: PackedActivations, b: number, c: number, y: number, x: number): number {
  return 1 - 2 * signBit(p.words[activationWord(p, b, c, y, x)], c);
}

/** Refusal of a value that has no sign (NaN), naming where it is. */
export function noSignError(op: string, where: string): Error {
  return new Error(`${op}: NaN at ${where}: a NaN has no sign to pack`);
}

/**
 * Packed weights from their words (padding rows included) and zero list, with the two tables the
 * fast kernel reads (`tapSums`, `borderBase`; see PackedWeights), computed once per weight.
 */
export function withKernelTables(words: Int32Array, cout: number, cin: number, k: number, zeros: Int32Array): PackedWeights {
  const wpp = wordsPerPixel(cin);
  const taps = k * k;
  const padded = words.length / (taps * wpp);
  const tapSums = new Int32Array(padded * taps);
  for (let t = 0; t < padded * taps; t++) {
    let ones = 0;
    for (let j = 0; j < wpp; j++) ones += popcount32(words[t * wpp + j]);
    tapSums[t] = cin - 2 * ones;
  }
  return { outChannels: cout, inChannels: cin, kernelSize: k, wordsPerPixel: wpp, paddedOutChannels: padded, words, tapSums, borderBase: borderBase(tapSums, cin, k, padded), zeros };
}

/** The per-(border class, output channel) constant of the convolution's store, computed once. */
function borderBase(tapSums: Int32Array, cin: number, k: number, padded: number): Int32Array {
  const side = (k >> 1) + 1;
  const base = new Int32Array(side ** 4 * padded);
  for (let top = 0; top < side; top++) for (let bottom = 0; bottom < side; bottom++) {
    for (let left = 0; left < side; left++) for (let right = 0; right < side; right++) {
      const cls = ((top * side + bottom) * side + left) * side + right;
      for (let co = 0; co < padded; co++) {
        let v = k * k * cin;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const border = ky < top || ky >= k - bottom || kx < left || kx >= k - right;
            if (border) v -= tapSums[(co * k + ky) * k + kx];
          }
        }
        base[cls * padded + co] = v;
      }
    }
  }
  return base;
}

