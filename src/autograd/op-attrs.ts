/**
 * Every differentiable op by name, with the attributes its graph node records for the backward
 * rule (`GraphNode` in tensor/tensor.ts). The gradient registry (`gradients/index.ts`) must hold
 * a rule for each, which the compiler checks.
 */
import type { BoolTensor } from '../tensor/bool-tensor';
import type { IntTensor } from '../tensor/int-tensor';
import type { Conv2dParams } from '../tensor/kernels/conv2d-geometry';

export interface ReduceAttrs {
  /** Reduced dimensions, normalised and sorted. */
  dims: number[];
  keepdim: boolean;
}

/** A convolution's node keeps its parameters, from which the rule rebuilds the geometry. */
export type Conv2dAttrs = Conv2dParams;

export interface Pool2dAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

type NoAttrs = Record<string, never>;

export interface OpAttrs {
  // elementwise, one input
  Neg: NoAttrs;
  Exp: NoAttrs;
  Log: NoAttrs;
  Sqrt: NoAttrs;
  Abs: NoAttrs;
  Sign: NoAttrs;
  Relu: NoAttrs;
  Relu6: NoAttrs;
  Sigmoid: NoAttrs;
  HardSigmoid: NoAttrs;
  Tanh: NoAttrs;
  PowScalar: { exponent: number };
  Clamp: { min: number; max: number };
  // elementwise, two inputs with broadcasting
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  Pow: NoAttrs;
  Maximum: NoAttrs;
  Minimum: NoAttrs;
  Where: { condition: BoolTensor };
  // reductions
  Sum: ReduceAttrs;
  Mean: ReduceAttrs;
  Max: ReduceAttrs & { argmax: Int32Array };
  Variance: ReduceAttrs & { correction: number };
  // layout
  Reshape: NoAttrs;
  Permute: { perm: number[] };
  Narrow: { dim: number; start: number; length: number };
  Concat: { dim: number };
  Expand: NoAttrs;
  Gather: { dim: number; index: IntTensor };
  // linear algebra and images
  MatMul: NoAttrs;
  Conv2d: Conv2dAttrs;
  AvgPool2d: Pool2dAttrs & { countIncludePad: boolean };
  MaxPool2d: Pool2dAttrs & { argmax: Int32Array };
  AdaptiveAvgPool2d: { outH: number; outW: number };
  Softmax: { dim: number };
  LogSoftmax: { dim: number };
  PRelu: NoAttrs;
  BatchNorm: { mean: Float32Array; invstd: Float32Array; training: boolean };
  /** BNext's Info-Recoupling squeeze, fused (tensor/ops/recouple.ts). */
  RecouplingMean: NoAttrs;
  // binary networks (paper Eq. 1/2)
  SignSTE: { clip: number };
  /**
   * `gradient`: straight-through (training), or the gradient of the evaluation value, sign(w)
   * (zero) or clamp(w / temperature, -1, 1).
   */
  BinaryWeight: { gradient: 'straight-through' | 'sign' | 'clamp'; temperature: number };
}

export type OpName = keyof OpAttrs;
