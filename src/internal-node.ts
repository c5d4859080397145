/**
 * policygrad/internal under Node: every core name (./internal.js) plus every Node adapter (./node.js and the
 * adapters' own helpers). UNSTABLE, no semver promise: see src/internal.ts.
 */
export * from './node.js';
export * from './internal.js';
// The Node entry's algorithm classes (bound to nodePorts) win over the core's of the same names.
export {
  A2C,
  createAlgorithm,
  learnSeeds,
  NPG,
  PPO,
  RecurrentPPO,
  Reinforce,
  TRPO,
} from './node/algorithms.js';
export { type A3CLearnOptions } from './node/a3c.js';
export { resolveEnvModule } from './node/env-modules.js';
export { readPolicyFile } from './node/run-dir.js';
export { type AsyncVectorEnvOptions } from './node/async-vector-env.js';
export { nodeFileStorage } from './node/storage.js';
export { nodeA3CThreads } from './node/a3c.js';
export { nodeSeedThreads, startSeedThreads } from './node/seed-threads.js';
export {
  DistributedRun,
  type DistributedLearnOptions,
  isDistributedAlgorithm,
  localActors,
  redisLearner,
} from './node/distributed.js';
