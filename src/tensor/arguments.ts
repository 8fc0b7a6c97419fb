/**
 * Numeric arguments checked where they enter bnext: the API functions (training, evaluation,
 * pipelines, model configurations) and the command line (`src/cli/args.ts`) share these bounds
 * and messages, so `--batch-size 0` and `evaluate(model, data, 0)` are refused alike, by name,
 * before anything loops or allocates.
 */

/** What a number must be: an integer or any finite number, within optional bounds. */
export interface NumberBounds {
  integer?: boolean;
  min?: number;
  max?: number;
  /** The minimum itself is excluded (a learning rate must be > 0). */
  exclusiveMin?: boolean;
}

/** An argument outside its documented range; the message names the argument and the range. */
export class ArgumentError extends RangeError {}

/** Batch sizes: at least one sample; above 2^16 no batch fits a model's activations in memory. */
export const BATCH_SIZE: NumberBounds = { integer: true, min: 1, max: 65536 };
/** Side lengths of model inputs and pipeline outputs, in pixels (4096²·3 floats: 192 MiB per image). */
export const IMAGE_SIDE: NumberBounds = { integer: true, min: 1, max: 4096 };
/** Epoch counts (the paper trains 512). */
export const EPOCHS: NumberBounds = { integer: true, min: 1, max: 100_000 };
/** Worker threads of data-parallel training. */
export const WORKERS: NumberBounds = { integer: true, min: 1, max: 256 };
/** Seeds: any integer a double holds exactly. */
export const SEED: NumberBounds = { integer: true, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
/** Sample counts (BatchNorm recalibration images and the like). */
export const COUNT: NumberBounds = { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER };
/** Learning rates and other strictly positive finite factors. */
export const POSITIVE: NumberBounds = { min: 0, exclusiveMin: true };

/** The range in words: "an integer from 1 to 65536", "a number > 0". */
export function describeBounds(b: NumberBounds): string {
  const kind = b.integer ? 'an integer' : 'a finite number';
  if (b.min !== undefined && b.max !== undefined && !b.exclusiveMin) return `${kind} from ${b.min} to ${b.max}`;
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`${b.exclusiveMin ? '>' : '>='} ${b.min}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

/** Whether `value` satisfies `b`. */
export function withinBounds(value: number, b: NumberBounds): boolean {
  if (!Number.isFinite(value) || (b.integer && !Number.isInteger(value))) return false;
  if (b.min !== undefined && (b.exclusiveMin ? value <= b.min : value < b.min)) return false;
  return b.max === undefined || value <= b.max;
}

/** `value` if it satisfies `b`; else an ArgumentError "`name` must be …, got …". */
export function checkNumber(value: number, name: string, b: NumberBounds): number {
  if (!withinBounds(value, b)) throw new ArgumentError(`${name} must be ${describeBounds(b)}, got ${value}`);
  return value;
}
