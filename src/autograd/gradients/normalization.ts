/**
 * Backward rule of batch normalisation. With x̂ = (x - μ)·σ⁻¹ over M = N·H·W values per channel:
 * training (μ, σ from the batch): dx = w·σ⁻¹·(dy - mean(dy) - x̂·mean(dy·x̂));
 * evaluation (μ, σ constants): dx = w·σ⁻¹·dy. In both, dw = Σ dy·x̂ and db = Σ dy.
 */
import { Tensor } from '../../tensor/tensor';
import type { GradientRule } from '../gradient-rule';
import { uninitializedArray } from '../buffer-pool';

export const batchNormGrad: GradientRule<'BatchNorm'> = (dy, { inputs: [x, weight, bias], attrs: { mean, invstd, training } }) => {
  const [n, c] = x.shape;
  const inner = x.size / (n * c);
  const count = n * inner;
  const sumDy = new Float64Array(c);
  const sumDyXhat = new Float64Array(c);
  const g = dy.data;
  const d = x.data;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * inner;
      const m = mean[ch];
      const s = invstd[ch];
      // Σ dy and Σ dy·(x - μ) (σ⁻¹ applied once after), each as two interleaved partial sums:
      // one running sum per quantity would wait on every add's latency.
      let a1 = 0, a2 = 0, b1 = 0, b2 = 0;
      const end = base + inner;
      let i = base;
      for (; i + 1 < end; i += 2) {
        a1 += g[i];
        a2 += g[i] * (d[i] - m);
        b1 += g[i + 1];
        b2 += g[i + 1] * (d[i + 1] - m);
      }
      if (i < end) {
        a1 += g[i];
        a2 += g[i] * (d[i] - m);
      }
      sumDy[ch] += a1 + b1;
      sumDyXhat[ch] += (a2 + b2) * s;
    }
  }
  let dx: Tensor | null = null;
  if (x.requiresGrad) {
    const out = uninitializedArray(x.size);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (b * c + ch) * inner;
        const m = mean[ch];
        const s = invstd[ch];
        const k = weight.data[ch] * s;
        if (training) {
          const meanDy = sumDy[ch] / count;
          const meanDyXhat = sumDyXhat[ch] / count;
          for (let i = 0; i < inner; i++) out[base + i] = k * (g[base + i] - meanDy - (d[base + i] - m) * s * meanDyXhat);
        } else {
          for (let i = 0; i < inner; i++) out[base + i] = k * g[base + i];
        }
      }
    }
    dx = new Tensor(out, x.shape);
  }
  return [dx, new Tensor(Float32Array.from(sumDyXhat), weight.shape), new Tensor(Float32Array.from(sumDy), bias.shape)];
};
