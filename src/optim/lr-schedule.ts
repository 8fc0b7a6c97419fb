/**
 * The learning-rate schedule: linear warm-up, then half a cosine, with the semantics of timm's
 * CosineLRScheduler (one cycle: cycle_mul = cycle_decay = cycle_limit = 1, k_decay = 1, no noise)
 * as the official script configures it (docs/paper-map.md, "The learning-rate schedule": t_initial
 * = epochs, warmup_t = 5, warmup_lr_init = 1e-5, lr_min = 1e-7, warmup_prefix, stepped once per
 * epoch).
 *
 * For a group whose initial lr is `base`, at time t (an epoch, or an update for the per-step form):
 *
 *     t < warmupT:  warmupLrInit + t * (base - warmupLrInit) / warmupT
 *     otherwise:    t' = t - warmupT if warmupPrefix else t
 *                   t' < tInitial:  lrMin + 0.5 * (base - lrMin) * (1 + cos(pi * t' / tInitial))
 *                   after that:     lrMin
 *
 * With warmupPrefix the cosine spans tInitial epochs after the warm-up, so a run of `epochs`
 * epochs ends before the cosine reaches lrMin, as in the script. The arithmetic follows timm's
 * order of operations, so values agree with it to the last bit or two of a double.
 */

export interface CosineScheduleOptions {
  /** Length of the cosine (timm's t_initial), in the schedule's unit (epochs or updates). */
  tInitial: number;
  lrMin?: number;
  /** Length of the warm-up (0: none). */
  warmupT?: number;
  warmupLrInit?: number;
  /** timm's warmup_prefix: the cosine starts when the warm-up ends instead of counting it. */
  warmupPrefix?: boolean;
}

/** The recipe's schedule over `epochs` epochs, stepped once per epoch. */
export function bnextSchedule(epochs: number, warmupEpochs = 5): CosineScheduleOptions {
  return { tInitial: epochs, warmupT: warmupEpochs, warmupLrInit: 1e-5, lrMin: 1e-7, warmupPrefix: true };
}

/**
 * The same schedule stepped once per update (timm with t_in_epochs=False): lengths in epochs
 * become lengths in updates, so the lr moves smoothly inside an epoch.
 */
export function perStepSchedule(perEpoch: CosineScheduleOptions, stepsPerEpoch: number): CosineScheduleOptions {
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) throw new Error(`perStepSchedule: steps per epoch must be a positive integer, got ${stepsPerEpoch}`);
  return { ...perEpoch, tInitial: perEpoch.tInitial * stepsPerEpoch, warmupT: (perEpoch.warmupT ?? 0) * stepsPerEpoch };
}

function checkOptions(o: CosineScheduleOptions): void {
  if (!(o.tInitial > 0)) throw new Error(`cosine schedule: tInitial must be positive, got ${o.tInitial}`);
  if (!((o.warmupT ?? 0) >= 0)) throw new Error(`cosine schedule: warmupT must be >= 0, got ${o.warmupT}`);
}

/** The learning rate at time t >= 0 of a group whose initial lr is `base`. */
export function cosineLr(t: number, base: number, o: CosineScheduleOptions): number {
  const lrMin = o.lrMin ?? 0;
  const warmupT = o.warmupT ?? 0;
  const warmupLrInit = o.warmupLrInit ?? 0;
  if (t < warmupT) return warmupLrInit + t * ((base - warmupLrInit) / warmupT);
  const tc = o.warmupPrefix ? t - warmupT : t;
  if (tc >= o.tInitial) return lrMin;
  return lrMin + 0.5 * (base - lrMin) * (1 + Math.cos((Math.PI * tc) / o.tInitial));
}

/** What a scheduler drives: groups with a current and an initial learning rate (the AdamW groups). */
export interface ScheduledGroup {
  lr: number;
  readonly initialLr: number;
}

/** A JSON-able scheduler state. */
export interface SchedulerState {
  /** The last time passed to `step`, or null before the first. */
  lastT: number | null;
}

/**
 * Sets each group's lr from its initial lr at the time given to `step` (an epoch, or an update
 * count with `perStepSchedule`). Stateless apart from the last time, which is saved for logs.
 */
export class CosineLRScheduler {
  private lastT: number | null = null;

  constructor(readonly groups: readonly ScheduledGroup[], readonly options: CosineScheduleOptions) {
    checkOptions(options);
    // timm starts the groups at warmup_lr_init as soon as the scheduler exists.
    if ((options.warmupT ?? 0) > 0) for (const g of groups) g.lr = options.warmupLrInit ?? 0;
  }

  /** The learning rate of each group at time t. */
  lrsAt(t: number): number[] {
    if (!(t >= 0)) throw new Error(`cosine schedule: time must be >= 0, got ${t}`);
    return this.groups.map((g) => cosineLr(t, g.initialLr, this.options));
  }

  /** Moves to time t: sets and returns the groups' learning rates. */
  step(t: number): number[] {
    const lrs = this.lrsAt(t);
    this.groups.forEach((g, i) => (g.lr = lrs[i]));
    this.lastT = t;
    return lrs;
  }

  stateDict(): SchedulerState {
    return { lastT: this.lastT };
  }

  /** Restores the last time and the lrs it set (the optimizer's state also carries them). */
  loadStateDict(state: SchedulerState): void {
    if (state.lastT === null) {
      this.lastT = null;
      return;
    }
    this.step(state.lastT);
  }
}
