/**
 * The packed engine from .bnx contents (bnx.ts), and a float model turned into .bnx contents
 * (optionally with the paper's post-training quantization, src/quantize/):
 *
 *     const contents = bnxContentsOf(floatModel, { quantize: parseQuantization('paper') });
 *     const bytes = serializeBnx(contents);              // what `bnext pack` writes
 *     const engine = packedModelFromBnx(bytes);          // { config, run(x) -> logits, trace(x) }
 *     const engine = packedModelFromStateDict(config, parseStateDict(safetensorsBytes));
 *
 * A quantized weight enters the engine as its fake-quantized float32 values (Eq. 6, rebuilt
 * exactly from the codes), and its layer's input is quantized at run time (Eq. 5) where the
 * file says so: the engine computes what the official quantized layers compute. Files are
 * bnx-file.ts's.
 */
import { Tensor } from '../tensor/tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import { withoutInit } from '../nn/init';
import { buildModel, type BNextModel } from '../models/factory';
import { type BnxContents, parseBnx } from './bnx';
import { quantizationOption, type QuantizationScheme } from '../quantize/scheme';
import { checkBytes, checkOptionNames, describeValue } from '../check';
import { BNext } from '../models/bnext';
import { BNext18 } from '../models/bnext18';
import { type ActivationQuantization, quantizeModel } from '../quantize/plan';
import { dequantizeWeight } from '../quantize/weights';
import { binaryConvs, packBinaryWeights, requireFullyBinary } from './binary-weights';
import { packWeights, type PackedWeights } from '../binary/pack';
import { matchStateDict, type StateValue } from '../nn/module';
import type { ModelConfig } from '../models/config';
import { packModel, type PackedModel } from './packed-model';

/** `bnxContentsOf`'s options. */
export interface BnxContentsOptions {
  /**
   * Quantize the scheme's layers (src/quantize/scheme.ts), given as a scheme or by name
   * ('paper', 'w8', an I-S-E-O list); null, 'none' or absent: everything float32.
   */
  quantize?: QuantizationScheme | string | null;
}

/**
 * The .bnx contents of a fully binary model: its packed binary weights, the quantized weights
 * when a scheme is given, and every other float tensor as float32.
 */
export function bnxContentsOf(model: BNextModel, options: BnxContentsOptions = {}): BnxContents {
  const fn = 'bnxContentsOf';
  if (!(model instanceof BNext || model instanceof BNext18)) throw new Error(`${fn}: model must be a BNext or BNext-18, got ${describeValue(model)}`);
  const scheme = quantizationOption(checkOptionNames(fn, options, ['quantize']).quantize, `${fn}: quantize`);
  const binary = packBinaryWeights(model);
  const quantized = scheme ? quantizeModel(model, scheme) : new Map();
  const floats = new Map<string, Tensor>();
  for (const [key, value] of model.stateDict()) {
    if (value instanceof Tensor && !binary.has(key) && !quantized.has(key)) floats.set(key, value);
  }
  return { config: model.config, floats, binary, quantized };
}

/**
 * The float model a .bnx file describes, quantized weights as their fake-quantized values and
 * binary-conv weights left unset (they are zeros: only the packed engine, which gets the packed
 * weights, may run it).
 */
function skeletonOf(contents: BnxContents, source: string): BNextModel {
  const model = withoutInit(() => buildModel(contents.config));
  const expected = new Set<string>();
  for (const [key, value] of model.stateDict()) {
    if (!(value instanceof Tensor)) continue;
    expected.add(key);
    if (contents.binary.has(key)) continue;
    const q = contents.quantized.get(key);
    const shape = q ? q.weight.shape : contents.floats.get(key)?.shape;
    if (!shape) throw new Error(`${source}: tensor '${key}' of the ${contents.config.arch} model is missing`);
    if (!shapesEqual(shape, value.shape)) throw new Error(`${source}: tensor '${key}' has shape ${formatShape(shape)}, the model expects ${formatShape(value.shape)}`);
    value.data.set(q ? dequantizeWeight(q.weight) : contents.floats.get(key)!.data);
  }
  for (const key of [...contents.floats.keys(), ...contents.binary.keys(), ...contents.quantized.keys()]) {
    if (!expected.has(key)) throw new Error(`${source}: tensor '${key}' is not part of the ${contents.config.arch} model its header describes`);
  }
  return model;
}

/** The packed engine of .bnx contents; `source` names them in errors. */
export function packedModelFromContents(contents: BnxContents, source = 'packed model'): PackedModel {
  const inputQuantization = new Map<string, ActivationQuantization>();
  for (const [key, layer] of contents.quantized) if (layer.activation) inputQuantization.set(key, layer.activation);
  try {
    // The skeleton is ours alone: the engine may keep its tensors instead of copies.
    return packModel(skeletonOf(contents, source), { packedWeights: contents.binary, inputQuantization, copyParameters: false });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw message.startsWith(`${source}:`) ? e : new Error(`${source}: ${message}`);
  }
}

/** The packed engine of .bnx bytes; `source` (a file name, say) starts every error message. */
export function packedModelFromBnx(bytes: Uint8Array, source = '.bnx bytes'): PackedModel {
  return packedModelFromContents(parseBnx(checkBytes('packedModelFromBnx', 'bytes', bytes), source), source);
}

/**
 * A skeleton of `config` holding a state_dict's float tensors, and its binary weights packed
 * straight from the dict's arrays (no float copy of them is made). Checked as a strict load is:
 * every missing, unexpected and mismatched key named, `source` first.
 */
function packedStateDict(config: ModelConfig, dict: ReadonlyMap<string, StateValue>, source: string): { model: BNextModel; packed: Map<string, PackedWeights> } {
  const model = withoutInit(() => buildModel(config));
  const own = model.stateDict();
  const { incoming } = matchStateDict(own, dict, true, source);
  const convs = binaryConvs(model);
  const binaryKeys = new Set(convs.map(([path]) => `${path}.weight`));
  for (const [key, target] of own) {
    if (binaryKeys.has(key)) continue;
    // Inference reads no integer buffer (BatchNorm's num_batches_tracked).
    if (target instanceof Tensor) target.data.set((incoming.get(key) as Tensor).data);
  }
  const packed = new Map<string, PackedWeights>();
  for (const [path, conv] of convs) {
    requireFullyBinary(`${source}: ${path}`, conv);
    const w = incoming.get(`${path}.weight`) as Tensor;
    packed.set(`${path}.weight`, packWeights(w.data, w.shape));
  }
  return { model, packed };
}

/**
 * The packed engine of a state_dict whose binary convolutions are fully binary, for the
 * architecture `config` (a state_dict does not record it). Checked as a strict load is; the
 * binary weights are packed straight from the dict's arrays, and only the float rest is copied.
 */
export function packedModelFromStateDict(config: ModelConfig, dict: ReadonlyMap<string, StateValue>, source = 'state_dict'): PackedModel {
  const { model, packed } = packedStateDict(config, dict, source);
  return packModel(model, { packedWeights: packed, copyParameters: false });
}

/** The .bnx contents of such a state_dict (what `bnext pack` would write from it), checked alike. */
export function bnxContentsOfStateDict(config: ModelConfig, dict: ReadonlyMap<string, StateValue>, source = 'state_dict'): BnxContents {
  const { model, packed } = packedStateDict(config, dict, source);
  const floats = new Map<string, Tensor>();
  for (const [key, value] of model.stateDict()) if (value instanceof Tensor && !packed.has(key)) floats.set(key, value);
  return { config, floats, binary: packed, quantized: new Map() };
}
