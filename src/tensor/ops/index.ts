/** Every differentiable tensor op, in one namespace: `import * as T from './tensor/ops'`. */
export * from './elementwise';
export * from './reduce';
export * from './layout';
export * from './matmul';
export * from './conv';
export * from './pool';
export * from './activation';
export * from '../create';
export * from './normalization';
