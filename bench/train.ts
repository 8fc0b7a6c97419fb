/**
 * Training throughput (issue 5, "Targets"): images per second of one full BNext training step,
 * single thread, beside the same step in PyTorch 1.13 on this machine.
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
 * of the shared machine's speed hits both alike. Without Python, torch or the checkout, the
 * measurement in /work/shared/notes/cpu-kernels.md (about 140 images/s) is printed instead and
 * marked as not measured.
 *
 * Reported: the median of the timed steps after warm-up, as images/s and split into forward
 * (zeroing, forward and loss), backward and optimizer milliseconds.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel, resolveConfig } from '../src/models/factory';
import { crossEntropy } from '../src/nn/losses';
import { AdamW } from '../src/optim/adamw';
import { bnextParamGroups } from '../src/optim/param-groups';
import { randn } from '../src/tensor/create';
import { manualSeed, Rng } from '../src/tensor/random';
import { IntTensor } from '../src/tensor/tensor';
import { formatTable, median, type BenchModule } from './harness';

const BATCH = 32;
const SIZE = 32;
const CLASSES = 10;
const BASE_WIDTH = 8;
const STAGES: [number, number, number, number] = [1, 1, 3, 1];
const WARMUP_STEPS = 2;
const TIMED_STEPS = 7;
/** The issue's reference when PyTorch cannot run here. */
const REFERENCE_TORCH_IMAGES_PER_SECOND = 140;
const PYTHON = '/usr/bin/python3';
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Milliseconds of one step and of its parts. */
interface StepTime {
  total: number;
  forward: number;
  backward: number;
  optimizer: number;
}

/** Our training step, built once; each call runs and times one step. */
function ourStep(): () => StepTime {
  manualSeed('bench-train');
  const model = buildModel(resolveConfig({ arch: 'bnext', baseWidth: BASE_WIDTH, stages: STAGES, numClasses: CLASSES }));
  const rng = new Rng('bench-train-data');
  const x = randn([BATCH, 3, SIZE, SIZE], rng);
  const y = new IntTensor(Int32Array.from({ length: BATCH }, () => rng.int(CLASSES)), [BATCH]);
  model.train();
  const optimizer = new AdamW(bnextParamGroups(model));
  return () => {
    const t0 = performance.now();
    optimizer.zeroGrad(true);
    const loss = crossEntropy(model.call(x), y);
    const t1 = performance.now();
    loss.backward();
    const t2 = performance.now();
    optimizer.step();
    const t3 = performance.now();
    return { total: t3 - t0, forward: t1 - t0, backward: t2 - t1, optimizer: t3 - t2 };
  };
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

for _ in range(warmup):
    step()
print('ready torch ' + torch.__version__, flush=True)
for line in sys.stdin:
    print(json.dumps(step()), flush=True)
`;

/** A running PyTorch child: `step()` resolves with the timing of one step. */
interface TorchStepper {
  version: string;
  step(): Promise<StepTime>;
  close(): void;
}

/** Why PyTorch cannot be measured here, or null when it can. */
function torchUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `${PYTHON} cannot import torch`;
  return null;
}

/** Starts the PyTorch child and waits for its warm-up; rejects with its stderr if it fails. */
function startTorch(): Promise<TorchStepper> {
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [
    '-c', TORCH_SCRIPT, REPO_ROOT, String(BATCH), String(SIZE), String(CLASSES), String(BASE_WIDTH), String(WARMUP_STEPS), STAGES.join(','),
  ], { env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
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
    exited = `PyTorch child exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
    pending?.reject(new Error(exited));
    pending = null;
  });
  const nextLine = (): Promise<string> => new Promise((resolve, reject) => {
    if (lines.length > 0) resolve(lines.shift() as string);
    else if (exited) reject(new Error(exited));
    else pending = { resolve, reject };
  });
  return nextLine().then((ready) => {
    if (!ready.startsWith('ready')) throw new Error(`PyTorch child: unexpected first line '${ready}'`);
    return {
      version: ready.split(' ')[2] ?? '?',
      step: async () => {
        child.stdin.write('step\n');
        return JSON.parse(await nextLine()) as StepTime;
      },
      close: () => child.stdin.end(),
    };
  });
}

/** Median of each part over the samples. */
function medianStep(samples: readonly StepTime[]): StepTime {
  const of = (key: keyof StepTime): number => median(samples.map((s) => s[key]));
  return { total: of('total'), forward: of('forward'), backward: of('backward'), optimizer: of('optimizer') };
}

function row(label: string, t: StepTime): string[] {
  return [label, (BATCH * 1000 / t.total).toFixed(1), t.total.toFixed(0), t.forward.toFixed(0), t.backward.toFixed(0), t.optimizer.toFixed(1)];
}

const trainBench: BenchModule = {
  name: 'train',
  title: `Training throughput: BNext C=${BASE_WIDTH} ${STAGES.join(':')}, ${CLASSES} classes, ${SIZE}x${SIZE} RGB, batch ${BATCH}, one thread`,
  async run(): Promise<void> {
    const step = ourStep();
    for (let i = 0; i < WARMUP_STEPS; i++) step();
    const why = torchUnavailable();
    let torch: TorchStepper | null = null;
    let torchError = why;
    if (!why) {
      try {
        torch = await startTorch();
      } catch (e) {
        torchError = (e as Error).message;
      }
    }
    console.log(`node ${process.version}${torch ? `, PyTorch ${torch.version} (official BNext, 1 thread)` : ''}, load average ${loadavg()[0].toFixed(2)}`);
    console.log(`median of ${TIMED_STEPS} steps after ${WARMUP_STEPS} warm-up steps${torch ? ', ours and PyTorch alternating step by step' : ''}`);
    const ours: StepTime[] = [];
    const theirs: StepTime[] = [];
    for (let i = 0; i < TIMED_STEPS; i++) {
      ours.push(step());
      if (torch) theirs.push(await torch.step());
    }
    torch?.close();
    const oursMedian = medianStep(ours);
    const rows = [row('bnext (TypeScript)', oursMedian)];
    const header = ['', 'images/s', 'step ms', 'forward ms', 'backward ms', 'optimizer ms'];
    if (torch) {
      const torchMedian = medianStep(theirs);
      rows.push(row('PyTorch', torchMedian));
      console.log(formatTable(header, rows));
      console.log(`ours / PyTorch: ${(torchMedian.total / oursMedian.total).toFixed(3)}x (issue target: at least 0.3x, goal 1x); load average now ${loadavg()[0].toFixed(2)}`);
    } else {
      console.log(formatTable(header, rows));
      const ratio = (BATCH * 1000 / oursMedian.total) / REFERENCE_TORCH_IMAGES_PER_SECOND;
      console.log(`PyTorch not measured (${torchError}); against the reference ${REFERENCE_TORCH_IMAGES_PER_SECOND} images/s of /work/shared/notes/cpu-kernels.md: ${ratio.toFixed(3)}x`);
    }
  },
};

export default trainBench;
