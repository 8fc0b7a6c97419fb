/**
 * ONNX export (docs/golden-testing.md, "ONNX"): a BNext or BNext-18 in evaluation mode as a
 * standard ONNX graph, opset 13, written with our own protobuf encoder.
 *
 *     const bytes = onnxModel(model);                 // ModelProto bytes
 *     const model = floatModelOfBnx(readBnx('m.bnx')); // a .bnx file's model, binary weights as +-1
 */
import { unpackWeights } from '../binary/pack';
import type { BnxContents } from '../engine/bnx';
import { withoutInit } from '../nn/init';
import { buildModel, type BNextModel } from '../models/factory';
import { Tensor } from '../tensor/tensor';
import { modelGraph } from './export-graph';
import { encodeModel, OPSET } from './onnx-model';

export { OPSET } from './onnx-model';

/** The model's evaluation-mode graph as ONNX ModelProto bytes. */
export function onnxModel(model: BNextModel, producerVersion = 'unknown'): Uint8Array {
  return encodeModel(modelGraph(model), producerVersion, `bnext ${model.config.arch}, evaluation mode, ONNX opset ${OPSET}`);
}

/**
 * The float model a .bnx file describes, its binary-conv weights as the +-1 (and 0) values their
 * bits stand for: sign() of them is the packed weight again, so it computes the packed model's
 * function. Quantized weights are refused: their layers quantize their inputs at run time (paper
 * Eq. 5), which a plain ONNX graph of this exporter does not express.
 */
export function floatModelOfBnx(contents: BnxContents, source: string): BNextModel {
  if (contents.quantized.size > 0) {
    throw new Error(`${source}: holds quantized layers (${[...contents.quantized.keys()][0]}, ...); ONNX export takes a float state_dict or an unquantized .bnx`);
  }
  const model = withoutInit(() => buildModel(contents.config));
  const state = model.stateDict();
  for (const [key, value] of state) {
    if (!(value instanceof Tensor)) continue;
    const packed = contents.binary.get(key);
    const data = packed ? unpackWeights(packed) : contents.floats.get(key)?.data;
    if (!data) throw new Error(`${source}: tensor '${key}' of the ${contents.config.arch} model is missing`);
    if (data.length !== value.size) throw new Error(`${source}: tensor '${key}' has ${data.length} values, the model expects ${value.size}`);
    value.data.set(data);
  }
  return model;
}
