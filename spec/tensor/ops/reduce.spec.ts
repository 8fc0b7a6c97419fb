/**
 * Reductions against PyTorch (fixtures/ops/reduce.safetensors): sum, mean, max (torch.amax; the
 * tie case uses torch.max(x, dim), whose gradient goes to the first maximal element as ours does),
 * argmax and variance (torch.var, unbiased or not), over all/one/several/negative dims, keepdim
 * on and off, size-1 and empty dims.
 *
 * Tolerances (rules in spec/helpers/golden.ts): sum, mean, variance `scale` 1e-5 (forward and
 * gradient); max forward exact (it selects a value), its gradient exact (dy copied to one element);
 * argmax exact.
 */
import * as T from '../../../src/tensor/ops/index';
import { asFloat, bool, describeGolden, dims, EXACT, num, optNum, REDUCTION } from '../../helpers/golden';

describeGolden('reduce', {
  sum: { run: ([x], kw) => T.sum(asFloat(x, 'x'), dims(kw, 'dims'), bool(kw, 'keepdim')), forward: REDUCTION },
  mean: { run: ([x], kw) => T.mean(asFloat(x, 'x'), dims(kw, 'dims'), bool(kw, 'keepdim')), forward: REDUCTION },
  max: { run: ([x], kw) => T.max(asFloat(x, 'x'), dims(kw, 'dims'), bool(kw, 'keepdim')), forward: EXACT },
  argmax: { run: ([x], kw) => T.argmax(asFloat(x, 'x'), optNum(kw, 'dim'), bool(kw, 'keepdim')), forward: EXACT },
  variance: {
    run: ([x], kw) => T.variance(asFloat(x, 'x'), dims(kw, 'dims'), bool(kw, 'keepdim'), num(kw, 'correction')),
    forward: REDUCTION,
  },
});
