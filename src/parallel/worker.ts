/**
 * The entry of a data-parallel worker thread (started by data-parallel.ts): builds a `Replica`
 * from `workerData`, then answers each step or prediction request (serve.ts).
 */
import { Replica } from './replica';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol';
import { type Answer, serve } from './serve';

function answer(replica: Replica, request: WorkerRequest): Answer<WorkerReply> {
  if (request.kind === 'predict') {
    const reply = replica.predict(request);
    return { reply, transfer: [reply.logits.buffer as ArrayBuffer] };
  }
  const reply = replica.step(request);
  const transfer = [reply.logits, reply.grads, reply.params, reply.floatBuffers, reply.intBuffers].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
  return { reply, transfer };
}

serve<WorkerInit, Replica, WorkerRequest, WorkerReply>('src/parallel/worker.ts', (init) => new Replica(init), answer);
