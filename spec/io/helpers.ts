/**
 * Shared by the io specs: the fixtures exported by fixtures/export/export_io.py, their expected
 * values, exact comparison, and scratch directories.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredArray } from '../../src/io/stored';

export const FIXTURES = 'fixtures/io';

/** A fixture file's bytes in a fresh buffer (byteOffset 0, so aligned data can be viewed). */
export function fixtureBytes(relativePath: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, relativePath)));
}

/** Values as the exporter wrote them: non-finite floats as strings, int64 as decimal strings. */
export type ExpectedValue = number | string;

export interface ExpectedArray {
  dtype?: string;
  shape: number[];
  values: ExpectedValue[];
  bits?: number[];
}

export interface ExpectedFixtures {
  npy: Record<string, ExpectedArray>;
  safetensors: Record<string, { metadata: Record<string, string>; tensors: Record<string, ExpectedArray> }>;
}

export const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as ExpectedFixtures;

export function floatOf(v: ExpectedValue): number {
  if (typeof v === 'number') return v;
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  throw new Error(`not a float: ${v}`);
}

/** Exact element-wise equality, telling -0 from 0 and treating NaN as equal to NaN. */
export function expectSameNumbers(actual: ArrayLike<number>, wanted: readonly number[], what: string): void {
  expect(actual.length, `${what}: length`).to.equal(wanted.length);
  for (let i = 0; i < wanted.length; i++) {
    if (!Object.is(actual[i], wanted[i])) expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${wanted[i]}`);
  }
}

/** Checks a stored array's raw contents against the exporter's values, exactly. */
export function expectStoredEquals(arr: StoredArray, want: ExpectedArray, what: string): void {
  expect(arr.shape, `${what}: shape`).to.deep.equal(want.shape);
  switch (arr.dtype) {
    case 'F32':
      expectSameNumbers(arr.data, want.values.map((v) => Math.fround(floatOf(v))), what);
      break;
    case 'F64':
      expectSameNumbers(arr.data, want.values.map(floatOf), what);
      break;
    case 'F16':
    case 'BF16':
      expectSameNumbers(arr.data, want.bits ?? [], what);
      break;
    case 'I64':
      expect([...arr.data], what).to.deep.equal(want.values.map((v) => BigInt(v)));
      break;
    default:
      expectSameNumbers(arr.data, want.values.map(Number), what);
  }
}

/** A scratch directory removed after the callback. */
export function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'bnext-io-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
