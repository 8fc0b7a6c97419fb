/**
 * Shared by the torch checkpoint specs: the fixtures written by fixtures/export/export_torch.py
 * (PyTorch's own files and the tensors each must yield) and a bit-for-bit comparison.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors } from '../../../src/io/safetensors';
import { storedBytes, type StoredArray } from '../../../src/io/stored';

export const TORCH_FIXTURES = 'fixtures/torch';

export interface TorchFixture {
  file: string;
  format: 'zip' | 'legacy';
  bytes: number;
  /** The safetensors file of expected tensors (valid files). */
  expected?: string;
  state_dict_key?: string | null;
  ignored_keys?: string[];
  /** The global the reader must refuse (malicious files). */
  refused_global?: string;
  torch_weights_only_load: string;
}

export interface TorchManifest {
  torch: string;
  model: { arch: 'bnext'; base_width: number; stages: [number, number, number, number]; num_classes: number };
  files: TorchFixture[];
}

export const manifest = JSON.parse(readFileSync(join(TORCH_FIXTURES, 'manifest.json'), 'utf8')) as TorchManifest;

/** A fixture's bytes in a fresh buffer. */
export function torchFixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(TORCH_FIXTURES, name)));
}

/** The expected tensors of a fixture, from the safetensors file PyTorch's bytes were written to. */
export function expectedTensors(name: string): Map<string, StoredArray> {
  return parseSafetensors(torchFixtureBytes(name), name).tensors;
}

/** Same names, dtypes, shapes and bytes. */
export function expectSameTensors(actual: ReadonlyMap<string, StoredArray>, wanted: ReadonlyMap<string, StoredArray>, what: string): void {
  expect([...actual.keys()].sort(), `${what}: names`).to.deep.equal([...wanted.keys()].sort());
  for (const [name, want] of wanted) {
    const got = actual.get(name)!;
    expect(got.dtype, `${what}: '${name}' dtype`).to.equal(want.dtype);
    expect(got.shape, `${what}: '${name}' shape`).to.deep.equal(want.shape);
    expect(Buffer.from(storedBytes(got)).equals(Buffer.from(storedBytes(want))), `${what}: '${name}' bytes`).to.equal(true);
  }
}
