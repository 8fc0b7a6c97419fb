/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), as torch.optim.AdamW
 * (PyTorch 1.13, amsgrad off) computes it. For each parameter p with gradient g, at step t:
 *
 *     p   <- p * (1 - lr * weightDecay)                       decoupled weight decay
 *     m   <- beta1 * m + (1 - beta1) * g                      first moment  (exp_avg)
 *     v   <- beta2 * v + (1 - beta2) * g^2                    second moment (exp_avg_sq)
 *     p   <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * The paper trains with betas (0.99, 0.999) (docs/paper-map.md, "AdamW betas"), the default here;
 * the official script leaves PyTorch's (0.9, 0.999). Parameters whose gradient is null are skipped,
 * step count included, as PyTorch skips `grad is None`.
 *
 * Moments are float32, as PyTorch keeps them; the decay factor is rounded to float32 first, as
 * PyTorch rounds a scalar multiplier to the tensor's type (so weight decay 1e-8 at lr 1e-3, a
 * factor of 1 - 1e-11, leaves float32 weights unchanged there too).
 */
import type { Tensor } from '../tensor/tensor';
import type { AdamWHyper, NamedParameter, ParamGroupSpec } from './param-groups';

/** The paper's betas (paper Sec. 5.1). */
export const PAPER_BETAS: readonly [number, number] = [0.99, 0.999];
/** PyTorch's default betas, which the official script uses. */
export const TORCH_BETAS: readonly [number, number] = [0.9, 0.999];

/** The hyper-parameters a group leaves unset take these. */
export const ADAMW_DEFAULTS: Readonly<AdamWHyper> = { lr: 1e-3, betas: PAPER_BETAS, eps: 1e-8, weightDecay: 1e-2 };

/**
 * A group inside the optimizer: resolved hyper-parameters, plus the lr that schedules start
 * from.
 */
export interface ParamGroup extends AdamWHyper {
  readonly name: string;
  readonly params: readonly NamedParameter[];
  /** timm's `initial_lr`: the group's lr when the optimizer was built; schedules scale from it. */
  initialLr: number;
}

interface Moments {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/** A group's saved hyper-parameters and member names (JSON-able). */
export interface GroupState {
  name: string;
  lr: number;
  initialLr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  params: string[];
}

/**
 * Everything needed to continue training bit-identically: `groups` and `steps` are plain JSON,
 * `tensors` holds `<param>.exp_avg` and `<param>.exp_avg_sq` for every parameter that has taken
 * a step (flat, in the parameter's row-major order), e.g. for a safetensors file.
 */
export interface OptimizerState {
  groups: GroupState[];
  steps: Record<string, number>;
  tensors: Map<string, Float32Array>;
}

/** `where` prefixes the error, e.g. "AdamW: group 'other'". */
function checkHyper(h: AdamWHyper, where: string): void {
  const bad = (what: string): Error => new Error(`${where}: ${what}`);
  if (!(h.lr >= 0)) throw bad(`learning rate must be >= 0, got ${h.lr}`);
  if (!(h.eps >= 0)) throw bad(`eps must be >= 0, got ${h.eps}`);
  if (!(h.weightDecay >= 0)) throw bad(`weight decay must be >= 0, got ${h.weightDecay}`);
  if (!Array.isArray(h.betas) || h.betas.length !== 2) throw bad(`betas must be a pair, got ${JSON.stringify(h.betas)}`);
  for (const [i, b] of h.betas.entries()) if (!(b >= 0 && b < 1)) throw bad(`beta${i + 1} must be in [0, 1), got ${b}`);
}

/**
 * One AdamW step of one parameter, in place. `step` is the parameter's step count after this
 * step (1 on the first). Plain loop, no allocation.
 *
 * Each line is one of PyTorch's tensor ops (named beside it) and rounds to float32 where its CPU
 * kernel does: scalars are cast to float32, and the vectorized `add_(g, alpha)` and `addcmul_`
 * end in a fused multiply-add (one rounding of a sum that is exact in float64). With that, the
 * goldens against torch.optim.AdamW agree to the last bit.
 */
export function adamwUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, step: number, h: AdamWHyper): void {
  const f = Math.fround;
  const [beta1, beta2] = h.betas;
  const decay = f(1 - h.lr * h.weightDecay);
  const b1 = f(beta1);
  const oneMinusB1 = f(1 - beta1);
  const b2 = f(beta2);
  const oneMinusB2 = f(1 - beta2);
  const negStepSize = f(-h.lr / (1 - beta1 ** step));
  const correction2 = f(Math.sqrt(1 - beta2 ** step));
  const eps = f(h.eps);
  // The new moments are rounded to float32 where they are computed (as storing them would) and
  // kept in locals, rather than read back from the arrays they were just stored to.
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const decayed = f(p[i] * decay); //                      p.mul_(1 - lr * wd)
    const mi = f(f(m[i] * b1) + oneMinusB1 * gi); //         m.mul_(b1).add_(g, alpha=1 - b1)
    const vi = f(f(v[i] * b2) + f(oneMinusB2 * gi) * gi); // v.mul_(b2).addcmul_(g, g, value=1 - b2)
    m[i] = mi;
    v[i] = vi;
    const denom = f(f(Math.sqrt(vi)) / correction2) + eps; // (v.sqrt() / sqrt(1 - b2^t)).add_(eps)
    p[i] = decayed + f(f(negStepSize * mi) / f(denom)); //  p.addcdiv_(m, denom, value=-lr / (1 - b1^t))
  }
}

/**
 * AdamW with parameter groups, PyTorch's arithmetic (decoupled weight decay, bias correction),
 * and its state as a state_dict for checkpoints.
 */
export class AdamW {
  readonly groups: ParamGroup[];
  private readonly moments = new Map<Tensor, Moments>();

  /** `defaults` fill what a group leaves unset (lr 1e-3, the paper's betas, eps 1e-8, weight decay 1e-2 as PyTorch). */
  constructor(groups: readonly ParamGroupSpec[], defaults: Partial<AdamWHyper> = {}) {
    const base: AdamWHyper = { ...ADAMW_DEFAULTS, ...defaults };
    const seenNames = new Map<string, string>();
    const seenTensors = new Set<Tensor>();
    this.groups = groups.map((spec) => {
      const h: AdamWHyper = {
        lr: spec.lr ?? base.lr,
        betas: [...(spec.betas ?? base.betas)] as [number, number],
        eps: spec.eps ?? base.eps,
        weightDecay: spec.weightDecay ?? base.weightDecay,
      };
      checkHyper(h, `AdamW: group '${spec.name}'`);
      for (const [name, t] of spec.params) {
        const other = seenNames.get(name);
        if (other !== undefined) throw new Error(`AdamW: parameter '${name}' is in group '${other}' and again in group '${spec.name}'`);
        if (seenTensors.has(t)) throw new Error(`AdamW: the tensor of parameter '${name}' (group '${spec.name}') is already in the optimizer under another name`);
        seenNames.set(name, spec.name);
        seenTensors.add(t);
      }
      return { ...h, name: spec.name, params: spec.params, initialLr: h.lr };
    });
  }

  /** Every parameter of every group, in order. */
  parameters(): Tensor[] {
    return this.groups.flatMap((g) => g.params.map(([, t]) => t));
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    for (const group of this.groups) {
      for (const [, p] of group.params) {
        if (!p.grad) continue;
        let s = this.moments.get(p);
        if (!s) {
          s = { step: 0, expAvg: new Float32Array(p.size), expAvgSq: new Float32Array(p.size) };
          this.moments.set(p, s);
        }
        s.step++;
        adamwUpdate(p.data, p.grad.data, s.expAvg, s.expAvgSq, s.step, group);
      }
    }
  }

  /**
   * Clears gradients. By default they are zero-filled in place, PyTorch 1.13's default (a zero
   * gradient still moves a parameter through its moments and weight decay); `setToNone` drops
   * them instead, so parameters outside the next graph are skipped.
   */
  zeroGrad(setToNone = false): void {
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else p.grad?.data.fill(0);
    }
  }

  /** A copy of the optimizer's state (see `OptimizerState`). */
  stateDict(): OptimizerState {
    const steps: Record<string, number> = {};
    const tensors = new Map<string, Float32Array>();
    const groups = this.groups.map((g): GroupState => {
      for (const [name, p] of g.params) {
        const s = this.moments.get(p);
        if (!s) continue;
        steps[name] = s.step;
        tensors.set(`${name}.exp_avg`, s.expAvg.slice());
        tensors.set(`${name}.exp_avg_sq`, s.expAvgSq.slice());
      }
      return {
        name: g.name, lr: g.lr, initialLr: g.initialLr, betas: [g.betas[0], g.betas[1]], eps: g.eps,
        weightDecay: g.weightDecay, params: g.params.map(([name]) => name),
      };
    });
    return { groups, steps, tensors };
  }

  /**
   * Restores a state from `stateDict` (hyper-parameters, step counts and moments, copied).
   * The groups must hold the same parameter names in the same order; every problem is checked
   * before anything changes, and the error names `source` (e.g. the checkpoint file).
   */
  loadStateDict(state: OptimizerState, source = 'optimizer state'): void {
    const fail = (problem: string): Error => new Error(`${source}: ${problem}`);
    if (state.groups.length !== this.groups.length) {
      throw fail(`has ${state.groups.length} parameter groups, the optimizer has ${this.groups.length} (${this.groups.map((g) => g.name).join(', ')})`);
    }
    const byName = new Map<string, Tensor>();
    this.groups.forEach((g, i) => {
      const saved = state.groups[i];
      if (saved.name !== g.name) throw fail(`group ${i} is '${saved.name}', the optimizer's is '${g.name}'`);
      const names = g.params.map(([n]) => n);
      const missing = names.filter((n) => !saved.params.includes(n));
      const unexpected = saved.params.filter((n) => !names.includes(n));
      if (missing.length || unexpected.length || saved.params.length !== names.length) {
        throw fail(`group '${g.name}' does not hold the optimizer's parameters (missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'})`);
      }
      if (saved.params.some((n, k) => n !== names[k])) throw fail(`group '${g.name}' lists its parameters in another order`);
      checkHyper({ lr: saved.lr, betas: saved.betas, eps: saved.eps, weightDecay: saved.weightDecay }, `${source}: group '${g.name}'`);
      for (const [n, t] of g.params) byName.set(n, t);
    });
    const restored = new Map<Tensor, Moments>();
    for (const [name, step] of Object.entries(state.steps)) {
      const p = byName.get(name);
      if (!p) throw fail(`has a step count for '${name}', which is not a parameter of the optimizer`);
      if (!Number.isInteger(step) || step < 1) throw fail(`step count of '${name}' must be a positive integer, got ${step}`);
      const moment = (key: string): Float32Array => {
        const a = state.tensors.get(key);
        if (!a) throw fail(`'${key}' is missing`);
        if (a.length !== p.size) throw fail(`'${key}' has ${a.length} elements, the parameter has ${p.size}`);
        return a.slice();
      };
      restored.set(p, { step, expAvg: moment(`${name}.exp_avg`), expAvgSq: moment(`${name}.exp_avg_sq`) });
    }
    for (const key of state.tensors.keys()) {
      const name = key.replace(/\.exp_avg(_sq)?$/, '');
      if (name === key || !(name in state.steps)) throw fail(`tensor '${key}' belongs to no parameter with a step count`);
    }
    this.groups.forEach((g, i) => {
      const saved = state.groups[i];
      g.lr = saved.lr;
      g.initialLr = saved.initialLr;
      g.betas = [saved.betas[0], saved.betas[1]];
      g.eps = saved.eps;
      g.weightDecay = saved.weightDecay;
    });
    this.moments.clear();
    for (const [p, s] of restored) this.moments.set(p, s);
  }
}
