/**
 * The pure-JavaScript peer of the training bench (bench/train.ts): the float BNext network of
 * the bench's shape built from TensorFlow.js ops on @tensorflow/tfjs-backend-cpu, trained one
 * step per request. It runs as a child process of the bench (never imported by it): importing
 * tfjs-core invalidates a V8 protector that slows every typed-array access in the process
 * afterwards, ours included (see bench/xnor.ts).
 *
 * The network is ours layer for layer (models/bnext.ts, models/units.ts; paper Sec. 3.2): the
 * stem's 3x3 conv and BatchNorm; per feature module a 3x3 unit (ELM-Attention or FFN_3x3) and
 * one or two concatenated FFN_1x1; each unit with the learnable move bias, sign with the
 * straight-through gradient of clamp(x, -1.5, 1.5) (tf.customGrad), the weight binarized at
 * temperature t as clamp(w / t, -1, 1) with an identity gradient (tf.customGrad), BatchNorm on
 * batch statistics (running statistics updated, momentum 0.1), PReLU, Info-Recoupling's
 * squeeze-and-expand gate over scale·input + (1 - scale)·main, norm2 and the residual; then
 * PReLU, global average pooling and the classifier; cross-entropy; the clamps the official code
 * does in place before the forward (latent weights to ±1.5, scale to [0, 1]); AdamW over the
 * same two groups (weight decay 1e-3, and 1e-8 for convolution weights), lr 1e-3, betas (0.99,
 * 0.999), eps 1e-8, as tf.train.adam preceded by the decoupled decay p ← p·(1 - lr·wd).
 *
 * What differs from ours, none of it changing the work: NHWC layout (tfjs's native one); the
 * squeeze-and-expand's 1x1 convolutions on the pooled [N, C] are matMul + bias (the same
 * products); the stem's PReLU and the activation1 of every FFN unit (3x3 ones included),
 * registered but unused in ours (as in the official model), do not exist here; float32 throughout (ours accumulates GEMMs in double); the
 * official float32 rounding replay (sign - r) + r of the binary activation is not reproduced.
 *
 * Protocol (as the PyTorch child's in bench/train.ts): arguments batch, size, classes, base
 * width, warm-up steps, stage ratios "r1,r2,r3,r4"; prints "ready tfjs <version> <parameters>"
 * after the warm-up, then answers each "step" line on stdin with one timed step as JSON
 * { total, forward, backward, optimizer } in milliseconds.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradients registered: the @tensorflow/tfjs bundle imports these.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { createInterface } from 'node:readline';

type T4 = tf.Tensor4D;

const CLIP = 1.5;
const TEMPERATURE = 1;
const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;
const LR = 1e-3;

/** A parameter and its AdamW weight decay. */
interface Param {
  v: tf.Variable;
  decay: number;
}

const params: Param[] = [];
/** In-place clamps done before each forward. */
const clamps: [tf.Variable, number, number][] = [];
let names = 0;
let seed = 1;

function param(init: tf.Tensor, decay: number): tf.Variable {
  const v = tf.variable(init, true, `p${names++}`);
  params.push({ v, decay });
  return v;
}

const normal = (shape: number[], std: number): tf.Tensor => tf.randomNormal(shape, 0, std, 'float32', seed++);

/** sign(x) forward, the gradient of clamp(x, -1.5, 1.5) backward. */
const signSte = tf.customGrad((x, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: tf.sign(x as tf.Tensor),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(tf.lessEqual(tf.abs(saved[0]), CLIP), 'float32')),
  };
});

/** clamp(w / t, -1, 1) forward, identity backward (progressive binarization above the threshold). */
const binarizeWeight = tf.customGrad((w) => ({
  value: tf.clipByValue(tf.div(w as tf.Tensor, TEMPERATURE), -1, 1),
  gradFunc: (dy: tf.Tensor) => dy,
}));

class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly mean: tf.Variable;
  readonly variance: tf.Variable;
  constructor(c: number) {
    this.gamma = param(tf.ones([c]), 1e-3);
    this.beta = param(tf.zeros([c]), 1e-3);
    this.mean = tf.variable(tf.zeros([c]), false);
    this.variance = tf.variable(tf.ones([c]), false);
  }

  /** Training mode: normalize with the batch's statistics, update the running ones (unbiased variance). */
  call(x: T4): T4 {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const count = x.size / x.shape[3];
    tf.tidy(() => {
      this.mean.assign(tf.add(tf.mul(this.mean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
      this.variance.assign(tf.add(tf.mul(this.variance, 1 - BN_MOMENTUM), tf.mul(variance, BN_MOMENTUM * count / (count - 1))));
    });
    return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, this.beta as tf.Tensor1D, this.gamma as tf.Tensor1D, BN_EPS);
  }
}

const prelu = (x: T4, alpha: tf.Variable): T4 => tf.prelu(x, alpha as tf.Tensor as T4);
const pool2 = (x: T4): T4 => tf.avgPool(x, 2, 2, 'valid');

/** A binary unit (models/units.ts): ELM-Attention, or an FFN with a 3x3 or 1x1 kernel. */
class Unit {
  readonly scale: tf.Variable;
  readonly move: tf.Variable;
  readonly weight: tf.Variable;
  readonly norm1: BatchNorm;
  readonly norm2: BatchNorm;
  readonly act1: tf.Variable | null;
  readonly act2: tf.Variable;
  readonly se: [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  readonly pad: [[number, number], [number, number], [number, number], [number, number]];

  constructor(readonly elm: boolean, readonly c: number, readonly k: 1 | 3, readonly stride: number) {
    this.scale = param(tf.fill([c], 0.5), 1e-3);
    this.move = param(tf.zeros([c]), 1e-3);
    this.weight = param(normal([k, k, c, c], 0.001), 1e-8);
    this.norm1 = new BatchNorm(c);
    this.norm2 = new BatchNorm(c);
    this.act1 = elm ? param(tf.fill([c], 0.25), 1e-3) : null;
    this.act2 = param(tf.fill([c], 0.25), 1e-3);
    const hidden = Math.floor(c / 8);
    // The 1x1 convolutions are 4-D weights in ours: the low-decay group, as every convolution weight.
    this.se = [param(normal([c, hidden], 1 / Math.sqrt(c)), 1e-8), param(tf.zeros([hidden]), 1e-3), param(normal([hidden, c], 1 / Math.sqrt(hidden)), 1e-8), param(tf.zeros([c]), 1e-3)];
    const p = k >> 1;
    this.pad = [[0, 0], [p, p], [p, p], [0, 0]];
    clamps.push([this.weight, -CLIP, CLIP], [this.scale, 0, 1]);
  }

  private down(x: T4): T4 {
    return this.stride === 2 ? pool2(x) : x;
  }

  /** se(scale·inp + (1 - scale)·main) · main, the gate from the spatial mean of the mix. */
  private recouple(inp: T4, main: T4): T4 {
    const mix = tf.add(tf.mul(inp, this.scale), tf.mul(main, tf.sub(1, this.scale)));
    const pooled = tf.mean(mix, [1, 2]) as tf.Tensor2D;
    const [w1, b1, w2, b2] = this.se;
    const gate = tf.sigmoid(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(pooled, w1 as tf.Tensor2D), b1)), w2 as tf.Tensor2D), b2));
    return tf.mul(main, tf.reshape(gate, [-1, 1, 1, this.c]));
  }

  call(input: T4): T4 {
    const x = signSte(tf.add(input, this.move)) as T4;
    const w = binarizeWeight(this.weight) as T4;
    const main = prelu(this.norm1.call(tf.conv2d(x, w, this.stride, this.k === 1 ? 'valid' : this.pad)), this.act2);
    if (this.elm) {
      const res = this.down(prelu(input, this.act1!));
      return tf.add(this.norm2.call(tf.mul(this.recouple(this.down(input), main), res)), res);
    }
    const res = this.down(input);
    return tf.add(this.norm2.call(this.recouple(res, main)), res);
  }
}

/** BNext of base width C and stage ratios (models/bnext.ts), NHWC. */
class Network {
  readonly stem: tf.Variable;
  readonly stemNorm: BatchNorm;
  readonly blocks: { first: Unit; ffn: Unit[] }[] = [];
  readonly headSlope: tf.Variable;
  readonly fc: [tf.Variable, tf.Variable];

  constructor(inChannels: number, c: number, ratios: number[], classes: number) {
    const widths = [c, 2 * c];
    ratios.forEach((r, s) => {
      for (let i = 0; i < 2 * r; i++) widths.push(c * 4 * 2 ** s);
    });
    this.stem = param(normal([3, 3, inChannels, c], Math.sqrt(2 / (9 * inChannels))), 1e-8);
    this.stemNorm = new BatchNorm(c);
    for (let i = 1; i < widths.length; i++) {
      const [inp, out] = [widths[i - 1], widths[i]];
      const stride = i >= 2 && inp !== out ? 2 : 1;
      const elm = i >= 2 && i % 2 === 0;
      this.blocks.push({ first: new Unit(elm, inp, 3, stride), ffn: out === inp ? [new Unit(false, inp, 1, 1)] : [new Unit(false, inp, 1, 1), new Unit(false, inp, 1, 1)] });
    }
    const last = widths[widths.length - 1];
    this.headSlope = param(tf.fill([last], 0.25), 1e-3);
    this.fc = [param(normal([last, classes], 1 / Math.sqrt(last)), 1e-3), param(tf.zeros([classes]), 1e-3)];
  }

  call(x: T4): tf.Tensor2D {
    let y = this.stemNorm.call(tf.conv2d(x, this.stem as T4, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]));
    for (const { first, ffn } of this.blocks) {
      const z = first.call(y);
      y = ffn.length === 1 ? ffn[0].call(z) : tf.concat(ffn.map((f) => f.call(z)), 3);
    }
    const pooled = tf.mean(prelu(y, this.headSlope), [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, this.fc[0] as tf.Tensor2D), this.fc[1]);
  }
}

async function main(): Promise<void> {
  const [batch, size, classes, c, warmup] = process.argv.slice(2, 7).map(Number);
  const ratios = process.argv[7].split(',').map(Number);
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const net = new Network(3, c, ratios, classes);
  const x = normal([batch, size, size, 3], 1) as T4;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % classes), 'int32'), classes);
  const optimizer = tf.train.adam(LR, 0.99, 0.999, 1e-8);
  const trainable = params.map((p) => p.v);

  const step = (): { total: number; forward: number; backward: number; optimizer: number } => {
    const t0 = performance.now();
    tf.tidy(() => {
      for (const [v, lo, hi] of clamps) v.assign(tf.clipByValue(v, lo, hi));
    });
    // The CPU backend computes each op when it is called, so the time at the loss is the forward's.
    let t1 = 0;
    const { value, grads } = tf.variableGrads(() => {
      const loss = tf.losses.softmaxCrossEntropy(labels, net.call(x)) as tf.Scalar;
      t1 = performance.now();
      return loss;
    }, trainable);
    const t2 = performance.now();
    tf.tidy(() => {
      for (const p of params) p.v.assign(tf.mul(p.v, Math.fround(1 - LR * p.decay)));
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    });
    const t3 = performance.now();
    value.dispose();
    tf.dispose(grads);
    return { total: t3 - t0, forward: t1 - t0, backward: t2 - t1, optimizer: t3 - t2 };
  };

  for (let i = 0; i < warmup; i++) step();
  const count = params.reduce((n, p) => n + p.v.size, 0);
  console.log(`ready tfjs ${tf.version_core} ${count}`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'step') console.log(JSON.stringify(step()));
  }
}

await main();
