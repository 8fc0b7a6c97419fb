/**
 * Backward rules of the binarization ops (paper Eq. 2: the straight-through estimator).
 * The activation's gradient is that of clamp(x, -c, c); the weight's passes unchanged to the
 * latent weight (docs/paper-map.md, "The STE clip").
 */
import type { GradientRule } from '../gradient-rule';
import { passInRange } from './mask';

export const signSTEGrad: GradientRule<'SignSTE'> = (dy, { inputs: [x], attrs: { clip } }) => [passInRange(dy, x, -clip, clip, true)];

export const binaryWeightGrad: GradientRule<'BinaryWeight'> = (dy) => [dy];
