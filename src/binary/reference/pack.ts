/**
 * Packing written from the layout's definition (packed-layout.ts, docs/conventions.md "Packed
 * signs"), one value at a time: the sign of each value sets its own bit, a zero is listed, a NaN
 * is refused. pack.ts packs activations eight pixels a step and must give these words and this
 * zero list bit for bit; it packs weights with `packWeightsReference` itself (once per model,
 * nothing to gain from a faster loop).
 */
import { formatShape } from '../../tensor/shape';
import {
  activationWord, noSignError, OUT_CHANNEL_BLOCK, type PackedActivations, type PackedWeights, weightWord, withKernelTables, wordsPerPixel,
} from '../packed-layout';

/** sign(x + bias[c]) of an NCHW batch, with a border of `pad` zero words (+1) around each image. */
export function packActivationsReference(x: Float32Array, shape: readonly number[], pad: number, bias: Float32Array | null): PackedActivations {
  const [n, c, h, w] = shape;
  const layout = { n, channels: c, height: h, width: w, pad, wordsPerPixel: wordsPerPixel(c) };
  const words = new Int32Array(n * (h + 2 * pad) * (w + 2 * pad) * layout.wordsPerPixel);
  const zeros: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const i = ((b * c + ch) * h + y) * w + xx;
          const v = x[i] + (bias ? bias[ch] : 0);
          if (Number.isNaN(v)) throw noSignError('packActivations', `NCHW index ${i}`);
          if (v === 0) zeros.push(i);
          if (v < 0) words[activationWord(layout, b, ch, y, xx)] |= 1 << (ch & 31);
        }
      }
    }
  }
  return { ...layout, words, zeros: Int32Array.from(zeros) };
}

/** sign(w) of a [Cout, Cin, k, k] weight, output channels padded to OUT_CHANNEL_BLOCK with zero words. */
export function packWeightsReference(w: Float32Array, shape: readonly number[]): PackedWeights {
  const [cout, cin, k] = shape;
  const layout = { kernelSize: k, wordsPerPixel: wordsPerPixel(cin) };
  const paddedOut = Math.ceil(cout / OUT_CHANNEL_BLOCK) * OUT_CHANNEL_BLOCK;
  const words = new Int32Array(paddedOut * k * k * layout.wordsPerPixel);
  const zeros: number[] = [];
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const i = ((co * cin + ci) * k + ky) * k + kx;
          const v = w[i];
          if (Number.isNaN(v)) throw noSignError('packWeights', `index ${i} of weight ${formatShape(shape)}`);
          if (v === 0) zeros.push(i);
          if (v < 0) words[weightWord(layout, co, ci, ky, kx)] |= 1 << (ci & 31);
        }
      }
    }
  }
  return withKernelTables(words, cout, cin, k, Int32Array.from(zeros));
}
