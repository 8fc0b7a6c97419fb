/**
 * The float parts of a BNext unit (docs/paper-map.md, "Units and blocks") as a few fused passes
 * over NCHW arrays, for the packed engine. Each pass evaluates exactly the float32 arithmetic of
 * the ops the float model chains (tensor/ops: mul, sub, add, batchNorm in evaluation mode, prelu,
 * adaptive average pooling), rounding to float32 wherever an op stores its result, so fusing
 * changes no bit: the packed engine differs from the float model only by the binary convolution
 * itself.
 *
 *   mixMean     SE input: mean over H·W of mix = scale·inp + (1 - scale)·main (Info-Recoupling)
 *   finishUnit  out = norm2(gate·main [· res]) + res, or main + res without Info-Recoupling
 *   pool2x2     the stride-2 shortcut: 2x2 average pooling, of PReLU(x) for ELM-Attention
 *   preluMean   the head: mean over H·W of PReLU(x)
 */

const f32 = Math.fround;

/** Evaluation-mode BatchNorm as the float op computes it: (v - mean)·scale + shift. */
export interface ChannelNorm {
  mean: Float64Array;
  /** float32(1 / sqrt(var + eps)) · weight, not rounded (as batchNorm does). */
  scale: Float64Array;
  shift: Float64Array;
}

export function channelNorm(mean: Float32Array, variance: Float32Array, weight: Float32Array, bias: Float32Array, eps: number): ChannelNorm {
  const c = mean.length;
  const norm: ChannelNorm = { mean: new Float64Array(c), scale: new Float64Array(c), shift: new Float64Array(c) };
  for (let i = 0; i < c; i++) {
    norm.mean[i] = mean[i];
    norm.scale[i] = f32(1 / Math.sqrt(variance[i] + eps)) * weight[i];
    norm.shift[i] = bias[i];
  }
  return norm;
}

/**
 * pooled[n, c] = mean over the plane of f32(f32(scale[c]·inp) + f32(oneMinus[c]·main)), summed
 * in plane order as adaptive average pooling sums (oneMinus = float32(1 - scale)).
 */
export function mixMean(inp: Float32Array, main: Float32Array, scale: Float32Array, oneMinus: Float32Array, n: number, c: number, plane: number, pooled: Float32Array): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * plane;
      const s = scale[ch];
      const t = oneMinus[ch];
      let sum = 0;
      for (let i = 0; i < plane; i++) sum += f32(f32(s * inp[o + i]) + f32(t * main[o + i]));
      pooled[b * c + ch] = sum / plane;
    }
  }
}

/** Where a unit writes its output: `channels` channels at `offset` of a [n, total, plane] array. */
export interface OutputSlot {
  data: Float32Array;
  offset: number;
  total: number;
}

/**
 * The end of a unit, per element (g the SE gate of the channel, 1 without Info-Recoupling):
 *   ELM-Attention:   out = norm2(f32(g·main)·res) + res
 *   FFN:             out = norm2(f32(g·main)) + res, or main + res without a norm
 * each product, norm and sum rounded to float32 as the float ops store them. One loop per case,
 * so no test runs per element.
 */
export function finishUnit(kind: 'attention' | 'ffn', main: Float32Array, res: Float32Array, gate: Float32Array | null, norm: ChannelNorm | null, n: number, c: number, plane: number, out: OutputSlot): void {
  const d = out.data;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const i0 = (b * c + ch) * plane;
      const o0 = (b * out.total + out.offset + ch) * plane - i0;
      if (!norm) {
        // FFN without Info-Recoupling (ELM-Attention always has its norm).
        for (let i = i0; i < i0 + plane; i++) d[o0 + i] = main[i] + res[i];
        continue;
      }
      const m = norm.mean[ch];
      const s = norm.scale[ch];
      const t = norm.shift[ch];
      const g = gate ? gate[b * c + ch] : 1;
      if (kind === 'attention' && gate) {
        for (let i = i0; i < i0 + plane; i++) d[o0 + i] = f32((f32(f32(g * main[i]) * res[i]) - m) * s + t) + res[i];
      } else if (kind === 'attention') {
        for (let i = i0; i < i0 + plane; i++) d[o0 + i] = f32((f32(main[i] * res[i]) - m) * s + t) + res[i];
      } else {
        // FFN with Info-Recoupling: a gate always.
        for (let i = i0; i < i0 + plane; i++) d[o0 + i] = f32((f32(g * main[i]) - m) * s + t) + res[i];
      }
    }
  }
}

/**
 * 2x2 average pooling with stride 2 (odd last rows and columns dropped), of x or of PReLU(x)
 * when `slope` is given: the sum in avgPool2dForward's order, ((a + b) + c) + d, over 4.
 */
export function pool2x2(x: Float32Array, slope: Float32Array | null, n: number, c: number, h: number, w: number, out: Float32Array): void {
  const oh = h >> 1;
  const ow = w >> 1;
  for (let p = 0; p < n * c; p++) {
    const a = slope ? slope[p % c] : 1;
    const src = p * h * w;
    let o = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      const r0 = src + 2 * y * w;
      const r1 = r0 + w;
      if (slope) {
        for (let xx = 0; xx < ow; xx++, o++) {
          const v0 = x[r0 + 2 * xx], v1 = x[r0 + 2 * xx + 1], v2 = x[r1 + 2 * xx], v3 = x[r1 + 2 * xx + 1];
          out[o] = ((((v0 > 0 ? v0 : f32(a * v0)) + (v1 > 0 ? v1 : f32(a * v1))) + (v2 > 0 ? v2 : f32(a * v2))) + (v3 > 0 ? v3 : f32(a * v3))) / 4;
        }
      } else {
        for (let xx = 0; xx < ow; xx++, o++) out[o] = (((x[r0 + 2 * xx] + x[r0 + 2 * xx + 1]) + x[r1 + 2 * xx]) + x[r1 + 2 * xx + 1]) / 4;
      }
    }
  }
}

/** pooled[n, c] = mean over the plane of PReLU(x) (slope per channel), in plane order. */
export function preluMean(x: Float32Array, slope: Float32Array, n: number, c: number, plane: number, pooled: Float32Array): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * plane;
      const a = slope[ch];
      let sum = 0;
      for (let i = 0; i < plane; i++) {
        const v = x[o + i];
        sum += v > 0 ? v : f32(a * v);
      }
      pooled[b * c + ch] = sum / plane;
    }
  }
}

/** out = PReLU(x) per channel, as the float op. */
export function preluInto(x: Float32Array, slope: Float32Array, n: number, c: number, plane: number, out: Float32Array): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * plane;
      const a = slope[ch];
      for (let i = 0; i < plane; i++) {
        const v = x[o + i];
        out[o + i] = v > 0 ? v : a * v;
      }
    }
  }
}
