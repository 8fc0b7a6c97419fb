/**
 * Inference on worker threads (docs/parallel.md): a pool of workers, started once, each holding
 * its own copy of the float model or of the packed XNOR engine (inference-source.ts), among
 * which every batch given to `run` is split by rows.
 *
 * The rows go out in chunks taken on demand: each worker, as soon as it is free, takes the
 * next rows of the oldest batch still waiting. The two vCPUs of the machines this runs on are
 * not always equally fast, and fixed halves would leave the faster one waiting on the slower.
 * A chunk's size is guided by the work left (guided self-scheduling): a 1/(2·workers) share of
 * all the rows still queued, at least one row, at most the rest of the batch. Chunks are large
 * while much is queued (a small model runs a whole batch of 64 a third faster than eight calls
 * of 8 rows) and shrink to single rows at the end, so the workers finish together. Concurrent
 * `run` calls share the queue, so a caller with many batches (an evaluation) can give them all
 * at once and no worker idles between batches.
 *
 * The logits are bit-identical to the same batch run on one thread: in evaluation mode every
 * row of the output depends on its own input row only, and each kernel's arithmetic for a row
 * does not depend on how many rows share the call (the GEMMs block the summed dimension by a
 * fixed depth, never by the batch; the XNOR convolution sums integers), so running the rows in
 * chunks changes no rounding. The specs check this bit for bit.
 */
import { Tensor } from '../tensor/tensor';
import { formatShape } from '../tensor/shape';
import { BATCH_SIZE, checkNumber, WORKERS } from '../tensor/arguments';
import type { AnyModelConfig } from '../models/zoo';
import type { InferenceInit, InferRequest, LogitsReply } from './protocol';
import { inferenceInit, type InferenceSource, sourceConfig } from './inference-source';
import { WorkerGroup } from './worker-group';
import { siblingModule } from './spawn';

/** `InferencePool.start`'s options. */
export interface InferencePoolOptions {
  /** Worker threads, at least 1. */
  workers: number;
  /** Rows per request, fixed. Default: guided by the rows still queued (see above). */
  chunkRows?: number;
}

/** A chunk is a 1/(GUIDED_SHARE · workers) share of the rows still queued. */
const GUIDED_SHARE = 2;

const OPTION_NAMES: readonly string[] = ['workers', 'chunkRows'];

const ENTRY = siblingModule('inference-worker', import.meta.url);

/** One `run` call: its rows (a copy, taken at the call), and its output, filled chunk by chunk. */
interface Job {
  x: Float32Array;
  /** Shape of one row (one image). */
  rowShape: number[];
  rows: number;
  /** The first row not yet sent. */
  next: number;
  /** Rows whose logits have arrived. */
  done: number;
  out: Float32Array;
  failed: boolean;
  resolve: (logits: Tensor) => void;
  reject: (err: Error) => void;
}

/** Checks the options, naming the bad one and listing the valid names. */
function checkOptions(options: InferencePoolOptions): void {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) throw new Error(`InferencePool: unknown option '${name}' (valid: ${OPTION_NAMES.join(', ')})`);
  }
  checkNumber(options.workers, 'InferencePool: workers', WORKERS);
  if (options.chunkRows !== undefined) checkNumber(options.chunkRows, 'InferencePool: chunkRows', BATCH_SIZE);
}

/**
 * Worker threads, started once, that run one model's float forward or packed engine on the rows
 * of every batch given to `run`; `close` ends them.
 */
export class InferencePool {
  /** Batches with rows not yet sent, oldest first. */
  private readonly queue: Job[] = [];
  /** Rows of the queue not yet sent. */
  private queuedRows = 0;
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
    const rows = x.shape[0];
    return new Promise<Tensor>((resolve, reject) => {
      this.queue.push({
        x: x.data.slice(), rowShape: x.shape.slice(1), rows, next: 0, done: 0,
        out: new Float32Array(rows * this.config.numClasses), failed: false, resolve, reject,
      });
      this.queuedRows += rows;
      this.dispatch();
    });
  }

  /** Gives chunks of the oldest batches to idle workers. */
  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const job = this.queue[0];
      const left = job.rows - job.next;
      const rows = job.failed ? left : Math.min(left, this.chunkRows ?? Math.ceil(this.queuedRows / (GUIDED_SHARE * this.workers)));
      const start = job.next;
      job.next += rows;
      this.queuedRows -= rows;
      if (job.next === job.rows) this.queue.shift();
      if (!job.failed) void this.send(this.idle.shift()!, job, start, rows);
    }
  }

  private async send(rank: number, job: Job, start: number, rows: number): Promise<void> {
    try {
      const per = job.x.length / job.rows;
      const x = job.x.slice(start * per, (start + rows) * per);
      const request: InferRequest = { kind: 'infer', id: this.requests++, x, xShape: [rows, ...job.rowShape] };
      const reply = await this.group.request(rank, request, [x.buffer as ArrayBuffer], 'logits');
      const classes = this.config.numClasses;
      if (reply.logitsShape.length !== 2 || reply.logitsShape[0] !== rows || reply.logitsShape[1] !== classes) {
        throw new Error(`${this.group.describe(rank)}: logits of shape ${formatShape(reply.logitsShape)} for ${rows} rows of ${classes} classes`);
      }
      job.out.set(reply.logits, start * classes);
      job.done += rows;
      if (job.done === job.rows && !job.failed) job.resolve(new Tensor(job.out, [job.rows, classes]));
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
    for (const job of this.queue.splice(0)) {
      this.queuedRows -= job.rows - job.next;
      if (job.failed) continue;
      job.failed = true;
      job.reject(new Error('inference: the workers were closed before the batch was done'));
    }
    await this.group.close();
  }
}
