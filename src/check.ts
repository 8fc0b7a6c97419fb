/**
 * Argument checks for the public API (src/index.ts, src/node.ts): each throws an Error that
 * starts with the function's name, names the argument and says what was expected, so a wrong
 * call fails at the door instead of deep in a kernel. Numbers are checked against the bounds
 * the command line shares (tensor/arguments.ts).
 */
import { Tensor } from './tensor/tensor';
import { formatShape } from './tensor/shape';
import { ArgumentError, describeBounds, type NumberBounds, withinBounds } from './tensor/arguments';

/** How a value looks in an error message: its type, and the value itself when short. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Tensor) return `a tensor of shape ${formatShape(v.shape)}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const name = typeof v === 'function' ? 'function' : (v as object).constructor?.name;
  if (!name || name === 'Object') return 'an object';
  return `${/^[AEIO]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/** "'a', 'b' or 'c'", for lists of valid names. */
export function oneOf(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/**
 * Checks that `options` is absent or a plain object whose every key is in `known`; returns it
 * (or an empty object). An unknown key is reported with the valid ones.
 */
export function checkOptionNames<T extends object>(fn: string, options: T | undefined, known: readonly string[]): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${fn}: unknown option '${key}' (valid options: ${oneOf(known)})`);
  }
  return options;
}

/** Checks that `value` is one of `names`; the error lists them. */
export function checkName<N extends string>(fn: string, what: string, value: unknown, names: readonly N[]): N {
  if (typeof value !== 'string' || !(names as readonly string[]).includes(value)) {
    throw new Error(`${fn}: unknown ${what} ${describeValue(value)} (expected ${oneOf(names)})`);
  }
  return value as N;
}

/**
 * Checks a number against the shared bounds of tensor/arguments.ts (batch sizes, image sides,
 * model fields, …), whatever type the caller passed; the error says the range.
 */
export function checkBounded(fn: string, what: string, value: unknown, bounds: NumberBounds): number {
  if (typeof value !== 'number' || !withinBounds(value, bounds)) {
    throw new ArgumentError(`${fn}: ${what} must be ${describeBounds(bounds)}, got ${describeValue(value)}`);
  }
  return value;
}

/** Checks that `value` is a float32 tensor with `ndim` dimensions (and `channels` on axis 1). */
export function checkTensor(fn: string, what: string, value: unknown, ndim: number, channels?: number): Tensor {
  const layout = ndim === 4 ? `[N, ${channels ?? 'C'}, H, W]` : `${ndim}-D`;
  if (!(value instanceof Tensor)) throw new Error(`${fn}: ${what} must be a float32 Tensor ${layout}, got ${describeValue(value)}`);
  if (value.ndim !== ndim || (channels !== undefined && value.shape[1] !== channels)) {
    throw new Error(`${fn}: ${what} must be ${layout}, got shape ${formatShape(value.shape)}`);
  }
  return value;
}

/** Checks that `value` is a Uint8Array of file bytes. */
export function checkBytes(fn: string, what: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new Error(`${fn}: ${what} must be a Uint8Array of the file's bytes, got ${describeValue(value)}`);
  return value;
}
