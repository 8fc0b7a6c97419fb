/** The public entry point of bnext: tensors, ops, autograd and I/O. */
export { Tensor, IntTensor, BoolTensor } from './tensor/tensor';
export { Rng } from './tensor/random';
export * as ops from './tensor/ops/index';
export { backward, noGrad, isGradEnabled } from './autograd/graph';
export * from './nn/losses';
