/**
 * Parameter groups: sets of named parameters that share optimizer hyper-parameters, and the two
 * groups of the BNext recipe (docs/paper-map.md, "Parameter groups"; the official
 * training script builds its optimizer so):
 *
 *   - "other":  weight decay 1e-3, every parameter not in the next group (listed first, as the
 *               script passes it first);
 *   - "weight": weight decay 1e-8, every parameter that is 4-D or whose dotted name contains
 *               `binary_conv` (the script's test is `p.ndimension() == 4 or 'binary_conv' in pname`).
 *
 * The 4-D rule catches every convolution kernel (binary or not) and also the `[1, C, 1, 1]`
 * LearnableBias shifts; the `binary_conv` rule adds nothing for BNext (its only parameter is the
 * 4-D weight) but is kept so any future binary-conv parameter lands where the script puts it.
 */
import type { Tensor } from '../tensor/tensor';
import type { Module } from '../nn/module';

/** A parameter with its state_dict name, which keys the optimizer state. */
export type NamedParameter = readonly [name: string, tensor: Tensor];

/** AdamW's hyper-parameters, each settable per group. */
export interface AdamWHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
}

/** A group as the caller describes it: members and any hyper-parameters that differ from the defaults. */
export interface ParamGroupSpec extends Partial<AdamWHyper> {
  name: string;
  params: readonly NamedParameter[];
}

/** Weight decay of the "other" group. */
export const OTHER_WEIGHT_DECAY = 1e-3;
/** Weight decay of conv kernels and binary-conv parameters: almost none (in float32, none at all). */
export const WEIGHT_WEIGHT_DECAY = 1e-8;

/** The script's rule for the low-decay group. */
export function isLowDecayParameter(name: string, p: Tensor): boolean {
  return p.ndim === 4 || name.includes('binary_conv');
}

/** The two parameter groups of the BNext recipe; `options` sets the other hyper-parameters of both. */
export function bnextParamGroups(model: Module, options: Partial<Omit<AdamWHyper, 'weightDecay'>> = {}): ParamGroupSpec[] {
  const other: NamedParameter[] = [];
  const weight: NamedParameter[] = [];
  for (const [name, p] of model.namedParameters()) (isLowDecayParameter(name, p) ? weight : other).push([name, p]);
  return [
    { ...options, name: 'other', params: other, weightDecay: OTHER_WEIGHT_DECAY },
    { ...options, name: 'weight', params: weight, weightDecay: WEIGHT_WEIGHT_DECAY },
  ];
}
