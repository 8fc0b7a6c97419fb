/**
 * A fixed group of worker threads, each answering one request at a time: the transport shared
 * by data-parallel training (data-parallel.ts) and parallel inference (inference-pool.ts).
 * `start` spawns the workers (spawn.ts) and waits until each has built its state from its own
 * `workerData` and said so; `request` sends one message to one worker and resolves with its
 * reply; `close` stops them all. The worker side is serve.ts.
 *
 * Failures carry the worker's name and cause: a worker that crashes or exits fails its pending
 * request and every later one (the group is then unusable); an error the worker reports as a
 * reply fails that request, and also the group when `errorsAreFatal` (training, where a
 * replica's state after a failed step is unknown; inference workers hold nothing a failed
 * request can spoil).
 *
 * Between requests the workers are unref'd: an idle group does not keep the process alive,
 * though `close` is still the way to stop it.
 */
import type { Worker } from 'node:worker_threads';
import { spawnTypeScriptWorker } from './spawn';
import type { ErrorReply, ReadyReply } from './protocol';

/** What every request and reply carries: its kind, and the request's number, which the reply echoes. */
export interface Message {
  kind: string;
  id: number;
}

interface Member {
  rank: number;
  worker: Worker;
  pending: { resolve: (reply: unknown) => void; reject: (e: Error) => void } | null;
}

export interface WorkerGroupOptions<Init> {
  /** Names the workers in errors: "<name> worker 1 (of 2)". */
  name: string;
  /** The worker's entry module (it calls `serve`, serve.ts). */
  entry: URL;
  /** One `workerData` per worker. */
  inits: readonly Init[];
  /** Whether an error a worker reports makes the whole group unusable. */
  errorsAreFatal: boolean;
}

export class WorkerGroup<Request extends Message, Reply extends Message> {
  private readonly members: Member[] = [];
  private failure: Error | null = null;
  private closing = false;

  private constructor(readonly name: string, private readonly errorsAreFatal: boolean) {}

  /** Starts one worker per init and waits until each is ready; a failure stops them all. */
  static async start<Init, Request extends Message, Reply extends Message>(o: WorkerGroupOptions<Init>): Promise<WorkerGroup<Request, Reply>> {
    const group = new WorkerGroup<Request, Reply>(o.name, o.errorsAreFatal);
    try {
      const ready: Promise<unknown>[] = [];
      o.inits.forEach((init, rank) => {
        const member: Member = { rank, worker: spawnTypeScriptWorker(o.entry, init), pending: null };
        group.members.push(member);
        group.listen(member, o.inits.length);
        ready.push(group.expect(member));
      });
      await Promise.all(ready);
      for (const m of group.members) m.worker.unref();
    } catch (err) {
      await group.close();
      throw err;
    }
    return group;
  }

  get size(): number {
    return this.members.length;
  }

  describe(rank: number): string {
    return `${this.name} worker ${rank} (of ${this.members.length})`;
  }

  private listen(m: Member, size: number): void {
    const name = (): string => `${this.name} worker ${m.rank} (of ${size})`;
    m.worker.on('message', (reply: Reply | ReadyReply | ErrorReply) => {
      const pending = m.pending;
      m.pending = null;
      if (!pending) return;
      if (reply.kind === 'error') {
        const r = reply as ErrorReply;
        const remote = new Error(r.message);
        remote.stack = r.stack;
        const err = new Error(`${name()} failed: ${r.message}`, { cause: remote });
        pending.reject(this.errorsAreFatal ? this.fail(err) : err);
      } else {
        pending.resolve(reply);
      }
    });
    m.worker.on('error', (err: Error) => this.abort(m, new Error(`${name()} crashed: ${err.message}`, { cause: err })));
    m.worker.on('exit', (code: number) => {
      if (!this.closing) this.abort(m, new Error(`${name()} exited unexpectedly with code ${code}`));
      else m.pending?.reject(new Error(`${name()} was stopped`));
      m.pending = null;
    });
  }

  /** Records the first failure: later requests fail at once with it. Returns `err`. */
  fail(err: Error): Error {
    this.failure ??= err;
    return err;
  }

  private abort(m: Member, err: Error): void {
    this.fail(err);
    const pending = m.pending;
    m.pending = null;
    pending?.reject(err);
  }

  /** The member's next message. */
  private expect(m: Member): Promise<unknown> {
    return new Promise((resolve, reject) => {
      m.pending = { resolve, reject };
    });
  }

  /** Fails at once after a fatal failure or once closed. */
  checkUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new Error(`${this.name}: the workers have been closed`);
  }

  /**
   * Sends `request` to worker `rank` (the buffers in `transfer` move to it) and resolves with
   * its reply, which must be of kind `expected` and echo the request's id.
   */
  async request<K extends Reply['kind']>(rank: number, request: Request, transfer: ArrayBuffer[], expected: K): Promise<Extract<Reply, { kind: K }>> {
    this.checkUsable();
    const m = this.members[rank];
    if (!m) throw new Error(`${this.name}: no worker ${rank} (there are ${this.members.length})`);
    if (m.pending) throw new Error(`${this.describe(rank)} is busy: one request at a time`);
    const reply = this.expect(m);
    m.worker.ref();
    try {
      m.worker.postMessage(request, transfer);
      const r = (await reply) as Reply;
      if (r.kind !== expected || r.id !== request.id) {
        throw this.fail(new Error(`${this.describe(rank)}: unexpected reply '${r.kind}' to ${request.kind} request ${request.id}`));
      }
      return r as Extract<Reply, { kind: K }>;
    } finally {
      m.worker.unref();
    }
  }

  /** Stops every worker (idempotent); pending requests fail. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }
}
