/**
 * The entry of an inference worker thread (started by inference-pool.ts): builds the float
 * model or the packed engine from `workerData` (inference-source.ts), then answers each request
 * with the logits of the rows it carries (serve.ts).
 */
import { Tensor } from '../tensor/tensor';
import type { Classifier } from '../train/evaluate';
import type { InferenceInit, InferRequest, LogitsReply } from './protocol';
import { classifierFromInit } from './inference-source';
import { type Answer, serve } from './serve';

function answer(classify: Classifier, request: InferRequest): Answer<LogitsReply> {
  const logits = classify(new Tensor(request.x, request.xShape));
  // A copy owns exactly its bytes (a tensor's array may view a larger buffer), so it can be transferred.
  const data = logits.data.slice();
  return { reply: { kind: 'logits', id: request.id, logits: data, logitsShape: [...logits.shape] }, transfer: [data.buffer as ArrayBuffer] };
}

serve<InferenceInit, Classifier, InferRequest, LogitsReply>('src/parallel/inference-worker.ts', classifierFromInit, answer);
