/** Modules, layers and losses. */
export * from './module';
export * from './layers/conv2d';
export * from './layers/linear';
export * from './layers/batchnorm';
export * from './layers/prelu';
export * from './layers/activations';
export * from './layers/pooling';
export * from './layers/sequential';
export * from './losses';
