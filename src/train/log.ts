/** The training log: one JSON object per epoch in `log.jsonl`, rewritten atomically each epoch. */
import { writeFileAtomic } from '../io/atomic';

/** One epoch's record in log.jsonl. */
export interface LogRecord {
  epoch: number;
  lr: number;
  temperature: number | null;
  trainLoss: number;
  trainTop1: number;
  testLoss: number;
  testTop1: number;
  testTop5: number;
  seconds: number;
  teachers?: string[];
}

/** The whole history, so a resumed run's log has each epoch exactly once. */
export function writeLog(path: string, history: readonly LogRecord[]): void {
  writeFileAtomic(path, new TextEncoder().encode(history.map((r) => `${JSON.stringify(r)}\n`).join('')));
}
