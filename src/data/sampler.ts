/**
 * The order in which a loader visits a dataset, one epoch at a time, seeded so that a run can be
 * repeated or resumed at any epoch: each epoch's order comes from its own generator,
 * `new Rng(`${seed}:${epoch}`)`.
 *
 * `RepeatAugSampler` is repeated augmentation (Hoffer et al. 2020; paper Table 6) with the
 * semantics of timm's RepeatAugSampler: shuffle, repeat every index `numRepeats` times in a row,
 * pad to a multiple of the replica count, give replica `rank` every `numReplicas`-th index, and
 * keep only floor(N / 256) * 256 / numReplicas of them per epoch. On one replica an epoch thus
 * sees about a third of the images, each three times (differently augmented), so it costs the
 * same as a plain epoch.
 */
import { Rng } from '../tensor/random';

/** The order in which an epoch visits a data set. */
export interface Sampler {
  /** Indices visited per epoch. */
  readonly length: number;
  /** The dataset indices of epoch `epoch`, in visiting order. */
  indices(epoch: number): Int32Array;
}

/** 0, 1, ..., size - 1 every epoch. */
export class SequentialSampler implements Sampler {
  constructor(readonly length: number) {}

  indices(): Int32Array {
    return Int32Array.from({ length: this.length }, (_, i) => i);
  }
}

/** A fresh uniform permutation every epoch. */
export class RandomSampler implements Sampler {
  constructor(readonly length: number, private readonly seed: number | string = 0) {}

  indices(epoch: number): Int32Array {
    return new Rng(`${this.seed}:${epoch}`).permutation(this.length);
  }
}

export interface RepeatAugOptions {
  numRepeats?: number;
  numReplicas?: number;
  rank?: number;
  shuffle?: boolean;
  /** Indices kept per epoch are rounded down to a multiple of this (timm: 256; 0 disables). */
  selectedRound?: number;
  /** Divides the kept count (timm: 0 means numReplicas). */
  selectedRatio?: number;
  seed?: number | string;
}

/**
 * timm's repeated-augmentation sampler: each sample several times per epoch, differently
 * augmented.
 */
export class RepeatAugSampler implements Sampler {
  readonly length: number;
  private readonly size: number;
  private readonly numRepeats: number;
  private readonly numReplicas: number;
  private readonly rank: number;
  private readonly shuffle: boolean;
  private readonly seed: number | string;
  /** Indices per replica before the per-epoch cut. */
  private readonly perReplica: number;

  constructor(size: number, o: RepeatAugOptions = {}) {
    this.size = size;
    this.numRepeats = o.numRepeats ?? 3;
    this.numReplicas = o.numReplicas ?? 1;
    this.rank = o.rank ?? 0;
    this.shuffle = o.shuffle ?? true;
    this.seed = o.seed ?? 0;
    if (!(this.rank >= 0 && this.rank < this.numReplicas)) throw new Error(`repeat-aug sampler: rank ${this.rank} is outside 0..${this.numReplicas - 1}`);
    this.perReplica = Math.ceil((size * this.numRepeats) / this.numReplicas);
    const round = o.selectedRound ?? 256;
    const ratio = o.selectedRatio || this.numReplicas;
    this.length = round
      ? Math.floor((Math.floor(size / round) * round) / ratio)
      : Math.ceil(size / ratio);
    if (this.length === 0) {
      throw new Error(`repeat-aug sampler: ${size} images give 0 per epoch (kept count rounds down to a multiple of ${round}); use selectedRound 0 for small sets`);
    }
  }

  indices(epoch: number): Int32Array {
    const order = this.shuffle ? new Rng(`${this.seed}:${epoch}`).permutation(this.size) : Int32Array.from({ length: this.size }, (_, i) => i);
    const total = this.perReplica * this.numReplicas;
    const repeated = new Int32Array(total);
    const base = this.size * this.numRepeats;
    for (let k = 0; k < total; k++) {
      // Past the repeated list, wrap around to its start (timm pads with its head).
      const r = k < base ? k : k - base;
      repeated[k] = order[Math.floor(r / this.numRepeats)];
    }
    const mine = new Int32Array(this.length);
    for (let k = 0; k < this.length; k++) mine[k] = repeated[this.rank + k * this.numReplicas];
    return mine;
  }
}
