/**
 * The packed binary weights of a model: one `PackedWeights` per binary convolution, keyed by
 * the state_dict name of its weight (`feature.3.Attention.binary_conv.weight`).
 *
 * Only fully binary weights can be packed: during progressive binarization (temperature above the
 * threshold: BNext 1e-7, BNext-18 1e-5; docs/paper-map.md, "Progressive binarization") the
 * convolution uses clamp(w / t, -1, 1), real numbers that one bit cannot hold, so packing refuses
 * with the layer, its temperature and the threshold.
 */
import type { Module } from '../nn/module';
import { BinaryConv2d } from '../binary/layers';
import { isFullyBinary } from '../binary/binarize';
import { packWeights } from '../binary/pack';
import type { PackedWeights } from '../binary/packed-layout';

/** The binary convolutions of a model with their dotted module paths, in module order. */
export function binaryConvs(model: Module): [string, BinaryConv2d][] {
  return model.namedModules().filter((e): e is [string, BinaryConv2d] => e[1] instanceof BinaryConv2d);
}

/** Throws unless the convolution's weights are exactly sign(w) at its temperature. */
export function requireFullyBinary(path: string, conv: BinaryConv2d): void {
  const t = conv.temperature.data[0];
  if (!isFullyBinary(t, conv.threshold)) {
    throw new Error(
      `${path}: temperature ${t} is not below ${conv.threshold}, so its weights are clamp(w / t, -1, 1), not yet binary ` +
      '(progressive binarization); the packed engine needs fully binary weights: train on until the temperature falls below the threshold',
    );
  }
}

/**
 * Packs sign(w) of every binary convolution; `given` supplies weights that are already packed
 * (from a .bnx file). Refuses a model that is not fully binary.
 */
export function packBinaryWeights(model: Module, given?: ReadonlyMap<string, PackedWeights>): Map<string, PackedWeights> {
  const out = new Map<string, PackedWeights>();
  for (const [path, conv] of binaryConvs(model)) {
    requireFullyBinary(path, conv);
    const key = `${path}.weight`;
    const packed = given?.get(key) ?? packWeights(conv.weight.data, conv.weight.shape);
    const [cout, cin, k] = conv.weight.shape;
    if (packed.outChannels !== cout || packed.inChannels !== cin || packed.kernelSize !== k) {
      throw new Error(`${key}: packed weight is [${packed.outChannels}, ${packed.inChannels}, ${packed.kernelSize}, ${packed.kernelSize}], the model expects [${cout}, ${cin}, ${k}, ${k}]`);
    }
    out.set(key, packed);
  }
  return out;
}
