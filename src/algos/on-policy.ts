/**
 * What A2C and PPO share, so each algorithm file only says what is its own: the common config fields, learning-
 * rate and clip-range schedules (a number, or rl-zoo's `lin_<start>`), building the env/policy/collector, GAE over
 * a rollout, explained variance, and the per-iteration metrics.
 */
import { z } from 'zod';
import type { CallbackLike } from './callbacks.js';
import type { Box } from '../envs/spaces.js';
import { VecNormalize, type VecNormalizeState } from '../envs/vec-normalize.js';
import { makeVec, makeVectorEnv, type VectorEnv } from '../envs/vector.js';
import { gae, successorValues } from '../estimators/returns.js';
import { constantSchedule, linearSchedule, type Schedule } from '../nn/optim.js';
import { ActorCriticPolicy } from '../policies/actor-critic.js';
import { Rng } from '../rng.js';
import type { IterationStats } from '../train/iteration.js';
import { type EvaluationResult, RolloutBuffer, RolloutCollector } from '../train/rollout.js';
import type { Minibatch } from './surrogate.js';
import { maskRows } from './policy-gradient.js';

/** A constant, or `lin_<start>`: linear from start to 0 over training (rl-baselines3-zoo's notation). */
export const scheduleSchema = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^lin_\d*\.?\d+(e-?\d+)?$/, 'expected a positive number or "lin_<start>", e.g. "lin_0.001"'),
]);

export function toSchedule(value: z.infer<typeof scheduleSchema>): Schedule {
  return typeof value === 'number' ? constantSchedule(value) : linearSchedule(Number(value.slice(4)), 0);
}

export const onPolicyFields = {
  env: z.string().default('CartPole-v1'),
  envOptions: z.record(z.string(), z.unknown()).default({}),
  /** Named hyperparameters for the env, e.g. 'zoo' (applied under the explicit fields). */
  preset: z.string().nullable().default(null),
  numEnvs: z.number().int().positive(),
  nSteps: z.number().int().positive(),
  gamma: z.number().min(0).max(1).default(0.99),
  gaeLambda: z.number().min(0).max(1),
  learningRate: scheduleSchema,
  entCoef: z.number().min(0).default(0),
  vfCoef: z.number().min(0).default(0.5),
  maxGradNorm: z.number().positive().nullable().default(0.5),
  normalizeAdvantage: z.boolean(),
  hiddenSizes: z.array(z.number().int().positive()).default([64, 64]),
  activation: z.enum(['tanh', 'relu']).default('tanh'),
  sharedTrunk: z.boolean().default(false),
  /**
   * Normalise observations and rewards over the vector env (SB3's VecNormalize; rl-zoo's `normalize: true`).
   * An object picks one of them.
   */
  normalize: z
    .union([
      z.boolean(),
      z.strictObject({ observation: z.boolean().default(true), reward: z.boolean().default(true) }),
    ])
    .default(false),
  orthogonalInit: z.boolean().default(true),
  logStdInit: z.number().default(0),
  seed: z.number().int().nonnegative().default(0),
  /** Step the envs in this thread ('sync') or on worker threads ('async', Node; for expensive env steps). */
  vectorEnv: z.enum(['sync', 'async']).default('sync'),
};

export interface OnPolicyMetrics extends IterationStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  explainedVariance: number;
  learningRate: number;
  /** PPO: the clip range in force; KL objectives: β after the update and the measured KL. */
  clipRange?: number;
  klBeta?: number;
  kl?: number;
}

export interface OnPolicyLearnOptions {
  totalTimesteps: number;
  /** Called after every iteration; return false to stop. */
  callback?: (metrics: OnPolicyMetrics) => boolean | void;
  /**
   * true (default): a new schedule of `totalTimesteps` from the current step. false: continue the schedule in
   * force (after a callback stopped `learn`, or after `restoreCheckpoint`), as if never interrupted
   * (SB3's `reset_num_timesteps=False`); `totalTimesteps` is then ignored.
   */
  resetProgress?: boolean;
  /** Callbacks run after every iteration (see callbacks.ts); any returning false stops training. */
  callbacks?: readonly CallbackLike[];
}

export interface OnPolicyParts {
  env: VectorEnv;
  policy: ActorCriticPolicy;
  rng: Rng;
  collector: RolloutCollector;
  buffer: RolloutBuffer;
}

/** Builds the vector env, the policy (seeded), the collector and its step buffer. */
export function buildOnPolicy(c: {
  env: string;
  envOptions: Record<string, unknown>;
  numEnvs: number;
  nSteps: number;
  hiddenSizes: number[];
  activation: 'tanh' | 'relu';
  sharedTrunk: boolean;
  orthogonalInit: boolean;
  logStdInit: number;
  seed: number;
  gamma?: number;
  normalize?: boolean | { observation: boolean; reward: boolean };
  vectorEnv?: 'sync' | 'async';
}): OnPolicyParts {
  const root = Rng.fromSeed(c.seed);
  const rng = root.split();
  const raw = makeVectorEnv(c.vectorEnv ?? 'sync', c.env, c.numEnvs, c.envOptions, { copy: false });
  const normalize = c.normalize ?? false;
  const env: VectorEnv =
    normalize === false
      ? raw
      : new VecNormalize(raw, {
          ...(normalize === true ? {} : normalize),
          gamma: c.gamma ?? 0.99,
          copy: false, // the collector copies what it keeps
        });
  const policy = new ActorCriticPolicy(
    {
      observationSpace: env.singleObservationSpace as Box,
      actionSpace: env.singleActionSpace,
      hiddenSizes: c.hiddenSizes,
      activation: c.activation,
      sharedTrunk: c.sharedTrunk,
      orthogonalInit: c.orthogonalInit,
      logStdInit: c.logStdInit,
    },
    root.split(),
  );
  const collector = new RolloutCollector(env, policy, rng, c.seed);
  const buffer = new RolloutBuffer(c.nSteps, c.numEnvs, env.obsDim, policy.dist.actionSize);
  return { env, policy, rng, collector, buffer };
}

/**
 * What a truncated episode's last step looks ahead to: 'bootstrap' — V(final observation), the value of the
 * state the time limit cut off (SB3, Pardo et al. 2018); 'terminate' — 0, as if the episode had ended there
 * (CleanRL's ppo.py: `next_done = terminations | truncations`).
 */
export const truncationSchema = z.enum(['bootstrap', 'terminate']);
export type TruncationHandling = z.infer<typeof truncationSchema>;

/** GAE(γ, λ) advantages and value targets R = Â + V for a step rollout (see `truncationSchema`). */
export function advantagesAndReturns(
  buffer: RolloutBuffer,
  gamma: number,
  lambda: number,
  advantages: Float64Array,
  returns: Float64Array,
  truncation: TruncationHandling = 'bootstrap',
): void {
  const next = successorValues(
    buffer,
    buffer.values,
    truncation === 'bootstrap' ? buffer.finalValues : new Float64Array(buffer.size),
    buffer.lastValues,
    new Float64Array(buffer.size),
  );
  gae(buffer, buffer.values, next, gamma, lambda, advantages, returns);
}

/** 1 − Var(R − V)/Var(R): 1 for a perfect critic, 0 for a constant one, negative for worse. */
export function explainedVariance(values: ArrayLike<number>, returns: ArrayLike<number>): number {
  const n = returns.length;
  let meanR = 0;
  let meanD = 0;
  for (let k = 0; k < n; k++) {
    meanR += returns[k] / n;
    meanD += (returns[k] - values[k]) / n;
  }
  let varR = 0;
  let varD = 0;
  for (let k = 0; k < n; k++) {
    varR += (returns[k] - meanR) ** 2;
    varD += (returns[k] - values[k] - meanD) ** 2;
  }
  return varR === 0 ? Number.NaN : 1 - varD / varR;
}

export function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Reusable minibatch storage for `gatherMinibatch`. */
export function allocateMinibatch(
  capacity: number,
  obsDim: number,
  actionSize: number,
  inputSize: number,
): Minibatch {
  return {
    size: 0,
    observations: new Float32Array(capacity * obsDim),
    actions: new Float32Array(capacity * actionSize),
    oldLogProbs: new Float64Array(capacity),
    oldValues: new Float64Array(capacity),
    advantages: new Float64Array(capacity),
    returns: new Float64Array(capacity),
    oldDistInputs: new Float32Array(capacity * inputSize),
  };
}

/** Copies the rollout rows `indices[start … start + size)` into `mb`. */
export function gatherMinibatch(
  buffer: RolloutBuffer,
  advantages: Float64Array,
  returns: Float64Array,
  oldDistInputs: Float32Array,
  indices: Int32Array,
  start: number,
  size: number,
  mb: Minibatch,
): Minibatch {
  const { obsDim, actionDim } = buffer;
  const inputSize = oldDistInputs.length / buffer.size;
  const { observations, actions, oldDistInputs: oldInputs } = mb;
  for (let b = 0; b < size; b++) {
    const k = indices[start + b];
    for (let j = 0; j < obsDim; j++) observations[b * obsDim + j] = buffer.observations[k * obsDim + j];
    for (let j = 0; j < actionDim; j++) actions[b * actionDim + j] = buffer.actions[k * actionDim + j];
    if (oldInputs !== null) {
      for (let j = 0; j < inputSize; j++) oldInputs[b * inputSize + j] = oldDistInputs[k * inputSize + j];
    }
    if (buffer.masks !== null) {
      const width = buffer.masks.length / buffer.size;
      mb.masks ??= new Uint8Array((mb.observations.length / obsDim) * width);
      for (let j = 0; j < width; j++) mb.masks[b * width + j] = buffer.masks[k * width + j];
    }
    mb.oldLogProbs[b] = buffer.logProbs[k];
    mb.oldValues[b] = buffer.values[k];
    mb.advantages[b] = advantages[k];
    mb.returns[b] = returns[k];
  }
  mb.size = size;
  return mb;
}

/** The current policy's distribution inputs for every row of the rollout ([n × inputSize]). */
export function distInputsOf(
  policy: ActorCriticPolicy,
  buffer: RolloutBuffer,
  out: Float32Array,
): Float32Array {
  const chunk = 1024;
  for (let start = 0; start < buffer.size; start += chunk) {
    const size = Math.min(chunk, buffer.size - start);
    const obs = buffer.observations.subarray(start * buffer.obsDim, (start + size) * buffer.obsDim);
    const masks = maskRows(buffer.masks, policy.dist.inputSize, start, size);
    out.set(policy.distInputs(obs, size, masks), start * policy.dist.inputSize);
  }
  return out;
}

/**
 * `episodes` evaluation episodes of `policy` on a fresh single env: deterministic by default, returns in the
 * env's own units, observations normalised with the training statistics (frozen) when `normalization` is given.
 */
export function evaluatePolicy(
  policy: ActorCriticPolicy,
  config: { env: string; envOptions: Record<string, unknown>; seed?: number },
  episodes: number,
  {
    deterministic = true,
    seed = 10_000 + (config.seed ?? 0),
    normalization = null,
  }: { deterministic?: boolean; seed?: number; normalization?: VecNormalizeState | null } = {},
): EvaluationResult {
  let env: VectorEnv = makeVec(config.env, 1, config.envOptions, { copy: false });
  if (normalization !== null) {
    const frozen = new VecNormalize(env, { reward: false, copy: false });
    frozen.setState(normalization);
    frozen.training = false;
    env = frozen;
  }
  return RolloutCollector.evaluate(env, policy, episodes, {
    deterministic,
    rng: Rng.fromSeed(seed, 1),
    seed,
  });
}

/** The observation statistics of a vector env, when it normalises (what evaluation and saving need). */
export function normalizationOf(env: VectorEnv): VecNormalizeState | null {
  return env instanceof VecNormalize ? env.getState() : null;
}
