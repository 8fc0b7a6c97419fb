/**
 * Float kernel benchmark (docs/performance.md, "Float GEMM", "Float convolution"): conv2d forward
 * and a square matmul, in GFLOP/s, for bnext's blocked kernels (src/tensor/kernels), the direct
 * loops they replaced (the *Reference functions), and TensorFlow.js's pure-JavaScript CPU backend,
 * all on one thread.
 *
 * TensorFlow.js runs in its native NHWC layout (weights [kH, kW, Cin, Cout]) and in production
 * mode, its fastest setting; the conversion of inputs to that layout is not timed. Each output
 * is checked against ours once, so the table compares equal work.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { conv2dForward } from '../src/tensor/kernels/conv2d';
import { conv2dForwardReference } from '../src/tensor/kernels/reference/conv2d';
import { conv2dGeometry } from '../src/tensor/kernels/conv2d-geometry';
import { sgemm } from '../src/tensor/kernels/gemm';
import { sgemmReference } from '../src/tensor/kernels/reference/gemm';
import { loadavg } from 'node:os';
import { Rng } from '../src/tensor/random';
import { formatTable, measureInterleaved, type BenchModule, type Timing, type Variant } from './harness';

/**
 * Most samples per variant and shape, and the time after which a variant stops sampling: the
 * slow variants get fewer, so the whole run stays within about 3 minutes even on a busy machine.
 */
const ROUNDS = { ours: 9, tfjs: 5, naive: 3 };
const BUDGET_MS = { ours: 8000, tfjs: 8000, naive: 6000 };

interface ConvShape {
  n: number; cIn: number; size: number; cOut: number; k: number; stride: number; pad: number;
}

const convShapes: ConvShape[] = [
  { n: 1, cIn: 128, size: 56, cOut: 128, k: 3, stride: 1, pad: 1 },
  { n: 1, cIn: 512, size: 14, cOut: 512, k: 3, stride: 1, pad: 1 },
  { n: 1, cIn: 256, size: 28, cOut: 256, k: 1, stride: 1, pad: 0 },
  { n: 8, cIn: 64, size: 32, cOut: 64, k: 3, stride: 1, pad: 1 },
];
const MATMUL = 512;

interface Row {
  label: string;
  flops: number;
  timings: Map<string, Timing>;
  /** Largest |ours - tfjs| over the largest |output|. */
  disagreement: number;
}

function randomArray(rng: Rng, length: number): Float32Array {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = 2 * rng.uniform() - 1;
  return a;
}

function relativeDifference(ours: Float32Array, theirs: Float32Array): number {
  let scale = 0, diff = 0;
  for (let i = 0; i < ours.length; i++) {
    scale = Math.max(scale, Math.abs(ours[i]));
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
  }
  return diff / scale;
}

function benchConv(s: ConvShape, rng: Rng): Row {
  const { n, cIn, size, cOut, k, stride, pad } = s;
  const g = conv2dGeometry([n, cIn, size, size], [cOut, cIn, k, k], { stride: [stride, stride], padding: [pad, pad], dilation: [1, 1], groups: 1 });
  const x = randomArray(rng, n * cIn * size * size);
  const w = randomArray(rng, cOut * cIn * k * k);
  const out = new Float32Array(n * cOut * g.outH * g.outW);
  const outNaive = new Float32Array(out.length);

  const xNhwc = tf.tidy(() => tf.transpose(tf.tensor4d(x, [n, cIn, size, size]), [0, 2, 3, 1])) as tf.Tensor4D;
  const wHwio = tf.tidy(() => tf.transpose(tf.tensor4d(w, [cOut, cIn, k, k]), [2, 3, 1, 0])) as tf.Tensor4D;
  const tfPad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
  const tfConv = (): tf.Tensor4D => tf.conv2d(xNhwc, wHwio, stride, pad === 0 ? 'valid' : tfPad, 'NHWC');

  conv2dForward(x, w, null, g, out);
  const theirs = tf.tidy(() => tf.transpose(tfConv(), [0, 3, 1, 2])).dataSync() as Float32Array;
  const disagreement = relativeDifference(out, theirs);

  const variants: Variant[] = [
    { name: 'ours', rounds: ROUNDS.ours, budgetMs: BUDGET_MS.ours, fn: () => conv2dForward(x, w, null, g, out) },
    { name: 'tfjs', rounds: ROUNDS.tfjs, budgetMs: BUDGET_MS.tfjs, fn: () => { const y = tfConv(); y.dataSync(); y.dispose(); } },
    { name: 'naive', rounds: ROUNDS.naive, budgetMs: BUDGET_MS.naive, fn: () => conv2dForwardReference(x, w, null, g, outNaive) },
  ];
  const timings = measureInterleaved(variants);
  xNhwc.dispose();
  wHwio.dispose();
  return {
    label: `conv ${k}x${k} s${stride} p${pad} N=${n} ${size}x${size} ${cIn}->${cOut}`,
    flops: 2 * n * cOut * g.outH * g.outW * cIn * k * k,
    timings,
    disagreement,
  };
}

function benchMatmul(size: number, rng: Rng): Row {
  const a = randomArray(rng, size * size);
  const b = randomArray(rng, size * size);
  const c = new Float32Array(size * size);
  const cNaive = new Float32Array(size * size);
  const A = { data: a, offset: 0, ld: size, trans: false };
  const B = { data: b, offset: 0, ld: size, trans: false };
  const ta = tf.tensor2d(a, [size, size]);
  const tb = tf.tensor2d(b, [size, size]);

  sgemm(size, size, size, A, B, c, 0, size, false);
  const theirs = tf.tidy(() => tf.matMul(ta, tb)).dataSync() as Float32Array;
  const disagreement = relativeDifference(c, theirs);

  const variants: Variant[] = [
    { name: 'ours', rounds: ROUNDS.ours, budgetMs: BUDGET_MS.ours, fn: () => sgemm(size, size, size, A, B, c, 0, size, false) },
    { name: 'tfjs', rounds: ROUNDS.tfjs, budgetMs: BUDGET_MS.tfjs, fn: () => { const y = tf.matMul(ta, tb); y.dataSync(); y.dispose(); } },
    { name: 'naive', rounds: ROUNDS.naive, budgetMs: BUDGET_MS.naive, fn: () => sgemmReference(size, size, size, A, B, cNaive, 0, size, false) },
  ];
  const timings = measureInterleaved(variants);
  ta.dispose();
  tb.dispose();
  return { label: `matmul ${size}x${size}x${size}`, flops: 2 * size ** 3, timings, disagreement };
}

function gflops(flops: number, ms: number): string {
  return (flops / ms / 1e6).toFixed(2);
}

const floatBench: BenchModule = {
  name: 'float',
  title: 'Float kernels: conv2d forward (NCHW) and matmul, GFLOP/s, one thread',
  async run(): Promise<void> {
    tf.enableProdMode();
    await tf.setBackend('cpu');
    const rng = new Rng('bench-float');
    console.log(`node ${process.version}, @tensorflow/tfjs-core ${tf.version_core} (cpu backend, NHWC, prod mode), load average ${loadavg()[0].toFixed(2)}`);
    console.log(`median of interleaved samples after a warm-up call; at most ${ROUNDS.ours}/${ROUNDS.tfjs}/${ROUNDS.naive} samples or ${BUDGET_MS.ours / 1000}/${BUDGET_MS.tfjs / 1000}/${BUDGET_MS.naive / 1000} s for ours/tfjs/naive`);
    const rows: Row[] = [];
    for (const s of convShapes) rows.push(benchConv(s, rng));
    rows.push(benchMatmul(MATMUL, rng));
    const table = rows.map((r) => {
      const get = (name: string): Timing => r.timings.get(name) ?? { ms: NaN, samples: 0 };
      const ours = get('ours'), tfjs = get('tfjs'), naive = get('naive');
      return [
        r.label, ours.ms.toFixed(1), gflops(r.flops, ours.ms), gflops(r.flops, tfjs.ms), gflops(r.flops, naive.ms),
        `${(tfjs.ms / ours.ms).toFixed(2)}x`, `${(naive.ms / ours.ms).toFixed(2)}x`, r.disagreement.toExponential(1),
        `${ours.samples}/${tfjs.samples}/${naive.samples}`,
      ];
    });
    console.log(formatTable(['shape', 'ours ms', 'ours GF/s', 'tfjs GF/s', 'naive GF/s', 'ours/tfjs', 'ours/naive', 'vs tfjs', 'samples'], table));
    console.log('vs tfjs: largest |ours - tfjs| / largest |output|');
  },
};

export default floatBench;
