export * from './rollout.js';
export * from './iteration.js';
