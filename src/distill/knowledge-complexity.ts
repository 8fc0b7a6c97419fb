/**
 * Knowledge Complexity of a teacher (paper Sec. 4.1, Eq. 3):
 *
 *     KC(T) = log10(1 + Params(T) / (Accuracy(T) * 1e6 + 1e-8))
 *
 * with Params the parameter count and Accuracy the top-1 as a fraction (docs/paper-map.md,
 * "Knowledge complexity's logarithm": the reading that reproduces Table 8). Lower KC means a
 * teacher whose knowledge is cheaper per unit of accuracy; the paper prefers low-KC teachers for
 * binary students.
 *
 * Table 8's teachers are listed with torchvision's parameter counts (torchvision 0.14, counted
 * as sum(p.numel() for p in model.parameters())) and the paper's top-1. These give the paper's
 * KC to 3 decimals for nine of the ten; for ResNet-34 they give 1.4876 where the paper prints
 * 1.487 (any count in [21.740M, 21.792M] would round to it, torchvision's is 21.798M).
 */
import type { Module } from '../nn/module';

/** KC of a teacher with `params` parameters and top-1 accuracy `accuracy` in [0, 1]. */
export function knowledgeComplexity(params: number, accuracy: number): number {
  if (!(params >= 0) || !Number.isFinite(params)) throw new Error(`knowledgeComplexity: parameter count must be a finite number >= 0, got ${params}`);
  if (!(accuracy >= 0 && accuracy <= 1)) throw new Error(`knowledgeComplexity: accuracy must be a fraction in [0, 1] (77.53% is 0.7753), got ${accuracy}`);
  return Math.log10(1 + params / (accuracy * 1e6 + 1e-8));
}

/** The number of parameter elements of a model (what Params(T) counts). */
export function countParameters(model: Module): number {
  let n = 0;
  for (const p of model.parameters()) n += p.size;
  return n;
}

/** One teacher of the paper's Table 8: its name, parameter count and ImageNet top-1. */
export interface Table8Teacher {
  /** As the paper names it. */
  teacher: string;
  /** The torchvision builder whose parameter count is used. */
  torchvision: string;
  params: number;
  /** Teacher test top-1 in percent, as Table 8 prints it. */
  top1: number;
  /** KC as Table 8 prints it. */
  paperKc: number;
}

/** Paper Table 8 (appendix 7.2), without the "None" row (KC 0, no teacher). */
export const TABLE8: readonly Table8Teacher[] = [
  { teacher: 'ResNet-34', torchvision: 'resnet34', params: 21797672, top1: 73.31, paperKc: 1.487 },
  { teacher: 'ResNet-50', torchvision: 'resnet50', params: 25557032, top1: 76.13, paperKc: 1.539 },
  { teacher: 'ResNet-101', torchvision: 'resnet101', params: 44549160, top1: 77.37, paperKc: 1.768 },
  { teacher: 'EfficientNet-B0', torchvision: 'efficientnet_b0', params: 5288548, top1: 77.53, paperKc: 0.893 },
  { teacher: 'EfficientNet-B2', torchvision: 'efficientnet_b2', params: 9109994, top1: 78.06, paperKc: 1.103 },
  { teacher: 'EfficientNet-B4', torchvision: 'efficientnet_b4', params: 19341616, top1: 79.26, paperKc: 1.405 },
  { teacher: 'ConvNext-T', torchvision: 'convnext_tiny', params: 28589128, top1: 82.52, paperKc: 1.552 },
  { teacher: 'ConvNext-S', torchvision: 'convnext_small', params: 50223688, top1: 83.66, paperKc: 1.786 },
  { teacher: 'ConvNext-B', torchvision: 'convnext_base', params: 88591464, top1: 84.06, paperKc: 2.027 },
  { teacher: 'ResNext101-32x8D', torchvision: 'resnext101_32x8d', params: 88791336, top1: 79.32, paperKc: 2.053 },
];
