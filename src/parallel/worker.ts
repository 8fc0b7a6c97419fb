/**
 * The entry of a data-parallel worker thread (started by data-parallel.ts): builds a `Replica`
 * from `workerData`, reports ready, then answers each step or prediction request. Errors, at
 * start or in a request, are reported as messages so the main thread can name the worker and
 * the cause.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Replica } from './replica';
import { kernelsFromEnvironment } from '../io/environment';
import { errorReply, type PredictReply, type StepReply, type WorkerInit, type WorkerRequest } from './protocol';

const port = parentPort;
if (!port) throw new Error('src/parallel/worker.ts is a worker thread entry; data-parallel.ts starts it');

let replica: Replica | null = null;
try {
  kernelsFromEnvironment();
  replica = new Replica(workerData as WorkerInit);
  port.postMessage({ kind: 'ready' });
} catch (err) {
  port.postMessage(errorReply(err));
}

port.on('message', (request: WorkerRequest) => {
  if (!replica) return;
  let reply: StepReply | PredictReply;
  try {
    reply = request.kind === 'step' ? replica.step(request) : replica.predict(request);
  } catch (err) {
    port.postMessage(errorReply(err));
    return;
  }
  const transfer: ArrayBuffer[] = [reply.logits.buffer as ArrayBuffer];
  if (reply.kind === 'done') {
    transfer.push(reply.grads.buffer as ArrayBuffer);
    if (reply.params) transfer.push(reply.params.buffer as ArrayBuffer);
    if (reply.floatBuffers) transfer.push(reply.floatBuffers.buffer as ArrayBuffer);
    if (reply.intBuffers) transfer.push(reply.intBuffers.buffer as ArrayBuffer);
  }
  port.postMessage(reply, transfer);
});
