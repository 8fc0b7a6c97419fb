/**
 * The float forward with every module's output, keyed by its dotted module path
 * (`feature.3.Attention.norm1`), the same names as the state_dict's: what `bnext forward
 * --dump-activations` writes, and what a backend author compares layer by layer to find the
 * first place two implementations diverge.
 */
import { checkOptionNames, describeValue } from '../check';
import { noGrad } from '../autograd/record';
import { Tensor } from '../tensor/tensor';
import { Module, withActivationHook } from './module';

/** `forwardWithActivations`'s options. */
export interface ActivationsOptions {
  /**
   * 'eval' (default): evaluation mode (running BatchNorm statistics) without a graph; 'train':
   * training mode, recording the graph so the output can be back-propagated. The model's mode
   * is restored afterwards.
   */
  mode?: 'eval' | 'train';
}

/** `forwardWithActivations`'s result. */
export interface ForwardActivations {
  /** The model's output (logits for a classifier). */
  output: Tensor;
  /** Every module's output by module path, in the order they were computed (the model itself excluded). */
  activations: Map<string, Tensor>;
}

/** Runs `model` on `x` and returns its output and the output of every module inside it. */
export function forwardWithActivations(model: Module, x: Tensor, options: ActivationsOptions = {}): ForwardActivations {
  const fn = 'forwardWithActivations';
  if (!(model instanceof Module)) throw new Error(`${fn}: model must be a Module (createModel gives one), got ${describeValue(model)}`);
  if (!(x instanceof Tensor)) throw new Error(`${fn}: x must be a float32 Tensor, got ${describeValue(x)}`);
  const o = checkOptionNames(fn, options, ['mode']);
  const mode = o.mode ?? 'eval';
  if (mode !== 'eval' && mode !== 'train') throw new Error(`${fn}: mode must be 'eval' or 'train', got ${describeValue(mode)}`);
  const paths = new Map<Module, string>(model.namedModules().map(([p, m]) => [m, p]));
  const activations = new Map<string, Tensor>();
  const record = (m: Module, y: Tensor): void => {
    const path = paths.get(m);
    if (path) activations.set(path, y);
  };
  const wasTraining = model.training;
  model.train(mode === 'train');
  try {
    const run = (): Tensor => withActivationHook(record, () => model.call(x));
    return { output: mode === 'train' ? run() : noGrad(run), activations };
  } finally {
    model.train(wasTraining);
  }
}
