/**
 * Data-parallel training on worker threads, with the semantics of PyTorch's
 * DistributedDataParallel as the official BNext script runs it on N GPUs (paper Sec. 5.1;
 * docs/paper-map.md, "Sec. 5.1"), W workers standing for the W processes:
 *
 *   - each batch (the one the single-thread trainer would draw: same indices, same augmentation,
 *     both done here on the main thread) is cut into W contiguous shards (shards.ts);
 *   - every worker holds a replica of the student and the teachers and runs forward, loss and
 *     backward on its shard alone: BatchNorm normalizes with the shard's statistics and the
 *     distillation loss averages over the shard (replica.ts);
 *   - the gradients are averaged (summed in rank order, then divided by W: deterministic) into
 *     the main model, where the caller clips them and steps the optimizer; the new weights go
 *     out with the next step, so every replica always starts a step from the main weights;
 *   - buffers follow DDP's default `broadcast_buffers=True`: every step starts from rank 0's
 *     running statistics, and rank 0's are copied back into the main model after each step, so
 *     a checkpoint of the main model holds rank 0's, as DDP's checkpoints do;
 *   - the forward changes some parameters in place (the official `.data.clamp_` of the latent
 *     binary weights and of Info-RCP's scale): under DDP every process clamps its own copy, and
 *     the optimizer then steps the clamped values. Rank 0's parameters come back with its
 *     buffers and replace the main model's, so the optimizer steps the clamped values here too,
 *     as the single-thread trainer (whose forward clamps the main model itself) does.
 *
 * Weights and buffers travel as flat Float32Array copies (flat-state.ts). For the C=16 digits
 * student (286k parameters) packing, cloning for two workers and averaging two gradients take
 * about 4 ms of a step of several hundred: shared memory would not pay for its complexity.
 *
 * The workers start in about a second (tsx compiles the sources once more in each), and their
 * JIT starts cold: the first few steps are slower. The held-out evaluation runs on the workers
 * too (`predict`), batch by batch as each worker comes free.
 */
import type { Worker } from 'node:worker_threads';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Module } from '../nn/module';
import type { Teacher } from '../distill/teacher';
import type { EnsembleForm } from '../distill/ensemble';
import { averageGradients, FlatState } from './flat-state';
import { shardBatch } from './shards';
import { configOf, teacherSpec } from './replica-spec';
import type { PredictReply, PredictRequest, StepReply, StepRequest, WorkerInit, WorkerReply, WorkerRequest } from './protocol';
import { spawnTypeScriptWorker } from './spawn';

export interface DataParallelOptions {
  workers: number;
  /** The main model: its weights and buffers are sent each step; gradients and rank 0's buffers land in it. */
  model: Module;
  /** Every teacher the run may use (a step names the ones it uses). */
  teachers: readonly Teacher[];
}

export interface ParallelBatch {
  x: Tensor;
  y: IntTensor;
  indices: Int32Array;
}

/** One shard's share of a step, for the running metrics. */
export interface ShardResult {
  logits: Tensor;
  y: IntTensor;
  /** The shard's mean loss. */
  loss: number;
}

interface Member {
  rank: number;
  worker: Worker;
  pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null;
}

const WORKER_ENTRY = new URL('./worker.ts', import.meta.url);

export class DataParallel {
  private readonly state: FlatState;
  private readonly members: Member[] = [];
  private failure: Error | null = null;
  private closing = false;
  private steps = 0;

  private constructor(readonly workers: number, model: Module, private readonly teachers: readonly Teacher[]) {
    this.state = new FlatState(model);
  }

  /** Starts the workers and waits until each has built its replica. */
  static async start(o: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(o.workers) || o.workers < 1) throw new Error(`data-parallel: worker count must be a positive integer, got ${o.workers}`);
    const group = new DataParallel(o.workers, o.model, o.teachers);
    const student = configOf(o.model, 'the student');
    const teachers = o.teachers.map(teacherSpec);
    const signature = group.state.signature();
    try {
      const ready: Promise<WorkerReply>[] = [];
      for (let rank = 0; rank < o.workers; rank++) {
        const init: WorkerInit = { rank, workers: o.workers, student, signature, teachers };
        const member: Member = { rank, worker: spawnTypeScriptWorker(WORKER_ENTRY, init), pending: null };
        group.members.push(member);
        group.listen(member);
        ready.push(group.expect(member));
      }
      await Promise.all(ready);
      for (const m of group.members) m.worker.unref();
    } catch (err) {
      await group.close();
      throw err;
    }
    return group;
  }

  private describe(m: Member): string {
    return `data-parallel worker ${m.rank} (of ${this.workers})`;
  }

  private listen(m: Member): void {
    m.worker.on('message', (reply: WorkerReply) => {
      const pending = m.pending;
      m.pending = null;
      if (!pending) return;
      if (reply.kind === 'error') {
        const remote = new Error(reply.message);
        remote.stack = reply.stack;
        pending.reject(this.fail(new Error(`${this.describe(m)} failed: ${reply.message}`, { cause: remote })));
      } else {
        pending.resolve(reply);
      }
    });
    m.worker.on('error', (err: Error) => this.abort(m, new Error(`${this.describe(m)} crashed: ${err.message}`, { cause: err })));
    m.worker.on('exit', (code: number) => {
      if (!this.closing) this.abort(m, new Error(`${this.describe(m)} exited unexpectedly with code ${code}`));
      else m.pending?.reject(new Error(`${this.describe(m)} was stopped`));
      m.pending = null;
    });
  }

  /** Records the first failure: later calls fail at once with it. */
  private fail(err: Error): Error {
    this.failure ??= err;
    return err;
  }

  private abort(m: Member, err: Error): void {
    this.fail(err);
    const pending = m.pending;
    m.pending = null;
    pending?.reject(err);
  }

  /** The member's next reply. */
  private expect(m: Member): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      m.pending = { resolve, reject };
    });
  }

  private async request(m: Member, request: StepRequest, transfer: ArrayBuffer[]): Promise<StepReply>;
  private async request(m: Member, request: PredictRequest, transfer: ArrayBuffer[]): Promise<PredictReply>;
  private async request(m: Member, request: WorkerRequest, transfer: ArrayBuffer[]): Promise<StepReply | PredictReply> {
    const reply = this.expect(m);
    m.worker.ref();
    try {
      m.worker.postMessage(request, transfer);
      const r = await reply;
      const expected = request.kind === 'step' ? 'done' : 'logits';
      if ((r.kind !== 'done' && r.kind !== 'logits') || r.kind !== expected || r.step !== request.step) {
        throw this.fail(new Error(`${this.describe(m)}: unexpected reply '${r.kind}' to ${request.kind} request ${request.step}`));
      }
      return r;
    } finally {
      m.worker.unref();
    }
  }

  /** Fails at once after a worker failure or once closed. */
  private checkUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new Error('data-parallel: the workers have been closed');
  }

  /**
   * Forward, loss and backward of one batch across the workers. Leaves the averaged gradients
   * in the main model's parameters (`.grad`), rank 0's parameters (as its forward clamped them)
   * in its parameters and rank 0's buffers in its buffers; returns each shard's logits, labels
   * and mean loss in rank order.
   */
  async computeGradients(batch: ParallelBatch, teachers: readonly Teacher[], form: EnsembleForm): Promise<ShardResult[]> {
    this.checkUsable();
    const n = batch.x.shape[0];
    if (batch.y.data.length !== n || batch.indices.length !== n) {
      throw new Error(`data-parallel: batch of ${n} images, ${batch.y.data.length} labels and ${batch.indices.length} indices`);
    }
    const ids = teachers.map((t) => {
      const k = this.teachers.indexOf(t);
      if (k < 0) throw new Error(`data-parallel: teacher ${t.name} was not given to the workers when they started`);
      return k;
    });
    const shards = shardBatch(n, this.workers);
    const step = this.steps++;
    const params = this.state.packParameters();
    const buffers = this.state.packBuffers();
    const perSample = batch.x.size / n;
    const sampleShape = batch.x.shape.slice(1);
    const replies = await Promise.all(shards.map((s, rank) => {
      const x = batch.x.data.slice(s.start * perSample, s.end * perSample);
      const request: StepRequest = {
        kind: 'step', step, params, floatBuffers: buffers.floats, intBuffers: buffers.ints,
        x, xShape: [s.end - s.start, ...sampleShape], y: batch.y.data.slice(s.start, s.end), indices: batch.indices.slice(s.start, s.end),
        teachers: ids, form, returnState: rank === 0,
      };
      return this.request(this.members[rank], request, [x.buffer as ArrayBuffer]);
    }));
    this.state.setGradients(averageGradients(replies));
    const rank0 = replies[0];
    if (!rank0.params || !rank0.floatBuffers || !rank0.intBuffers) throw this.fail(new Error(`${this.describe(this.members[0])}: sent no parameters or buffers`));
    this.state.loadParameters(rank0.params);
    this.state.loadBuffers({ floats: rank0.floatBuffers, ints: rank0.intBuffers });
    return replies.map((r, rank) => ({
      logits: new Tensor(r.logits, r.logitsShape),
      y: new IntTensor(batch.y.data.slice(shards[rank].start, shards[rank].end), [shards[rank].end - shards[rank].start]),
      loss: r.loss,
    }));
  }

  /**
   * The main model's logits in evaluation mode for each of `batches`, in order, computed on the
   * workers: each free worker takes the next batch (the vCPUs are not always equally fast, so
   * fixed halves would wait on the slower one). A worker runs a batch exactly as the main thread
   * would (same code, weights, buffers and batch), so the logits are the main thread's.
   */
  async predict(batches: readonly Tensor[]): Promise<Tensor[]> {
    this.checkUsable();
    const params = this.state.packParameters();
    const buffers = this.state.packBuffers();
    const out: Tensor[] = new Array<Tensor>(batches.length);
    let next = 0;
    const drain = async (m: Member): Promise<void> => {
      while (next < batches.length) {
        const k = next++;
        const x = batches[k].data.slice();
        const request: PredictRequest = {
          kind: 'predict', step: this.steps++, params, floatBuffers: buffers.floats, intBuffers: buffers.ints, x, xShape: [...batches[k].shape],
        };
        const r = await this.request(m, request, [x.buffer as ArrayBuffer]);
        out[k] = new Tensor(r.logits, r.logitsShape);
      }
    };
    await Promise.all(this.members.map(drain));
    return out;
  }

  /** Stops every worker (idempotent); pending steps fail. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }
}
