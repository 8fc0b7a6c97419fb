/**
 * `bnext conformance check`: compares another backend's results with a bundle's expected
 * outputs (docs/golden-testing.md, "Checking a backend"). For every expected-output file of the
 * bundle the backend writes a file at the same relative path under its results folder; each
 * case passes when every output is within its tolerance. A missing or mis-shaped result fails
 * its case with a message naming the file; for traces (every module's output, every gradient)
 * the report names the first tensor, in computation order, that is out of tolerance.
 *
 * The bundle is only read. Problems of the bundle itself (a missing file, another schema
 * version, an unknown op) are reported all at once as a `BundleError`, before any comparison.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, readNpy } from '../io/files';
import type { StoredArray } from '../io/stored';
import { formatShape, shapesEqual } from '../tensor/shape';
import { compareArrays, type Errors, indexOf, numbersOf } from './compare';
import { type CaseSpec, type FileRef, type Manifest, MANIFEST_FILE, type OutputRef, parseManifest } from './manifest';

/** The bundle cannot be checked against: every problem, one message each. */
export class BundleError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface TensorVerdict {
  key: string;
  errors: Errors;
}

/**
 * One output of a case: passed or not, its errors against the tolerance, or why it could not be
 * compared.
 */
export interface OutputVerdict {
  name: string;
  file: string;
  passed: boolean;
  /** Why the result could not be compared (missing file, wrong dtype or shape). */
  problem: string | null;
  /** The largest errors over the output's tensors. */
  maxAbs: number;
  maxRel: number;
  maxUlps: number | null;
  /** The largest error as a fraction of its allowance (0 when exact, above 1 when failing). */
  usedTolerance: number;
  /** The first failing element, described (tensor, index, values, allowance). */
  failure: string | null;
  /** Traces: the first tensor, in computation order, out of tolerance. */
  firstDivergence: string | null;
}

/** One case's verdict: each output's, and the first module where a model case diverged. */
export interface CaseVerdict {
  id: string;
  level: string;
  op: string;
  passed: boolean;
  outputs: OutputVerdict[];
  seconds: number;
}

/** `checkBundle`'s result: every case's verdict and the totals. */
export interface CheckReport {
  bundle: string;
  results: string;
  cases: CaseVerdict[];
  passed: number;
  failed: number;
}

/** Reads and validates the manifest and checks that every file it names is there. */
export function readBundle(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BundleError([`${dir}: no such bundle folder`]);
  if (!existsSync(path)) throw new BundleError([`${path}: missing (not a conformance bundle: export one with bnext conformance export)`]);
  const { manifest, problems } = parseManifest(readFileSync(path, 'utf8'), path);
  if (!manifest) throw new BundleError(problems);
  const missing: string[] = [];
  for (const c of manifest.cases) {
    for (const [role, refs] of [['input', c.inputs], ['expected output', c.outputs]] as const) {
      for (const ref of refs) {
        const file = join(dir, ref.file);
        if (!existsSync(file)) missing.push(`${file}: missing (${role} '${ref.name}' of case ${c.id})`);
        else if (ref.format === 'bnx' && statSync(file).size !== ref.bytes) missing.push(`${file}: ${statSync(file).size} bytes, the manifest says ${ref.bytes} (${role} '${ref.name}' of case ${c.id})`);
      }
    }
  }
  if (missing.length > 0) throw new BundleError(missing);
  return manifest;
}

/** The arrays of a tensor file by key ('' for an .npy file's single array). */
function readArrays(path: string, ref: FileRef): Map<string, StoredArray> {
  if (ref.format === 'npy') return new Map([['', readNpy(path)]]);
  if (ref.format === 'safetensors') return readSafetensors(path).tensors;
  throw new Error(`${path}: a .bnx file is not a comparable output`);
}

interface Expected {
  key: string;
  dtype: string;
  shape: number[];
}

function expectedEntries(ref: OutputRef): Expected[] {
  if (ref.format === 'npy') return [{ key: '', dtype: ref.dtype, shape: ref.shape }];
  if (ref.format === 'safetensors') return ref.tensors ?? [];
  return [];
}

const describeKey = (key: string): string => (key === '' ? '' : `tensor '${key}' `);

function fmt(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? Number(v.toPrecision(6)).toString() : v.toExponential(2);
}

function checkOutput(bundle: string, results: string, c: CaseSpec, ref: OutputRef): OutputVerdict {
  const verdict: OutputVerdict = { name: ref.name, file: ref.file, passed: false, problem: null, maxAbs: 0, maxRel: 0, maxUlps: null, usedTolerance: 0, failure: null, firstDivergence: null };
  const resultPath = join(results, ref.file);
  const expectedPath = join(bundle, ref.file);
  if (!existsSync(resultPath)) {
    verdict.problem = `${resultPath}: missing (output '${ref.name}' of case ${c.id})`;
    return verdict;
  }
  let got: Map<string, StoredArray>;
  let want: Map<string, StoredArray>;
  try {
    want = readArrays(expectedPath, ref);
  } catch (e) {
    throw new BundleError([`${expectedPath}: unreadable expected output of case ${c.id}: ${e instanceof Error ? e.message : String(e)}`]);
  }
  try {
    got = readArrays(resultPath, ref);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    verdict.problem = message.startsWith(resultPath) ? message : `${resultPath}: ${message}`;
    return verdict;
  }
  const shapeProblems: string[] = [];
  const verdicts: TensorVerdict[] = [];
  for (const entry of expectedEntries(ref)) {
    const expected = want.get(entry.key);
    if (!expected) throw new BundleError([`${expectedPath}: has no ${describeKey(entry.key)}though the manifest lists it (case ${c.id})`]);
    const result = got.get(entry.key);
    const where = `${resultPath}: ${describeKey(entry.key)}`;
    if (!result) shapeProblems.push(`${where}missing`);
    else if (result.dtype !== expected.dtype) shapeProblems.push(`${where}has dtype ${result.dtype}, expected ${expected.dtype}`);
    else if (!shapesEqual(result.shape, expected.shape)) shapeProblems.push(`${where}has shape ${formatShape(result.shape)}, expected ${formatShape(expected.shape)}`);
    else {
      const errors = compareArrays(result, expected, ref.tolerance);
      verdicts.push({ key: entry.key, errors });
      if (errors.firstBad >= 0 && verdict.failure === null) {
        const i = errors.firstBad;
        const r = numbersOf(result)[i];
        const e = numbersOf(expected)[i];
        verdict.failure = `${describeKey(entry.key)}at ${indexOf(i, expected.shape)}: ${fmt(r)}, expected ${fmt(e)} (|diff| ${fmt(Math.abs(r - e))} > allowed ${fmt(errors.allowed)})`;
        if (ref.trace) verdict.firstDivergence = entry.key;
      }
    }
  }
  for (const v of verdicts) {
    verdict.maxAbs = Math.max(verdict.maxAbs, v.errors.maxAbs);
    verdict.maxRel = Math.max(verdict.maxRel, v.errors.maxRel);
    verdict.usedTolerance = Math.max(verdict.usedTolerance, v.errors.usedTolerance);
    if (v.errors.maxUlps !== null) verdict.maxUlps = Math.max(verdict.maxUlps ?? 0, v.errors.maxUlps);
  }
  if (shapeProblems.length > 0) verdict.problem = shapeProblems.join('; ');
  verdict.passed = shapeProblems.length === 0 && verdicts.every((v) => v.errors.firstBad < 0);
  return verdict;
}

/** `checkBundle`'s options. */
export interface CheckOptions {
  /** Only the cases whose id starts with one of these (all when empty). */
  only?: readonly string[];
}

/** Checks every case of the bundle against the results folder. */
export function checkBundle(bundle: string, results: string, options: CheckOptions = {}): CheckReport {
  const manifest = readBundle(bundle);
  if (!existsSync(results) || !statSync(results).isDirectory()) throw new BundleError([`${results}: no such results folder`]);
  const only = options.only ?? [];
  const cases = manifest.cases.filter((c) => only.length === 0 || only.some((p) => c.id === p || c.id.startsWith(`${p.replace(/\/$/, '')}/`)));
  if (cases.length === 0) throw new BundleError([`${bundle}: no case matches ${only.join(', ')}`]);
  const verdicts = cases.map((c): CaseVerdict => {
    const start = performance.now();
    const outputs = c.outputs.map((ref) => checkOutput(bundle, results, c, ref));
    return { id: c.id, level: c.level, op: c.op, passed: outputs.every((o) => o.passed), outputs, seconds: (performance.now() - start) / 1000 };
  });
  const passed = verdicts.filter((v) => v.passed).length;
  return { bundle, results, cases: verdicts, passed, failed: verdicts.length - passed };
}

export { fmt as formatNumber };
