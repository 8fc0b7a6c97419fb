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
import { checkBounded, checkOptionNames } from '../check';
import { IMAGE_SIDE } from '../tensor/arguments';
import { BNext } from './bnext';
import { BNext18 } from './bnext18';
import type { Cnn } from './cnn';

/**
 * Counts of the paper's Table 2: parameters (all, and in binary convolutions), BOPs, FLOPs, OPs
 * = BOPs/64 + FLOPs, and the size in MiB with binary weights at 1 bit.
 */
export interface ModelStats {
  params: number;
  binaryParams: number;
  bops: number;
  flops: number;
  ops: number;
  sizeMiB: number;
}

/** The counts of one row of the table (a stage, the stem, the head). */
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

/**
 * The table row of each module path, as the paper's Table 2 groups a model: BNext by stem,
 * stages (named by their width) and head; BNext-18 by stem, layers and head; other models by
 * their top-level modules.
 */
export function tableRowOf(model: Module): (path: string) => string {
  if (model instanceof BNext) {
    const widths = model.widths;
    return (path) => {
      const parts = path.split('.');
      if (parts[0] !== 'feature' || parts.length < 2) return 'head';
      const i = Number(parts[1]);
      return i === 0 ? 'stem' : `${widths[i]} channels`;
    };
  }
  if (model instanceof BNext18) {
    return (path) => {
      const parts = path.split('.');
      const layer = /^layer(\d)$/.exec(parts[0]);
      return layer ? `layer${layer[1]}` : parts[0] === 'prelu' || parts[0] === 'fc' || parts[0] === 'pool1' ? 'head' : 'stem';
    };
  }
  return (path) => path.split('.')[0] || 'model';
}

/** `modelStats`'s options. */
export interface ModelStatsOptions {
  /** Input height and width (default 224). */
  resolution?: number;
}

/**
 * Parameters, binary parameters, BOPs, FLOPs, OPs and size of a model at an input resolution,
 * in total and per row of the paper's Table 2 (`tableRowOf`).
 */
export function modelStats(model: BNext | BNext18 | Cnn, options: ModelStatsOptions = {}): { total: ModelStats; rows: StageStats[] } {
  const o = checkOptionNames('modelStats', options, ['resolution']);
  const resolution = checkBounded('modelStats', 'resolution', o.resolution ?? 224, IMAGE_SIDE);
  const config = (model as { config?: { inChannels?: unknown } } | null)?.config;
  if (typeof config?.inChannels !== 'number') throw new Error('modelStats: model must be a BNext, BNext-18 or teacher CNN (createModel gives one)');
  return countModel(model, config.inChannels, resolution, tableRowOf(model));
}
