/**
 * Start-up and load (`npm run bench -- cli`): whole processes timed side by side, in rounds
 * whose order rotates (so a drift of the shared machine's speed hits every variant alike),
 * medians of wall-clock time and of CPU time (user + system, from /usr/bin/time when present,
 * steadier than wall time on a busy machine):
 *
 *   - `node -e 0`, the floor;
 *   - `bnext --help` (the compiled CLI, bin/bnext.mjs; target: within 150 ms of the floor);
 *   - `bnext forward --engine xnor` of BNext-T at 224x224, batch 1, 1000 classes, from a .bnx
 *     file and from the float safetensors state_dict (which must be read whole and packed);
 *   - a process that only reads the safetensors file, for the cost of reading it;
 *   - PyTorch's in-process single-thread evaluation of the same weights on the same input
 *     (the official BNext, imported from the checkout in $BNEXT_OFFICIAL as the fixtures'
 *     exporters do; the time of `model(x)` under no_grad after one warm-up call; the first
 *     call is printed too). The target: the whole .bnx process faster than that evaluation.
 *     Without /usr/bin/python3, torch or the checkout, it says why and times ours alone.
 *
 * Then, inside a forward process, where the time goes: module loading (the forward command's
 * modules), reading the file, decoding it, building the engine, reading the input, the
 * forward itself, writing the logits; each phase's median over the rounds.
 *
 * The weights are generated (seeded), fully binary, in a temporary folder, and dist/ is built
 * first, so the CLI measured is the sources' as they are. With BNEXT_BENCH_BASELINE set to
 * another bnext checkout (an older commit, say, with its node_modules), its `bin/bnext.mjs`
 * runs `--help` and the .bnx forward in the same rounds, for a before/after in one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel } from '../src/models/create';
import { setTemperature } from '../src/optim/temperature';
import { writeStateDict } from '../src/nn/state-dict-file';
import { bnxContentsOf } from '../src/engine/load';
import { writeBnx } from '../src/engine/bnx-file';
import { writeNpy } from '../src/io/files';
import { fromTensor } from '../src/io/stored';
import { randn } from '../src/tensor/create';
import { Rng } from '../src/tensor/random';
import { formatTable, median, type BenchModule } from './harness';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 7);
const PYTHON = '/usr/bin/python3';
const TIME = '/usr/bin/time';
const SEED = 'bench-cli';

/** One timed process: wall-clock and CPU milliseconds (CPU null without /usr/bin/time). */
interface Sample {
  wall: number;
  cpu: number | null;
}

/** Runs a process to completion and times it; throws with its output if it fails. */
function timeProcess(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Sample {
  const cpuFile = join(cwd, 'time.txt');
  const withTime = existsSync(TIME);
  const [cmd, argv] = withTime ? [TIME, ['-f', '%U %S', '-o', cpuFile, command, ...args]] : [command, [...args]];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', env });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  let cpu: number | null = null;
  if (withTime) {
    const [user, system] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpu = (user + system) * 1000;
  }
  return { wall, cpu };
}

/** A user's environment: no tsx loader or source-mode CLI inherited from `npm run bench`. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.BNEXT_FROM_SOURCE;
  return env;
}

/**
 * A forward process's phases, timed inside it (wall and CPU ms): the forward command's modules
 * are loaded as the CLI loads them, then each step is done by the functions the CLI calls.
 */
const PHASES_SCRIPT = String.raw`
const [dist, kind, weights, input, output] = process.argv.slice(1);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const phases = {};
let wall = performance.now(), used = cpu();
const lap = (name) => { const w = performance.now(), c = cpu(); phases[name] = [w - wall, c - used]; wall = w; used = c; };
await import(dist + '/cli/commands/forward.js');
const { readFileBytes, readNpy, writeNpy } = await import(dist + '/io/files.js');
const { parseBnx } = await import(dist + '/engine/bnx.js');
const { packedModelFromContents, packedModelFromStateDict } = await import(dist + '/engine/load.js');
const { parseStateDict } = await import(dist + '/nn/serialize.js');
const { modelConfig } = await import(dist + '/models/create.js');
const { toTensor, fromTensor } = await import(dist + '/io/stored.js');
lap('load modules');
const bytes = readFileBytes(weights);
lap('read file');
let engine;
if (kind === 'bnx') {
  const contents = parseBnx(bytes, weights);
  lap('decode');
  engine = packedModelFromContents(contents, weights);
} else {
  const dict = parseStateDict(bytes, weights);
  lap('decode');
  engine = packedModelFromStateDict(modelConfig('bnext-t'), dict, weights);
}
lap('build engine');
const x = toTensor(readNpy(input), input);
lap('read input');
const y = engine.run(x);
lap('forward');
writeNpy(output, fromTensor(y));
lap('write logits');
console.log(JSON.stringify(phases));
`;

/** PyTorch: the official BNext-T with our weights, one thread; times model(x) (cold, then warm). */
const TORCH_SCRIPT = String.raw`
import contextlib, io, json, os, sys, time
import numpy as np
import torch
torch.set_num_threads(1)
root, weights, inp = sys.argv[1:4]
sys.path.insert(0, os.path.join(root, 'fixtures', 'export'))
from official_stubs import load_official
bnext = load_official('bnext')
with contextlib.redirect_stdout(io.StringIO()):
    model = bnext.BNext(num_classes=1000, size='tiny')
with open(weights, 'rb') as f:
    data = f.read()
n = int.from_bytes(data[:8], 'little')
header = json.loads(data[8:8 + n])
types = {'F32': np.float32, 'I64': np.int64}
state = {}
for key, entry in header.items():
    if key == '__metadata__':
        continue
    begin, end = entry['data_offsets']
    dtype = np.dtype(types[entry['dtype']])
    array = np.frombuffer(data, dtype, count=(end - begin) // dtype.itemsize, offset=8 + n + begin)
    state[key] = torch.from_numpy(array.copy().reshape(entry['shape']))
model.load_state_dict(state)
model.eval()
x = torch.from_numpy(np.load(inp))
with torch.no_grad():
    t0 = time.perf_counter()
    y = model(x)
    t1 = time.perf_counter()
    if len(sys.argv) < 5:
        y = model(x)
    t2 = time.perf_counter()
print(json.dumps({'cold': (t1 - t0) * 1000, 'warm': (t2 - t1) * 1000, 'top1': int(y.argmax(1)[0]), 'version': torch.__version__}))
`;

interface TorchSample {
  cold: number;
  warm: number;
  top1: number;
  version: string;
}

/** Why PyTorch cannot be measured here, or null when it can. */
function torchUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch and numpy`;
  const official = process.env.BNEXT_OFFICIAL ?? '/work/official/BNext';
  if (!existsSync(join(official, 'src', 'bnext.py'))) return `no official BNext checkout at ${official} (set BNEXT_OFFICIAL)`;
  return null;
}

const TORCH_ENV = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

function torchEval(weights: string, input: string): TorchSample {
  const r = spawnSync(PYTHON, ['-c', TORCH_SCRIPT, ROOT, weights, input], { encoding: 'utf8', env: TORCH_ENV });
  if (r.status !== 0) throw new Error(`PyTorch evaluation failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchSample;
}

/** The top-1 class of a [1, C] float32 .npy of logits. */
function top1Of(path: string): number {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const logits = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
  return logits.indexOf(Math.max(...logits));
}

const fmt = (ms: number | null): string => (ms === null ? '-' : ms.toFixed(0));
const mb = (path: string): string => `${(statSync(path).size / 2 ** 20).toFixed(1)} MiB`;

async function run(): Promise<void> {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit', env: userEnv() });
  if (build.status !== 0) throw new Error('bench cli: building dist/ failed');
  const dir = mkdtempSync(join(tmpdir(), 'bnext-bench-cli-'));
  try {
    const bnx = join(dir, 'bnext-t.bnx');
    const safetensors = join(dir, 'bnext-t.safetensors');
    const input = join(dir, 'x.npy');
    const model = createModel('bnext-t', { seed: SEED });
    setTemperature(model, 1e-8);
    model.eval();
    writeStateDict(safetensors, model);
    writeBnx(bnx, bnxContentsOf(model));
    writeNpy(input, fromTensor(randn([1, 3, 224, 224], new Rng(`${SEED}:input`))));

    const bin = join(ROOT, 'bin', 'bnext.mjs');
    const out = join(dir, 'y.npy');
    const forwardArgs = (weights: string, arch: string[]): string[] => [bin, 'forward', '--engine', 'xnor', ...arch, '--weights', weights, '--input', input, '--out', out];
    const node = process.execPath;
    const processes: { label: string; args: string[] }[] = [
      { label: 'node -e 0', args: ['-e', '0'] },
      { label: 'bnext --help', args: [bin, '--help'] },
      { label: `bnext forward --engine xnor, .bnx (${mb(bnx)})`, args: forwardArgs(bnx, []) },
      { label: `bnext forward --engine xnor, safetensors (${mb(safetensors)})`, args: forwardArgs(safetensors, ['--arch', 'bnext-t']) },
      { label: `node reading the safetensors file whole`, args: ['-e', `require('node:fs').readFileSync(${JSON.stringify(safetensors)})`] },
    ];
    const baseline = process.env.BNEXT_BENCH_BASELINE;
    if (baseline) {
      const old = join(baseline, 'bin', 'bnext.mjs');
      if (!existsSync(old)) throw new Error(`BNEXT_BENCH_BASELINE: no ${old}`);
      processes.push(
        { label: `baseline (${baseline}): bnext --help`, args: [old, '--help'] },
        { label: `baseline: bnext forward --engine xnor, .bnx`, args: [old, 'forward', '--engine', 'xnor', '--weights', bnx, '--input', input, '--out', out] },
      );
    }
    const phaseKinds = [['bnx', bnx], ['safetensors', safetensors]] as const;
    const phaseArgs = (kind: string, weights: string): string[] => ['--input-type=module', '-e', PHASES_SCRIPT, join(ROOT, 'dist'), kind, weights, input, join(dir, `phases-${kind}.npy`)];
    const whyNoTorch = torchUnavailable();

    console.log(`BNext-T, 224x224, batch 1, 1000 classes, fully binary weights (seed '${SEED}'); ${ROUNDS} rounds, order rotating each round`);
    console.log(`node ${process.version}; load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')}${existsSync(TIME) ? '' : `; ${TIME} is missing: wall time only`}`);
    const samples = processes.map((): Sample[] => []);
    const phases = phaseKinds.map((): Record<string, [number, number]>[] => []);
    const torch: TorchSample[] = [];
    // PyTorch as a whole process too (start Python, import torch, build, load, one eval): the
    // like-for-like peer of a whole bnext process.
    const torchProcess: Sample[] = [];
    const ourTop1 = new Set<number>();
    for (let round = 0; round < ROUNDS; round++) {
      const jobs: (() => void)[] = [
        ...processes.map((p, i) => () => {
          samples[i].push(timeProcess(node, p.args, dir));
          if (p.args.includes('forward')) ourTop1.add(top1Of(out));
        }),
        ...phaseKinds.map(([kind, weights], i) => () => {
          const r = spawnSync(node, phaseArgs(kind, weights), { cwd: dir, encoding: 'utf8', env: userEnv() });
          if (r.status !== 0) throw new Error(`phases of ${kind} failed: ${r.stderr}`);
          phases[i].push(JSON.parse(r.stdout.trim()) as Record<string, [number, number]>);
        }),
        ...(whyNoTorch ? [] : [
          () => { torch.push(torchEval(safetensors, input)); },
          () => { torchProcess.push(timeProcess(PYTHON, ['-c', TORCH_SCRIPT, ROOT, safetensors, input, 'once'], dir, TORCH_ENV)); },
        ]),
      ];
      for (let j = 0; j < jobs.length; j++) jobs[(round + j) % jobs.length]();
    }

    const floor = median(samples[0].map((s) => s.wall));
    const rows = processes.map((p, i) => {
      const wall = median(samples[i].map((s) => s.wall));
      const cpu = samples[i][0].cpu === null ? null : median(samples[i].map((s) => s.cpu ?? 0));
      return [p.label, fmt(wall), i === 0 ? '' : `+${fmt(wall - floor)}`, fmt(cpu)];
    });
    let torchWarm: number | null = null;
    if (torch.length > 0) {
      torchWarm = median(torch.map((t) => t.warm));
      rows.push([`PyTorch ${torch[0].version} eval in-process, 1 thread (warm call)`, fmt(torchWarm), '', '']);
      rows.push([`PyTorch ${torch[0].version} eval in-process, 1 thread (first call)`, fmt(median(torch.map((t) => t.cold))), '', '']);
      const wall = median(torchProcess.map((t) => t.wall));
      rows.push([`PyTorch ${torch[0].version} whole process (import, build, load safetensors, one eval), 1 thread`, fmt(wall), `+${fmt(wall - floor)}`, fmt(median(torchProcess.map((t) => t.cpu ?? 0)))]);
    }
    console.log(`\nwhole processes (median of ${ROUNDS}):`);
    console.log(formatTable(['', 'wall ms', 'over node -e 0', 'CPU ms'], rows));
    const help = median(samples[1].map((s) => s.wall)) - floor;
    const forwardBnx = median(samples[2].map((s) => s.wall));
    console.log(`\nbnext --help: ${fmt(help)} ms over node -e 0 (target: within 150 ms)`);
    if (torchWarm !== null) {
      console.log(`bnext forward --engine xnor from .bnx, whole process: ${fmt(forwardBnx)} ms = ${(forwardBnx / torchWarm).toFixed(2)}x PyTorch's in-process eval (target: below 1x)`);
      const torchWhole = median(torchProcess.map((t) => t.wall));
      const forwardSt = median(samples[3].map((s) => s.wall));
      console.log(`whole process against whole process: .bnx ${(forwardBnx / torchWhole).toFixed(2)}x, safetensors ${(forwardSt / torchWhole).toFixed(2)}x PyTorch's (${fmt(torchWhole)} ms)`);
      const torchTop1 = new Set(torch.map((t) => t.top1));
      console.log(`top-1 class: ours ${[...ourTop1].join('/')}, PyTorch ${[...torchTop1].join('/')} (same weights and input)`);
    } else {
      console.log(`PyTorch not measured: ${whyNoTorch}`);
    }

    const names = Object.keys(phases[0][0]);
    const phase = (k: number, name: string, part: 0 | 1): number => median(phases[k].map((p) => p[name][part]));
    const total = (k: number, part: 0 | 1): number => names.reduce((sum, name) => sum + phase(k, name, part), 0);
    console.log(`\ninside one forward process (median ms of ${ROUNDS}; wall / CPU):`);
    console.log(formatTable(['phase', ...phaseKinds.map(([kind]) => kind)], [
      ...names.map((name) => [name, ...phaseKinds.map((_, k) => `${fmt(phase(k, name, 0))} / ${fmt(phase(k, name, 1))}`)]),
      ['total', ...phaseKinds.map((_, k) => `${fmt(total(k, 0))} / ${fmt(total(k, 1))}`)],
    ]));
    const readAlone = median(samples[4].map((s) => s.wall)) - floor;
    const stProcess = median(samples[3].map((s) => s.wall));
    console.log(
      `\nreading the ${mb(safetensors)} safetensors file: ${fmt(phase(1, 'read file', 0))} ms inside the forward process ` +
      `(${((100 * phase(1, 'read file', 0)) / total(1, 0)).toFixed(0)}% of its phases), ${fmt(readAlone)} ms as a process of its own over node -e 0; ` +
      `the safetensors forward process takes ${fmt(stProcess - forwardBnx)} ms more than the .bnx one (reading ${mb(safetensors)} instead of ${mb(bnx)}, packing the binary weights)`,
    );
    console.log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: BenchModule = { name: 'cli', title: 'start-up: whole bnext processes beside node -e 0 and PyTorch (BNext-T 224, batch 1)', run };
export default bench;
