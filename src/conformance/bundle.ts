/**
 * Writing a conformance bundle (docs/golden-testing.md, "The bundle"): the cases' tensors as
 * .npy and .safetensors files (src/io), packed models as .bnx, and manifest.json describing them.
 * Each case's files live in the folder named by its id (`ops/sign/zeros/x.npy`); a backend writes
 * its results at the same relative paths under its own folder.
 *
 * The bundle is written into a temporary folder beside the target and renamed into place at the
 * end, so a failure leaves no half-written bundle.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { serializeNpy } from '../io/npy';
import { serializeSafetensors } from '../io/safetensors';
import type { StoredArray } from '../io/stored';
import {
  type Attributes, type CaseSpec, type FileRef, type Level, type Manifest, MANIFEST_FILE, MANIFEST_FORMAT, type OutputRef,
  SCHEMA_VERSION, type Tolerance,
} from './manifest';

/** A file of a case, before it is written. */
export type CaseFile = (
  | { name: string; kind: 'npy'; array: StoredArray }
  /** Named arrays in a meaningful order (a trace's call order), kept in the manifest. */
  | { name: string; kind: 'safetensors'; tensors: [string, StoredArray][] }
  | { name: string; kind: 'bnx'; bytes: Uint8Array }
) & {
  /** An input several cases share, stored once in this folder instead of the case's own. */
  sharedIn?: string;
};

export interface CaseOutput {
  file: CaseFile;
  tolerance: Tolerance;
  trace?: 'forward' | 'backward';
}

export interface CaseDef {
  id: string;
  level: Level;
  op: string;
  description: string;
  attributes: Attributes;
  inputs: CaseFile[];
  outputs: CaseOutput[];
}

export const npyFile = (name: string, array: StoredArray): CaseFile => ({ name, kind: 'npy', array });
export const tensorsFile = (name: string, tensors: [string, StoredArray][]): CaseFile => ({ name, kind: 'safetensors', tensors });

const EXTENSION = { npy: 'npy', safetensors: 'safetensors', bnx: 'bnx' } as const;

function pathOf(caseId: string, f: CaseFile): string {
  return `${f.sharedIn ?? caseId}/${f.name}.${EXTENSION[f.kind]}`;
}

/** The same file, stored once in `folder` for every case that uses it. */
export function shared<F extends CaseFile>(folder: string, f: F): F {
  return { ...f, sharedIn: folder };
}

function bytesOf(f: CaseFile): Uint8Array {
  if (f.kind === 'npy') return serializeNpy(f.array);
  if (f.kind === 'safetensors') return serializeSafetensors(new Map(f.tensors));
  return f.bytes;
}

function refOf(caseId: string, f: CaseFile, output: boolean): FileRef {
  const file = pathOf(caseId, f);
  if (f.kind === 'npy') return { name: f.name, file, format: 'npy', dtype: f.array.dtype, shape: [...f.array.shape] };
  if (f.kind === 'safetensors') {
    if (!output) return { name: f.name, file, format: 'safetensors' };
    return { name: f.name, file, format: 'safetensors', tensors: f.tensors.map(([key, a]) => ({ key, dtype: a.dtype, shape: [...a.shape] })) };
  }
  return { name: f.name, file, format: 'bnx', bytes: f.bytes.length };
}

export function caseSpecOf(c: CaseDef): CaseSpec {
  const names = new Set<string>();
  for (const f of [...c.inputs, ...c.outputs.map((o) => o.file)]) {
    if (names.has(f.name)) throw new Error(`conformance case ${c.id}: two files named '${f.name}'`);
    names.add(f.name);
  }
  const outputs = c.outputs.map((o): OutputRef => ({ ...refOf(c.id, o.file, true), tolerance: o.tolerance, ...(o.trace ? { trace: o.trace } : {}) }));
  return { id: c.id, level: c.level, op: c.op, description: c.description, attributes: c.attributes, inputs: c.inputs.map((f) => refOf(c.id, f, false)), outputs };
}

export interface BundleInfo {
  seed: number;
  levels: Level[];
  version: string;
}

export function manifestOf(cases: readonly CaseDef[], info: BundleInfo): Manifest {
  return {
    format: MANIFEST_FORMAT,
    schemaVersion: SCHEMA_VERSION,
    generator: { name: 'bnext', version: info.version },
    seed: info.seed,
    levels: info.levels,
    conventions: 'docs/golden-testing.md#conventions',
    cases: cases.map(caseSpecOf),
  };
}

/** The manifest as JSON with one case per line: compact, yet readable and diffable. */
export function manifestText(m: Manifest): string {
  const { cases, ...head } = m;
  const top = JSON.stringify(head, null, 1).replace(/\n}$/, '');
  return `${top},\n "cases": [\n${cases.map((c) => `  ${JSON.stringify(c)}`).join(',\n')}\n ]\n}\n`;
}

/** Refuses a target that holds anything: a bundle never overwrites files. */
function requireEmptyTarget(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(`${dir} exists and is not empty; give a new or empty folder for the bundle`);
  }
}

/** Writes the bundle to `dir` (which must not exist or be empty); returns its size in bytes. */
export function writeBundle(dir: string, cases: readonly CaseDef[], info: BundleInfo): number {
  requireEmptyTarget(dir);
  const manifest = manifestOf(cases, info);
  const temp = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  let total = 0;
  const written = new Set<string>();
  try {
    for (const c of cases) {
      for (const f of [...c.inputs, ...c.outputs.map((o) => o.file)]) {
        const path = join(temp, pathOf(c.id, f));
        if (written.has(path)) continue;
        written.add(path);
        mkdirSync(dirname(path), { recursive: true });
        const bytes = bytesOf(f);
        writeFileSync(path, bytes);
        total += bytes.length;
      }
    }
    const text = manifestText(manifest);
    writeFileSync(join(temp, MANIFEST_FILE), text);
    total += Buffer.byteLength(text);
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    renameSync(temp, dir);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  return total;
}
