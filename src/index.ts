/** The public entry point of bnext: tensors, ops, autograd and I/O. */
export { Tensor } from './tensor/tensor';
export { IntTensor } from './tensor/int-tensor';
export { BoolTensor } from './tensor/bool-tensor';
export { Rng } from './tensor/random';
export * as ops from './tensor/ops/index';
export { backward } from './autograd/graph';
export { noGrad, isGradEnabled } from './autograd/record';
export * from './nn/losses';
