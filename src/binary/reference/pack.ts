/**
 * Packing written from the layout's definition (packed-layout.ts, docs/conventions.md "Packed
 * signs"), one value at a time: the sign of each value sets its own bit, a zero is listed, a NaN
 * is refused. pack.ts packs activations eight pixels a step and weights a word row at a time,
 * and must give these words and zero lists bit for bit.
 */
import { formatShape } from '../../tensor/shape';
import {
  activationWord, noSignError, OUT_CHANNEL_BLOCK, type PackedActivations, type PackedWeights, position4, weightWord, withKernelTables,
  wordsPerPixel,
} from '../packed-layout';

/** The sign bit of value v at flat index i (1 for v < 0); an exact zero is listed, a NaN refused. */
function signBitOf(v: number, i: number, zeros: number[], nan: () => Error): number {
  if (Number.isNaN(v)) throw nan();
  if (v === 0) zeros.push(i);
  return v < 0 ? 1 : 0;
}

/** sign(x + bias[c]) of an NCHW batch, with a border of `pad` zero words (+1) around each image. */
export function packActivationsReference(x: Float32Array, shape: readonly number[], pad: number, bias: Float32Array | null): PackedActivations {
  const [n, c, h, w] = shape;
  const layout = { n, channels: c, height: h, width: w, pad, wordsPerPixel: wordsPerPixel(c) };
  const words = new Int32Array(n * (h + 2 * pad) * (w + 2 * pad) * layout.wordsPerPixel);
  const zeros: number[] = [];
  for (let i = 0; i < n * c * h * w; i++) {
    const [b, ch, y, xx] = position4(i, c, h, w);
    const bit = signBitOf(x[i] + (bias ? bias[ch] : 0), i, zeros, () => noSignError('packActivations', `NCHW index ${i}`));
    words[activationWord(layout, b, ch, y, xx)] |= bit << (ch & 31);
  }
  return { ...layout, words, zeros: Int32Array.from(zeros) };
}

/** sign(w) of a [Cout, Cin, k, k] weight, output channels padded to OUT_CHANNEL_BLOCK with zero words. */
export function packWeightsReference(w: Float32Array, shape: readonly number[]): PackedWeights {
  const [cout, cin, k] = shape;
  const layout = { kernelSize: k, wordsPerPixel: wordsPerPixel(cin) };
  const words = new Int32Array(Math.ceil(cout / OUT_CHANNEL_BLOCK) * OUT_CHANNEL_BLOCK * k * k * layout.wordsPerPixel);
  const zeros: number[] = [];
  for (let i = 0; i < cout * cin * k * k; i++) {
    const [co, ci, ky, kx] = position4(i, cin, k, k);
    const bit = signBitOf(w[i], i, zeros, () => noSignError('packWeights', `index ${i} of weight ${formatShape(shape)}`));
    words[weightWord(layout, co, ci, ky, kx)] |= bit << (ci & 31);
  }
  return withKernelTables(words, cout, cin, k, Int32Array.from(zeros));
}
