/**
 * policygrad: policy-gradient reinforcement learning for TypeScript.
 *
 * Environments follow Gymnasium 1.x (`make('CartPole-v1')`, `reset`/`step` with `terminated` and `truncated`,
 * spaces, wrappers, vector envs); randomness is seeded and passed down explicitly (`Rng`).
 */
export * from './envs/index.js';
export * from './errors.js';
export * from './rng.js';
export { VERSION } from './version.js';
export * from './nn/index.js';
export * from './policies/index.js';
export * from './estimators/index.js';
export * from './algos/index.js';
export * from './rollouts/index.js';
