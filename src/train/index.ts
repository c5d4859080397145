export * from './rollout.js';
