/** Optimization for training: AdamW with parameter groups, gradient clipping, lr and temperature schedules. */
export * from './param-groups';
export * from './adamw';
export * from './clip';
export * from './lr-schedule';
export * from './temperature';
