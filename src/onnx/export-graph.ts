/**
 * A BNext or BNext-18 in evaluation mode as a standard ONNX graph (opset 13; docs/golden-testing.md,
 * "ONNX"). Every module becomes the standard ops that compute its function; nothing is
 * approximated or folded, so the graph computes what bnext's float engine computes, up to the
 * float32 rounding of the runtime's kernels.
 *
 * A binary convolution (paper Sec. 3.1) becomes Add (the LearnableBias shift) -> Sign -> Pad ->
 * Conv with a constant weight, with its two conventions written into the graph where a converter
 * sees them:
 *   - Sign: ONNX Sign(0) = 0, as torch.sign and bnext (docs/golden-testing.md#conventions), so an
 *     input exactly 0 contributes nothing;
 *   - Pad: an explicit zero padding of the +-1 map (value 0, not -1 or +1) and a Conv without
 *     padding, so a runtime that fuses Sign + Conv into a binary kernel cannot assume another
 *     padding value.
 * The Conv's weight is the binarized weight the unit uses in evaluation mode: sign(w) when the
 * temperature is below the threshold, else clamp(w / t, -1, 1) (progressive binarization).
 *
 * BatchNorm is BatchNormalization on the running statistics; PReLU is PRelu with one slope per
 * channel; Info-Recoupling's scale is applied as in evaluation (clamped to [0, 1] where the
 * official unit clamps it there too: BNext's FFN_1x1 and BNext-18's FFN_3x3).
 */
import { binarizeWeight } from '../binary/binarize';
import type { BinaryConv2d } from '../binary/layers';
import { BNext, BNextBlock, Stem } from '../models/bnext';
import { BNext18 } from '../models/bnext18';
import type { BNextModel } from '../models/factory';
import { type BinaryUnit, ElmAttention, FeedForwardUnit, type SqueezeAndExpand } from '../models/units';
import type { BatchNorm2d } from '../nn/layers/batchnorm';
import { Conv2d } from '../nn/layers/conv2d';
import type { Linear } from '../nn/layers/linear';
import type { PReLU } from '../nn/layers/prelu';
import { AvgPool2d, MaxPool2d } from '../nn/layers/pooling';
import { Sequential } from '../nn/layers/sequential';
import type { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { GraphBuilder, type GraphSpec } from './onnx-model';

const SIGN_DOC = 'binary activation (paper Eq. 1): Sign(0) = 0, as bnext and torch.sign; a backend that maps 0 to +1 or -1 computes another function (docs/golden-testing.md#conventions)';
const PAD_DOC = 'zero padding of the +-1 map: padded positions are 0 (not -1, not +1), as the official code\'s F.conv2d(padding=k//2) (docs/golden-testing.md#conventions)';

class Exporter {
  readonly g = new GraphBuilder();
  private readonly paths: Map<Module, string>;

  constructor(model: Module) {
    this.paths = new Map(model.namedModules().map(([p, m]) => [m, p]));
  }

  private path(m: Module): string {
    const p = this.paths.get(m);
    if (p === undefined) throw new Error('onnx export: a module is not part of the model');
    return p;
  }

  private param(name: string, t: Tensor, dims: number[] = [...t.shape]): string {
    return this.g.constant(name, dims, t.data.slice());
  }

  /** [C] per-channel values as [C, 1, 1], broadcasting over an NCHW map. */
  private perChannel(name: string, values: Float32Array): string {
    return this.g.constant(name, [values.length, 1, 1], values.slice());
  }

  conv(c: Conv2d, x: string): string {
    const p = this.path(c);
    const o = c.options;
    const stride = o.stride ?? 1;
    const pad = o.padding ?? 0;
    const s = Array.isArray(stride) ? stride : [stride, stride];
    const q = Array.isArray(pad) ? pad : [pad, pad];
    const inputs = [x, this.param(`${p}.weight`, c.weight)];
    if (c.bias) inputs.push(this.param(`${p}.bias`, c.bias));
    return this.g.op('Conv', p, inputs, { kernel_shape: [c.kernelSize, c.kernelSize], strides: s, pads: [q[0], q[1], q[0], q[1]], group: o.groups ?? 1 });
  }

  batchNorm(bn: BatchNorm2d, x: string): string {
    const p = this.path(bn);
    return this.g.op('BatchNormalization', p, [
      x, this.param(`${p}.weight`, bn.weight), this.param(`${p}.bias`, bn.bias),
      this.param(`${p}.running_mean`, bn.runningMean), this.param(`${p}.running_var`, bn.runningVar),
    ], { epsilon: { float: bn.eps } });
  }

  prelu(a: PReLU, x: string): string {
    const p = this.path(a);
    return this.g.op('PRelu', p, [x, this.perChannel(`${p}.weight`, a.weight.data)]);
  }

  avgPool(pool: AvgPool2d, x: string): string {
    return this.g.op('AveragePool', this.path(pool), [x], { kernel_shape: [pool.kernel, pool.kernel], strides: [pool.stride, pool.stride], pads: [pool.padding, pool.padding, pool.padding, pool.padding] });
  }

  /** Add(move.bias) -> Sign -> Pad(0) -> Conv(binarized weight): the binary convolution. */
  binaryConv(u: BinaryUnit, x: string): string {
    const p = this.path(u);
    const moved = this.g.op('Add', `${p}.move`, [x, this.param(`${p}.move.bias`, u.move.bias)]);
    const signs = this.g.op('Sign', `${p}.binary_activation`, [moved], {}, SIGN_DOC);
    const conv: BinaryConv2d = u.binaryConv;
    const k = conv.kernelSize;
    const pad = k >> 1;
    let padded = signs;
    if (pad > 0) {
      const pads = this.g.constant(`${p}.binary_conv.pads`, [8], BigInt64Array.from([0, 0, pad, pad, 0, 0, pad, pad].map(BigInt)));
      padded = this.g.op('Pad', `${p}.binary_conv.pad`, [signs, pads], { mode: 'constant' }, PAD_DOC);
    }
    // The weight the evaluation forward convolves with (BNext-18 clamps the latent weight first).
    const latent = conv.clampInEval ? new Tensor(conv.weight.data.map((v) => Math.min(1.5, Math.max(-1.5, v))), conv.weight.shape) : conv.weight;
    const binarized = binarizeWeight(latent, conv.temperature.data[0], false, conv.threshold);
    const w = this.g.constant(`${p}.binary_conv.binarized_weight`, [...binarized.shape], binarized.data.slice());
    return this.g.op('Conv', `${p}.binary_conv`, [padded, w], { kernel_shape: [k, k], strides: [conv.stride, conv.stride], pads: [0, 0, 0, 0] },
      'binary convolution: the weight is sign(w) (or clamp(w / t, -1, 1) during progressive binarization); its input holds -1, 0, +1');
  }

  seGate(se: SqueezeAndExpand, mix: string): string {
    const [, c1, , c2] = se.se.layers;
    if (!(c1 instanceof Conv2d) || !(c2 instanceof Conv2d)) throw new Error('onnx export: squeeze-and-expand must be [pool, conv, relu, conv]');
    const p = this.path(se);
    const pooled = this.g.op('GlobalAveragePool', `${p}.se.0`, [mix]);
    const hidden = this.g.op('Relu', `${p}.se.2`, [this.conv(c1, pooled)]);
    return this.g.op('Sigmoid', `${p}.attention`, [this.conv(c2, hidden)]);
  }

  /** se(scale·inp + (1 - scale)·main) · main. */
  recouple(u: BinaryUnit, inp: string, main: string, clamp: boolean): string {
    const p = this.path(u);
    const s = Float32Array.from(u.scale!.data, (v) => (clamp ? Math.min(1, Math.max(0, v)) : v));
    const scale = this.g.constant(`${p}.scale`, [1, s.length, 1, 1], s);
    const complement = this.g.constant(`${p}.scale.complement`, [1, s.length, 1, 1], s.map((v) => 1 - v));
    const mix = this.g.op('Add', `${p}.mix`, [this.g.op('Mul', `${p}.mix.input`, [inp, scale]), this.g.op('Mul', `${p}.mix.main`, [main, complement])]);
    return this.g.op('Mul', `${p}.recoupled`, [this.seGate(u.se!, mix), main]);
  }

  /** The binary path: activation2(norm1(binary conv)). */
  branch(u: BinaryUnit, x: string): string {
    return this.prelu(u.activation2, this.batchNorm(u.norm1, this.binaryConv(u, x)));
  }

  bnextUnit(u: BinaryUnit, x: string): string {
    const p = this.path(u);
    const pooled = (v: string): string => (u.pooling ? this.avgPool(u.pooling, v) : v);
    let main = this.branch(u, x);
    if (u instanceof ElmAttention) {
      const res = pooled(this.prelu(u.activation1, x));
      if (u.scale && u.se) main = this.recouple(u, pooled(x), main, false);
      return this.g.op('Add', p, [this.batchNorm(u.norm2, this.g.op('Mul', `${p}.gated`, [main, res])), res]);
    }
    if (!(u instanceof FeedForwardUnit)) throw new Error(`onnx export: unexpected BNext unit ${u.constructor.name}`);
    const res = pooled(x);
    if (!u.scale || !u.se) return this.g.op('Add', p, [main, res]);
    main = this.recouple(u, res, main, u.binaryConv.kernelSize === 1);
    return this.g.op('Add', p, [this.batchNorm(u.norm2, main), res]);
  }

  /** BNext-18's ELM-Attention (with its downsample shortcut) and FFN_3x3. */
  bnext18Unit(u: BinaryUnit, x: string, attention: boolean): string {
    const p = this.path(u);
    const main0 = this.branch(u, x);
    if (attention) {
      let res = this.prelu(u.activation1, x);
      const ds = (u as BinaryUnit & { downsample?: Sequential | null }).downsample ?? null;
      if (ds) {
        const [pool, conv, bn] = ds.layers;
        if (!(pool instanceof AvgPool2d) || !(conv instanceof Conv2d)) throw new Error('onnx export: BNext-18 downsample must be [AvgPool2d, Conv2d, BatchNorm2d]');
        res = this.batchNorm(bn as BatchNorm2d, this.conv(conv, this.avgPool(pool, res)));
      }
      const main = this.recouple(u, res, main0, false);
      return this.g.op('Add', p, [this.batchNorm(u.norm2, this.g.op('Mul', `${p}.gated`, [main, res])), res]);
    }
    const main = this.recouple(u, x, main0, true);
    return this.g.op('Add', p, [this.batchNorm(u.norm2, main), x]);
  }

  head(prelu: PReLU, fc: Linear, x: string): string {
    const pooled = this.g.op('GlobalAveragePool', 'pool1', [this.prelu(prelu, x)]);
    const flat = this.g.op('Flatten', 'flatten', [pooled], { axis: 1 });
    const inputs = [flat, this.param('fc.weight', fc.weight)];
    if (fc.bias) inputs.push(this.param('fc.bias', fc.bias));
    return this.g.op('Gemm', 'logits', inputs, { transB: 1 });
  }

  bnext(model: BNext, x: string): string {
    let y = x;
    for (const block of model.feature.items) {
      if (block instanceof Stem) y = this.batchNorm(block.bn1, this.conv(block.conv1, y));
      else if (block instanceof BNextBlock) {
        const first = this.bnextUnit(block.first, y);
        const outs = block.ffn.map((f) => this.bnextUnit(f, first));
        y = outs.length === 1 ? outs[0] : this.g.op('Concat', this.path(block), outs, { axis: 1 });
      } else throw new Error(`onnx export: unexpected feature module ${block.constructor.name}`);
    }
    return this.head(model.prelu, model.fc, y);
  }

  bnext18(model: BNext18, x: string): string {
    let y = this.batchNorm(model.bn1, this.conv(model.conv1, x));
    const mp: MaxPool2d | null = model.maxpool;
    if (mp) y = this.g.op('MaxPool', 'maxpool', [y], { kernel_shape: [mp.kernel, mp.kernel], strides: [mp.stride, mp.stride], pads: [mp.padding, mp.padding, mp.padding, mp.padding] });
    for (const layer of model.layers) {
      for (const block of layer.layers) {
        const parts = block as Module & Partial<{ attention: BinaryUnit; ffn: BinaryUnit }>;
        if (!parts.attention || !parts.ffn) throw new Error(`onnx export: unexpected BNext-18 block ${block.constructor.name}`);
        y = this.bnext18Unit(parts.ffn, this.bnext18Unit(parts.attention, y, true), false);
      }
    }
    return this.head(model.prelu, model.fc, y);
  }
}

/** The evaluation-mode graph of a model: input `input` [N, C, H, W], output `logits` [N, classes]. */
export function modelGraph(model: BNextModel): GraphSpec {
  const e = new Exporter(model);
  const logits = model instanceof BNext18 ? e.bnext18(model, 'input') : e.bnext(model as BNext, 'input');
  const { arch, numClasses, inChannels } = model.config;
  return {
    name: arch,
    doc: `${arch} (${JSON.stringify(model.config)}) in evaluation mode, exported by bnext: binary convolutions as Add -> Sign -> Pad(0) -> Conv`,
    nodes: e.g.nodes,
    initializers: e.g.initializers,
    inputs: [{ name: 'input', dims: ['N', inChannels, 'H', 'W'] }],
    outputs: [{ name: logits, dims: ['N', numClasses] }],
  };
}
