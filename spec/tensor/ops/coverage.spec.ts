/**
 * Every function exported by the ops barrel (src/tensor/ops/index.ts) has PyTorch golden cases in
 * fixtures/ops/, or is listed below with the reason it has none. A new op without goldens fails here.
 */
import { expect } from 'chai';
import * as T from '../../../src/tensor/ops/index';
import { loadGolden } from '../../helpers/golden';

const FAMILIES = ['elementwise', 'reduce', 'layout', 'creation', 'matmul', 'conv', 'pool', 'activation', 'normalization'];

/** Exports that are not ops of their own, and where they are tested. */
const NOT_OPS: Record<string, string> = {
  asTensor: 'wraps a number as a scalar tensor; exercised by the number-operand golden cases',
  matmulRaw: 'the graph-free product under matmul and its gradient; covered by the matmul goldens',
  conv2dAttrs: 'normalises conv2d options; covered by the conv2d goldens',
  scalar: 'a one-element tensor; trivial',
  zerosLike: 'zeros of a shape; trivial',
  rand: 'our seeded generator, not PyTorch\'s: reproducibility and moments in create.spec.ts',
  randn: 'our seeded generator, not PyTorch\'s: reproducibility and moments in create.spec.ts',
};

describe('golden coverage of the ops barrel', () => {
  it('every exported op has golden cases', () => {
    const covered = new Set(FAMILIES.flatMap((f) => loadGolden(f).map((c) => c.op)));
    const exported = Object.entries(T).filter(([, v]) => typeof v === 'function').map(([name]) => name);
    const missing = exported.filter((name) => !covered.has(name) && !(name in NOT_OPS));
    expect(missing, 'ops exported without golden cases (add cases to fixtures/export/export_ops.py)').to.deep.equal([]);
    const stale = Object.keys(NOT_OPS).filter((name) => !exported.includes(name));
    expect(stale, 'exemptions for names no longer exported').to.deep.equal([]);
  });
});
