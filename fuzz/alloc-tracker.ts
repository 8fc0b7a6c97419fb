/**
 * Measures what a parser allocates: every typed array, ArrayBuffer and Buffer created while a
 * measurement is active is charged (its byte length) against a bound. An allocation that would
 * pass the bound is refused (it throws before the memory is taken) and remembered, so the
 * violation is reported even when the parser catches the error and throws its own.
 *
 * `install` replaces the global constructors with proxies and wraps the copying methods
 * (`slice`, `map`, `filter`, `Buffer.alloc*`, `Buffer.concat`); it is meant for
 * the fuzzer's worker threads only. JavaScript arrays, strings and objects live in the V8 heap,
 * which the fuzzer bounds separately (the worker's heap limit).
 */

/** Thrown in place of an allocation beyond the bound. */
export class AllocationRefused extends Error {
  constructor(readonly bytes: number, readonly total: number, readonly bound: number) {
    super(`allocation of ${bytes} bytes refused (${total} bytes in all, bound ${bound})`);
    this.name = 'AllocationRefused';
  }
}

export interface AllocationReport {
  /** Bytes allocated in all during the measurement. */
  total: number;
  /** The largest single allocation. */
  largest: number;
  /** The first refused allocation, or null. */
  violation: AllocationRefused | null;
}

interface Measurement extends AllocationReport {
  bound: number;
}

let active: Measurement | null = null;

function charge(bytes: number): void {
  const m = active;
  if (!m || bytes === 0 || Number.isNaN(bytes)) return;
  const next = m.total + bytes;
  if (!(next <= m.bound)) {
    const refused = new AllocationRefused(bytes, next, m.bound);
    m.violation ??= refused;
    throw refused;
  }
  m.total = next;
  m.largest = Math.max(m.largest, bytes);
}

/** Runs `fn` with allocations charged against `bound` bytes. */
export function measureAllocations<T>(bound: number, fn: () => T): { report: AllocationReport; value?: T; error?: unknown } {
  const m: Measurement = { bound, total: 0, largest: 0, violation: null };
  active = m;
  try {
    const value = fn();
    return { report: m, value };
  } catch (error) {
    return { report: m, error };
  } finally {
    active = null;
  }
}

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
] as const;

type AnyConstructor = new (...args: unknown[]) => object;

/** Bytes a typed-array constructor call allocates: none for a view of a buffer. */
function constructedBytes(args: unknown[], bytesPerElement: number): number {
  const first = args[0];
  if (typeof first === 'number') return first * bytesPerElement;
  if (first instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && first instanceof SharedArrayBuffer)) return 0;
  if (first && typeof first === 'object' && 'length' in first && typeof (first as { length: unknown }).length === 'number') {
    return (first as { length: number }).length * bytesPerElement;
  }
  return 0;
}

let installed = false;

/** Replaces the global allocators with charging ones (once per thread). */
export function install(): void {
  if (installed) return;
  installed = true;
  const globals = globalThis as unknown as Record<string, unknown>;
  for (const name of TYPED_ARRAYS) {
    const Original = globals[name] as AnyConstructor & { BYTES_PER_ELEMENT: number };
    const size = Original.BYTES_PER_ELEMENT;
    globals[name] = new Proxy(Original, {
      construct(target, args, newTarget) {
        charge(constructedBytes(args, size));
        return Reflect.construct(target, args, newTarget === globals[name] ? target : newTarget);
      },
    });
  }
  const OriginalBuffer = ArrayBuffer;
  globals.ArrayBuffer = new Proxy(OriginalBuffer, {
    construct(target, args, newTarget) {
      charge(typeof args[0] === 'number' ? args[0] : 0);
      return Reflect.construct(target, args, newTarget === globals.ArrayBuffer ? target : newTarget);
    },
  });
  // Methods that allocate a new array of the receiver's type.
  const typedPrototype = Object.getPrototypeOf(Uint8Array.prototype) as Record<string, (...a: unknown[]) => ArrayBufferView>;
  for (const method of ['slice', 'map', 'filter']) {
    const original = typedPrototype[method];
    typedPrototype[method] = function (this: ArrayBufferView, ...args: unknown[]) {
      const result = original.apply(this, args);
      charge(result.byteLength);
      return result;
    };
  }
  // `from` and `of` construct through the proxies above, so they are charged there.
  const bufferSlice = OriginalBuffer.prototype.slice;
  OriginalBuffer.prototype.slice = function (this: ArrayBuffer, ...args: [number?, number?]) {
    const result = bufferSlice.apply(this, args);
    charge(result.byteLength);
    return result;
  };
  const B = Buffer as unknown as Record<string, (...a: unknown[]) => Buffer>;
  for (const method of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
    const original = B[method];
    B[method] = function (this: unknown, ...args: unknown[]) {
      charge(typeof args[0] === 'number' ? args[0] : 0);
      return original.apply(this, args);
    };
  }
  const concat = B.concat;
  B.concat = function (this: unknown, ...args: unknown[]) {
    const result = concat.apply(this, args);
    charge(result.length);
    return result;
  };
}
