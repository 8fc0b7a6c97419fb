/**
 * The one source of randomness in bnext: a seeded generator (seedrandom's ARC4), so the same seed
 * gives the same bits everywhere. Its state can be saved and restored for exact resume.
 */
import seedrandom from 'seedrandom';
import { ScopedSetting } from './scoped-setting';

/** Everything needed to continue a generator bit-identically. */
export interface RngState {
  arc4: seedrandom.State.Arc4;
  spare: number | null;
}

/**
 * A seeded generator (ARC4, as seedrandom): the same seed gives the same draws on every
 * platform.
 */
export class Rng {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;
  /** A spare standard normal from the last Box-Muller pair. */
  private spare: number | null = null;

  constructor(seed: string | number = 0, state?: RngState) {
    this.prng = state
      ? seedrandom('', { state: state.arc4 })
      : seedrandom(String(seed), { state: true });
    if (state) this.spare = state.spare;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.prng.double();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng.double() * n);
  }

  /** Standard normal by the Box-Muller transform. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** The generator's state, including a pending spare normal. */
  state(): RngState {
    return { arc4: this.prng.state(), spare: this.spare };
  }
}

/** The generator layer initialisation draws from by default. */
const global = new ScopedSetting(new Rng(0));

/** Reseeds the generator that layer initialisation uses by default (as torch.manual_seed). */
export function manualSeed(seed: string | number): void {
  global.value = new Rng(seed);
}

/** The default generator for parameter initialisation. */
export function globalRng(): Rng {
  return global.value;
}

/** Runs `fn` with `rng` as the default generator, then restores the one before. */
export function withGlobalRng<T>(rng: Rng, fn: () => T): T {
  return global.during(rng, fn);
}
