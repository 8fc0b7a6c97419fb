/**
 * The worker-thread side of a WorkerGroup (worker-group.ts): takes its parent's kernels, builds
 * the worker's state from its `workerData`, reports ready, then answers each request in turn. Errors, at start or in a
 * request, go back as messages with their stack, so the main thread can name the worker and
 * the cause; the large arrays of a reply are transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorReply } from './protocol';
import { kernelsFromEnvironment } from '../io/environment';
import type { Message } from './worker-group';

/** A reply and the buffers to transfer with it. */
export interface Answer<Reply extends Message> {
  reply: Reply;
  transfer: ArrayBuffer[];
}

export function serve<Init, State, Request extends Message, Reply extends Message>(
  entry: string,
  build: (init: Init) => State,
  answer: (state: State, request: Request) => Answer<Reply>,
): void {
  const port = parentPort;
  if (!port) throw new Error(`${entry} is a worker thread entry; a WorkerGroup starts it`);
  let state: { value: State } | null = null;
  try {
    // The parent's kernel choice (io/environment.ts; spawn.ts puts it in the environment).
    kernelsFromEnvironment();
    state = { value: build(workerData as Init) };
    port.postMessage({ kind: 'ready' });
  } catch (err) {
    port.postMessage(errorReply(err));
  }
  port.on('message', (request: Request) => {
    if (!state) return;
    let a: Answer<Reply>;
    try {
      a = answer(state.value, request);
    } catch (err) {
      port.postMessage(errorReply(err));
      return;
    }
    port.postMessage(a.reply, a.transfer);
  });
}
