/**
 * Batch normalisation as one fused op (torch.nn.functional.batch_norm): in training it
 * normalises with the biased batch variance and updates the running statistics with the
 * unbiased one; in evaluation it uses the running statistics.
 */
import { record } from '../../autograd/record';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { uninitializedArray } from '../../autograd/buffer-pool';

export interface BatchNormOptions {
  training: boolean;
  momentum: number;
  eps: number;
}

/** x [N, C, ...]; weight, bias, runningMean, runningVar [C]. Updates running stats in place when training. */
export function batchNorm(x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor, o: BatchNormOptions): Tensor {
  if (x.ndim < 2) throw new Error(`batchNorm: input must be [N, C, ...], got shape ${formatShape(x.shape)}`);
  const [n, c] = x.shape;
  for (const [name, t] of [['weight', weight], ['bias', bias], ['running_mean', runningMean], ['running_var', runningVar]] as const) {
    if (t.ndim !== 1 || t.shape[0] !== c) throw new Error(`batchNorm: ${name} shape ${formatShape(t.shape)} does not match ${c} channels of input ${formatShape(x.shape)}`);
  }
  const inner = x.size / (n * c);
  const count = n * inner;
  const mean = new Float32Array(c);
  const invstd = new Float32Array(c);
  const d = x.data;
  if (o.training) {
    if (count < 2) throw new Error(`batchNorm: training needs more than one value per channel, got input ${formatShape(x.shape)}`);
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let b = 0; b < n; b++) s += sumOf(d, (b * c + ch) * inner, inner);
      const m = s / count;
      let sq = 0;
      for (let b = 0; b < n; b++) sq += squaredDeviationsOf(d, (b * c + ch) * inner, inner, m);
      const biased = sq / count;
      mean[ch] = m;
      invstd[ch] = 1 / Math.sqrt(biased + o.eps);
      runningMean.data[ch] = (1 - o.momentum) * runningMean.data[ch] + o.momentum * m;
      runningVar.data[ch] = (1 - o.momentum) * runningVar.data[ch] + o.momentum * (sq / (count - 1));
    }
  } else {
    for (let ch = 0; ch < c; ch++) {
      mean[ch] = runningMean.data[ch];
      invstd[ch] = 1 / Math.sqrt(runningVar.data[ch] + o.eps);
    }
  }
  const out = uninitializedArray(x.size);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * inner;
      const scale = invstd[ch] * weight.data[ch];
      const shift = bias.data[ch];
      const m = mean[ch];
      for (let i = 0; i < inner; i++) out[base + i] = (d[base + i] - m) * scale + shift;
    }
  }
  return record('BatchNorm', [x, weight, bias], new Tensor(out, x.shape), { mean, invstd, training: o.training });
}

/*
 * The statistics are sums in double over each channel's values. Four interleaved partial sums
 * let the additions overlap: a single running sum waits for every add to finish before the next
 * (the loop was bound by that latency). The order only changes double-precision rounding.
 */

/** d[from] + ... + d[from + n - 1]. */
function sumOf(d: Float32Array, from: number, n: number): number {
  const end = from + n;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = from;
  for (; i + 3 < end; i += 4) {
    s0 += d[i];
    s1 += d[i + 1];
    s2 += d[i + 2];
    s3 += d[i + 3];
  }
  for (; i < end; i++) s0 += d[i];
  return (s0 + s1) + (s2 + s3);
}

/** The sum of (d[i] - m)² over the same range. */
function squaredDeviationsOf(d: Float32Array, from: number, n: number, m: number): number {
  const end = from + n;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = from;
  for (; i + 3 < end; i += 4) {
    const e0 = d[i] - m, e1 = d[i + 1] - m, e2 = d[i + 2] - m, e3 = d[i + 3] - m;
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  for (; i < end; i++) {
    const e = d[i] - m;
    s0 += e * e;
  }
  return (s0 + s1) + (s2 + s3);
}
