/**
 * The packed inference engine: BNext and BNext-18 in evaluation mode with every binary
 * convolution on the XNOR-popcount kernel (binary/xnor-conv.ts) and everything else (stem,
 * BatchNorm, PReLU, squeeze-and-expand, pooling, head) in float32, with exactly the float
 * model's arithmetic (spec "Units", "BNext-18"; paper Sec. 3).
 *
 * It is compiled from a float model (models/bnext.ts, models/bnext18.ts) whose binary convs are
 * fully binary (binary-weights.ts); its float parameters are copied, so later changes to the
 * model do not reach it. `load.ts` builds it from a .bnx file or a state_dict.
 *
 * What differs from the float model, and why the difference is tiny:
 *   - The binary convolution is computed on integers: the exact convolution of sign(x + bias)
 *     by sign(w). The float model convolves the float32 values of its binary activation, which
 *     it forms like the official code as (sign - r) + r (binary/binarize.ts) and which may be
 *     one float32 ulp away from ±1, summed in a float32 GEMM: its conv output is the same
 *     integer up to a few ulps. Everything downstream inherits that relative ~1e-7.
 *   - sign(0): torch.sign(0) = 0, and the float model multiplies such an input (x + bias
 *     exactly 0) or weight (latent weight exactly 0) by nothing. A bit is ±1, so zeros pack as
 *     +1 and are then subtracted again, one by one (binary/xnor-conv.ts): the engine keeps
 *     torch's sign(0) = 0 exactly, at a cost proportional to the number of zeros (none in
 *     real data, where x + bias is almost never exactly 0; every one for an all-zero input).
 *
 * What is fused (evaluated in one pass, in the same float32 arithmetic, so bit-identical to
 * the separate ops): move.bias + sign into the packing; norm1 (BatchNorm) + activation2
 * (PReLU) into the convolution's store; the recoupling mix into the SE average pool; the gate
 * product, norm2 and the residual sum into one final pass; the head's PReLU into its pool.
 * Nothing is folded (no BatchNorm rewritten into the weights or as v·s + (b - m·s)): that would
 * change float rounding, and binary weights cannot absorb a scale anyway.
 */
import type { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { formatShape } from '../tensor/shape';
import { noGrad } from '../autograd/graph';
import { conv2d } from '../tensor/ops/conv';
import { batchNorm } from '../tensor/ops/normalization';
import { avgPool2d, maxPool2d } from '../tensor/ops/pool';
import { add, relu, sigmoid } from '../tensor/ops/elementwise';
import { matmul } from '../tensor/ops/matmul';
import { transpose } from '../tensor/ops/layout';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { Conv2d } from '../nn/layers/conv2d';
import { AvgPool2d } from '../nn/layers/pooling';
import { Sequential } from '../nn/layers/sequential';
import type { PReLU } from '../nn/layers/prelu';
import type { Linear } from '../nn/layers/linear';
import { BNext, BNextBlock, Stem } from '../models/bnext';
import { BNext18 } from '../models/bnext18';
import { type BinaryUnit, ElmAttention, FeedForwardUnit, type SqueezeAndExpand } from '../models/units';
import type { BNextModel } from '../models/factory';
import type { ModelConfig } from '../models/config';
import { type PackedActivations, type PackedWeights, packActivations } from '../binary/pack';
import { batchNormEpilogue, type ChannelEpilogue, xnorConv2d } from '../binary/xnor-conv';
import { binaryConvs, packBinaryWeights } from './binary-weights';
import { type ChannelNorm, channelNorm, finishUnit, mixMean, type OutputSlot, preluInto, preluMean } from './fused';

export interface PackedModel {
  readonly config: ModelConfig;
  /** The packed weight of every binary convolution, by state_dict key. */
  readonly binaryWeights: ReadonlyMap<string, PackedWeights>;
  /** Logits [N, classes] of an NCHW float32 batch, in evaluation mode. */
  run(x: Tensor): Tensor;
}

export interface PackModelOptions {
  /** Already packed binary weights by state_dict key (a .bnx file's); others are packed from the model. */
  packedWeights?: ReadonlyMap<string, PackedWeights>;
}

/** One step of the engine: a feature map in, a feature map out. */
type Step = (x: Tensor) => Tensor;

/**
 * Compiles a fully binary float model into the packed engine. Throws, naming the layer, when a
 * binary convolution's temperature is not below its threshold.
 */
export function packModel(model: BNextModel, options: PackModelOptions = {}): PackedModel {
  const weights = packBinaryWeights(model, options.packedWeights);
  const keys = new Map(binaryConvs(model).map(([path, conv]) => [conv as Module, `${path}.weight`]));
  const compiler = new Compiler(weights, keys);
  const steps = model instanceof BNext18 ? compiler.bnext18(model) : compiler.bnext(model);
  const inChannels = model.config.inChannels;
  return {
    config: model.config,
    binaryWeights: weights,
    run(x: Tensor): Tensor {
      if (x.ndim !== 4 || x.shape[1] !== inChannels) {
        throw new Error(`packed ${model.config.arch}: input must be [N, ${inChannels}, H, W], got ${formatShape(x.shape)}`);
      }
      return noGrad(() => steps.reduce((y, step) => step(y), x));
    },
  };
}

/** A copy cut from the graph: the engine keeps its own parameters. */
const own = (t: Tensor): Tensor => t.clone();

function evalNorm(bn: BatchNorm2d): (x: Tensor) => Tensor {
  const [w, b, m, v] = [own(bn.weight), own(bn.bias), own(bn.runningMean), own(bn.runningVar)];
  const o = { training: false, momentum: bn.momentum, eps: bn.eps };
  return (x) => batchNorm(x, w, b, m, v, o);
}

function floatConv(conv: Conv2d): (x: Tensor) => Tensor {
  const w = own(conv.weight);
  const b = conv.bias ? own(conv.bias) : null;
  return (x) => conv2d(x, w, b, conv.options);
}

/** Everything one binary unit needs, resolved once. */
interface UnitPlan {
  kind: 'attention' | 'ffn';
  stride: number;
  moveBias: Float32Array;
  weights: PackedWeights;
  /** norm1 then activation2, fused into the convolution's store. */
  branch: ChannelEpilogue;
  /** activation1 (ELM-Attention's residual PReLU). */
  resSlope: Float32Array | null;
  /** The residual's resampling: 2x2 average pooling (BNext), pool + 1x1 conv + BN (BNext-18). */
  resample: ((x: Tensor) => Tensor) | null;
  /** BNext-18 recouples with the residual (ELM) or the unpooled input (FFN), BNext with the pooled input. */
  mixWithResidual: boolean;
  recouple: { scale: Float32Array; oneMinus: Float32Array; gate: (pooled: Tensor) => Tensor } | null;
  norm2: ChannelNorm | null;
}

class Compiler {
  /** Packing scratch shared by every unit (the engine runs one unit at a time). */
  private readonly scratch: PackedActivations = packActivations(new Float32Array(0), [0, 0, 0, 0], 0);

  constructor(private readonly weights: Map<string, PackedWeights>, private readonly keys: Map<Module, string>) {}

  bnext(model: BNext): Step[] {
    const steps: Step[] = [];
    for (const block of model.feature.items) {
      if (block instanceof Stem) {
        const conv = floatConv(block.conv1);
        const norm = evalNorm(block.bn1);
        steps.push((x) => norm(conv(x)));
      } else if (block instanceof BNextBlock) {
        steps.push(this.block([block.first], block.ffn));
      } else {
        throw new Error(`packed engine: unexpected feature module ${block.constructor.name}`);
      }
    }
    steps.push(this.head(model.prelu, model.fc));
    return steps;
  }

  bnext18(model: BNext18): Step[] {
    const conv = floatConv(model.conv1);
    const norm = evalNorm(model.bn1);
    const pool = model.maxpool;
    const steps: Step[] = [(x) => {
      const y = norm(conv(x));
      return pool ? maxPool2d(y, pool.kernel, { stride: pool.stride, padding: pool.padding }) : y;
    }];
    for (const layer of model.layers) {
      for (const block of layer.layers) {
        const parts = block as Module & Partial<{ attention: BinaryUnit; ffn: BinaryUnit }>;
        if (!parts.attention || !parts.ffn) throw new Error(`packed engine: unexpected BNext-18 block ${block.constructor.name}`);
        steps.push(this.block([parts.attention, parts.ffn], []));
      }
    }
    steps.push(this.head(model.prelu, model.fc));
    return steps;
  }

  /** Units in sequence, then (BNext) one FFN or two whose outputs are concatenated on channels. */
  private block(chain: BinaryUnit[], parallel: BinaryUnit[]): Step {
    const seq = chain.map((u) => this.unit(u));
    const par = parallel.map((u) => this.unit(u));
    const scratch = this.scratch;
    return (x) => {
      let y = x;
      for (const plan of [...seq, ...par.slice(0, par.length === 1 ? 1 : 0)]) {
        const shape = unitOutputShape(plan, y.shape);
        const data = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
        runUnit(plan, y, scratch, { data, offset: 0, total: shape[1] });
        y = new Tensor(data, shape);
      }
      if (par.length < 2) return y;
      // FFN_1 and FFN_2 write their halves of the concatenation directly.
      const [n, c, h, w] = unitOutputShape(par[0], y.shape);
      const total = c * par.length;
      const cat = new Float32Array(n * total * h * w);
      par.forEach((plan, i) => runUnit(plan, y, scratch, { data: cat, offset: i * c, total }));
      return new Tensor(cat, [n, total, h, w]);
    };
  }

  private unit(u: BinaryUnit): UnitPlan {
    const key = this.keys.get(u.binaryConv);
    const weights = key ? this.weights.get(key) : undefined;
    if (!weights) throw new Error('packed engine: a binary convolution of the model has no packed weight');
    const bnext18 = !(u instanceof ElmAttention || u instanceof FeedForwardUnit);
    const attention = u instanceof ElmAttention || (bnext18 && 'downsample' in u);
    // Which units clamp `scale` to [0, 1] in evaluation mode too (spec "Units", "BNext-18").
    const clampsInEval = bnext18 ? !attention : u.binaryConv.kernelSize === 1;
    const n1 = u.norm1;
    const branch = batchNormEpilogue(n1.runningMean.data, n1.runningVar.data, n1.weight.data, n1.bias.data, n1.eps, u.activation2.weight.data);
    let resample: ((x: Tensor) => Tensor) | null = null;
    if (bnext18) {
      const ds = (u as BinaryUnit & { downsample?: Sequential | null }).downsample ?? null;
      if (ds) resample = sequentialDownsample(ds);
    } else if (u.pooling) {
      const p = u.pooling;
      resample = (x) => avgPool2d(x, p.kernel, { stride: p.stride, padding: p.padding });
    }
    let recouple: UnitPlan['recouple'] = null;
    if (u.scale && u.se) {
      const scale = Float32Array.from(u.scale.data, (s) => (clampsInEval ? Math.min(1, Math.max(0, s)) : s));
      const oneMinus = scale.map((s) => 1 - s);
      recouple = { scale, oneMinus, gate: seGate(u.se) };
    }
    const n2 = u.norm2;
    // FFN without Info-Recoupling leaves norm2 unused: out = main + res.
    const norm2 = attention || recouple ? channelNorm(n2.runningMean.data, n2.runningVar.data, n2.weight.data, n2.bias.data, n2.eps) : null;
    return {
      kind: attention ? 'attention' : 'ffn',
      stride: u.binaryConv.stride,
      moveBias: u.move.bias.data.slice(),
      weights,
      branch,
      resSlope: attention ? u.activation1.weight.data.slice() : null,
      resample,
      mixWithResidual: bnext18,
      recouple,
      norm2,
    };
  }

  /** PReLU, global average pool and the linear classifier. */
  private head(prelu: PReLU, fc: Linear): Step {
    const slope = prelu.weight.data.slice();
    const wt = transpose(own(fc.weight));
    const bias = fc.bias ? own(fc.bias) : null;
    return (x) => {
      const [n, c, h, w] = x.shape;
      const pooled = new Float32Array(n * c);
      preluMean(x.data, slope, n, c, h * w, pooled);
      const logits = matmul(new Tensor(pooled, [n, c]), wt);
      return bias ? add(logits, bias) : logits;
    };
  }
}

/** BNext-18's shortcut: average pool, 1x1 conv, BatchNorm (official `downsample`). */
function sequentialDownsample(ds: Sequential): (x: Tensor) => Tensor {
  const [pool, conv, bn] = ds.layers;
  if (!(pool instanceof AvgPool2d) || !(conv instanceof Conv2d) || !(bn instanceof BatchNorm2d)) {
    throw new Error('packed engine: BNext-18 downsample must be [AvgPool2d, Conv2d, BatchNorm2d]');
  }
  const c = floatConv(conv);
  const norm = evalNorm(bn);
  return (x) => norm(c(avgPool2d(x, pool.kernel, { stride: pool.stride, padding: pool.padding })));
}

/** The squeeze-and-expand gate from the pooled mix: sigmoid(conv(relu(conv(pooled)))). */
function seGate(se: SqueezeAndExpand): (pooled: Tensor) => Tensor {
  const [pool, c1, act, c2] = se.se.layers;
  if (pool === undefined || !(c1 instanceof Conv2d) || act === undefined || !(c2 instanceof Conv2d) || se.se.layers.length !== 4) {
    throw new Error('packed engine: squeeze-and-expand must be [AdaptiveAvgPool2d, Conv2d, ReLU, Conv2d]');
  }
  const first = floatConv(c1);
  const second = floatConv(c2);
  return (pooled) => sigmoid(second(relu(first(pooled))));
}

/** [N, Cout, outH, outW] of a unit (its binary convolution decides). */
function unitOutputShape(plan: UnitPlan, shape: readonly number[]): [number, number, number, number] {
  const k = plan.weights.kernelSize;
  const size = (d: number): number => Math.floor((d + 2 * (k >> 1) - k) / plan.stride) + 1;
  return [shape[0], plan.weights.outChannels, size(shape[2]), size(shape[3])];
}

/** One unit: packed binary branch, residual, recoupling gate, fused end into `out`. */
function runUnit(plan: UnitPlan, input: Tensor, scratch: PackedActivations, out: OutputSlot): void {
  const [n, c] = input.shape;
  const [, cout, oh, ow] = unitOutputShape(plan, input.shape);
  const plane = oh * ow;
  const packed = packActivations(input.data, input.shape, plan.weights.kernelSize >> 1, plan.moveBias, scratch);
  const main = new Float32Array(n * cout * plane);
  xnorConv2d(packed, plan.weights, plan.stride, main, plan.branch);

  let res: Tensor;
  if (plan.resSlope) {
    const act = new Float32Array(input.size);
    preluInto(input.data, plan.resSlope, n, c, input.shape[2] * input.shape[3], act);
    res = new Tensor(act, input.shape);
  } else {
    res = input;
  }
  if (plan.resample) res = plan.resample(res);
  if (res.shape[1] !== cout || res.shape[2] !== oh || res.shape[3] !== ow) {
    throw new Error(`packed engine: residual ${formatShape(res.shape)} does not match the binary branch [${n}, ${cout}, ${oh}, ${ow}]`);
  }

  let gate: Float32Array | null = null;
  if (plan.recouple) {
    const { scale, oneMinus } = plan.recouple;
    let inp: Tensor;
    if (plan.mixWithResidual) inp = plan.kind === 'attention' ? res : input; // BNext-18
    else if (plan.kind === 'ffn') inp = res; // BNext: the (pooled) input, which is the FFN's residual
    else inp = plan.resample ? plan.resample(input) : input;
    const pooled = new Float32Array(n * cout);
    mixMean(inp.data, main, scale, oneMinus, n, cout, plane, pooled);
    gate = plan.recouple.gate(new Tensor(pooled, [n, cout, 1, 1])).data;
  }

  finishUnit(plan.kind, main, res.data, gate, plan.norm2, n, cout, plane, out);
}
