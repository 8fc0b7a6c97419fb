/**
 * The per-output-channel epilogue the XNOR convolution can fuse into its store (xnor-kernel.ts,
 * xnor-conv.ts): an evaluation-mode BatchNorm then a PReLU, with exactly the float ops'
 * arithmetic (tensor/ops/normalization.ts, activation.ts), so fusing them changes no bit.
 */

/**
 * Per output channel c: y = float32((v - center[c]) · scale[c] + shift[c]), then the PReLU
 * y > 0 ? y : slope · y, computed as y · gain[2c + (y > 0)] with gain[2c] = slope and
 * gain[2c + 1] = 1: the same product, without a branch that random signs would mispredict.
 * With center 0, scale 1, shift 0 and slope 1 the output is v itself.
 */
export interface ChannelEpilogue {
  center: Float64Array;
  scale: Float64Array;
  shift: Float64Array;
  gain: Float64Array;
}

export function identityEpilogue(channels: number): ChannelEpilogue {
  return {
    center: new Float64Array(channels),
    scale: new Float64Array(channels).fill(1),
    shift: new Float64Array(channels),
    gain: new Float64Array(2 * channels).fill(1),
  };
}

/**
 * BatchNorm in evaluation mode, then PReLU (or none), computed as the float ops compute them:
 * scale = float32(1 / sqrt(var + eps)) · weight unrounded, then (v - mean)·scale + bias.
 */
export function batchNormEpilogue(mean: Float32Array, variance: Float32Array, weight: Float32Array, bias: Float32Array, eps: number, preluWeight: Float32Array | null): ChannelEpilogue {
  const c = mean.length;
  const e = identityEpilogue(c);
  for (let i = 0; i < c; i++) {
    e.center[i] = mean[i];
    e.scale[i] = Math.fround(1 / Math.sqrt(variance[i] + eps)) * weight[i];
    e.shift[i] = bias[i];
    e.gain[2 * i] = preluWeight ? preluWeight[i] : 1;
  }
  return e;
}

/** The epilogue of value v of output channel c: float32((v - center)·scale + shift), then the PReLU. */
export function applyChannelEpilogue(e: ChannelEpilogue, c: number, v: number): number {
  const y = Math.fround((v - e.center[c]) * e.scale[c] + e.shift[c]);
  return y * e.gain[2 * c + +(y > 0)];
}
