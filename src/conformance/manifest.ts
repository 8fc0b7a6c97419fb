/**
 * The conformance bundle's manifest (docs/golden-testing.md, "The bundle"): a versioned JSON file
 * that lists every case with what it tests, the op or layer and its attributes, its input files,
 * and its expected-output files with the tolerance each must be met within and why.
 *
 * Tensor files are .npy (one array) or .safetensors (named arrays, e.g. a state_dict, every
 * module's output, every gradient); a packed model is a .bnx file (docs/bnx-format.md). Paths are
 * relative to the bundle folder, with `/` separators, and never leave it.
 *
 * Reading the manifest collects every problem it has (one message each) instead of stopping at
 * the first, so a backend author sees them all at once.
 */
import type { StoredDType } from '../io/stored';
import { isStoredDType } from '../io/stored';
import { OP_NAMES } from './ops';

export const MANIFEST_FORMAT = 'bnext-conformance';
/** Bumped on any change a reader of an older version would misread. */
export const SCHEMA_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

/** The levels of a bundle: single ops, layers, whole models. */
export const LEVELS = ['ops', 'layers', 'models'] as const;
/** One of `LEVELS`. */
export type Level = (typeof LEVELS)[number];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Attributes = { [key: string]: JsonValue };

/**
 * When an output passes: for every element, |result - expected| <= atol + rtol·|expected| +
 * atolOfMax·max|expected| (numpy's allclose, plus a term relative to the tensor's largest
 * magnitude for sums whose rounding error scales with their summands, not with the element).
 * All zero: exact (NaN matches NaN). `why` says where the allowance comes from.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
  atolOfMax: number;
  why: string;
}

/** One array of a safetensors file. */
export interface TensorEntry {
  key: string;
  dtype: StoredDType;
  shape: number[];
}

export type FileRef =
  | { name: string; file: string; format: 'npy'; dtype: StoredDType; shape: number[] }
  /**
   * Outputs list their arrays (a trace in the order the computation produces them); inputs do
   * not (the file's header has them).
   */
  | { name: string; file: string; format: 'safetensors'; tensors?: TensorEntry[] }
  | { name: string; file: string; format: 'bnx'; bytes: number };

export type OutputRef = FileRef & {
  tolerance: Tolerance;
  /**
   * For a safetensors output: 'forward' when its tensors are every module's output in call
   * order, 'backward' when they are gradients in the order back-propagation reaches them. The
   * check names the first tensor that fails in that order: where two backends start to differ.
   */
  trace?: 'forward' | 'backward';
};

/**
 * One case of a manifest: its id, level, op, attributes, input files and expected outputs with
 * their tolerances.
 */
export interface CaseSpec {
  id: string;
  level: Level;
  op: string;
  description: string;
  attributes: Attributes;
  inputs: FileRef[];
  outputs: OutputRef[];
}

/** A bundle's manifest.json: its format, schema version, generator, seed, levels and cases. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  schemaVersion: number;
  generator: { name: string; version: string };
  seed: number;
  levels: Level[];
  /** Where the conventions a backend must match are written down. */
  conventions: string;
  cases: CaseSpec[];
}

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.every(isCount);

/** A bundle-relative path that stays inside the bundle. */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

function checkFileRef(v: unknown, where: string, problems: string[], output: boolean): FileRef | null {
  if (!isObject(v)) {
    problems.push(`${where}: not an object`);
    return null;
  }
  const { name, file, format } = v;
  const before = problems.length;
  if (typeof name !== 'string' || name === '') problems.push(`${where}: 'name' must be a non-empty string`);
  if (typeof file !== 'string' || !isSafeRelativePath(file)) problems.push(`${where}: 'file' must be a relative path inside the bundle, got ${JSON.stringify(file)}`);
  if (format === 'npy') {
    if (typeof v.dtype !== 'string' || !isStoredDType(v.dtype)) problems.push(`${where}: unknown dtype ${JSON.stringify(v.dtype)}`);
    if (!isShape(v.shape)) problems.push(`${where}: 'shape' must be a list of non-negative integers`);
  } else if (format === 'safetensors') {
    if (output && (!Array.isArray(v.tensors) || v.tensors.length === 0)) problems.push(`${where}: 'tensors' must list the file's arrays`);
    else if (Array.isArray(v.tensors)) {
      v.tensors.forEach((t: unknown, i: number) => {
        if (!isObject(t) || typeof t.key !== 'string' || typeof t.dtype !== 'string' || !isStoredDType(t.dtype) || !isShape(t.shape)) {
          problems.push(`${where}: tensors[${i}] must be {key, dtype, shape} with a known dtype`);
        }
      });
    }
  } else if (format === 'bnx') {
    if (!isCount(v.bytes)) problems.push(`${where}: 'bytes' must be the file's size`);
  } else {
    problems.push(`${where}: unknown format ${JSON.stringify(format)} (expected npy, safetensors or bnx)`);
  }
  return problems.length === before ? (v as unknown as FileRef) : null;
}

function checkTolerance(v: unknown, where: string, problems: string[]): void {
  if (!isObject(v)) {
    problems.push(`${where}: missing 'tolerance'`);
    return;
  }
  for (const k of ['atol', 'rtol', 'atolOfMax']) {
    const x = v[k];
    if (typeof x !== 'number' || !(x >= 0)) problems.push(`${where}: tolerance '${k}' must be a number >= 0`);
  }
  if (typeof v.why !== 'string') problems.push(`${where}: tolerance 'why' must say why`);
}

/**
 * Parses and validates a manifest; returns it, or every problem found (each message starts with
 * `source`). Unknown ops are problems: a reader cannot check a case it does not understand.
 */
export function parseManifest(text: string, source: string): { manifest: Manifest | null; problems: string[] } {
  const problems: string[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { manifest: null, problems: [`${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})`] };
  }
  if (!isObject(raw)) return { manifest: null, problems: [`${source}: not a JSON object`] };
  if (raw.format !== MANIFEST_FORMAT) problems.push(`${source}: 'format' is ${JSON.stringify(raw.format)}, expected "${MANIFEST_FORMAT}"`);
  if (raw.schemaVersion !== SCHEMA_VERSION) {
    problems.push(`${source}: schema version ${JSON.stringify(raw.schemaVersion)}, this bnext reads version ${SCHEMA_VERSION}` +
      (typeof raw.schemaVersion === 'number' && raw.schemaVersion > SCHEMA_VERSION ? ' (the bundle is newer: update bnext)' : ''));
    return { manifest: null, problems };
  }
  if (!Array.isArray(raw.cases)) return { manifest: null, problems: [...problems, `${source}: 'cases' must be a list`] };
  const ids = new Set<string>();
  raw.cases.forEach((c: unknown, i: number) => {
    const where = `${source}: case ${isObject(c) && typeof c.id === 'string' ? `'${c.id}'` : `#${i}`}`;
    if (!isObject(c)) {
      problems.push(`${where}: not an object`);
      return;
    }
    if (typeof c.id !== 'string' || c.id === '') problems.push(`${where}: 'id' must be a non-empty string`);
    else if (ids.has(c.id)) problems.push(`${where}: duplicate id`);
    else ids.add(c.id);
    if (!(LEVELS as readonly unknown[]).includes(c.level)) problems.push(`${where}: unknown level ${JSON.stringify(c.level)} (expected ${LEVELS.join(', ')})`);
    if (typeof c.op !== 'string' || !OP_NAMES.includes(c.op)) {
      problems.push(`${where}: unknown op ${JSON.stringify(c.op)} (this bnext knows ${OP_NAMES.join(', ')})`);
    }
    if (!isObject(c.attributes)) problems.push(`${where}: 'attributes' must be an object`);
    if (!Array.isArray(c.inputs)) problems.push(`${where}: 'inputs' must be a list`);
    else c.inputs.forEach((f: unknown, j: number) => checkFileRef(f, `${where} input #${j}`, problems, false));
    if (!Array.isArray(c.outputs) || c.outputs.length === 0) problems.push(`${where}: 'outputs' must list at least one file`);
    else {
      c.outputs.forEach((f: unknown, j: number) => {
        const ref = checkFileRef(f, `${where} output #${j}`, problems, true);
        if (ref) checkTolerance((f as Json).tolerance, `${where} output '${ref.name}'`, problems);
      });
    }
  });
  return { manifest: problems.length === 0 ? (raw as unknown as Manifest) : null, problems };
}
