/**
 * The Module base, in PyTorch's manner: named parameters and buffers in registration order,
 * child modules, train/eval mode, and a state_dict keyed by dotted paths
 * (`feature.3.Attention.norm1.running_mean`) so weights move both ways between bnext and
 * PyTorch checkpoints (docs/paper-map.md, "state_dict names").
 */
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import { checkOptionNames, describeValue } from '../check';

/** A state_dict value: float tensors, and int64 counters such as `num_batches_tracked`. */
export type StateValue = Tensor | IntTensor;
/** A state_dict: tensors by dotted PyTorch name (`feature.3.Attention.norm1.running_mean`). */
export type StateDict = Map<string, StateValue>;

/** Receives every module's output during a forward pass (for `--dump-activations`). */
export type ActivationHook = (module: Module, output: Tensor) => void;
let activationHook: ActivationHook | null = null;

/** Runs `fn` with `hook` seeing the output of every module called through `Module.call`. */
export function withActivationHook<T>(hook: ActivationHook, fn: () => T): T {
  const previous = activationHook;
  activationHook = hook;
  try {
    return fn();
  } finally {
    activationHook = previous;
  }
}

/**
 * The base of every layer and model, as PyTorch's nn.Module: parameters, buffers and children by
 * name, train/eval mode, `stateDict()` and `loadStateDict()`.
 */
export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, StateValue>();
  private readonly children = new Map<string, Module>();

  /** The module's computation. Callers use `call`, which also reports to activation hooks. */
  abstract forward(x: Tensor): Tensor;

  call(x: Tensor): Tensor {
    const y = this.forward(x);
    if (activationHook) activationHook(this, y);
    return y;
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requireGrad(true);
    this.params.set(name, t);
    return t;
  }

  protected registerBuffer<T extends StateValue>(name: string, t: T): T {
    this.buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Child modules in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** This module and all descendants with their dotted paths ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, p] of m.params) out.push([path ? `${path}.${name}` : name, p]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, StateValue][] {
    const out: [string, StateValue][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, b] of m.buffers) out.push([path ? `${path}.${name}` : name, b]);
    }
    return out;
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters then buffers of each module, parents before children: PyTorch's order. */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [path, m] of this.namedModules()) {
      const key = (name: string): string => (path ? `${path}.${name}` : name);
      for (const [name, p] of m.params) out.set(key(name), p);
      for (const [name, b] of m.buffers) out.set(key(name), b);
    }
    return out;
  }

  /**
   * Copies values into the module's own tensors (so references held by optimizers stay valid).
   * A leading `module.` (DataParallel) is stripped. With `strict` (default), any missing key,
   * unexpected key, or shape/dtype mismatch is reported, all of them in one error, and nothing
   * is loaded; without it, matching keys load and the differences are returned.
   */
  loadStateDict(dict: ReadonlyMap<string, StateValue>, options: { strict?: boolean; source?: string } = {}): LoadReport {
    if (!(dict instanceof Map)) throw new Error(`loadStateDict: dict must be a Map of tensors by name (parseStateDict gives one from safetensors bytes), got ${describeValue(dict)}`);
    const { strict, source } = checkOptionNames('loadStateDict', options, ['strict', 'source']);
    const own = this.stateDict();
    const { incoming, report } = matchStateDict(own, dict, strict ?? true, source);
    for (const [key, target] of own) {
      const value = incoming.get(key);
      if (!value || mismatch(target, value)) continue;
      if (target instanceof IntTensor) target.data.set((value as IntTensor).data);
      else target.data.set((value as Tensor).data);
    }
    return report;
  }
}

/**
 * What a non-strict `loadStateDict` did not load: keys the model has and the dict lacks, keys it
 * does not have, and keys whose shape or dtype differ.
 */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
  mismatched: string[];
}

/**
 * How a state_dict fits a model's own (`model.stateDict()`): its entries by the model's keys (a
 * leading `module.`, DataParallel's, stripped) and the report of missing, unexpected and
 * mismatched keys. With `strict`, any of them throws, all named in one error.
 */
export function matchStateDict(own: StateDict, dict: ReadonlyMap<string, StateValue>, strict: boolean, source?: string): { incoming: Map<string, StateValue>; report: LoadReport } {
  const incoming = new Map<string, StateValue>();
  for (const [k, v] of dict) incoming.set(k.startsWith('module.') ? k.slice('module.'.length) : k, v);
  const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
  for (const key of own.keys()) if (!incoming.has(key)) report.missing.push(key);
  for (const key of incoming.keys()) if (!own.has(key)) report.unexpected.push(key);
  for (const [key, target] of own) {
    const value = incoming.get(key);
    if (!value) continue;
    const problem = mismatch(target, value);
    if (problem) report.mismatched.push(`${key}: ${problem}`);
  }
  const failed = report.missing.length + report.unexpected.length + report.mismatched.length > 0;
  if (strict && failed) throw new Error(describeLoadFailure(report, source));
  return { incoming, report };
}

function mismatch(target: StateValue, value: StateValue): string | null {
  if (!(value instanceof Tensor || value instanceof IntTensor)) return `expected a tensor, found ${describeValue(value)}`;
  const kind = (v: StateValue): string => (v instanceof IntTensor ? 'int64' : 'float32');
  if (kind(target) !== kind(value)) return `expected ${kind(target)}, found ${kind(value)}`;
  if (!shapesEqual(target.shape, value.shape)) return `expected shape ${formatShape(target.shape)}, found ${formatShape(value.shape)}`;
  return null;
}

function describeLoadFailure(r: LoadReport, source?: string): string {
  const parts: string[] = [];
  const list = (keys: string[]): string => keys.join(', ');
  if (r.missing.length) parts.push(`missing keys: ${list(r.missing)}`);
  if (r.unexpected.length) parts.push(`unexpected keys: ${list(r.unexpected)}`);
  if (r.mismatched.length) parts.push(`mismatched: ${list(r.mismatched)}`);
  return `state_dict${source ? ` ${source}` : ''} does not fit the model: ${parts.join('; ')}`;
}
