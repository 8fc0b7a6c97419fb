/**
 * The packed engine (docs/bnx-format.md), in memory; bnx-file.ts reads and writes files:
 *
 *     packModel(floatModel).run(x)                       // from a fully binary model
 *     packModel(floatModel, { quantize: 'paper' })       // with post-training quantization (src/quantize)
 *     serializeBnx(bnxContentsOf(floatModel))            // the bytes `bnext pack` writes
 *     packedModelFromBnx(bytes).run(x)                   // from those bytes
 *
 * `run` takes an NCHW float32 batch and returns the logits [N, classes], in evaluation mode;
 * `trace` also returns every step's output.
 */
export { packModel, type PackedModel, type PackedTrace, type PackModelOptions } from './packed-model';
export { bnxContentsOf, packedModelFromBnx, packedModelFromContents, packedModelFromStateDict, type BnxContentsOptions } from './load';
export { BNX_VERSION, BNX_VERSIONS, isBnx, parseBnx, serializeBnx, type BnxContents } from './bnx';
export { packBinaryWeights, requireFullyBinary } from './binary-weights';
