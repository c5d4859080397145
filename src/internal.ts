/**
 * policygrad/internal: every name the core defines, the curated root (`policygrad`, src/index.ts) included, for the
 * library's own tests, benchmarks and the browser page, and for users who accept the risk.
 *
 * UNSTABLE: no semver promise. Names here change, move or disappear in any release (the kernels, minibatch
 * helpers, env classes, config schemas, constants of the file formats…). Build on the root entry; reach in here
 * only for what it does not offer, and pin the exact version when you do. Browser-safe, like the root.
 */
export * from './index.js';
export * from './envs/index.js';
export * from './errors.js';
export * from './encoding.js';
export * from './rng.js';
export * from './nn/index.js';
export * from './policies/index.js';
export * from './estimators/index.js';
export * from './algos/index.js';
export * from './rollouts/index.js';
