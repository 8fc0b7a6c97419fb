/**
 * One output of a binary convolution worked out by hand from the packed words the engine read
 * (paper Sec. 3.1: the dot product of two ±1 vectors of C channels is C - 2·popcount(a XOR w)),
 * in the layout of docs/conventions.md ("Packed signs"): channel c of a pixel is bit c mod 32 of
 * word floor(c / 32), bit 1 means -1, activations are [N][H + 2p][W + 2p][words] with a border
 * of p = k // 2 pixels of zero words, weights [Cout'][k][k][words].
 *
 * Two ways to the same integer, both shown on the page:
 *   - from the definition: zero padding adds nothing, so sum C - 2·popcount(a XOR w) over the
 *     taps inside the image;
 *   - as the fast kernel does (docs/conventions.md, "Zero padding of ±1 maps"): read every tap,
 *     border words included (they are 0, i.e. +1), S = Σ popcount(a XOR w), and take what the
 *     border added out of the constant: out = base[class][co] - 2·S.
 * An exact zero (sign 0, packed as +1 and listed) is masked out of its word: the tap then adds
 * 2·popcount(XNOR(a, w) & valid) - popcount(valid), valid being the channels that count.
 *
 * Pure: no DOM, so the specs run it in Node.
 */
import { type BinaryConvTrace, popcount32 } from 'bnext';

/** One word of one tap. */
export interface WordRow {
  /** The word's index within the pixel (channels 32·j to 32·j + 31). */
  j: number;
  /** How many channels the word holds (32, or fewer in the last word). */
  channels: number;
  activation: number;
  weight: number;
  xor: number;
  popcount: number;
  /** Channels of this word that are an exact zero on either side (rarely any). */
  zeros: number;
  /** What the word adds from the definition: channels - 2·popcount when nothing is zero. */
  dot: number;
}

/** One tap (ky, kx) of the kernel over the output pixel. */
export interface TapRow {
  ky: number;
  kx: number;
  /** The input pixel the tap reads (may lie in the padding). */
  iy: number;
  ix: number;
  inside: boolean;
  words: WordRow[];
  /** Σ of the words' dot, 0 for a tap in the padding. */
  dot: number;
}

/** The whole computation of out[b, co, oy, ox]. */
export interface WorkedOutput {
  b: number;
  co: number;
  oy: number;
  ox: number;
  channels: number;
  kernelSize: number;
  stride: number;
  taps: TapRow[];
  /** Σ over the taps inside the image: the definition. */
  sum: number;
  /** Tap rows above, below, columns left, right of the image (each 0 to k // 2). */
  border: { top: number; bottom: number; left: number; right: number };
  /** The border class's constant k²·C - Σ of the border taps' weight sums. */
  base: number;
  /** Σ popcount(a XOR w) over all k² taps, border words included. */
  popcountAll: number;
  /** base - 2·popcountAll: the fast kernel's formula (valid when no zero is involved). */
  fast: number;
  /** Whether an exact zero touches this output (then `fast` needs the engine's zero correction). */
  zerosInvolved: boolean;
  /** What the engine computed for this output. */
  engine: number;
}

/** The output at (b, co, oy, ox) of the traced binary convolution, from its words. */
export function workOutput(conv: BinaryConvTrace, co: number, oy: number, ox: number, b = 0): WorkedOutput {
  const { packed: a, weights: wt, stride } = conv;
  const [n, cout, oh, ow] = conv.sums.shape;
  const ask = `workOutput: output [${b}, ${co}, ${oy}, ${ox}]`;
  const within = (v: number, size: number): boolean => Number.isInteger(v) && v >= 0 && v < size;
  if (!(within(b, n) && within(co, cout) && within(oy, oh) && within(ox, ow))) {
    throw new Error(`${ask} is outside the convolution's output [${n}, ${cout}, ${oh}, ${ow}]`);
  }
  const k = wt.kernelSize;
  const pad = k >> 1;
  const c = a.channels;
  const wpp = a.wordsPerPixel;
  const zeroIn = zeroBits(a.zeros, c, a.height, a.width, b);
  const zeroW = zeroBits(wt.zeros, c, k, k, co);
  const taps: TapRow[] = [];
  let sum = 0;
  let popcountAll = 0;
  let zerosInvolved = false;
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      const iy = oy * stride - pad + ky;
      const ix = ox * stride - pad + kx;
      const inside = iy >= 0 && iy < a.height && ix >= 0 && ix < a.width;
      // The padded layout holds the border too: (iy + pad, ix + pad) is always in range.
      const at = ((b * (a.height + 2 * pad) + iy + pad) * (a.width + 2 * pad) + ix + pad) * wpp;
      const wAt = ((co * k + ky) * k + kx) * wpp;
      const words: WordRow[] = [];
      let dot = 0;
      for (let j = 0; j < wpp; j++) {
        const channels = Math.min(32, c - 32 * j);
        const activation = a.words[at + j];
        const weight = wt.words[wAt + j];
        const xor = activation ^ weight;
        const popcount = popcount32(xor);
        popcountAll += popcount;
        const zero = inside ? (zeroIn.get(`${iy},${ix},${j}`) ?? 0) | (zeroW.get(`${ky},${kx},${j}`) ?? 0) : 0;
        const valid = (channels === 32 ? -1 : (1 << channels) - 1) & ~zero;
        const wordDot = inside ? 2 * popcount32(~xor & valid) - popcount32(valid) : 0;
        if (zero !== 0) zerosInvolved = true;
        words.push({ j, channels, activation, weight, xor, popcount, zeros: popcount32(zero), dot: wordDot });
        dot += wordDot;
      }
      taps.push({ ky, kx, iy, ix, inside, words, dot });
      sum += dot;
    }
  }
  const border = {
    top: Math.max(0, pad - oy * stride), bottom: Math.max(0, oy * stride - pad + k - a.height),
    left: Math.max(0, pad - ox * stride), right: Math.max(0, ox * stride - pad + k - a.width),
  };
  const side = pad + 1;
  const cls = ((border.top * side + border.bottom) * side + border.left) * side + border.right;
  const base = wt.borderBase[cls * wt.paddedOutChannels + co];
  const engine = conv.sums.data[((b * cout + co) * oh + oy) * ow + ox];
  return { b, co, oy, ox, channels: c, kernelSize: k, stride, taps, sum, border, base, popcountAll, fast: base - 2 * popcountAll, zerosInvolved, engine };
}

/**
 * The listed exact zeros of one image (flat NCHW indices into [N, C, h, w]) or one output
 * channel's weight (flat indices into [Cout, Cin, k, k]) as bits, keyed by "y,x,word".
 */
function zeroBits(zeros: Int32Array, c: number, h: number, w: number, owner: number): Map<string, number> {
  const bits = new Map<string, number>();
  for (const z of zeros) {
    if (Math.floor(z / (c * h * w)) !== owner) continue;
    const ch = Math.floor(z / (h * w)) % c;
    const key = `${Math.floor(z / w) % h},${z % w},${ch >> 5}`;
    bits.set(key, (bits.get(key) ?? 0) | (1 << (ch & 31)));
  }
  return bits;
}

/** A word as 32 binary digits, most significant bit first (channel 32·j + 31 on the left). */
export function bitString(word: number, channels = 32): string {
  return (word >>> 0).toString(2).padStart(32, '0').slice(32 - channels);
}

/** A word as 8 hex digits. */
export function hexWord(word: number): string {
  return `0x${(word >>> 0).toString(16).padStart(8, '0')}`;
}
