/**
 * The layers a quantization scheme (scheme.ts) touches in a BNext or BNext-18 model (paper
 * Sec. 5 "Quantization Impacts", appendix 7.5): the stem convolution, the squeeze and expand
 * convolutions of every squeeze-and-expand branch, and the classifier. The binary convolutions
 * are already 1 bit; the BatchNorm, PReLU, bias and scale vectors stay float32 (as in the
 * official quantized models, which quantize only those layers' weights and inputs).
 *
 * The clip values are the official layer defaults: 1000 for the quantized convolutions,
 * 25 for the quantized classifier (its weights after scaling and its input).
 * BNext-18's 1x1 downsample convolutions stay float32 here (the official quantized BNext-18
 * also makes them 8-bit; the paper's I-S-E-O settings do not name them; docs/paper-map.md,
 * "Quantization details").
 */
import type { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { Conv2d } from '../nn/layers/conv2d';
import { BNext, Stem } from '../models/bnext';
import { SqueezeAndExpand } from '../models/units';
import type { BNextModel } from '../models/factory';
import type { BitWidths, QuantizationScheme } from './scheme';
import { type QuantizedWeight, quantizeWeight } from './weights';

export const CONV_CLIP = 1000;
export const LINEAR_CLIP = 25;

/** Eq. 5 applied to a layer's input at run time. */
export interface ActivationQuantization {
  bits: number;
  clip: number;
}

/** How one layer is quantized. */
export interface LayerQuantization {
  weightBits: number;
  weightClip: number;
  activation: ActivationQuantization | null;
}

/** A quantized layer: its weight as codes, and what happens to its input. */
export interface QuantizedLayer {
  weight: QuantizedWeight;
  activation: ActivationQuantization | null;
}

/** The layers `scheme` quantizes, by the state_dict key of their weight, in module order. */
export function quantizationPlan(model: BNextModel, scheme: QuantizationScheme): Map<string, LayerQuantization> {
  const paths = new Map<Module, string>(model.namedModules().map(([path, m]) => [m, path]));
  const plan = new Map<string, LayerQuantization>();
  const add = (layer: Module, widths: BitWidths | null, clip: number): void => {
    if (!widths) return;
    const path = paths.get(layer);
    if (path === undefined) throw new Error('quantization: a layer is not part of the model');
    plan.set(`${path}.weight`, { weightBits: widths.weight, weightClip: clip, activation: widths.activation === null ? null : { bits: widths.activation, clip } });
  };
  add(model instanceof BNext ? stemOf(model).conv1 : model.conv1, scheme.input, CONV_CLIP);
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof SqueezeAndExpand)) continue;
    const [, squeeze, , expand] = m.se.layers;
    if (!(squeeze instanceof Conv2d) || !(expand instanceof Conv2d)) throw new Error('quantization: a squeeze-and-expand branch is not [pool, conv, relu, conv]');
    add(squeeze, scheme.squeeze, CONV_CLIP);
    add(expand, scheme.expand, CONV_CLIP);
  }
  add(model.fc, scheme.output, LINEAR_CLIP);
  return plan;
}

function stemOf(model: BNext): Stem {
  const stem = model.feature.items[0];
  if (!(stem instanceof Stem)) throw new Error('quantization: the first feature module of BNext is not its stem');
  return stem;
}

/** Quantizes the planned layers' weights of a model (it is not changed). */
export function quantizeModel(model: BNextModel, scheme: QuantizationScheme): Map<string, QuantizedLayer> {
  const state = model.stateDict();
  const out = new Map<string, QuantizedLayer>();
  for (const [key, layer] of quantizationPlan(model, scheme)) {
    const w = state.get(key);
    if (!(w instanceof Tensor)) throw new Error(`quantization: the model has no float tensor '${key}'`);
    out.set(key, { weight: quantizeWeight(w.data, w.shape, layer.weightBits, layer.weightClip, key), activation: layer.activation });
  }
  return out;
}
