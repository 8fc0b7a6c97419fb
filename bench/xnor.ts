/**
 * Binary convolution and packed engine benchmark (docs/performance.md, "The XNOR kernel"),
 * single-threaded:
 *
 *   1. the XNOR-popcount convolution at BNext shapes, packing of the activations included
 *      (weights are packed once, at load), in G binary MAC/s: alone, and with the BatchNorm +
 *      PReLU epilogue fused into its store as the packed engine runs it; against our float
 *      conv2d (src/tensor/kernels/conv2d.ts) and TensorFlow.js's CPU backend on the same shapes
 *      (float inputs, NHWC for tfjs, layout change not timed);
 *   2. end to end, BNext-T at 224x224, batch 1, 1000 classes: the packed engine against the
 *      float model in evaluation mode;
 *   3. the .bnx files of BNext-T (float32 rest, and --quantize paper) against its float32 safetensors state_dict;
 *   4. a training step of a small BNext (CIFAR size) with the packed and the float forward of
 *      the binary convolutions (the backward is the same float one).
 * The load average is printed before and after: other processes share the two CPUs.
 *
 * It runs in a child process of its own, and loads TensorFlow.js only after everything of ours
 * is measured: importing @tensorflow/tfjs-core invalidates V8's "array buffer detaching"
 * protector, after which every typed-array access compiled anywhere in the process carries a
 * detached-buffer check. That made both our XNOR and our float kernels 1.2-2x slower when
 * measured after it (and does so for any benchmark that runs after one importing tfjs).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { Rng, manualSeed } from '../src/tensor/random';
import { Tensor } from '../src/tensor/tensor';
import { IntTensor } from '../src/tensor/int-tensor';
import { conv2dForward } from '../src/tensor/kernels/conv2d';
import { conv2dGeometry } from '../src/tensor/kernels/conv2d-geometry';
import { packActivations, packWeights } from '../src/binary/pack';
import { batchNormEpilogue, type ChannelEpilogue } from '../src/binary/channel-epilogue';
import { xnorConv2d } from '../src/binary/xnor-conv';
import { withFloatBinaryConvs } from '../src/binary/binary-conv-op';
import { buildModel, resolveConfig, type ArchOptions, type BNextModel } from '../src/models/factory';
import { noGrad } from '../src/autograd/record';
import { crossEntropy } from '../src/nn/losses';
import { bnxSizeLine } from '../src/quantize/file-sizes';
import { packModel } from '../src/engine/packed-model';
import { formatTable, measureInterleaved, type BenchModule } from './harness';
import { backward } from '../src/autograd/graph';

interface ConvShape {
  n: number; c: number; size: number; k: number; stride: number;
}

/** BNext's layer shapes: 3x3 and 1x1 (Cout = Cin). */
const SHAPES: ConvShape[] = [
  { n: 1, c: 128, size: 56, k: 3, stride: 1 },
  { n: 1, c: 512, size: 14, k: 3, stride: 1 },
  { n: 1, c: 256, size: 28, k: 1, stride: 1 },
  { n: 8, c: 64, size: 32, k: 3, stride: 1 },
];

const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');

function normals(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

interface ConvRow {
  shape: ConvShape;
  macs: number;
  ms: Map<string, number>;
  x: Float32Array;
  w: Float32Array;
}

/** A BatchNorm + PReLU of random statistics, as the engine fuses after each binary conv. */
function randomEpilogue(rng: Rng, c: number): ChannelEpilogue {
  const variance = normals(rng, c).map((v) => v * v + 0.1);
  return batchNormEpilogue(normals(rng, c), variance, normals(rng, c), normals(rng, c), 1e-5, normals(rng, c));
}

/** Our kernels on each shape, interleaved: XNOR alone and with the fused epilogue, the packing alone, float. */
function measureOurs(rng: Rng): ConvRow[] {
  return SHAPES.map((shape) => {
    const { n, c, size, k, stride } = shape;
    const pad = k >> 1;
    const x = normals(rng, n * c * size * size);
    const w = normals(rng, c * c * k * k);
    const g = conv2dGeometry([n, c, size, size], [c, c, k, k], { stride: [stride, stride], padding: [pad, pad], dilation: [1, 1], groups: 1 });
    const out = new Float32Array(n * c * g.outH * g.outW);
    const packedW = packWeights(w, [c, c, k, k]);
    let packed = packActivations(x, [n, c, size, size], pad);
    const epilogue = randomEpilogue(rng, c);
    const xnor = (e: ChannelEpilogue | null) => (): void => {
      packed = packActivations(x, [n, c, size, size], pad, null, packed);
      xnorConv2d(packed, packedW, stride, out, e);
    };
    const t = measureInterleaved([
      { name: 'xnor', rounds: 15, budgetMs: 6000, fn: xnor(null) },
      { name: 'xnor+bn', rounds: 15, budgetMs: 6000, fn: xnor(epilogue) },
      { name: 'pack', rounds: 15, budgetMs: 2000, fn: () => { packed = packActivations(x, [n, c, size, size], pad, null, packed); } },
      { name: 'float', rounds: 7, budgetMs: 6000, fn: () => conv2dForward(x, w, null, g, out) },
    ]);
    return { shape, macs: n * c * g.outH * g.outW * c * k * k, ms: new Map([...t].map(([name, v]) => [name, v.ms])), x, w };
  });
}

/** TensorFlow.js's CPU backend on the same shapes, NHWC, production mode (loaded only now). */
async function measureTfjs(rows: ConvRow[]): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  tf.enableProdMode();
  await tf.setBackend('cpu');
  for (const row of rows) {
    const { n, c, size, k, stride } = row.shape;
    const pad = k >> 1;
    const xNhwc = tf.tidy(() => tf.transpose(tf.tensor4d(row.x, [n, c, size, size]), [0, 2, 3, 1])) as Tensor4D;
    const wHwio = tf.tidy(() => tf.transpose(tf.tensor4d(row.w, [c, c, k, k]), [2, 3, 1, 0])) as Tensor4D;
    const tfPad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
    const t = measureInterleaved([
      { name: 'tfjs', rounds: 5, budgetMs: 8000, fn: () => { const y = tf.conv2d(xNhwc, wHwio, stride, pad === 0 ? 'valid' : tfPad, 'NHWC'); y.dataSync(); y.dispose(); } },
    ]);
    row.ms.set('tfjs', t.get('tfjs')!.ms);
    xNhwc.dispose();
    wHwio.dispose();
  }
}

function convTable(rows: ConvRow[]): string {
  const table = rows.map(({ shape: { n, c, size, k, stride }, macs, ms }) => {
    const t = (name: string): number => ms.get(name)!;
    const gmacs = (name: string): string => (macs / t(name) / 1e6).toFixed(1);
    return [
      `${k}x${k}/${stride} N=${n} ${size}x${size} ${c}->${c}`,
      t('xnor').toFixed(2), gmacs('xnor'), gmacs('xnor+bn'), t('pack').toFixed(2),
      t('float').toFixed(1), t('tfjs').toFixed(1),
      `${(t('float') / t('xnor')).toFixed(1)}x`, `${(t('tfjs') / t('xnor')).toFixed(1)}x`,
    ];
  });
  return formatTable(['layer', 'xnor ms', 'GMAC/s', '+BN GMAC/s', 'pack ms', 'float ms', 'tfjs ms', 'vs float', 'vs tfjs'], table);
}

/** A fully binary model with the default initialisation (temperatures 1e-8). */
function binaryModel(options: ArchOptions, seed: string): BNextModel {
  manualSeed(seed);
  const model = buildModel(resolveConfig(options));
  for (const [name, t] of model.namedBuffers()) if (name.endsWith('temperature') && t instanceof Tensor) t.data[0] = 1e-8;
  return model.eval();
}

function endToEnd(model: BNextModel, rng: Rng): string {
  const x = new Tensor(normals(rng, 3 * 224 * 224), [1, 3, 224, 224]);
  const t0 = performance.now();
  const engine = packModel(model);
  const compileMs = performance.now() - t0;
  const t = measureInterleaved([
    { name: 'packed', rounds: 9, budgetMs: 15000, fn: () => engine.run(x) },
    { name: 'float', rounds: 3, budgetMs: 15000, fn: () => noGrad(() => model.call(x)) },
  ]);
  const packed = t.get('packed')!;
  const float = t.get('float')!;
  return [
    `BNext-T 224x224, batch 1, 1000 classes: packed engine ${(packed.ms / 1000).toFixed(3)} s (median of ${packed.samples}), ` +
    `float model ${(float.ms / 1000).toFixed(3)} s (median of ${float.samples}): ${(float.ms / packed.ms).toFixed(1)}x; ` +
    `packing the weights once: ${(compileMs / 1000).toFixed(2)} s`,
  ].join('\n');
}

function trainingStep(rng: Rng): string {
  const model = binaryModel({ arch: 'bnext', baseWidth: 16, stages: [1, 1, 1, 1], numClasses: 10 }, 'bench-train').train();
  const x = new Tensor(normals(rng, 8 * 3 * 32 * 32), [8, 3, 32, 32]);
  const y = new IntTensor(Int32Array.from({ length: 8 }, (_, i) => i % 10), [8]);
  const step = (): void => {
    for (const p of model.parameters()) p.grad = null;
    backward(crossEntropy(model.call(x), y));
  };
  const t = measureInterleaved([
    { name: 'packed', rounds: 5, budgetMs: 10000, fn: step },
    { name: 'float', rounds: 5, budgetMs: 10000, fn: () => withFloatBinaryConvs(step) },
  ]);
  const p = t.get('packed')!.ms;
  const f = t.get('float')!.ms;
  return `training step (forward + backward), BNext C=16 1:1:1:1, batch 8 at 32x32: packed forward ${p.toFixed(0)} ms, float forward ${f.toFixed(0)} ms (${(f / p).toFixed(2)}x)`;
}

/** Everything, in the child process: ours first, TensorFlow.js last. */
async function measureAll(): Promise<void> {
  const rng = new Rng('bench-xnor');
  console.log(`node ${process.version}, one thread, in a fresh process; load average before: ${load()}`);
  const rows = measureOurs(rng);
  const t = binaryModel({ arch: 'bnext-t' }, 'bench-bnext-t');
  const e2e = endToEnd(t, rng);
  const size = bnxSizeLine(t, 'BNext-T');
  const training = trainingStep(rng);
  await measureTfjs(rows);
  console.log('XNOR conv: activation packing included (weights packed once); "+BN": with the BatchNorm + PReLU epilogue fused');
  console.log('(as the packed engine runs it); "pack" is the activation packing alone;');
  console.log('float: our conv2dForward; tfjs: @tensorflow/tfjs-backend-cpu conv2d (NHWC, prod mode); medians of interleaved rounds');
  console.log(convTable(rows));
  console.log(e2e);
  console.log(size);
  console.log(training);
  console.log(`load average after: ${load()}`);
}

const CHILD = '--xnor-bench-child';

/** Runs the measurements in a fresh process (see the file comment) and relays its output. */
export async function runXnorBench(): Promise<void> {
  const file = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, CHILD], { cwd: join(dirname(file), '..'), stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench xnor: the measuring process failed (exit status ${r.status})`);
}

if (process.argv.includes(CHILD)) await measureAll();

const xnorBench: BenchModule = {
  name: 'xnor',
  title: 'XNOR-popcount convolution and the packed engine, one thread',
  run: runXnorBench,
};

export default xnorBench;
