/**
 * The model golden cases of fixtures/models (written by fixtures/export/export_models.py from
 * the official PyTorch code): their index, architecture options, and a relative-error measure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchOptions } from '../../src/models/factory';

export const MODEL_FIXTURES = 'fixtures/models';

export interface ModelCase {
  name: string;
  file: string;
  arch: 'bnext' | 'bnext-18';
  base_width: number;
  num_classes: number;
  in_channels: number;
  stage_ratios?: [number, number, number, number];
  blocks_per_layer?: [number, number, number, number];
  stem_stride?: number;
  elm_attention: boolean;
  info_recoupling: boolean;
  binary_weights: 'sign' | 'progressive';
  mode: 'eval' | 'train';
  tolerance: Record<string, number>;
  unused_parameters: string[];
}

export const modelCases: ModelCase[] = (JSON.parse(readFileSync(join(MODEL_FIXTURES, 'cases.json'), 'utf8')) as { cases: ModelCase[] }).cases;

export function archOptionsOf(c: ModelCase): ArchOptions {
  return c.arch === 'bnext'
    ? { arch: 'bnext', baseWidth: c.base_width, stages: c.stage_ratios, numClasses: c.num_classes, stemStride: c.stem_stride, inChannels: c.in_channels, elmAttention: c.elm_attention, infoRecoupling: c.info_recoupling }
    : { arch: 'bnext-18', baseWidth: c.base_width, stages: c.blocks_per_layer, numClasses: c.num_classes, inChannels: c.in_channels };
}

/** max |ours - ref| / max |ref| (absolute when the reference is all zeros). */
export function relativeError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return scale > 0 ? diff / scale : diff;
}
