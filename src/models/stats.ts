/**
 * Model statistics as the paper's Table 2 counts them (docs/paper-map.md, "Counting BOPs, FLOPs and
 * size"): parameters, parameters in binary convolutions, BOPs (multiply-accumulates of binary
 * convs), FLOPs (multiply-accumulates of the other convs and linear layers), OPs = BOPs/64 + FLOPs,
 * and the size with binary weights at 1 bit and everything else at 32 bits.
 *
 * Spatial sizes come from a forward pass on an empty batch (N = 0): every layer sees its real
 * input shape while no arithmetic runs, so counting costs nothing even for BNext-L at 224.
 */
import type { Module } from '../nn/module';
import { withActivationHook } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { noGrad } from '../autograd/record';
import { Conv2d } from '../nn/layers/conv2d';
import { Linear } from '../nn/layers/linear';
import { BinaryConv2d } from '../binary/layers';

export interface ModelStats {
  params: number;
  binaryParams: number;
  bops: number;
  flops: number;
  ops: number;
  sizeMiB: number;
}

export interface StageStats extends ModelStats {
  name: string;
}

export function emptyStats(): ModelStats {
  return { params: 0, binaryParams: 0, bops: 0, flops: 0, ops: 0, sizeMiB: 0 };
}

function finish(s: ModelStats): ModelStats {
  s.ops = s.bops / 64 + s.flops;
  s.sizeMiB = (s.binaryParams / 8 + (s.params - s.binaryParams) * 4) / 2 ** 20;
  return s;
}

/**
 * Counts a model at an input resolution. `groupOf` names the table row a module path belongs
 * to (e.g. its stage); rows keep first-seen order.
 */
export function countModel(model: Module, inChannels: number, resolution: number, groupOf: (path: string) => string): { total: ModelStats; rows: StageStats[] } {
  const paths = new Map<Module, string>(model.namedModules().map(([p, m]) => [m, p]));
  const rows = new Map<string, ModelStats>();
  const row = (path: string): ModelStats => {
    const name = groupOf(path);
    let r = rows.get(name);
    if (!r) rows.set(name, (r = emptyStats()));
    return r;
  };
  for (const [path, m] of model.namedModules()) {
    for (const [name, p] of m.namedParameters()) {
      if (name.includes('.')) continue; // counted at its own module
      const r = row(path);
      r.params += p.size;
      if (m instanceof BinaryConv2d && name === 'weight') r.binaryParams += p.size;
    }
  }
  const wasTraining = model.training;
  model.eval();
  noGrad(() =>
    withActivationHook((m, y) => {
      const path = paths.get(m);
      if (path === undefined) return;
      const outPixels = y.ndim === 4 ? y.shape[2] * y.shape[3] : 1;
      if (m instanceof BinaryConv2d) {
        row(path).bops += m.outChannels * m.inChannels * m.kernelSize * m.kernelSize * outPixels;
      } else if (m instanceof Conv2d) {
        row(path).flops += m.weight.size * outPixels;
      } else if (m instanceof Linear) {
        row(path).flops += m.weight.size;
      }
    }, () => model.call(new Tensor(new Float32Array(0), [0, inChannels, resolution, resolution]))),
  );
  model.train(wasTraining);
  const total = emptyStats();
  const out: StageStats[] = [];
  for (const [name, s] of rows) {
    finish(s);
    out.push({ name, ...s });
    total.params += s.params;
    total.binaryParams += s.binaryParams;
    total.bops += s.bops;
    total.flops += s.flops;
  }
  return { total: finish(total), rows: out };
}
