/**
 * Post-training quantization of BNext's non-binary layers (paper Sec. 5 "Quantization Impacts",
 * Table 1 column Q, Table 7, appendix 7.5 Eqs. 5 and 6), with the official code's arithmetic:
 *
 *     parseQuantization('paper')                      // 8/8-4/8-4/8-8/8 (scheme.ts)
 *     quantizeModel(model, scheme)                    // codes + parameters per layer (plan.ts)
 *     quantizeWeight(w, shape, bits, clip, name)      // Eq. 6 on one weight (weights.ts)
 *     dequantizeWeight(q)                             // the fake-quantized float32 weight
 *     fakeQuantizeRows(x, rows, cols, bits, clip, out) // Eq. 5 on activations (asymmetric.ts)
 *     bnxSizeLine(model, 'BNext-T')                   // file sizes, in memory (file-sizes.ts)
 *
 * Storage in .bnx files (Q8, Q4) is in src/engine/bnx.ts and docs/bnx-format.md.
 */
export { fakeQuantizeRows, SPAN_EPSILON } from './asymmetric';
export { packCodes, unpackCodes } from './codes';
export { bnxFileSizes, bnxSizeLine, type FileSizes } from './file-sizes';
export { CONV_CLIP, LINEAR_CLIP, quantizationPlan, quantizeModel, type ActivationQuantization, type LayerQuantization, type QuantizedLayer } from './plan';
export { parseQuantization, PRESETS, type BitWidths, type QuantizationScheme } from './scheme';
export { torchMean, torchSum } from './torch-sum';
export { channelNorms, dequantizeWeight, groupSizeOf, quantizeWeight, type QuantizedWeight } from './weights';
