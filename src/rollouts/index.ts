export * from './rollout.js';
export * from './iteration.js';
export * from './recurrent.js';
