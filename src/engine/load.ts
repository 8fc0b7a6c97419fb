/**
 * Building the packed engine from files: a .bnx file (bnx.ts) or a safetensors state_dict with
 * fully binary weights, and turning a float model into .bnx contents (optionally with the
 * paper's post-training quantization, src/quantize/). The entry points `bnext forward --engine
 * xnor` and `bnext pack` use, and the ones evaluation and prediction can call:
 *
 *     const engine = loadPackedModel('model.bnx');        // { config, run(x) -> logits }
 *     const engine = packModel(floatModel);               // from a model in memory
 *     const contents = bnxContentsOf(floatModel, { quantize: parseQuantization('paper') });
 *     const engine = packedModelFromContents(contents);   // the quantized engine, in memory
 *
 * A quantized weight enters the engine as its fake-quantized float32 values (Eq. 6, rebuilt
 * exactly from the codes), and its layer's input is quantized at run time (Eq. 5) where the
 * file says so: the engine computes what the official quantized layers compute.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { Tensor } from '../tensor/tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import { withoutInit } from '../nn/init';
import { loadWeights } from '../nn/serialize';
import type { ReadWeightsOptions } from '../io/weights-file';
import { buildModel, type BNextModel } from '../models/factory';
import type { ModelConfig } from '../models/config';
import { BNX_MAGIC, type BnxContents, readBnx } from './bnx';
import type { QuantizationScheme } from '../quantize/scheme';
import { type ActivationQuantization, quantizeModel } from '../quantize/plan';
import { dequantizeWeight } from '../quantize/weights';
import { packBinaryWeights } from './binary-weights';
import { packModel, type PackedModel } from './packed-model';

export interface BnxContentsOptions {
  /** Quantize the scheme's layers (src/quantize/scheme.ts); null or absent: everything float32. */
  quantize?: QuantizationScheme | null;
}

/**
 * The .bnx contents of a fully binary model: its packed binary weights, the quantized weights
 * when a scheme is given, and every other float tensor as float32.
 */
export function bnxContentsOf(model: BNextModel, options: BnxContentsOptions = {}): BnxContents {
  const binary = packBinaryWeights(model);
  const quantized = options.quantize ? quantizeModel(model, options.quantize) : new Map();
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
    return packModel(skeletonOf(contents, source), { packedWeights: contents.binary, inputQuantization });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw message.startsWith(`${source}:`) ? e : new Error(`${source}: ${message}`);
  }
}

/** The packed engine of a .bnx file. */
export function loadPackedModel(path: string): PackedModel {
  return packedModelFromContents(readBnx(path), path);
}

/** The packed engine of a state_dict (safetensors or torch.save) whose binary convs are fully binary. */
export function packedModelFromStateDict(config: ModelConfig, weightsPath: string, options: ReadWeightsOptions = {}): PackedModel {
  const model = withoutInit(() => buildModel(config));
  loadWeights(model, weightsPath, options);
  return packModel(model);
}

/** Whether a file starts with the .bnx magic bytes. */
export function isBnxFile(path: string): boolean {
  const head = new Uint8Array(BNX_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && BNX_MAGIC.every((b, i) => head[i] === b);
  } finally {
    closeSync(fd);
  }
}

/**
 * The packed engine for `bnext forward/eval/predict --engine xnor`: from a .bnx file (whose
 * architecture must be `config`) or from a state_dict.
 */
export function loadPackedEngine(path: string, config: ModelConfig): PackedModel {
  if (!isBnxFile(path)) return packedModelFromStateDict(config, path);
  const engine = loadPackedModel(path);
  if (canonical(engine.config) !== canonical(config)) {
    throw new Error(`${path}: the file holds ${JSON.stringify(engine.config)}, the options ask for ${JSON.stringify(config)}`);
  }
  return engine;
}

/** A configuration as JSON with sorted keys, for comparison. */
function canonical(config: ModelConfig): string {
  return JSON.stringify(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
}
