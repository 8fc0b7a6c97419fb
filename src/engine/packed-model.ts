/**
 * The packed inference engine: BNext and BNext-18 in evaluation mode with every binary
 * convolution on the XNOR-popcount kernel (binary/xnor-conv.ts) and everything else (stem,
 * BatchNorm, PReLU, squeeze-and-expand, pooling, head) in float32, with exactly the float
 * model's arithmetic (paper Sec. 3; docs/paper-map.md, "Units and blocks", "BNext-18").
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
 *
 * Post-training quantization (paper appendix 7.5; src/quantize/): a quantized weight enters
 * as its fake-quantized float32 values (from a .bnx file, in the model's tensor; with the
 * `quantize` option, computed here), so the layer runs the float op on exactly the official
 * W_q. `inputQuantization` names the layers whose input is quantized at run time (Eq. 5, one
 * range per sample, from the batch itself: no calibration data): the squeeze and expand
 * convolutions (input [N, C, 1, 1]) and the classifier (input [N, C]). The stem's input, the
 * image, is never quantized (the official code leaves a 3-channel 8-bit input as it is).
 */
import type { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { formatShape } from '../tensor/shape';
import { noGrad } from '../autograd/record';
import { conv2d } from '../tensor/ops/conv';
import { batchNorm } from '../tensor/ops/normalization';
import { maxPool2d } from '../tensor/ops/pool';
import { add, relu, sigmoid } from '../tensor/ops/elementwise';
import { matmulRaw } from '../tensor/ops/matmul';
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
import { packActivations } from '../binary/pack';
import type { PackedActivations, PackedWeights } from '../binary/packed-layout';
import { batchNormEpilogue, type ChannelEpilogue } from '../binary/channel-epilogue';
import { xnorConv2d } from '../binary/xnor-conv';
import { binaryConvs, packBinaryWeights } from './binary-weights';
import { type ChannelNorm, channelNorm, finishUnit, mixMean, type OutputSlot, pool2x2, preluInto, preluMean } from './fused';
import { type ActivationQuantization, type QuantizedLayer, quantizeModel } from '../quantize/plan';
import { quantizationOption, type QuantizationScheme } from '../quantize/scheme';
import { checkOptionNames, checkTensor, describeValue } from '../check';
import { dequantizeWeight } from '../quantize/weights';
import { fakeQuantizeRows } from '../quantize/asymmetric';

/**
 * The packed engine of one model: its configuration, its packed binary weights, and
 * `run`/`trace` on NCHW float32 batches.
 */
export interface PackedModel {
  readonly config: ModelConfig;
  /** The packed weight of every binary convolution, by state_dict key. */
  readonly binaryWeights: ReadonlyMap<string, PackedWeights>;
  /** Logits [N, classes] of an NCHW float32 batch, in evaluation mode. */
  run(x: Tensor): Tensor;
  /**
   * The logits and the output of every step of the engine, named by the float model's module
   * path whose output it equals (`feature.0` the stem, `feature.3` a block, `layer1.0`, …; the
   * last entry, the classifier's, holds the logits), so a trace can be set beside the float
   * model's activations or another backend's.
   */
  trace(x: Tensor): PackedTrace;
}

/** What `PackedModel.trace` returns. */
export interface PackedTrace {
  logits: Tensor;
  /** Each step's output (a copy), in the order the engine runs them. */
  layers: Map<string, Tensor>;
  /**
   * What each binary convolution read and computed, by the state_dict key of its weight (the
   * keys of `binaryWeights`), in the order the engine runs them: for looking inside the
   * XNOR-popcount arithmetic (docs/conventions.md, "Packed signs", "Zero padding of ±1 maps").
   */
  binaryConvs: Map<string, BinaryConvTrace>;
}

/**
 * One binary convolution of a trace (copies, not the engine's buffers). Its output is exactly
 * the float convolution of sign(input + shift) by sign(weight) with zero padding k // 2: the
 * integers `sums`, which BatchNorm and PReLU then take on in float32.
 */
export interface BinaryConvTrace {
  /** The unit's input [N, C, H, W]: the float values before the learnable shift. */
  input: Tensor;
  /** The learnable shift [C] (`move.bias`): the signs packed are those of input + shift. */
  shift: Float32Array;
  /** sign(input + shift) packed as the kernel reads it, border of zero words included. */
  packed: PackedActivations;
  /** The packed weight (the same object as `binaryWeights.get(key)`). */
  weights: PackedWeights;
  stride: number;
  /** The convolution's integer outputs [N, Cout, outH, outW], before BatchNorm and PReLU. */
  sums: Tensor;
}

/** `packModel`'s options. */
export interface PackModelOptions {
  /** Already packed binary weights by state_dict key (a .bnx file's); others are packed from the model. */
  packedWeights?: ReadonlyMap<string, PackedWeights>;
  /**
   * Layers whose input is fake quantized at run time (Eq. 5), by the state_dict key of their
   * weight: squeeze-and-expand convolutions and the classifier only.
   */
  inputQuantization?: ReadonlyMap<string, ActivationQuantization>;
  /**
   * Post-training quantization of the stem, the squeeze-and-expand branches and the classifier
   * (paper Table 7; src/quantize/scheme.ts): a scheme, or its name as `bnext pack --quantize`
   * takes it ('paper', 'w8', 'none' or an I-S-E-O list such as '8/8-4/8-4/8-8/8').
   */
  quantize?: QuantizationScheme | string | null;
  /**
   * Whether the engine copies the model's float parameters (default true), so that later
   * changes to the model do not reach it; false uses them as they are, for a model nothing
   * changes afterwards (the one built from a .bnx file, say).
   */
  copyParameters?: boolean;
}

/** One step of the engine: a feature map in, a feature map out, named by its module path. */
interface Step {
  name: string;
  run(x: Tensor): Tensor;
}

/**
 * Compiles a fully binary float model into the packed engine. Throws, naming the layer, when a
 * binary convolution's temperature is not below its threshold.
 */
export function packModel(model: BNextModel, options: PackModelOptions = {}): PackedModel {
  if (!(model instanceof BNext || model instanceof BNext18)) {
    throw new Error(`packModel: model must be a BNext or BNext-18 (createModel('bnext-t') gives one), got ${describeValue(model)}`);
  }
  checkOptionNames('packModel', options, ['packedWeights', 'inputQuantization', 'quantize', 'copyParameters']);
  const weights = packBinaryWeights(model, options.packedWeights);
  const keys = new Map(binaryConvs(model).map(([path, conv]) => [conv as Module, `${path}.weight`]));
  const scheme = quantizationOption(options.quantize, 'packModel: quantize');
  const quantized: ReadonlyMap<string, QuantizedLayer> = scheme ? quantizeModel(model, scheme) : new Map();
  if (quantized.size > 0 && options.inputQuantization) throw new Error('packModel: give either quantize or inputQuantization, not both');
  const activations = new Map<string, ActivationQuantization>();
  for (const [key, layer] of quantized) if (layer.activation) activations.set(key, layer.activation);
  const inputs = new InputQuantization(model, options.inputQuantization ?? activations);
  const floats = new FloatParameters(model, quantized, options.copyParameters ?? true);
  const compiler = new Compiler(weights, keys, inputs, floats);
  const steps = model instanceof BNext18 ? compiler.bnext18(model) : compiler.bnext(model);
  inputs.requireAllUsed();
  const inChannels = model.config.inChannels;
  const check = (x: Tensor): void => {
    checkTensor(`packed ${model.config.arch}`, 'input', x, 4, inChannels);
  };
  return {
    config: model.config,
    binaryWeights: weights,
    run(x: Tensor): Tensor {
      check(x);
      return noGrad(() => steps.reduce((y, step) => step.run(y), x));
    },
    trace(x: Tensor): PackedTrace {
      check(x);
      const layers = new Map<string, Tensor>();
      const convs = new Map<string, BinaryConvTrace>();
      compiler.tracing.unit = (plan, input, packed) => convs.set(plan.key, traceBinaryConv(plan, input, packed));
      try {
        // Steps write into buffers the next run reuses: each output is kept as a copy.
        const logits = noGrad(() => steps.reduce((y, step) => {
          const out = step.run(y);
          layers.set(step.name, out.clone());
          return out;
        }, x));
        return { logits, layers, binaryConvs: convs };
      } finally {
        compiler.tracing.unit = null;
      }
    },
  };
}

/**
 * The float parameters the engine runs with, cut from the graph: copies of the model's (or,
 * with `copyParameters: false`, the model's own tensors), and for the layers the `quantize`
 * option quantized, the fake-quantized weights (Eq. 6).
 */
class FloatParameters {
  private readonly paths: Map<Module, string>;

  constructor(model: Module, private readonly quantized: ReadonlyMap<string, QuantizedLayer>, private readonly copy: boolean) {
    this.paths = new Map(model.namedModules().map(([path, m]) => [m, path]));
  }

  own(t: Tensor): Tensor {
    return this.copy ? t.clone() : t.detach();
  }

  /** The weight of a convolution or linear layer. */
  of(layer: Conv2d | Linear): Tensor {
    const q = this.quantized.get(`${this.paths.get(layer)}.weight`);
    return q ? new Tensor(dequantizeWeight(q.weight), layer.weight.shape) : this.own(layer.weight);
  }

  conv(conv: Conv2d): (x: Tensor) => Tensor {
    const w = this.of(conv);
    const b = conv.bias ? this.own(conv.bias) : null;
    return (x) => conv2d(x, w, b, conv.options);
  }

  norm(bn: BatchNorm2d): (x: Tensor) => Tensor {
    const [w, b, m, v] = [this.own(bn.weight), this.own(bn.bias), this.own(bn.runningMean), this.own(bn.runningVar)];
    // Inference reads the running statistics and never updates them: the momentum is unused.
    const o = { training: false, momentum: 0, eps: bn.eps };
    return (x) => batchNorm(x, w, b, m, v, o);
  }
}

/** Which layers quantize their input; each use is recorded so that none goes unapplied. */
class InputQuantization {
  private readonly paths: Map<Module, string>;
  private readonly used = new Set<string>();

  constructor(model: Module, private readonly byKey: ReadonlyMap<string, ActivationQuantization> = new Map()) {
    this.paths = new Map(model.namedModules().map(([path, m]) => [m, path]));
  }

  /** The quantization of `layer`'s input, or null. */
  of(layer: Module): ActivationQuantization | null {
    const key = `${this.paths.get(layer)}.weight`;
    const q = this.byKey.get(key);
    if (!q) return null;
    this.used.add(key);
    return q;
  }

  requireAllUsed(): void {
    for (const key of this.byKey.keys()) {
      if (!this.used.has(key)) {
        throw new Error(`packed engine: '${key}' asks for input quantization, which the engine applies to the squeeze-and-expand convolutions and the classifier only`);
      }
    }
  }
}

/** Eq. 5 on each sample's row of an [N, ...] input (a fresh copy), or the input itself. */
function quantizedRows(x: Tensor, q: ActivationQuantization | null): Tensor {
  if (!q) return x;
  const out = new Float32Array(x.size);
  fakeQuantizeRows(x.data, x.shape[0], x.size / x.shape[0], q.bits, q.clip, out);
  return new Tensor(out, x.shape);
}

/**
 * Float buffers kept from run to run, one per (unit, role), replaced when the input size
 * changes: a run then allocates almost nothing. Every buffer is overwritten whole by its
 * producer before it is read.
 */
class Buffers {
  private readonly kept = new Map<string, Float32Array>();

  take(key: string, size: number): Float32Array {
    let b = this.kept.get(key);
    if (!b || b.length !== size) {
      b = new Float32Array(size);
      this.kept.set(key, b);
    }
    return b;
  }
}

/** Everything one binary unit needs, resolved once. */
interface UnitPlan {
  /** Names the unit's buffers. */
  id: number;
  /** The state_dict key of its binary convolution's weight. */
  key: string;
  kind: 'attention' | 'ffn';
  stride: number;
  moveBias: Float32Array;
  weights: PackedWeights;
  /** norm1 then activation2, fused into the convolution's store. */
  branch: ChannelEpilogue;
  /** activation1 (ELM-Attention's residual PReLU). */
  resSlope: Float32Array | null;
  /** BNext, stride 2: the residual and the mix input are 2x2 average pooled. */
  pooled: boolean;
  /** BNext-18 where the shape changes: 2x2 average pool, then 1x1 conv and BatchNorm. */
  downsample: ((pooled: Tensor) => Tensor) | null;
  /** BNext-18 recouples with the residual (ELM) or the unpooled input (FFN), BNext with the pooled input. */
  mixWithResidual: boolean;
  recouple: { scale: Float32Array; oneMinus: Float32Array; gate: (pooled: Tensor) => Tensor } | null;
  norm2: ChannelNorm | null;
}

/** What `trace` hears from each unit as it runs: its plan, its input, and the signs it packed. */
type UnitRecorder = (plan: UnitPlan, input: Tensor, packed: PackedActivations) => void;

/** A copy of what one binary convolution read, and its integer outputs without the epilogue. */
function traceBinaryConv(plan: UnitPlan, input: Tensor, packed: PackedActivations): BinaryConvTrace {
  const { n, height, width, pad, wordsPerPixel } = packed;
  const words = packed.words.slice(0, n * (height + 2 * pad) * (width + 2 * pad) * wordsPerPixel);
  const copy: PackedActivations = { ...packed, words, zeros: packed.zeros.slice() };
  const shape = unitOutputShape(plan, input.shape);
  const sums = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  xnorConv2d(copy, plan.weights, plan.stride, sums, null);
  return { input: input.clone(), shift: plan.moveBias.slice(), packed: copy, weights: plan.weights, stride: plan.stride, sums: new Tensor(sums, shape) };
}

class Compiler {
  /** Packing scratch shared by every unit (the engine runs one unit at a time). */
  private readonly scratch: PackedActivations = packActivations(new Float32Array(0), [0, 0, 0, 0], 0);
  private readonly buffers = new Buffers();
  private units = 0;
  /** Set by `trace` for the length of one run. */
  readonly tracing: { unit: UnitRecorder | null } = { unit: null };

  constructor(
    private readonly weights: Map<string, PackedWeights>,
    private readonly keys: Map<Module, string>,
    private readonly inputs: InputQuantization,
    private readonly floats: FloatParameters,
  ) {}

  bnext(model: BNext): Step[] {
    const steps: Step[] = [];
    model.feature.items.forEach((block, i) => {
      const name = `feature.${i}`;
      if (block instanceof Stem) {
        const conv = this.floats.conv(block.conv1);
        const norm = this.floats.norm(block.bn1);
        steps.push({ name, run: (x) => norm(conv(x)) });
      } else if (block instanceof BNextBlock) {
        steps.push({ name, run: this.block([block.first], block.ffn) });
      } else {
        throw new Error(`packed engine: unexpected feature module ${block.constructor.name}`);
      }
    });
    steps.push({ name: 'fc', run: this.head(model.prelu, model.fc) });
    return steps;
  }

  bnext18(model: BNext18): Step[] {
    const conv = this.floats.conv(model.conv1);
    const norm = this.floats.norm(model.bn1);
    const pool = model.maxpool;
    const steps: Step[] = [{
      name: pool ? 'maxpool' : 'bn1',
      run: (x) => {
        const y = norm(conv(x));
        return pool ? maxPool2d(y, pool.kernel, { stride: pool.stride, padding: pool.padding }) : y;
      },
    }];
    model.layers.forEach((layer, l) => {
      layer.layers.forEach((block, b) => {
        const parts = block as Module & Partial<{ attention: BinaryUnit; ffn: BinaryUnit }>;
        if (!parts.attention || !parts.ffn) throw new Error(`packed engine: unexpected BNext-18 block ${block.constructor.name}`);
        steps.push({ name: `layer${l}.${b}`, run: this.block([parts.attention, parts.ffn], []) });
      });
    });
    steps.push({ name: 'fc', run: this.head(model.prelu, model.fc) });
    return steps;
  }

  /** Units in sequence, then (BNext) one FFN or two whose outputs are concatenated on channels. */
  private block(chain: BinaryUnit[], branches: BinaryUnit[]): Step['run'] {
    const seq = chain.map((u) => this.unit(u));
    const par = branches.map((u) => this.unit(u));
    const serial = par.length === 1 ? [...seq, ...par] : seq;
    const parallel = par.length > 1 ? par : [];
    const { scratch, buffers, tracing } = this;
    return (x) => {
      let y = x;
      for (const plan of serial) {
        const shape = unitOutputShape(plan, y.shape);
        const data = buffers.take(`${plan.id}.out`, shape[0] * shape[1] * shape[2] * shape[3]);
        runUnit(plan, y, scratch, buffers, { data, offset: 0, total: shape[1] }, tracing.unit);
        y = new Tensor(data, shape);
      }
      if (parallel.length === 0) return y;
      // FFN_1 and FFN_2 write their halves of the concatenation directly.
      const [n, c, h, w] = unitOutputShape(parallel[0], y.shape);
      const total = c * parallel.length;
      const cat = buffers.take(`${parallel[0].id}.cat`, n * total * h * w);
      parallel.forEach((plan, i) => runUnit(plan, y, scratch, buffers, { data: cat, offset: i * c, total }, tracing.unit));
      return new Tensor(cat, [n, total, h, w]);
    };
  }

  private unit(u: BinaryUnit): UnitPlan {
    const key = this.keys.get(u.binaryConv);
    const weights = key ? this.weights.get(key) : undefined;
    if (!key || !weights) throw new Error('packed engine: a binary convolution of the model has no packed weight');
    const bnext18 = !(u instanceof ElmAttention || u instanceof FeedForwardUnit);
    const attention = u instanceof ElmAttention || (bnext18 && 'downsample' in u);
    // Which units clamp `scale` to [0, 1] in evaluation mode too (docs/paper-map.md, "Units and
    // blocks", "BNext-18").
    const clampsInEval = bnext18 ? !attention : u.binaryConv.kernelSize === 1;
    const n1 = u.norm1;
    const branch = batchNormEpilogue(n1.runningMean.data, n1.runningVar.data, n1.weight.data, n1.bias.data, n1.eps, u.activation2.weight.data);
    const ds = bnext18 ? (u as BinaryUnit & { downsample?: Sequential | null }).downsample ?? null : null;
    if (!bnext18 && u.pooling) requirePool2x2(u.pooling);
    let recouple: UnitPlan['recouple'] = null;
    if (u.scale && u.se) {
      const scale = Float32Array.from(u.scale.data, (s) => (clampsInEval ? Math.min(1, Math.max(0, s)) : s));
      const oneMinus = scale.map((s) => 1 - s);
      recouple = { scale, oneMinus, gate: this.seGate(u.se) };
    }
    const n2 = u.norm2;
    // FFN without Info-Recoupling leaves norm2 unused: out = main + res.
    const norm2 = attention || recouple ? channelNorm(n2.runningMean.data, n2.runningVar.data, n2.weight.data, n2.bias.data, n2.eps) : null;
    return {
      id: this.units++,
      key,
      kind: attention ? 'attention' : 'ffn',
      stride: u.binaryConv.stride,
      moveBias: u.move.bias.data.slice(),
      weights,
      branch,
      resSlope: attention ? u.activation1.weight.data.slice() : null,
      pooled: !bnext18 && u.pooling !== null,
      downsample: ds ? sequentialDownsample(ds, this.floats) : null,
      mixWithResidual: bnext18,
      recouple,
      norm2,
    };
  }

  /** PReLU, global average pool and the linear classifier (its input quantized if asked). */
  private head(prelu: PReLU, fc: Linear): Step['run'] {
    const slope = prelu.weight.data.slice();
    const weight = this.floats.of(fc);
    const bias = fc.bias ? this.floats.own(fc.bias) : null;
    const q = this.inputs.of(fc);
    return (x) => {
      const [n, c, h, w] = x.shape;
      const pooled = new Float32Array(n * c);
      preluMean(x.data, slope, n, c, h * w, pooled);
      // x Wᵀ with W as stored: the same products in the same order as the float model's x @ transpose(W).
      const logits = matmulRaw(quantizedRows(new Tensor(pooled, [n, c]), q), weight, false, true);
      return bias ? add(logits, bias) : logits;
    };
  }

  /**
   * The squeeze-and-expand gate from the pooled mix: sigmoid(conv(relu(conv(pooled)))), each
   * convolution's input [N, C, 1, 1] quantized per sample if asked.
   */
  private seGate(se: SqueezeAndExpand): (pooled: Tensor) => Tensor {
    const [pool, c1, act, c2] = se.se.layers;
    if (pool === undefined || !(c1 instanceof Conv2d) || act === undefined || !(c2 instanceof Conv2d) || se.se.layers.length !== 4) {
      throw new Error('packed engine: squeeze-and-expand must be [AdaptiveAvgPool2d, Conv2d, ReLU, Conv2d]');
    }
    const first = this.floats.conv(c1);
    const second = this.floats.conv(c2);
    const [q1, q2] = [this.inputs.of(c1), this.inputs.of(c2)];
    return (pooled) => sigmoid(second(quantizedRows(relu(first(quantizedRows(pooled, q1))), q2)));
  }
}

/** The shortcut pooling of BNext's stride-2 units and BNext-18's downsample: 2x2, stride 2. */
function requirePool2x2(pool: Module): void {
  if (!(pool instanceof AvgPool2d) || pool.kernel !== 2 || pool.stride !== 2 || pool.padding !== 0) {
    throw new Error('packed engine: shortcut pooling must be AvgPool2d(2, stride 2, padding 0)');
  }
}

/** BNext-18's shortcut after its 2x2 pool: 1x1 conv, BatchNorm (official `downsample`). */
function sequentialDownsample(ds: Sequential, floats: FloatParameters): (pooled: Tensor) => Tensor {
  const [pool, conv, bn] = ds.layers;
  requirePool2x2(pool);
  if (!(conv instanceof Conv2d) || !(bn instanceof BatchNorm2d) || ds.layers.length !== 3) {
    throw new Error('packed engine: BNext-18 downsample must be [AvgPool2d, Conv2d, BatchNorm2d]');
  }
  const c = floats.conv(conv);
  const norm = floats.norm(bn);
  return (pooled) => norm(c(pooled));
}

/** 2x2 average pooling of x, or of PReLU(x) with `slope`, into `out`. */
function pooled2x2(x: Tensor, slope: Float32Array | null, out: Float32Array): Tensor {
  const [n, c, h, w] = x.shape;
  pool2x2(x.data, slope, n, c, h, w, out);
  return new Tensor(out, [n, c, h >> 1, w >> 1]);
}

function pooledSize(x: Tensor): number {
  const [n, c, h, w] = x.shape;
  return n * c * (h >> 1) * (w >> 1);
}

/** [N, Cout, outH, outW] of a unit (its binary convolution decides). */
function unitOutputShape(plan: UnitPlan, shape: readonly number[]): [number, number, number, number] {
  const k = plan.weights.kernelSize;
  const size = (d: number): number => Math.floor((d + 2 * (k >> 1) - k) / plan.stride) + 1;
  return [shape[0], plan.weights.outChannels, size(shape[2]), size(shape[3])];
}

/** One unit: packed binary branch, residual, recoupling gate, fused end into `out`. */
function runUnit(plan: UnitPlan, input: Tensor, scratch: PackedActivations, buffers: Buffers, out: OutputSlot, record: UnitRecorder | null): void {
  const [n, c] = input.shape;
  const [, cout, oh, ow] = unitOutputShape(plan, input.shape);
  const plane = oh * ow;
  const packed = packActivations(input.data, input.shape, plan.weights.kernelSize >> 1, plan.moveBias, scratch);
  const main = buffers.take(`${plan.id}.main`, n * cout * plane);
  const take = (role: string, size: number): Float32Array => buffers.take(`${plan.id}.${role}`, size);
  xnorConv2d(packed, plan.weights, plan.stride, main, plan.branch);
  if (record) record(plan, input, packed);

  // The residual: PReLU'd for ELM-Attention, pooled where the unit halves the map.
  let res: Tensor;
  if (plan.resSlope) {
    if (plan.pooled) res = pooled2x2(input, plan.resSlope, take('res', pooledSize(input)));
    else if (plan.downsample) res = plan.downsample(pooled2x2(input, plan.resSlope, take('res', pooledSize(input))));
    else {
      const act = take('res', input.size);
      preluInto(input.data, plan.resSlope, n, c, input.shape[2] * input.shape[3], act);
      res = new Tensor(act, input.shape);
    }
  } else {
    res = plan.pooled ? pooled2x2(input, null, take('res', pooledSize(input))) : input;
  }
  if (res.shape[1] !== cout || res.shape[2] !== oh || res.shape[3] !== ow) {
    throw new Error(`packed engine: residual ${formatShape(res.shape)} does not match the binary branch [${n}, ${cout}, ${oh}, ${ow}]`);
  }

  let gate: Float32Array | null = null;
  if (plan.recouple) {
    const { scale, oneMinus } = plan.recouple;
    let inp: Tensor;
    if (plan.mixWithResidual) inp = plan.kind === 'attention' ? res : input; // BNext-18
    else if (plan.kind === 'ffn') inp = res; // BNext: the (pooled) input, which is the FFN's residual
    else inp = plan.pooled ? pooled2x2(input, null, take('inp', pooledSize(input))) : input;
    const pooled = take('pooled', n * cout);
    mixMean(inp.data, main, scale, oneMinus, n, cout, plane, pooled);
    gate = plan.recouple.gate(new Tensor(pooled, [n, cout, 1, 1])).data;
  }

  finishUnit(plan.kind, main, res.data, gate, plan.norm2, n, cout, plane, out);
}
