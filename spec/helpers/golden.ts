/**
 * The PyTorch golden cases written by fixtures/export/export_ops.py (see its docstring for the file
 * layout), and the machinery that runs our op on each case's inputs and compares the forward output
 * and every input gradient against PyTorch's.
 *
 * Tolerance rules (each spec states which one, and the bound, per op):
 *
 * - `exact`: every element bit-for-bit equal in value (NaN matches NaN). For ops that only move,
 *   select or create values (layout, max, argmax, comparisons, creation).
 * - `elementwise`: per element, |ours - torch| <= tol · max(1, |torch|): relative above 1, absolute
 *   below. Inputs and outputs are O(1), where a float32 ulp is about 1.2e-7, so tol = 1e-6 allows
 *   a few ulps of the two libraries' different roundings (torch rounds to float32 after every step,
 *   we often evaluate in float64 and round once) but no real mistake.
 * - `scale`: per element, |ours - torch| <= tol · max(1, max |torch|): relative to the output's
 *   scale. For reductions, GEMM, convolution, softmax and losses, where both sides accumulate in
 *   different orders and the rounding error of an element scales with its summands, not with it.
 */
import { expect } from 'chai';
import { readSafetensors } from '../../src/io/files';
import { toIntTensor, toTensor, type StoredArray } from '../../src/io/stored';
import { Tensor } from '../../src/tensor/tensor';
import { BoolTensor } from '../../src/tensor/bool-tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { formatShape, shapesEqual, stridesOf } from '../../src/tensor/shape';
import { backward } from '../../src/autograd/graph';

export const OPS_FIXTURES = 'fixtures/ops';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Kwargs = { [key: string]: JsonValue };

export type GoldenInput = Tensor | IntTensor | BoolTensor;
export type GoldenOutput = Tensor | IntTensor | BoolTensor;

export interface Tolerance {
  rule: 'exact' | 'elementwise' | 'scale';
  tol: number;
}

export const EXACT: Tolerance = { rule: 'exact', tol: 0 };
/** float32 elementwise ops: a few ulps of O(1) values. */
export const ELEMENTWISE: Tolerance = { rule: 'elementwise', tol: 1e-6 };
/** Reductions, GEMM, convolution, softmax, losses: 1e-5 of the output's scale. */
export const REDUCTION: Tolerance = { rule: 'scale', tol: 1e-5 };

export interface OpSpec {
  /** Calls our op with the case's inputs (fresh tensors, float ones as leaves) and kwargs. */
  run: (inputs: GoldenInput[], kwargs: Kwargs) => GoldenOutput;
  forward: Tolerance;
  /** Tolerance of the input gradients; `broadcastGrad` applies to an input smaller than the output (its gradient is a sum). */
  grad?: Tolerance;
  broadcastGrad?: Tolerance;
}

export interface GoldenCase {
  family: string;
  name: string;
  op: string;
  kwargs: Kwargs;
  inputs: StoredArray[];
  out: StoredArray;
  gout: StoredArray | null;
  /** PyTorch's gradient of input i, where the case has one. */
  grads: (StoredArray | null)[];
  /** Inputs the op updates in place, as PyTorch left them (key `<case>.after<i>`). */
  after: (StoredArray | null)[];
}

/** All cases of `fixtures/ops/<family>.safetensors`, in file order of their names. */
export function loadGolden(family: string): GoldenCase[] {
  const path = `${OPS_FIXTURES}/${family}.safetensors`;
  const { tensors, metadata } = readSafetensors(path);
  const cases: GoldenCase[] = [];
  for (const [name, json] of Object.entries(metadata)) {
    const meta = JSON.parse(json) as { op: string; kwargs: Kwargs };
    const get = (key: string): StoredArray | null => tensors.get(`${name}.${key}`) ?? null;
    const inputs: StoredArray[] = [];
    for (let i = 0; get(`in${i}`); i++) inputs.push(get(`in${i}`)!);
    const out = get('out');
    if (!out) throw new Error(`${path}: case ${name} has no '${name}.out'`);
    cases.push({
      family, name, op: meta.op, kwargs: meta.kwargs, inputs, out, gout: get('gout'),
      grads: inputs.map((_, i) => get(`grad${i}`)), after: inputs.map((_, i) => get(`after${i}`)),
    });
  }
  return cases;
}

/** Fresh inputs for one run: float arrays copied into leaves (requiring grad where torch gave one). */
export function materialize(c: GoldenCase): GoldenInput[] {
  return c.inputs.map((arr, i) => {
    const what = `${c.family}/${c.name}.in${i}`;
    if (arr.dtype === 'BOOL') return new BoolTensor(Uint8Array.from(arr.data), arr.shape);
    if (arr.dtype === 'I64' || arr.dtype === 'I32') return toIntTensor(arr, what);
    const t = toTensor(arr, what);
    return new Tensor(t.data.slice(), t.shape, c.grads[i] !== null);
  });
}

function multiIndex(flat: number, shape: readonly number[]): string {
  const strides = stridesOf(shape);
  return `[${strides.map((s, d) => Math.floor(flat / s) % shape[d]).join(', ')}]`;
}

/** Largest error of `ours` against `torch` under a rule, normalised so that passing means <= tol. */
export interface Comparison {
  /** max over elements of |ours - torch| / allowance-unit (the quantity bounded by tol). */
  error: number;
  worst: number;
}

export function measure(ours: ArrayLike<number>, torch: ArrayLike<number>, rule: Tolerance['rule']): Comparison {
  let scale = 1;
  if (rule === 'scale') for (let i = 0; i < torch.length; i++) if (Math.abs(torch[i]) > scale) scale = Math.abs(torch[i]);
  let error = 0;
  let worst = -1;
  for (let i = 0; i < torch.length; i++) {
    const o = ours[i];
    const t = torch[i];
    let e: number;
    if (Number.isNaN(o) || Number.isNaN(t)) e = Number.isNaN(o) && Number.isNaN(t) ? 0 : Infinity;
    else if (o === t) e = 0;
    else if (rule === 'exact') e = Infinity;
    else e = Math.abs(o - t) / (rule === 'elementwise' ? Math.max(1, Math.abs(t)) : scale);
    if (worst < 0 || e > error) {
      error = e;
      worst = i;
    }
  }
  return { error, worst };
}

/** Worst error per family and tolerance, printed after each family when GOLDEN_REPORT is set. */
export interface FamilyStats {
  cases: number;
  worst: Map<string, { error: number; where: string }>;
}
export const goldenStats = new Map<string, FamilyStats>();

function statsOf(family: string): FamilyStats {
  let s = goldenStats.get(family);
  if (!s) {
    s = { cases: 0, worst: new Map() };
    goldenStats.set(family, s);
  }
  return s;
}

function note(family: string, tolerance: Tolerance, error: number, where: string): void {
  const key = `${tolerance.rule} ${tolerance.tol}`;
  const w = statsOf(family).worst;
  const prev = w.get(key);
  if (!prev || error > prev.error) w.set(key, { error, where });
}

/** Compares one array; a failure names the case, the worst index and both values. */
export function expectGolden(ours: GoldenOutput, torch: StoredArray, tolerance: Tolerance, what: string, family: string): void {
  if (!shapesEqual(ours.shape, torch.shape)) {
    expect.fail(`${what}: shape ${formatShape(ours.shape)}, torch has ${formatShape(torch.shape)}`);
  }
  const wanted: ArrayLike<number> =
    torch.dtype === 'I64' ? Array.from(torch.data, Number) : (torch.data as ArrayLike<number>);
  const { error, worst } = measure(ours.data, wanted, tolerance.rule);
  note(family, tolerance, error, what);
  if (!(error <= tolerance.tol)) {
    const at = worst >= 0 ? multiIndex(worst, torch.shape) : '?';
    expect.fail(
      `${what}: worst element ${at} (flat ${worst}): ours ${ours.data[worst]}, torch ${wanted[worst]}; ` +
      `error ${error.toExponential(3)} > ${tolerance.tol} (${tolerance.rule} rule)`,
    );
  }
}

function dtypeMatches(ours: GoldenOutput, torch: StoredArray): boolean {
  if (ours instanceof Tensor) return torch.dtype === 'F32';
  if (ours instanceof IntTensor) return torch.dtype === 'I64' || torch.dtype === 'I32';
  return torch.dtype === 'BOOL';
}

/** Runs one case: forward, then backward with torch's upstream gradient, comparing everything. */
export function checkCase(c: GoldenCase, spec: OpSpec): void {
  const inputs = materialize(c);
  const out = spec.run(inputs, c.kwargs);
  const label = `${c.family}/${c.name} (${c.op})`;
  if (!dtypeMatches(out, c.out)) expect.fail(`${label}: output is a ${out.constructor.name}, torch's is ${c.out.dtype}`);
  expectGolden(out, c.out, spec.forward, `${label} forward`, c.family);
  c.after.forEach((arr, i) => {
    if (arr) expectGolden(inputs[i], arr, spec.forward, `${label} in${i} after the call`, c.family);
  });
  if (!c.gout) return;
  if (!(out instanceof Tensor)) expect.fail(`${label}: torch has gradients but our output is not a float tensor`);
  if (!out.requiresGrad) expect.fail(`${label}: output does not require grad although inputs do`);
  backward(out, toTensor(c.gout, `${label} gout`));
  c.grads.forEach((g, i) => {
    if (!g) return;
    const input = inputs[i] as Tensor;
    if (!input.grad) expect.fail(`${label}: input ${i} received no gradient`);
    const broadcast = input.size !== out.size && spec.broadcastGrad;
    const tol = broadcast ? spec.broadcastGrad! : spec.grad ?? spec.forward;
    expectGolden(input.grad, g, tol, `${label} grad of input ${i}`, c.family);
  });
}

/**
 * Declares the mocha tests of one family: one test per case, plus one that every op of the
 * table has cases (so an op cannot silently lose its goldens) and that no case is unknown.
 */
export function describeGolden(family: string, table: Record<string, OpSpec>): void {
  const cases = loadGolden(family);
  describe(`golden ${family} (fixtures/ops/${family}.safetensors)`, () => {
    it('has cases for every op of the table, and only for those', () => {
      const seen = new Set(cases.map((c) => c.op));
      const missing = Object.keys(table).filter((op) => !seen.has(op));
      const unknown = [...seen].filter((op) => !(op in table));
      expect(missing, `ops without golden cases in ${family}`).to.deep.equal([]);
      expect(unknown, `cases of ops that the ${family} spec does not know`).to.deep.equal([]);
    });
    for (const c of cases) {
      const spec = table[c.op];
      if (!spec) continue;
      it(`${c.name}: ${c.op}(${JSON.stringify(c.kwargs)})`, () => {
        checkCase(c, spec);
        statsOf(family).cases++;
      });
    }
    after(() => {
      if (!process.env.GOLDEN_REPORT) return;
      const s = statsOf(family);
      const lines = [...s.worst].map(([tol, w]) => `    ${tol}: worst ${w.error.toExponential(2)} at ${w.where}`);
      console.log(`\n  golden ${family}: ${s.cases}/${cases.length} cases passed\n${lines.join('\n')}`);
    });
  });
}

// --- kwargs accessors: a wrong fixture fails with the key's name --------------------------------

function bad(kwargs: Kwargs, key: string, expected: string): Error {
  return new Error(`golden kwargs: '${key}' should be ${expected}, got ${JSON.stringify(kwargs[key])}`);
}

export function num(kwargs: Kwargs, key: string): number {
  const v = kwargs[key];
  if (typeof v !== 'number') throw bad(kwargs, key, 'a number');
  return v;
}

/** A number, or undefined for null/absent. */
export function optNum(kwargs: Kwargs, key: string): number | undefined {
  const v = kwargs[key];
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number') throw bad(kwargs, key, 'a number or null');
  return v;
}

export function bool(kwargs: Kwargs, key: string): boolean {
  const v = kwargs[key];
  if (typeof v !== 'boolean') throw bad(kwargs, key, 'a boolean');
  return v;
}

export function str(kwargs: Kwargs, key: string): string {
  const v = kwargs[key];
  if (typeof v !== 'string') throw bad(kwargs, key, 'a string');
  return v;
}

export function numbers(kwargs: Kwargs, key: string): number[] {
  const v = kwargs[key];
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number')) throw bad(kwargs, key, 'a list of numbers');
  return v as number[];
}

/** A shape, a permutation or another list of integers. */
export function ints(kwargs: Kwargs, key: string): number[] {
  const list = numbers(kwargs, key);
  if (!list.every(Number.isInteger)) throw bad(kwargs, key, 'a list of integers');
  return list;
}

/** A dimension list as the reductions take it: undefined (all), one dim, or several. */
export function dims(kwargs: Kwargs, key: string): number | number[] | undefined {
  const v = kwargs[key];
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return v;
  return ints(kwargs, key);
}

/** A number or a pair, as conv/pool options take them. */
export function pairArg(kwargs: Kwargs, key: string): number | [number, number] {
  const v = kwargs[key];
  if (typeof v === 'number') return v;
  const list = ints(kwargs, key);
  if (list.length !== 2) throw bad(kwargs, key, 'a number or a pair');
  return [list[0], list[1]];
}

export function asFloat(x: GoldenInput, what: string): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${what}: expected a float tensor input`);
  return x;
}

export function asInt(x: GoldenInput, what: string): IntTensor {
  if (!(x instanceof IntTensor)) throw new Error(`${what}: expected an integer tensor input`);
  return x;
}

export function asBool(x: GoldenInput, what: string): BoolTensor {
  if (!(x instanceof BoolTensor)) throw new Error(`${what}: expected a boolean tensor input`);
  return x;
}
