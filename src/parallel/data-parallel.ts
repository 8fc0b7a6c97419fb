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
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Module } from '../nn/module';
import type { Teacher } from '../distill/teacher';
import type { EnsembleForm } from '../distill/ensemble';
import { averageGradients, FlatState } from './flat-state';
import { shardBatch } from './shards';
import { configOf, teacherSpec } from './replica-spec';
import type { PredictRequest, StepRequest, WorkerInit, WorkerReply, WorkerRequest } from './protocol';
import { WorkerGroup } from './worker-group';
import { siblingModule } from './spawn';

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

const WORKER_ENTRY = siblingModule('worker', import.meta.url);

export class DataParallel {
  private requests = 0;

  private constructor(
    private readonly group: WorkerGroup<WorkerRequest, WorkerReply>,
    private readonly state: FlatState,
    private readonly teachers: readonly Teacher[],
  ) {}

  get workers(): number {
    return this.group.size;
  }

  /** Starts the workers and waits until each has built its replica. */
  static async start(o: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(o.workers) || o.workers < 1) throw new Error(`data-parallel: worker count must be a positive integer, got ${o.workers}`);
    const state = new FlatState(o.model);
    const student = configOf(o.model, 'the student');
    const teachers = o.teachers.map(teacherSpec);
    const signature = state.signature();
    const inits = Array.from({ length: o.workers }, (_, rank): WorkerInit => ({ rank, workers: o.workers, student, signature, teachers }));
    const group = await WorkerGroup.start<WorkerInit, WorkerRequest, WorkerReply>({ name: 'data-parallel', entry: WORKER_ENTRY, inits, errorsAreFatal: true });
    return new DataParallel(group, state, o.teachers);
  }

  /**
   * Forward, loss and backward of one batch across the workers. Leaves the averaged gradients
   * in the main model's parameters (`.grad`), rank 0's parameters (as its forward clamped them)
   * in its parameters and rank 0's buffers in its buffers; returns each shard's logits, labels
   * and mean loss in rank order.
   */
  async computeGradients(batch: ParallelBatch, teachers: readonly Teacher[], form: EnsembleForm): Promise<ShardResult[]> {
    this.group.checkUsable();
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
    const id = this.requests++;
    const params = this.state.packParameters();
    const buffers = this.state.packBuffers();
    const perSample = batch.x.size / n;
    const sampleShape = batch.x.shape.slice(1);
    const replies = await Promise.all(shards.map((s, rank) => {
      const x = batch.x.data.slice(s.start * perSample, s.end * perSample);
      const request: StepRequest = {
        kind: 'step', id, params, floatBuffers: buffers.floats, intBuffers: buffers.ints,
        x, xShape: [s.end - s.start, ...sampleShape], y: batch.y.data.slice(s.start, s.end), indices: batch.indices.slice(s.start, s.end),
        teachers: ids, form, returnState: rank === 0,
      };
      return this.group.request(rank, request, [x.buffer as ArrayBuffer], 'done');
    }));
    this.state.setGradients(averageGradients(replies));
    const rank0 = replies[0];
    if (!rank0.params || !rank0.floatBuffers || !rank0.intBuffers) throw this.group.fail(new Error(`${this.group.describe(0)}: sent no parameters or buffers`));
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
    this.group.checkUsable();
    const params = this.state.packParameters();
    const buffers = this.state.packBuffers();
    const out: Tensor[] = new Array<Tensor>(batches.length);
    let next = 0;
    const drain = async (rank: number): Promise<void> => {
      while (next < batches.length) {
        const k = next++;
        const x = batches[k].data.slice();
        const request: PredictRequest = {
          kind: 'predict', id: this.requests++, params, floatBuffers: buffers.floats, intBuffers: buffers.ints, x, xShape: [...batches[k].shape],
        };
        const r = await this.group.request(rank, request, [x.buffer as ArrayBuffer], 'logits');
        out[k] = new Tensor(r.logits, r.logitsShape);
      }
    };
    await Promise.all(Array.from({ length: this.workers }, (_, rank) => drain(rank)));
    return out;
  }

  /** Stops every worker (idempotent); pending steps fail. */
  async close(): Promise<void> {
    await this.group.close();
  }
}
