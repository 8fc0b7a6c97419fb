/**
 * Progressive binarization (paper Sec. 5.1 "progressive weight binarization as proposed in [11]",
 * Fig. 8's temperature curve; docs/paper-map.md, "Progressive binarization"): a binary conv uses
 * clamp(w / T, -1, 1) while its temperature T is at least its threshold (1e-7 for BNext, 1e-5 for
 * BNext-18) and sign(w) below it, so lowering T moves the forward weights from real to binary.
 *
 * Schedules map an epoch (0-based) to the temperature used during that epoch:
 *
 *   - `paperTemperature`: 1, then x0.9 after every epoch. The script multiplies a float32 buffer
 *     in place (`temperature.mul_(0.9)` before each epoch e >= 1), so the value is the float32
 *     product, reproduced here bit for bit. It reaches 1e-7 only after ~153 epochs.
 *   - `binaryByEndTemperature`: for short runs, a geometric decay from 1 at epoch 0 to `final`
 *     (default 1e-8, below both thresholds) at the first of the last `binaryEpochs` epochs,
 *     which then train fully binary. Earlier epochs may already be below a conv's threshold
 *     when the decay is long (BNext-18's 1e-5 is reached sooner): the guarantee is fully binary
 *     weights from epoch `epochs - binaryEpochs` on, whatever the architecture.
 *
 * `setTemperature` writes the value into every binary conv's `temperature` buffer, and, like the
 * script (which adjusts HardSign and HardBinaryConv alike), into every binary activation's,
 * where it is kept for state_dict fidelity and does not change the output.
 */
import type { Module } from '../nn/module';
import { BinaryActivation, BinaryConv2d } from '../binary/layers';
import { isFullyBinary } from '../binary/binarize';

/** The binarization temperature of each epoch (0-based): progressive binarization's schedule. */
export type TemperatureSchedule = (epoch: number) => number;

function checkEpoch(epoch: number, what: string): void {
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`${what}: epoch must be a non-negative integer, got ${epoch}`);
}

/** The paper's schedule: the float32 value of 1 multiplied `epoch` times by `factor`. */
export function paperTemperature(epoch: number, factor = 0.9): number {
  checkEpoch(epoch, 'paperTemperature');
  const f = Math.fround(factor);
  let t = 1;
  for (let e = 0; e < epoch; e++) t = Math.fround(t * f);
  return t;
}

/** `binaryByEndTemperature`'s options. */
export interface BinaryByEndOptions {
  /** How many final epochs train at `final`, fully binary (>= 1). */
  binaryEpochs?: number;
  /** The temperature of those epochs; below every binary conv's threshold. */
  final?: number;
}

/**
 * A schedule over `epochs` epochs: 1 at epoch 0, geometric decay, `final` in the last
 * `binaryEpochs`.
 */
export function binaryByEndTemperature(epochs: number, options: BinaryByEndOptions = {}): TemperatureSchedule {
  const binaryEpochs = options.binaryEpochs ?? 1;
  const final = options.final ?? 1e-8;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`binaryByEndTemperature: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(binaryEpochs) || binaryEpochs < 1 || binaryEpochs > epochs) {
    throw new Error(`binaryByEndTemperature: binaryEpochs must be an integer in [1, ${epochs}], got ${binaryEpochs}`);
  }
  if (!(final > 0 && final < 1e-7)) throw new Error(`binaryByEndTemperature: final temperature must be in (0, 1e-7) to be fully binary, got ${final}`);
  const progressive = epochs - binaryEpochs;
  return (epoch) => {
    checkEpoch(epoch, 'binaryByEndTemperature');
    if (epoch >= progressive) return Math.fround(final);
    return Math.fround(final ** (epoch / progressive));
  };
}

/**
 * Sets every binary conv's and binary activation's temperature; returns how many binary convs
 * changed.
 */
export function setTemperature(model: Module, temperature: number): number {
  if (!(temperature >= 0)) throw new Error(`setTemperature: temperature must be >= 0, got ${temperature}`);
  let convs = 0;
  for (const [, m] of model.namedModules()) {
    if (m instanceof BinaryConv2d) {
      m.temperature.data[0] = temperature;
      convs++;
    } else if (m instanceof BinaryActivation) {
      m.temperature.data[0] = temperature;
    }
  }
  return convs;
}

/**
 * Whether every binary conv of the model uses sign(w), i.e. its temperature is below its
 * threshold.
 */
export function modelIsFullyBinary(model: Module): boolean {
  let any = false;
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof BinaryConv2d)) continue;
    any = true;
    if (!isFullyBinary(m.temperature.data[0], m.threshold)) return false;
  }
  return any;
}
