/**
 * The gradient registry: one backward rule per op name. Its type requires an entry for every op
 * in `OpAttrs`, so an op without a rule does not compile. Only the backward pass (graph.ts)
 * imports it: the rules call the ops, so the ops must not reach it (see graph.ts).
 */
import type { GradientRegistry } from '../gradient-rule';
import * as ew from './elementwise';
import * as red from './reduce';
import * as lay from './layout';
import * as lin from './linalg';
import * as pool from './pool';
import * as act from './activation';
import * as bin from './binary';
import * as norm from './normalization';
import * as recouple from './recouple';

export const gradients: GradientRegistry = {
  Neg: ew.negGrad,
  Exp: ew.expGrad,
  Log: ew.logGrad,
  Sqrt: ew.sqrtGrad,
  Abs: ew.absGrad,
  Sign: ew.signGrad,
  Relu: ew.reluGrad,
  Relu6: ew.relu6Grad,
  Sigmoid: ew.sigmoidGrad,
  HardSigmoid: ew.hardSigmoidGrad,
  Tanh: ew.tanhGrad,
  PowScalar: ew.powScalarGrad,
  Clamp: ew.clampGrad,
  Add: ew.addGrad,
  Sub: ew.subGrad,
  Mul: ew.mulGrad,
  Div: ew.divGrad,
  Pow: ew.powGrad,
  Maximum: ew.maximumGrad,
  Minimum: ew.minimumGrad,
  Where: ew.whereGrad,
  Sum: red.sumGrad,
  Mean: red.meanGrad,
  Max: red.maxGrad,
  Variance: red.varianceGrad,
  Reshape: lay.reshapeGrad,
  Permute: lay.permuteGrad,
  Narrow: lay.narrowGrad,
  Concat: lay.concatGrad,
  Expand: lay.expandGrad,
  Gather: lay.gatherGrad,
  MatMul: lin.matmulGrad,
  Conv2d: lin.conv2dGrad,
  AvgPool2d: pool.avgPool2dGrad,
  MaxPool2d: pool.maxPool2dGrad,
  AdaptiveAvgPool2d: pool.adaptiveAvgPool2dGrad,
  Softmax: act.softmaxGrad,
  LogSoftmax: act.logSoftmaxGrad,
  PRelu: act.preluGrad,
  BatchNorm: norm.batchNormGrad,
  RecouplingMean: recouple.recouplingMeanGrad,
  SignSTE: bin.signSTEGrad,
  BinaryWeight: bin.binaryWeightGrad,
};
