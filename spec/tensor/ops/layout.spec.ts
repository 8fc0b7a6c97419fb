/**
 * Layout ops against PyTorch (fixtures/ops/layout.safetensors): reshape (with -1), flatten,
 * permute, transpose, narrow, concat, expand, gather (with repeated indices) and unsqueeze,
 * with negative dims and size-1 / scalar shapes.
 *
 * Tolerances (rules in spec/helpers/golden.ts): every forward is exact (values only move);
 * gradients are exact too except where several output elements send their gradient to one input
 * element, a sum: expand and gather, `scale` 1e-5.
 */
import * as T from '../../../src/tensor/ops/index';
import { asFloat, asInt, describeGolden, EXACT, ints, num, REDUCTION } from '../../helpers/golden';

describeGolden('layout', {
  reshape: { run: ([x], kw) => T.reshape(asFloat(x, 'x'), ints(kw, 'shape')), forward: EXACT },
  flatten: { run: ([x], kw) => T.flatten(asFloat(x, 'x'), num(kw, 'start'), num(kw, 'end')), forward: EXACT },
  permute: { run: ([x], kw) => T.permute(asFloat(x, 'x'), ints(kw, 'perm')), forward: EXACT },
  transpose: { run: ([x], kw) => T.transpose(asFloat(x, 'x'), num(kw, 'dim0'), num(kw, 'dim1')), forward: EXACT },
  narrow: { run: ([x], kw) => T.narrow(asFloat(x, 'x'), num(kw, 'dim'), num(kw, 'start'), num(kw, 'length')), forward: EXACT },
  concat: { run: (xs, kw) => T.concat(xs.map((x, i) => asFloat(x, `input ${i}`)), num(kw, 'dim')), forward: EXACT },
  expand: { run: ([x], kw) => T.expand(asFloat(x, 'x'), ints(kw, 'shape')), forward: EXACT, grad: REDUCTION },
  gather: { run: ([x, index], kw) => T.gather(asFloat(x, 'x'), num(kw, 'dim'), asInt(index, 'index')), forward: EXACT, grad: REDUCTION },
  unsqueeze: { run: ([x], kw) => T.unsqueeze(asFloat(x, 'x'), num(kw, 'dim')), forward: EXACT },
});
