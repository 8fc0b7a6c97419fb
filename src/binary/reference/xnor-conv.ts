/**
 * The XNOR-popcount convolution written from its definition, in plain loops.
 *
 * Binarization (paper Eq. 1) leaves values of ±1 (and torch's sign(0) = 0). Convolving two such
 * tensors gives, per output (n, co, oy, ox), the sum over the taps (ky, kx) that fall inside the
 * image (zero padding adds nothing) of the dot product of two sign vectors across the input
 * channels. Stored as bits, 32 channels a word (packed-layout.ts), that dot product is XNOR and
 * popcount (paper Sec. 1 and 3.1): a channel whose two signs are nonzero adds +1 where the bits
 * agree (their XNOR is 1) and -1 where they differ, so one word adds
 *     2·popcount(XNOR(a, w) & valid) - popcount(valid)
 * with `valid` the channels of the word that exist (not the tail past C) and are not an exact
 * zero on either side. With an epilogue, each sum then goes through BatchNorm and PReLU
 * (channel-epilogue.ts).
 *
 * The fast path (xnor-conv.ts, xnor-kernel.ts) reaches the same integers through a zero border,
 * a precomputed correction, a 16-bit table and a separate pass for zeros; it must agree with
 * this function bit for bit, and hands over to it when the reference kernels are chosen.
 */
import { activationWord, BITS, type PackedActivations, type PackedWeights, position4, weightWord } from '../packed-layout';
import type { XnorGeometry } from '../xnor-geometry';
import { applyChannelEpilogue, type ChannelEpilogue } from '../channel-epilogue';
import { popcount32 } from '../popcount';

/** The bits of word j that stand for one of the `channels` channels. */
function channelMask(j: number, channels: number): number {
  const count = Math.min(BITS, channels - j * BITS);
  return count === BITS ? -1 : (1 << count) - 1;
}

/** out [N, Cout, outH, outW] (NCHW) = the convolution of the packed signs, then the epilogue. */
export function xnorConv2dReference(input: PackedActivations, weights: PackedWeights, g: XnorGeometry, out: Float32Array, epilogue: ChannelEpilogue | null): void {
  const { n, inChannels: c, height: h, width: w, kernelSize: k, pad, stride } = g;
  // The exact zeros as bits in the words' own layouts.
  const zeroInput = new Int32Array(input.words.length);
  for (const z of input.zeros) {
    const [zb, zc, zy, zx] = position4(z, c, h, w);
    zeroInput[activationWord(input, zb, zc, zy, zx)] |= 1 << (zc & 31);
  }
  const zeroWeight = new Int32Array(weights.words.length);
  for (const z of weights.zeros) {
    const [zo, zc, zy, zx] = position4(z, c, k, k);
    zeroWeight[weightWord(weights, zo, zc, zy, zx)] |= 1 << (zc & 31);
  }
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < g.outChannels; co++) {
      for (let oy = 0; oy < g.outHeight; oy++) {
        for (let ox = 0; ox < g.outWidth; ox++) {
          let sum = 0;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride - pad + ky;
              const ix = ox * stride - pad + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let j = 0; j < input.wordsPerPixel; j++) {
                const ia = activationWord(input, b, j * BITS, iy, ix);
                const iw = weightWord(weights, co, j * BITS, ky, kx);
                const valid = channelMask(j, c) & ~zeroInput[ia] & ~zeroWeight[iw];
                sum += 2 * popcount32(~(input.words[ia] ^ weights.words[iw]) & valid) - popcount32(valid);
              }
            }
          }
          out[((b * g.outChannels + co) * g.outHeight + oy) * g.outWidth + ox] = epilogue ? applyChannelEpilogue(epilogue, co, sum) : sum;
        }
      }
    }
  }
}
