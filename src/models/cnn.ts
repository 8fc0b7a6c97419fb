/**
 * A small full-precision CNN, the kind of teacher the paper's knowledge distillation needs but
 * at the scale of the embedded digits: stages of conv3x3-BatchNorm-ReLU blocks, each stage
 * doubling the width and ending in 2x2 max pooling, then average pooling to a 4x4 grid and a
 * linear classifier (a grid, not a global pool: where a stroke is matters for digits). Two presets
 * of different complexity serve as strong teacher and assistant.
 */
import { Module } from '../nn/module';
import { Tensor } from '../tensor/tensor';
import { flatten } from '../tensor/ops/layout';
import { formatShape } from '../tensor/shape';
import { Conv2d } from '../nn/layers/conv2d';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { ReLU } from '../nn/layers/activations';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/layers/pooling';
import { Linear } from '../nn/layers/linear';
import { Sequential } from '../nn/layers/sequential';
import { describeBounds, type NumberBounds, withinBounds } from '../tensor/arguments';
import { CONFIG_BOUNDS } from './config';

/** The configuration of a teacher CNN. */
export interface CnnConfig {
  arch: 'cnn';
  /** Width of the first stage; each of the `stages` doubles it. */
  baseWidth: number;
  stages: number;
  /** conv-BN-ReLU blocks per stage. */
  depth: number;
  numClasses: number;
  inChannels: number;
}

export const CNN_PRESETS = {
  'cnn-s': { baseWidth: 8, stages: 2, depth: 1 },
  'cnn-m': { baseWidth: 16, stages: 3, depth: 1 },
} as const satisfies Record<string, Pick<CnnConfig, 'baseWidth' | 'stages' | 'depth'>>;

/** The teacher CNNs' names ('cnn-s', 'cnn-m'). */
export type CnnPreset = keyof typeof CNN_PRESETS;

/** The classifier sees a GRID x GRID map of the last stage's features. */
const GRID = 4;

/** Each stage halves the map: past 8 stages no input of a sane size has a pixel left. */
const CNN_STAGES: NumberBounds = { integer: true, min: 1, max: 8 };
/** No squeeze-and-expand here, so any width from 1 (BNext's upper bound). */
const CNN_WIDTH: NumberBounds = { ...CONFIG_BOUNDS.baseWidth, min: 1 };

/**
 * A small full-precision CNN, the digits recipe's teacher: conv-BatchNorm-ReLU stages, a 4x4
 * average pool and a linear classifier.
 */
export class Cnn extends Module {
  readonly features: Sequential;
  readonly pool: AdaptiveAvgPool2d;
  readonly fc: Linear;

  constructor(readonly config: CnnConfig) {
    super();
    const fields = [
      ['base width', config.baseWidth, CNN_WIDTH], ['stages', config.stages, CNN_STAGES], ['depth', config.depth, CONFIG_BOUNDS.blocksPerLayer],
      ['classes', config.numClasses, CONFIG_BOUNDS.numClasses], ['input channels', config.inChannels, CONFIG_BOUNDS.inChannels],
    ] as const;
    for (const [k, v, bounds] of fields) {
      if (!withinBounds(v, bounds)) throw new Error(`cnn: ${k} must be ${describeBounds(bounds)}, got ${v}`);
    }
    const layers: Module[] = [];
    let channels = config.inChannels;
    for (let s = 0; s < config.stages; s++) {
      const width = config.baseWidth * 2 ** s;
      for (let d = 0; d < config.depth; d++) {
        layers.push(new Conv2d(channels, width, 3, { padding: 1, bias: false }), new BatchNorm2d(width), new ReLU());
        channels = width;
      }
      layers.push(new MaxPool2d(2));
    }
    this.features = this.registerModule('features', new Sequential(...layers));
    this.pool = this.registerModule('pool', new AdaptiveAvgPool2d(GRID));
    this.fc = this.registerModule('fc', new Linear(channels * GRID * GRID, config.numClasses));
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.config.inChannels) {
      throw new Error(`cnn: input must be [N, ${this.config.inChannels}, H, W], got ${formatShape(x.shape)}`);
    }
    return this.fc.call(flatten(this.pool.call(this.features.call(x)), 1));
  }
}
