/**
 * The messages between the main thread and its worker threads: a data-parallel replica
 * (data-parallel.ts) and an inference worker (inference-pool.ts). Only typed arrays and plain
 * data: they are structured-cloned, and the large arrays a worker sends back (gradients,
 * logits) are transferred rather than copied.
 */
import type { AnyModelConfig } from '../models/zoo';
import type { EnsembleForm } from '../distill/ensemble';
import type { PlainStateEntry, TeacherSpec } from './replica-spec';

/** Given to a worker when it starts (`workerData`). */
export interface WorkerInit {
  rank: number;
  workers: number;
  student: AnyModelConfig;
  /** The main thread's `FlatState.signature()` of the student, checked against the replica's. */
  signature: string[];
  teachers: TeacherSpec[];
}

/** What every replica request carries: an id (echoed by the reply), the current weights and rank-0 buffers, and images. */
interface ReplicaRequest {
  id: number;
  params: Float32Array;
  floatBuffers: Float32Array;
  intBuffers: Int32Array;
  /** The images, [n, ...sampleShape] row-major. */
  x: Float32Array;
  xShape: number[];
}

/** One step on this replica's shard of the batch. */
export interface StepRequest extends ReplicaRequest {
  kind: 'step';
  y: Int32Array;
  /** Each sample's row in the training set (for teachers of precomputed logits). */
  indices: Int32Array;
  /** Positions in `WorkerInit.teachers` of this step's teachers, in the loss's order; empty for cross-entropy. */
  teachers: number[];
  form: EnsembleForm;
  /**
   * Rank 0 sends its parameters and buffers back: they become the main model's. The buffers are
   * the running statistics (DDP checkpoints rank 0's); the parameters are those the forward
   * clamped in place (the latent binary weights to ±1.5, Info-RCP's scale to [0, 1]), which under
   * DDP every process does to its own copy before the optimizer steps it.
   */
  returnState: boolean;
}

/** Logits of a batch in evaluation mode (held-out evaluation, trainer.ts). */
export interface PredictRequest extends ReplicaRequest {
  kind: 'predict';
}

/** A replica's requests (data-parallel.ts). */
export type WorkerRequest = StepRequest | PredictRequest;

/** Logits of the images a request carried (a replica's `predict`, an inference worker's `infer`). */
export interface LogitsReply {
  kind: 'logits';
  id: number;
  logits: Float32Array;
  logitsShape: number[];
}

export interface StepReply {
  kind: 'done';
  id: number;
  grads: Float32Array;
  present: Uint8Array;
  /** The shard's mean loss. */
  loss: number;
  /** The shard's logits [n, classes]. */
  logits: Float32Array;
  logitsShape: number[];
  params: Float32Array | null;
  floatBuffers: Float32Array | null;
  intBuffers: Int32Array | null;
}

export interface ReadyReply {
  kind: 'ready';
}

export interface ErrorReply {
  kind: 'error';
  message: string;
  stack: string;
}

/** A replica's replies (data-parallel.ts). */
export type WorkerReply = StepReply | LogitsReply;

/**
 * Given to an inference worker when it starts: the float model as its configuration and
 * weights, or the packed engine as the bytes of a .bnx file (docs/bnx-format.md).
 */
export type InferenceInit =
  | { engine: 'float'; config: AnyModelConfig; state: PlainStateEntry[] }
  | { engine: 'xnor'; bnx: Uint8Array; source: string };

/** Logits of some rows of a batch, in evaluation mode (inference-pool.ts). */
export interface InferRequest {
  kind: 'infer';
  id: number;
  /** The images, [n, ...sampleShape] row-major. */
  x: Float32Array;
  xShape: number[];
}

export function errorReply(err: unknown): ErrorReply {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: 'error', message: e.message, stack: e.stack ?? e.message };
}
