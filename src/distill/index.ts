/** Knowledge distillation as BNext trains: KC, the gap-sensitive ensemble, knowledge boosting, teachers. */
export * from './knowledge-complexity';
export * from './ensemble';
export * from './boosting';
export * from './teacher';
