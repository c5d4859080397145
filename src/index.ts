/**
 * policygrad: policy-gradient reinforcement learning for TypeScript.
 *
 * Environments follow Gymnasium 1.x (`make('CartPole-v1')`, `reset`/`step` with `terminated` and `truncated`,
 * spaces, wrappers, vector envs); randomness is seeded and passed down explicitly (`Rng`).
 *
 * The root is curated: every name below is a semver promise, and `test/exports.test.ts` pins the list, so adding
 * one is a reviewed change (ARCHITECTURE.md § "Step 4: a curated package"). Everything else — kernels, minibatch
 * helpers, env classes, config schemas, file-format constants — is in `policygrad/internal`, without a promise.
 */

// Algorithms: each is a Trainer (begin/iterate/learn, checkpoint, save/load, predict, evaluate) bound to its
// definition (`Trainer` itself, for writing a new algorithm, is in policygrad/internal). `A3C` itself needs
// threads: the Node entry adds it.
export { PPO, type PPOConfig } from './algos/ppo.js';
export { A2C, type A2CConfig } from './algos/a2c.js';
export { TRPO, NPG, type TRPOConfig } from './algos/trpo.js';
export { Reinforce, type ReinforceConfig } from './algos/reinforce.js';
export { RecurrentPPO, type RecurrentPPOConfig } from './algos/recurrent-ppo.js';
export type { LearnOptions } from './algos/trainer.js';
export type { A3CConfig } from './algos/a3c.js';
export { createAlgorithm, type Algorithm, type AlgorithmName } from './algos/registry.js';
export { listPresets } from './algos/presets.js';
export type { Checkpoint } from './algos/checkpoint.js';
export type { Ports } from './algos/ports.js';

// Callbacks.
export { EvalCallback, SaveCallback, stopOnReturn, type Callback } from './algos/callbacks.js';

// Environments: the registry, the base classes a user extends, vector envs and Gymnasium's wrappers. The env
// classes themselves (CartPoleEnv, HopperEnv…) are not here: 23 classes and their option types would take the
// whole budget, and `make(id, options)` is how Gymnasium users reach them. `ResetOptions` and `ResetResult`
// are added to the table's list: a TypeScript user cannot implement `Env` (`BaseEnv.reset`) without them.
export {
  make,
  register,
  listEnvs,
  checkEnv,
  loadEnvEngine,
  BaseEnv,
  Wrapper,
  SyncVectorEnv,
  makeVec,
  VecNormalize,
  TimeLimit,
  RecordEpisodeStatistics,
  NormalizeObservation,
  NormalizeReward,
  ClipAction,
  RescaleAction,
  FlattenObservation,
  MaskVelocity,
  type Env,
  type VectorEnv,
  type StepResult,
  type Info,
  type MakeOptions,
  type ResetOptions,
  type ResetResult,
} from './envs/index.js';

// Spaces.
export { Box, Discrete, MultiDiscrete, MultiBinary, Dict, type Space } from './envs/index.js';

// Estimators: pure functions over typed arrays.
export { gae, rewardToGo, totalReturn, nStepReturns, vtrace } from './estimators/index.js';

// Policies and policy files. `normalizationOf(model.env)` is added to the table's list: `exportPolicy` needs the
// observation statistics of a run that normalises, and it is how the CLI, the web page and a browser user get them.
export { normalizationOf } from './algos/on-policy.js';
export {
  ActorCriticPolicy,
  exportPolicy,
  importPolicy,
  type PolicyFile,
  type ActorCriticOptions,
  type PredictOptions,
} from './policies/index.js';

// Runtime: seeding, kernels, storage.
export { Rng } from './rng.js';
export { setDefaultKernels, describeKernels } from './nn/backend.js';
export type { FileStorage, LoadOptions } from './algos/persistence.js';
export { VERSION } from './version.js';

// Errors.
export { PolicygradError, InvalidActionError, ResetNeededError, EnvConfigError } from './errors.js';
