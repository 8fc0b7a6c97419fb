/**
 * Recycled Float32Arrays for tensor data. A training step allocates hundreds of megabytes of
 * activations and gradients, each once; V8 then runs a full garbage collection every few tens
 * of megabytes of such "external" memory, and the allocator zeroes (and often maps) every
 * array anew. Backward (graph.ts) knows the moment an intermediate gradient is dead: its rule
 * has run and nothing else holds its array. It hands such arrays back here, and ops take their
 * output arrays from here, so a step mostly reuses the arrays of the last one.
 *
 * Only arrays that backward proves dead come back, and a taken array is handed out once, so
 * values never depend on the pool: `uninitializedArray` is for outputs their op overwrites
 * entirely, `zeroedArray` for the others. Arrays are kept by exact length, up to POOL_BYTES in
 * all; beyond that, released arrays are left to the garbage collector.
 */

/** Most bytes the pool keeps. */
const POOL_BYTES = 256 << 20;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/** An array of `length` floats with arbitrary contents: the caller writes every element. */
export function uninitializedArray(length: number): Float32Array {
  const list = free.get(length);
  if (list && list.length > 0) {
    pooledBytes -= 4 * length;
    return list.pop()!;
  }
  return new Float32Array(length);
}

/** An array of `length` zeros. */
export function zeroedArray(length: number): Float32Array {
  const list = free.get(length);
  if (list && list.length > 0) {
    pooledBytes -= 4 * length;
    return list.pop()!.fill(0);
  }
  return new Float32Array(length);
}

/** Gives back an array nothing references any more (backward's dead gradients). */
export function releaseArray(a: Float32Array): void {
  // Views into a larger buffer (subarray) are not reused: their buffer may hold other data.
  if (a.byteOffset !== 0 || a.buffer.byteLength !== a.byteLength || pooledBytes + a.byteLength > POOL_BYTES) return;
  let list = free.get(a.length);
  if (!list) free.set(a.length, (list = []));
  list.push(a);
  pooledBytes += a.byteLength;
}
