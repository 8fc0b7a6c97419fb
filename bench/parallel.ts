/**
 * Throughput of data-parallel training (`npm run bench -- parallel`): images/s
 * of the digits recipe's student step (distilled from cnn-s and cnn-m with the script's
 * ensemble, clipping, AdamW; batches drawn and augmented as the trainer draws them) on this
 * thread alone and on 1 and 2 worker threads, for the recipe's student (C=16) and a C=8
 * variant, at batch 32 and 64.
 *
 * Every variant is built and warmed up first (a worker's JIT starts cold), then rounds time a
 * few steps of each variant in an order rotated per round, so drifts of the shared machine hit
 * all alike. Reported per variant: the median and the fastest round (the machine is shared:
 * the fastest is the nearest to an idle machine), the CPU time of the whole process per step
 * (all threads: its ratio to the wall time shows how many cores the step kept busy), and the
 * load average before and after.
 */
import { loadavg } from 'node:os';
import { measureRounds, type BenchModule } from './harness';
import { DIGITS_STUDENT, digitsDatasets } from '../src/train/recipe';
import { buildAnyModel, resolveAnyConfig } from '../src/models/zoo';
import type { ArchOptions } from '../src/models/factory';
import { AdamW } from '../src/optim/adamw';
import { bnextParamGroups } from '../src/optim/param-groups';
import { clipGradNorm } from '../src/optim/clip';
import { setTemperature } from '../src/optim/temperature';
import { noGrad } from '../src/autograd/record';
import { gapSensitiveLoss } from '../src/distill/ensemble';
import { ModuleTeacher, type Teacher } from '../src/distill/teacher';
import { manualSeed, Rng } from '../src/tensor/random';
import { DataParallel } from '../src/parallel/data-parallel';
import { FlatState, averageGradients } from '../src/parallel/flat-state';

const WARMUP_STEPS = 4;
const STEPS_PER_SAMPLE = 2;
const ROUNDS = 5;

interface Variant {
  name: string;
  batch: number;
  step: () => Promise<void>;
  close: () => Promise<void>;
}

const trainSet = digitsDatasets().train;

function teachers(): Teacher[] {
  manualSeed(1);
  return ['cnn-s', 'cnn-m'].map((arch) => new ModuleTeacher(arch, buildAnyModel(resolveAnyConfig({ arch, numClasses: 10, inChannels: 1 })), 10));
}

/** One trainer step (trainer.ts's loop body) on `workers` threads; 0 = this thread. */
async function variant(student: ArchOptions, batch: number, workers: number): Promise<Variant> {
  manualSeed(0);
  const model = buildAnyModel(resolveAnyConfig(student));
  setTemperature(model, 0.01);
  const optimizer = new AdamW(bnextParamGroups(model, { lr: 1e-4 }));
  const ts = teachers();
  const rng = new Rng('bench');
  const group = workers > 0 ? await DataParallel.start({ workers, model, teachers: ts }) : null;
  let at = 0;
  const step = async (): Promise<void> => {
    const indices = new Int32Array(batch);
    for (let i = 0; i < batch; i++) indices[i] = (at + i * 61) % trainSet.count;
    at += batch;
    const { x, y } = trainSet.batch(indices, rng);
    model.train();
    optimizer.zeroGrad(true);
    if (group) {
      await group.computeGradients({ x, y, indices }, ts, 'script');
    } else {
      const logits = model.call(x);
      gapSensitiveLoss(logits, ts.map((t) => t.logits({ images: x, indices })), 'script').loss.backward();
    }
    clipGradNorm(optimizer.parameters(), 5);
    noGrad(() => optimizer.step());
  };
  const width = student.baseWidth ?? 16;
  return { name: `C=${width} batch ${batch} ${workers === 0 ? 'this thread' : `${workers} worker${workers > 1 ? 's' : ''}`}`, batch, step, close: async () => group?.close() };
}

/** The main thread's own cost per step of moving state: pack, clone for 2 workers, average 2 gradients. */
function transferCost(student: ArchOptions): { floats: number; ms: number } {
  const state = new FlatState(buildAnyModel(resolveAnyConfig(student)));
  const g = { grads: new Float32Array(state.paramSize).fill(0.5), present: new Uint8Array(state.params.length).fill(1) };
  const reps = 20;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    const p = state.packParameters();
    structuredClone(p);
    structuredClone(p);
    averageGradients([g, structuredClone(g)]);
  }
  return { floats: state.paramSize, ms: (performance.now() - t0) / reps };
}

async function main(): Promise<void> {
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(', ');
  console.log(`load average before: ${load()}; ${ROUNDS} rounds of ${STEPS_PER_SAMPLE} steps per variant after ${WARMUP_STEPS} warm-up steps`);
  const students: ArchOptions[] = [DIGITS_STUDENT, { ...DIGITS_STUDENT, baseWidth: 8 }];
  for (const s of students) {
    const c = transferCost(s);
    console.log(`C=${s.baseWidth}: ${c.floats} parameters; pack + 2 clones + average of 2 gradients: ${c.ms.toFixed(2)} ms per step`);
  }
  for (const s of students) {
    for (const batch of [32, 64]) {
      const variants: Variant[] = [];
      for (const workers of [0, 1, 2]) variants.push(await variant(s, batch, workers));
      try {
        // One call is STEPS_PER_SAMPLE steps; times below are per step.
        const calls = variants.map((v) => ({ name: v.name, fn: async () => { for (let j = 0; j < STEPS_PER_SAMPLE; j++) await v.step(); } }));
        const t = await measureRounds(calls, ROUNDS, WARMUP_STEPS / STEPS_PER_SAMPLE);
        const base = t.get(variants[0].name)!;
        for (const v of variants) {
          const r = t.get(v.name)!;
          const [ms, best] = [r.median / STEPS_PER_SAMPLE, r.fastest / STEPS_PER_SAMPLE];
          const ips = (b: number): string => ((v.batch * 1000) / b).toFixed(1).padStart(6);
          console.log(`${v.name.padEnd(26)} median ${ms.toFixed(0).padStart(5)} ms ${ips(ms)} img/s x${(base.median / r.median).toFixed(2)} | fastest ${best.toFixed(0).padStart(5)} ms ${ips(best)} img/s x${(base.fastest / r.fastest).toFixed(2)} | CPU ${(r.cpu / STEPS_PER_SAMPLE).toFixed(0).padStart(5)} ms/step`);
        }
      } finally {
        for (const v of variants) await v.close();
      }
    }
  }
  console.log(`load average after: ${load()}`);
}

const bench: BenchModule = {
  name: 'parallel',
  title: 'data-parallel training: the digits student on this thread vs 1 and 2 worker threads',
  run: main,
};
export default bench;
