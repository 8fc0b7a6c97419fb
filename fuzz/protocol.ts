/** Messages between the fuzzer and its worker thread. */

/** What one input gave. Defects: crash, hang, allocation, wrong. */
export type Outcome = 'same' | 'verified' | 'unverified' | 'rejected' | 'crash' | 'hang' | 'allocation' | 'wrong';
export const OUTCOMES: readonly Outcome[] = ['same', 'verified', 'unverified', 'rejected', 'crash', 'hang', 'allocation', 'wrong'];
export const DEFECTS: readonly Outcome[] = ['crash', 'hang', 'allocation', 'wrong'];

export interface WorkerInit {
  /** The module (file URL) whose `TARGETS` holds the target, and the target's name in it. */
  targetModule: string;
  parser: string;
  /** Per-input time limit (ms); a slower decode is a hang. */
  timeoutMs: number;
  /** Send back the decoded result of unverified inputs (for fuzz/reference.py). */
  wantOutputs: boolean;
}

export interface Job {
  index: number;
  seedIndex: number;
  bytes: Uint8Array;
}

export interface JobResult {
  index: number;
  outcome: Outcome;
  detail: string;
  /** A rejection whose message carries a runtime error from inside a library (e.g. "Cannot read properties"). */
  internalMessage: boolean;
  ms: number;
  allocated: number;
  /** With wantOutputs, for unverified inputs: the decoded result as a file (.npy image or .safetensors tensors). */
  output?: Uint8Array;
}

export type FromWorker = { kind: 'ready'; seeds: number } | { kind: 'result'; result: JobResult };
