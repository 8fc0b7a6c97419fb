/**
 * What the fuzzer needs to know about one parser: valid files to start from, how users' files
 * are decoded, an independent reference decode where one is cheap, mutations that know the
 * format, and the allocation a file of a given length justifies.
 *
 * Results are compared as digests (SHA-256 of a canonical form), so a decode in a worker thread
 * and a reference decode can be compared without shipping tensors around.
 */
import { createHash } from 'node:crypto';
import type { Mutator } from './mutate';

export const PARSERS = ['safetensors', 'npy', 'bnx', 'png', 'jpeg', 'pth'] as const;
export type ParserName = (typeof PARSERS)[number];

export interface FuzzTarget {
  name: string;
  /** Valid (and a few deliberately invalid) files to mutate, each with a name for reports. */
  seeds(): { name: string; bytes: Uint8Array }[];
  /** Decodes as bnext decodes users' files; the digest of the result. */
  decode(bytes: Uint8Array, source: string): string;
  /**
   * An independent decode of the same bytes: its digest, null when no reference can tell (the
   * result is then reported as unverified), or a thrown ReferenceRejects when it finds the file
   * invalid. `seed` is the file the input was mutated from.
   */
  reference(bytes: Uint8Array, seed: Uint8Array): string | null;
  /** Mutations that know the format (header fields, sizes, checksums). */
  mutators: readonly Mutator[];
  /** The most bytes a decode of an input of `length` bytes may allocate. */
  allocationBound(length: number): number;
}

/** The reference decoder found the input invalid. */
export class ReferenceRejects extends Error {}

/** A digest of a canonical description of a result. */
export class Digest {
  private readonly hash = createHash('sha256');

  text(s: string): this {
    this.hash.update(`${s.length}:${s}`);
    return this;
  }

  bytes(b: ArrayBufferView): this {
    this.hash.update(`${b.byteLength}:`);
    this.hash.update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    return this;
  }

  done(): string {
    return this.hash.digest('hex');
  }
}

/** A digest of named arrays, in name order. */
export function digestArrays(arrays: Iterable<[string, { dtype: string; shape: readonly number[]; data: ArrayBufferView }]>, extra = ''): string {
  const d = new Digest().text(extra);
  for (const [name, a] of [...arrays].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) d.text(name).text(a.dtype).text(a.shape.join(',')).bytes(a.data);
  return d.done();
}

const KIB = 1024;
export const MIB = 1024 * KIB;
