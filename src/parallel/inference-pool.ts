/**
 * Inference on worker threads (docs/parallel.md): a pool of workers, started once, each holding
 * its own copy of the float model or of the packed XNOR engine (inference-source.ts), among
 * which every batch given to `run` is split by rows.
 *
 * The rows of a batch go out in small chunks taken on demand: each worker, as soon as it is
 * free, takes the next chunk of the oldest batch still waiting. The two vCPUs of the machines
 * this runs on are not always equally fast, and fixed halves would leave the faster one waiting
 * on the slower. Concurrent `run` calls share one queue, so a caller with many batches (an
 * evaluation) can give them all at once and no worker idles between batches.
 *
 * The logits are bit-identical to the same batch run on one thread: in evaluation mode every
 * row of the output depends on its own input row only, and each kernel's arithmetic for a row
 * does not depend on how many rows share the call (the GEMMs block the summed dimension by a
 * fixed depth, never by the batch; the XNOR convolution sums integers), so running the rows in
 * chunks changes no rounding. The specs check this bit for bit.
 */
import { Tensor } from '../tensor/tensor';
import { formatShape } from '../tensor/shape';
import type { AnyModelConfig } from '../models/zoo';
import type { InferenceInit, InferRequest, LogitsReply } from './protocol';
import { inferenceInit, type InferenceSource, sourceConfig } from './inference-source';
import { WorkerGroup } from './worker-group';

export interface InferencePoolOptions {
  /** Worker threads, at least 1. */
  workers: number;
  /**
   * Rows of a batch per request. Default: a quarter of a worker's even share of the batch
   * (rounded up), so each worker takes about four chunks of every batch.
   */
  chunkRows?: number;
}

const OPTION_NAMES: readonly string[] = ['workers', 'chunkRows'];

const ENTRY = new URL('./inference-worker.ts', import.meta.url);

/** One `run` call: its output, filled chunk by chunk. */
interface Job {
  out: Float32Array;
  rows: number;
  remaining: number;
  failed: boolean;
  resolve: (logits: Tensor) => void;
  reject: (err: Error) => void;
}

interface Chunk {
  job: Job;
  /** The chunk's first row in its batch. */
  start: number;
  x: Float32Array;
  xShape: number[];
}

/** Checks the options, naming the bad one and listing the valid names. */
function checkOptions(options: InferencePoolOptions): void {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) throw new Error(`InferencePool: unknown option '${name}' (valid: ${OPTION_NAMES.join(', ')})`);
  }
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`InferencePool: workers must be a positive integer, got ${options.workers}`);
  const c = options.chunkRows;
  if (c !== undefined && (!Number.isInteger(c) || c < 1)) throw new Error(`InferencePool: chunkRows must be a positive integer, got ${c}`);
}

export class InferencePool {
  private readonly queue: Chunk[] = [];
  /** Ranks of the workers waiting for a chunk. */
  private readonly idle: number[];
  private requests = 0;

  private constructor(
    private readonly group: WorkerGroup<InferRequest, LogitsReply>,
    /** The architecture the workers run. */
    readonly config: AnyModelConfig,
    readonly engine: InferenceSource['engine'],
    private readonly chunkRows: number | undefined,
  ) {
    this.idle = Array.from({ length: group.size }, (_, rank) => rank);
  }

  /**
   * Starts `workers` threads and waits until each has built the model (for the packed engine,
   * from the .bnx bytes of `source`; for the float model, from its configuration and weights,
   * copied now: later changes to the model do not reach the workers).
   */
  static async start(source: InferenceSource, options: InferencePoolOptions): Promise<InferencePool> {
    checkOptions(options);
    const config = sourceConfig(source);
    const init = inferenceInit(source);
    const inits = Array.from({ length: options.workers }, () => init);
    const group = await WorkerGroup.start<InferenceInit, InferRequest, LogitsReply>({ name: 'inference', entry: ENTRY, inits, errorsAreFatal: false });
    return new InferencePool(group, config, source.engine, options.chunkRows);
  }

  get workers(): number {
    return this.group.size;
  }

  /** Logits [N, classes] of an NCHW float32 batch, in evaluation mode, as one thread computes them. */
  async run(x: Tensor): Promise<Tensor> {
    this.group.checkUsable();
    const inChannels = this.config.inChannels;
    if (x.ndim !== 4 || x.shape[1] !== inChannels || x.shape[0] < 1) {
      throw new Error(`inference: input must be [N, ${inChannels}, H, W] with N >= 1, got ${formatShape(x.shape)}`);
    }
    const n = x.shape[0];
    const perRow = x.size / n;
    const rows = this.chunkRows ?? Math.ceil(n / (4 * this.workers));
    return new Promise<Tensor>((resolve, reject) => {
      const job: Job = { out: new Float32Array(n * this.config.numClasses), rows: n, remaining: 0, failed: false, resolve, reject };
      for (let start = 0; start < n; start += rows) {
        const count = Math.min(rows, n - start);
        this.queue.push({ job, start, x: x.data.slice(start * perRow, (start + count) * perRow), xShape: [count, ...x.shape.slice(1)] });
        job.remaining++;
      }
      this.dispatch();
    });
  }

  /** Gives queued chunks to idle workers. */
  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      if (chunk.job.failed) continue;
      void this.send(this.idle.shift()!, chunk);
    }
  }

  private async send(rank: number, chunk: Chunk): Promise<void> {
    const { job } = chunk;
    try {
      const request: InferRequest = { kind: 'infer', id: this.requests++, x: chunk.x, xShape: chunk.xShape };
      const reply = await this.group.request(rank, request, [chunk.x.buffer as ArrayBuffer], 'logits');
      const classes = this.config.numClasses;
      const count = chunk.xShape[0];
      if (reply.logitsShape.length !== 2 || reply.logitsShape[0] !== count || reply.logitsShape[1] !== classes) {
        throw new Error(`${this.group.describe(rank)}: logits of shape ${formatShape(reply.logitsShape)} for ${count} rows of ${classes} classes`);
      }
      job.out.set(reply.logits, chunk.start * classes);
      if (--job.remaining === 0 && !job.failed) job.resolve(new Tensor(job.out, [job.rows, classes]));
    } catch (err) {
      if (!job.failed) {
        job.failed = true;
        job.reject(err as Error);
      }
    } finally {
      this.idle.push(rank);
      this.dispatch();
    }
  }

  /** Stops the workers (idempotent); batches not yet done fail. */
  async close(): Promise<void> {
    for (const chunk of this.queue.splice(0)) {
      if (chunk.job.failed) continue;
      chunk.job.failed = true;
      chunk.job.reject(new Error('inference: the workers were closed before the batch was done'));
    }
    await this.group.close();
  }
}
