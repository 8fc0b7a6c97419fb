/**
 * Batch normalisation as one fused op (torch.nn.functional.batch_norm): in training it
 * normalises with the biased batch variance and updates the running statistics with the
 * unbiased one; in evaluation it uses the running statistics.
 */
import { record } from '../../autograd/graph';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';

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
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * inner;
        for (let i = 0; i < inner; i++) s += d[base + i];
      }
      const m = s / count;
      let sq = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * inner;
        for (let i = 0; i < inner; i++) {
          const dev = d[base + i] - m;
          sq += dev * dev;
        }
      }
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
  const out = new Float32Array(x.size);
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
