/** A teacher from a file of precomputed logits (Node only; teacher.ts's `LogitsFileTeacher`). */
import { readFileBytes } from '../io/files';
import { type LogitsExpectation, LogitsFileTeacher } from './teacher';

/** Reads a .npy of logits and checks its row count against the data and its class count against the student. */
export function loadLogitsTeacher(path: string, expected: LogitsExpectation, name = path): LogitsFileTeacher {
  return LogitsFileTeacher.fromNpy(readFileBytes(path), expected, path, name);
}
