/**
 * The packed engine's public entry points (docs/bnx-format.md):
 *
 *     loadPackedModel('m.bnx').run(x)                    // from a .bnx file
 *     loadPackedEngine(path, config).run(x)              // from a .bnx file or a state_dict
 *     packModel(floatModel).run(x)                       // from a fully binary model in memory
 *     writeBnx('m.bnx', bnxContentsOf(floatModel))       // what `bnext pack` writes
 *     writeBnx('m.bnx', bnxContentsOf(floatModel, { quantize: parseQuantization('paper') }))
 *                                                        // `bnext pack --quantize paper` (src/quantize)
 *
 * `run` takes an NCHW float32 batch and returns the logits [N, classes], in evaluation mode.
 */
export { packModel, type PackedModel, type PackModelOptions } from './packed-model';
export { bnxContentsOf, isBnxFile, loadPackedEngine, loadPackedModel, packedModelFromContents, packedModelFromStateDict, type BnxContentsOptions } from './load';
export { BNX_VERSION, BNX_VERSIONS, parseBnx, readBnx, serializeBnx, writeBnx, type BnxContents } from './bnx';
export { packBinaryWeights, requireFullyBinary } from './binary-weights';
