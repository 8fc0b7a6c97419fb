/**
 * The record autograd keeps of one operation: which op, its inputs, its output and the
 * attributes its backward rule needs. `OpAttrs` lists every differentiable op by name; the
 * gradient registry (`gradients/index.ts`) must hold a rule for each, which the compiler checks.
 */
import type { BoolTensor, IntTensor, Tensor } from '../tensor/tensor';

export interface ReduceAttrs {
  /** Reduced dimensions, normalised and sorted. */
  dims: number[];
  keepdim: boolean;
}

export interface Conv2dAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

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
  BinaryWeight: NoAttrs;
}

export type OpName = keyof OpAttrs;

export interface GraphNode<K extends OpName = OpName> {
  op: K;
  inputs: Tensor[];
  output: Tensor;
  attrs: OpAttrs[K];
}

/**
 * Gradient of each input (null where none flows) from the upstream gradient `dy`. A rule returns
 * new arrays, or `dy`'s storage itself (dy, or a tensor on its array) where the gradient passes
 * through, and keeps no reference to either: backward adds later contributions into the new
 * arrays in place and recycles dead ones (graph.ts: isFresh, buffer-pool.ts).
 */
export type GradientRule<K extends OpName> = (dy: Tensor, node: GraphNode<K>) => (Tensor | null)[];

export type GradientRegistry = { [K in OpName]: GradientRule<K> };
