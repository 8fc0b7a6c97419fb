/**
 * Training throughput (docs/performance.md, "The training step"): images per second of one full
 * BNext training step, single thread, beside the same step in PyTorch 1.13 on this machine.
 *
 * The model is BNext with C = 8, stages 1:1:3:1, 10 classes, on seeded random 32x32 RGB inputs,
 * batch 32, in training mode. A step is what the trainer does per batch: zero the gradients,
 * forward, cross-entropy, backward, and an AdamW step over the recipe's two parameter groups.
 *
 * PyTorch runs the official BNext (imported at run time from the checkout in $BNEXT_OFFICIAL,
 * default /work/official/BNext, through fixtures/export/official_stubs.py, with our width list
 * substituted for the "tiny" one as fixtures/export/export_models.py does), with
 * torch.set_num_threads(1), torch.optim.AdamW over the same two groups and cross-entropy. It is a
 * child process that times one step per request, so its steps interleave with ours and a drift
 * of the shared machine's speed hits both alike. Without Python, torch or the checkout, the ratio
 * is taken against PyTorch's step as measured earlier on this kind of machine (about 140
 * images/s, docs/performance.md) and marked as not measured.
 *
 * The pure-JavaScript peer is TensorFlow.js on its CPU backend (@tensorflow/tfjs-backend-cpu):
 * the same network built from tfjs ops, trained the same way (bench/tfjs-bnext.ts says exactly
 * what differs). It also runs in a child process answering one step per request, bundled first
 * with esbuild because tfjs-core's Node build registers no gradients (the @tensorflow/tfjs
 * bundle adds them from tfjs-core's ES modules, which Node cannot load as published). Its steps
 * are far slower, so it takes fewer of them, within a time budget.
 *
 * Reported: the median of the timed steps after warm-up, as images/s and split into forward
 * (zeroing, forward and loss), backward and optimizer milliseconds, and our throughput over each
 * peer's.
 *
 * Then the two kinds of work a step is made of, each beside PyTorch in the same way: the float
 * convolutions of the 4x4-map stage (3x3, which we run by Winograd, and 1x1; more than half of
 * our step is convolution) and an elementwise add of the largest activation (most of the rest
 * is passes like it). Their ratios show where the step's ratio comes from: per kernel, scalar
 * JavaScript (one bounds-checked typed-array access at a time) against PyTorch's SIMD kernels
 * (oneDNN convolutions, vectorised elementwise loops).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, resolveConfig } from '../src/models/factory';
import { crossEntropy } from '../src/nn/losses';
import { AdamW } from '../src/optim/adamw';
import { bnextParamGroups } from '../src/optim/param-groups';
import { randn } from '../src/tensor/create';
import { manualSeed, Rng } from '../src/tensor/random';
import { IntTensor } from '../src/tensor/int-tensor';
import { conv2dForward } from '../src/tensor/kernels/conv2d';
import { conv2dGeometry } from '../src/tensor/kernels/conv2d-geometry';
import { add } from '../src/tensor/ops/elementwise';
import { noGrad } from '../src/autograd/record';
import { releaseArray } from '../src/autograd/buffer-pool';
import { formatTable, median, type BenchModule } from './harness';

const BATCH = 32;
const SIZE = 32;
const CLASSES = 10;
const BASE_WIDTH = 8;
const STAGES: [number, number, number, number] = [1, 1, 3, 1];
const WARMUP_STEPS = 2;
const TIMED_STEPS = 7;
/** TensorFlow.js: one warm-up step, then timed steps until TFJS_STEPS or TFJS_BUDGET_MS (at least one). */
const TFJS_WARMUP_STEPS = 1;
const TFJS_STEPS = 3;
const TFJS_BUDGET_MS = 180_000;
/**
 * PyTorch's images/s measured earlier (docs/performance.md, "The training step"), when it cannot
 * run here.
 */
const REFERENCE_TORCH_IMAGES_PER_SECOND = 140;
const PYTHON = '/usr/bin/python3';
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The convolutions compared: the 4x4-map stage's input, 128 channels in and out, stride 1, padding k // 2. */
const CONV_INPUT = [BATCH, 128, 4, 4];
/** The elementwise comparison: a + b on two tensors of the first stage's activation shape. */
const ADD_SHAPE = [BATCH, BASE_WIDTH, SIZE, SIZE];
/** Calls per kernel sample, and samples (rounds, alternating with PyTorch's). */
const KERNEL_CALLS = 10;
const KERNEL_ROUNDS = 7;

/** Milliseconds of one step and of its parts. */
interface StepTime {
  total: number;
  forward: number;
  backward: number;
  optimizer: number;
}

/** Our training step, built once; each call of `step` runs and times one step. */
function ourStep(): { step: () => StepTime; parameters: number } {
  manualSeed('bench-train');
  const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: BASE_WIDTH, stages: STAGES, numClasses: CLASSES }));
  const rng = new Rng('bench-train-data');
  const x = randn([BATCH, 3, SIZE, SIZE], rng);
  const y = new IntTensor(Int32Array.from({ length: BATCH }, () => rng.int(CLASSES)), [BATCH]);
  model.train();
  const optimizer = new AdamW(bnextParamGroups(model));
  const step = (): StepTime => {
    const t0 = performance.now();
    optimizer.zeroGrad(true);
    const loss = crossEntropy(model.call(x), y);
    const t1 = performance.now();
    backward(loss);
    const t2 = performance.now();
    optimizer.step();
    const t3 = performance.now();
    return { total: t3 - t0, forward: t1 - t0, backward: t2 - t1, optimizer: t3 - t2 };
  };
  return { step, parameters: model.parameters().reduce((n, p) => n + p.size, 0) };
}

/**
 * The PyTorch side: builds the official model and optimizer, warms up, prints "ready", then
 * answers each "step" line with one timed step as JSON, until stdin closes.
 */
const TORCH_SCRIPT = String.raw`
import json, os, sys, time, contextlib, io
import torch
torch.set_num_threads(1)
sys.path.insert(0, os.path.join(sys.argv[1], 'fixtures', 'export'))
from official_stubs import load_official
batch, size, classes, c, warmup = (int(v) for v in sys.argv[2:7])
ratios = [int(v) for v in sys.argv[7].split(',')]
widths = [c, 2 * c]
for s, r in enumerate(ratios):
    widths += [c * 4 * 2 ** s] * (2 * r)
bnext = load_official('bnext')
saved = bnext.stage_out_channel_tiny
bnext.stage_out_channel_tiny = widths
try:
    with contextlib.redirect_stdout(io.StringIO()):
        model = bnext.BNext(num_classes=classes, size='tiny')
finally:
    bnext.stage_out_channel_tiny = saved
model.train()
other, weight = [], []
for name, p in model.named_parameters():
    (weight if p.ndimension() == 4 or 'binary_conv' in name else other).append(p)
optimizer = torch.optim.AdamW([{'params': other, 'weight_decay': 1e-3}, {'params': weight, 'weight_decay': 1e-8}],
                              lr=1e-3, betas=(0.99, 0.999), eps=1e-8)
criterion = torch.nn.CrossEntropyLoss()
g = torch.Generator().manual_seed(0)
x = torch.randn(batch, 3, size, size, generator=g)
y = torch.randint(0, classes, (batch,), generator=g)

def step():
    t0 = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    loss = criterion(model(x), y)
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    optimizer.step()
    t3 = time.perf_counter()
    ms = lambda a, b: (b - a) * 1000
    return {'total': ms(t0, t3), 'forward': ms(t0, t1), 'backward': ms(t1, t2), 'optimizer': ms(t2, t3)}

calls = int(sys.argv[8])
cx = torch.randn(*(int(v) for v in sys.argv[9].split(',')), generator=g)
w3 = torch.randn(cx.shape[1], cx.shape[1], 3, 3, generator=g)
w1 = torch.randn(cx.shape[1], cx.shape[1], 1, 1, generator=g)
u, v = torch.randn(batch, c, size, size, generator=g), torch.randn(batch, c, size, size, generator=g)

def per_call_ms(fn):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) * 1000 / calls

def kernels():
    with torch.no_grad():
        return {'conv3': per_call_ms(lambda: torch.nn.functional.conv2d(cx, w3, padding=1)),
                'conv1': per_call_ms(lambda: torch.nn.functional.conv2d(cx, w1)),
                'add': per_call_ms(lambda: u + v)}

for _ in range(warmup):
    step()
    kernels()
print('ready torch ' + torch.__version__, flush=True)
for line in sys.stdin:
    print(json.dumps(step() if line.strip() == 'step' else kernels()), flush=True)
`;
import { backward } from '../src/autograd/graph';

/** Milliseconds per call of the comparison kernels. */
interface KernelTime {
  conv3: number;
  conv1: number;
  add: number;
}

/**
 * A child process that prints "ready <name> <version> ..." once warmed up, then answers each
 * request line on stdin with one line on stdout.
 */
interface Peer {
  /** The words of its "ready" line after "ready". */
  ready: string[];
  ask(request: string): Promise<string>;
  close(): void;
}

/** Starts a peer and waits for its "ready" line; rejects with its stderr if it fails. */
function startPeer(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Peer> {
  const child: ChildProcessWithoutNullStreams = spawn(command, args, { env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Lines not yet asked for, and the one request waiting for a line (requests are sequential).
  const lines: string[] = [];
  let pending: { resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let at: number;
    while ((at = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
    }
    if (pending && lines.length > 0) {
      const { resolve } = pending;
      pending = null;
      resolve(lines.shift() as string);
    }
  });
  let exited: string | null = null;
  child.on('exit', (code) => {
    exited = `${command} child exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
    pending?.reject(new Error(exited));
    pending = null;
  });
  const nextLine = (): Promise<string> => new Promise((resolve, reject) => {
    if (lines.length > 0) resolve(lines.shift() as string);
    else if (exited) reject(new Error(exited));
    else pending = { resolve, reject };
  });
  return nextLine().then((ready) => {
    if (!ready.startsWith('ready ')) throw new Error(`${command} child: unexpected first line '${ready}'`);
    return {
      ready: ready.split(' ').slice(1),
      ask: async (request) => {
        child.stdin.write(`${request}\n`);
        return nextLine();
      },
      close: () => child.stdin.end(),
    };
  });
}

/** The PyTorch child: steps, and samples of the comparison kernels. */
interface TorchStepper {
  version: string;
  step(): Promise<StepTime>;
  kernels(): Promise<KernelTime>;
  close(): void;
}

/** Why PyTorch cannot be measured here, or null when it can. */
function torchUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `${PYTHON} cannot import torch`;
  return null;
}

async function startTorch(): Promise<TorchStepper> {
  const peer = await startPeer(PYTHON, [
    '-c', TORCH_SCRIPT, REPO_ROOT, String(BATCH), String(SIZE), String(CLASSES), String(BASE_WIDTH), String(WARMUP_STEPS), STAGES.join(','),
    String(KERNEL_CALLS), CONV_INPUT.join(','),
  ], { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' });
  return {
    version: peer.ready[1] ?? '?',
    step: async () => JSON.parse(await peer.ask('step')) as StepTime,
    kernels: async () => JSON.parse(await peer.ask('kernels')) as KernelTime,
    close: () => peer.close(),
  };
}

/** The TensorFlow.js child (bench/tfjs-bnext.ts, bundled into `dir`). */
interface TfjsStepper {
  version: string;
  parameters: number;
  step(): Promise<StepTime>;
  close(): void;
}

async function startTfjs(dir: string): Promise<TfjsStepper> {
  const { build } = await import('esbuild');
  const bundle = join(dir, 'tfjs-bnext.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, 'bench', 'tfjs-bnext.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning',
    // tfjs-core's ES modules (where its gradients live), and `require` for the Node built-ins its platform code asks for.
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  const peer = await startPeer(process.execPath, [bundle, String(BATCH), String(SIZE), String(CLASSES), String(BASE_WIDTH), String(TFJS_WARMUP_STEPS), STAGES.join(',')], process.env);
  return {
    version: peer.ready[1] ?? '?',
    parameters: Number(peer.ready[2]),
    step: async () => JSON.parse(await peer.ask('step')) as StepTime,
    close: () => peer.close(),
  };
}

/** Our side of the kernel comparison; each call of the result times one sample. */
function ourKernels(): () => KernelTime {
  const rng = new Rng('bench-train-kernels');
  const x = randn(CONV_INPUT, rng);
  const channels = CONV_INPUT[1];
  const conv = (k: number): (() => void) => {
    const w = randn([channels, channels, k, k], rng);
    const g = conv2dGeometry(x.shape, w.shape, { stride: [1, 1], padding: [k >> 1, k >> 1], dilation: [1, 1], groups: 1 });
    const out = new Float32Array(x.size);
    return () => conv2dForward(x.data, w.data, null, g, out);
  };
  const conv3 = conv(3);
  const conv1 = conv(1);
  const u = randn(ADD_SHAPE, rng);
  const v = randn(ADD_SHAPE, rng);
  const perCallMs = (fn: () => void): number => {
    const t0 = performance.now();
    for (let i = 0; i < KERNEL_CALLS; i++) fn();
    return (performance.now() - t0) / KERNEL_CALLS;
  };
  // The op takes its output from the buffer pool and the dead result goes back, as arrays are
  // recycled from step to step in training (and as torch's caching allocator reuses memory).
  const sum = (): void => releaseArray(noGrad(() => add(u, v)).data);
  return () => ({ conv3: perCallMs(conv3), conv1: perCallMs(conv1), add: perCallMs(sum) });
}

/** Median of each part over the samples. */
function medianStep(samples: readonly StepTime[]): StepTime {
  const of = (key: keyof StepTime): number => median(samples.map((s) => s[key]));
  return { total: of('total'), forward: of('forward'), backward: of('backward'), optimizer: of('optimizer') };
}

function row(label: string, t: StepTime): string[] {
  return [label, (BATCH * 1000 / t.total).toFixed(1), t.total.toFixed(0), t.forward.toFixed(0), t.backward.toFixed(0), t.optimizer.toFixed(1)];
}

/** Prints our convolutions and elementwise add beside PyTorch's, samples alternating. */
async function compareKernels(torch: TorchStepper): Promise<void> {
  const ours = ourKernels();
  ours();
  const mine: KernelTime[] = [];
  const theirs: KernelTime[] = [];
  for (let i = 0; i < KERNEL_ROUNDS; i++) {
    mine.push(ours());
    theirs.push(await torch.kernels());
  }
  const of = (samples: KernelTime[], key: keyof KernelTime): number => median(samples.map((k) => k[key]));
  const line = (label: string, key: keyof KernelTime): string[] => {
    const [m, t] = [of(mine, key), of(theirs, key)];
    return [label, m.toFixed(3), t.toFixed(3), `${(t / m).toFixed(3)}x`];
  };
  console.log(`\nthe step's two kinds of work, same run (median of ${KERNEL_ROUNDS} samples of ${KERNEL_CALLS} calls, alternating):`);
  console.log(formatTable(['', 'ours ms', 'PyTorch ms', 'ours / PyTorch'], [
    line(`3x3 conv of ${CONV_INPUT.join('x')}, ${CONV_INPUT[1]} filters (forward)`, 'conv3'),
    line(`1x1 conv of ${CONV_INPUT.join('x')}, ${CONV_INPUT[1]} filters (forward)`, 'conv1'),
    line(`add of two ${ADD_SHAPE.join('x')} tensors`, 'add'),
  ]));
}

/** Starts a peer, or says why it could not start. */
async function tryStart<P>(start: () => Promise<P>): Promise<{ peer: P | null; error: string | null }> {
  try {
    return { peer: await start(), error: null };
  } catch (e) {
    return { peer: null, error: (e as Error).message };
  }
}

const trainBench: BenchModule = {
  name: 'train',
  title: `Training throughput: BNext C=${BASE_WIDTH} ${STAGES.join(':')}, ${CLASSES} classes, ${SIZE}x${SIZE} RGB, batch ${BATCH}, one thread, beside PyTorch and TensorFlow.js`,
  async run(): Promise<void> {
    const ours = ourStep();
    for (let i = 0; i < WARMUP_STEPS; i++) ours.step();
    const why = torchUnavailable();
    const torchStart = why ? { peer: null, error: why } : await tryStart(startTorch);
    const torch = torchStart.peer;
    const dir = mkdtempSync(join(tmpdir(), 'bench-train-'));
    const { peer: tfjs, error: tfjsError } = await tryStart(() => startTfjs(dir));
    try {
      const versions = [torch ? `PyTorch ${torch.version} (official BNext, 1 thread)` : null, tfjs ? `TensorFlow.js ${tfjs.version} (tfjs-backend-cpu)` : null];
      console.log(`node ${process.version}${versions.filter((v) => v).map((v) => `, ${v}`).join('')}, load average ${loadavg()[0].toFixed(2)}`);
      console.log(`median of ${TIMED_STEPS} steps after ${WARMUP_STEPS} warm-up steps` +
        (tfjs ? ` (TensorFlow.js: of ${TFJS_STEPS} steps, or as many as fit in ${TFJS_BUDGET_MS / 1000} s, after ${TFJS_WARMUP_STEPS})` : '') +
        (torch || tfjs ? ', alternating step by step' : ''));
      const samples = { ours: [] as StepTime[], torch: [] as StepTime[], tfjs: [] as StepTime[] };
      let tfjsSpent = 0;
      for (let i = 0; i < TIMED_STEPS; i++) {
        samples.ours.push(ours.step());
        if (torch) samples.torch.push(await torch.step());
        if (tfjs && samples.tfjs.length < TFJS_STEPS && (samples.tfjs.length === 0 || tfjsSpent < TFJS_BUDGET_MS)) {
          const t = await tfjs.step();
          tfjsSpent += t.total;
          samples.tfjs.push(t);
        }
      }
      const oursMedian = medianStep(samples.ours);
      const rows = [row('bnext (TypeScript)', oursMedian)];
      const torchMedian = torch ? medianStep(samples.torch) : null;
      const tfjsMedian = tfjs ? medianStep(samples.tfjs) : null;
      if (torchMedian) rows.push(row('PyTorch', torchMedian));
      if (tfjsMedian) rows.push(row(`TensorFlow.js (${samples.tfjs.length} steps)`, tfjsMedian));
      console.log(formatTable(['', 'images/s', 'step ms', 'forward ms', 'backward ms', 'optimizer ms'], rows));
      if (torchMedian) {
        console.log(`ours / PyTorch: ${(torchMedian.total / oursMedian.total).toFixed(3)}x`);
      } else {
        const ratio = (BATCH * 1000 / oursMedian.total) / REFERENCE_TORCH_IMAGES_PER_SECOND;
        console.log(`PyTorch not measured (${torchStart.error}); against PyTorch's ${REFERENCE_TORCH_IMAGES_PER_SECOND} images/s measured earlier (docs/performance.md): ${ratio.toFixed(3)}x`);
      }
      if (tfjs && tfjsMedian) {
        console.log(`ours / TensorFlow.js: ${(tfjsMedian.total / oursMedian.total).toFixed(2)}x (it trains ${tfjs.parameters} parameters, ours ${ours.parameters}: ` +
          'the stem\'s PReLU and the activation1 of every FFN unit, 3x3 ones included, which ours registers as the official model does but never uses, do not exist there)');
      } else {
        console.log(`TensorFlow.js not measured: ${tfjsError}`);
      }
      console.log(`load average now ${loadavg()[0].toFixed(2)}`);
      if (torch) await compareKernels(torch);
    } finally {
      torch?.close();
      tfjs?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default trainBench;
