/**
 * What A2C and PPO share, so each algorithm file only says what is its own: the common config fields, learning-
 * rate and clip-range schedules (a number, or rl-zoo's `lin_<start>`), building the env/policy/collector, GAE over
 * a rollout, explained variance, and the per-iteration metrics.
 */
import { z } from 'zod';
import { PolicygradError } from '../errors.js';
import type { CallbackLike } from './callbacks.js';
import type { Box } from '../envs/spaces.js';
import { VecNormalize, type VecNormalizeState } from '../envs/vec-normalize.js';
import { makeVec, makeVectorEnv, type VectorEnv } from '../envs/vector.js';
import { gae, successorValues } from '../estimators/returns.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../nn/activations.js';
import { constantSchedule, linearSchedule, type Schedule } from '../nn/optim.js';
import { ActorCriticPolicy, isNetArch, NET_ARCH_EXPECTED, type NetArch } from '../policies/actor-critic.js';
import { Rng } from '../rng.js';
import type { IterationStats } from '../rollouts/iteration.js';
import {
  type EvaluationResult,
  RolloutBuffer,
  type RolloutActor,
  RolloutCollector,
} from '../rollouts/rollout.js';
import { discount, gradNormBound, traceDecay } from './hyperparameters.js';
import { presetField } from './presets.js';
import type { Ports } from './ports.js';

/** A constant, or `lin_<start>`: linear from start to 0 over training (rl-baselines3-zoo's notation). */
export const scheduleSchema = z.union([
  z.number().positive('must be > 0 (a step size or clip range of 0 never moves the policy)'),
  z
    .string()
    .regex(/^lin_\d*\.?\d+(e-?\d+)?$/, 'expected a positive number or "lin_<start>", e.g. "lin_0.001"')
    .refine(
      (value) => Number(value.slice(4)) > 0,
      'lin_<start> needs start > 0 (lin_0 is 0 from the first step)',
    ),
]);

export function toSchedule(value: z.infer<typeof scheduleSchema>): Schedule {
  return typeof value === 'number' ? constantSchedule(value) : linearSchedule(Number(value.slice(4)), 0);
}

/**
 * The policy network of every algorithm: hidden widths as SB3's `net_arch` (one list for both networks, or
 * `{ pi, vf }` for the actor and the critic) and the hidden activation (rl-zoo's `activation_fn`).
 */
export const networkFields = {
  netArch: z.custom<NetArch>(isNetArch, `expected ${NET_ARCH_EXPECTED}`).default([64, 64]),
  activation: z
    .enum(HIDDEN_ACTIVATIONS, { error: `expected one of ${HIDDEN_ACTIVATIONS.join(', ')}` })
    .default('tanh'),
};

export const onPolicyFields = {
  env: z.string().default('CartPole-v1'),
  envOptions: z.record(z.string(), z.unknown()).default({}),
  /** Hyperparameters applied under the explicit fields: a preset's name for the env ('zoo'), or the values. */
  preset: presetField,
  numEnvs: z.number().int().positive(),
  nSteps: z.number().int().positive(),
  gamma: discount().default(0.99),
  gaeLambda: traceDecay(),
  learningRate: scheduleSchema,
  entCoef: z
    .number()
    .min(0, 'must be ≥ 0 (a negative coefficient rewards collapsing the entropy)')
    .default(0),
  vfCoef: z.number().min(0).default(0.5),
  maxGradNorm: gradNormBound().nullable().default(0.5),
  normalizeAdvantage: z.boolean(),
  ...networkFields,
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
  /**
   * Modules every worker thread imports before making its envs (vectorEnv 'async', A3C): register your own
   * environments there, since registrations are per thread. A file URL, an absolute path, a path relative to the
   * working directory, or a package name. (This thread's registrations are your own imports.)
   */
  envModules: z.array(z.string().min(1)).default([]),
};

/**
 * The minibatch size a run uses and records. A `batchSize` larger than the rollout (numEnvs × nSteps) would be cut
 * to the rollout silently, so it is refused: one the user gave, or a preset's once the user changed the preset's
 * rollout. A preset's own combination stands as the reference runs it (rl-zoo's PPO MountainCarContinuous-v0:
 * batch 256 over a rollout of 8 steps, which SB3 trains as one minibatch of the whole rollout), also when the
 * explicit fields repeat it (a saved config, loaded or resumed). The default is cut to the rollout without a word
 * (nobody asked for it), and recorded cut, so that a saved config builds the same run again.
 */
export function resolveBatchSize(
  algo: string,
  c: { batchSize: number; numEnvs: number; nSteps: number; preset: string | object | null },
  preset: Record<string, unknown>,
  explicit: { batchSize?: unknown; numEnvs?: unknown; nSteps?: unknown },
): number {
  const rollout = c.numEnvs * c.nSteps;
  if (c.batchSize <= rollout) return c.batchSize;
  if (explicit.batchSize === undefined && preset.batchSize === undefined) return rollout;
  const keepsPreset = (['batchSize', 'numEnvs', 'nSteps'] as const).every(
    (key) => explicit[key] === undefined || explicit[key] === preset[key],
  );
  if (preset.batchSize !== undefined && keepsPreset) return c.batchSize;
  const named = typeof c.preset === 'string' ? `the '${c.preset}' preset` : 'the preset';
  const source = explicit.batchSize === undefined ? ` (from ${named}: set batchSize)` : '';
  throw new PolicygradError(
    `${algo} config: batchSize ${c.batchSize}${source} is larger than the rollout (numEnvs × nSteps = ${c.numEnvs} × ${c.nSteps} = ${rollout}); expected at most ${rollout}`,
  );
}

/**
 * How a Gaussian policy explores (Box actions), with SB3's names (rl-zoo's `use_sde`, `sde_sample_freq`,
 * `full_std`, `use_expln`, `squash_output`; `log_std_init` is `logStdInit`). See policies/actor-critic.ts.
 */
export const explorationFields = {
  /** gSDE: noise from the actor's last hidden layer through exploration matrices (Raffin et al. 2021). */
  useSde: z.boolean().default(false),
  /** gSDE: redraw the exploration matrices every this many steps; −1 or 0: once per rollout. */
  sdeSampleFreq: z.number().int().min(-1).default(-1),
  /** gSDE: one log σ per (feature, action) pair; false: one per feature. */
  fullStd: z.boolean().default(true),
  /** gSDE: σ = expln(log σ) instead of exp (grows only logarithmically above 1). */
  useExpln: z.boolean().default(false),
  /** Gaussian log σ from the actor network (clamped to [−20, 2]) instead of a free parameter vector. */
  stateDependentStd: z.boolean().default(false),
  /** tanh-squashed Gaussian, actions rescaled to the Box bounds (instead of clipping). */
  squashOutput: z.boolean().default(false),
};

/** The columns an actor-critic update reports (A2C's, and PPO's and TRPO's first ones). */
export type ActorCriticMetrics = {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** mean((r − 1) − log r) over the update's samples (SB3's approx_kl; 0 for A2C's single step at r = 1). */
  approxKl: number;
  /** Fraction of samples with |r − 1| beyond the clip range (0 without one). */
  clipFraction: number;
  explainedVariance: number;
  learningRate: number;
};

export interface OnPolicyMetrics extends IterationStats, ActorCriticMetrics {
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
   * true (default): a new schedule of `totalTimesteps` from the current step. false (SB3's
   * `reset_num_timesteps=False`): `totalTimesteps` more steps, the schedule in force extended to end there.
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

/**
 * Builds the vector env (`vectorEnv: 'async'` with `ports.asyncVectorEnv`), the policy (seeded), the collector
 * and its step buffer.
 */
export function buildOnPolicy(
  c: {
    env: string;
    envOptions: Record<string, unknown>;
    numEnvs: number;
    nSteps: number;
    netArch: NetArch;
    activation: HiddenActivation;
    sharedTrunk: boolean;
    orthogonalInit: boolean;
    logStdInit: number;
    seed: number;
    gamma?: number;
    normalize?: boolean | { observation: boolean; reward: boolean };
    vectorEnv?: 'sync' | 'async';
    envModules?: readonly string[];
    useSde?: boolean;
    sdeSampleFreq?: number;
    fullStd?: boolean;
    useExpln?: boolean;
    stateDependentStd?: boolean;
    squashOutput?: boolean;
  },
  ports: Ports = {},
): OnPolicyParts {
  const { env, rng, policyRng } = startRun(c, ports);
  const policy = new ActorCriticPolicy(
    {
      ...sharedPolicyOptions(c, env),
      sharedTrunk: c.sharedTrunk,
      stateDependentStd: c.stateDependentStd,
      squashOutput: c.squashOutput,
    },
    policyRng,
  );
  const collector = new RolloutCollector(env, policy, rng, c.seed);
  collector.sdeSampleFreq = c.sdeSampleFreq ?? -1;
  const buffer = new RolloutBuffer(c.nSteps, c.numEnvs, env.obsDim, policy.dist.actionSize);
  return { env, policy, rng, collector, buffer };
}

/**
 * The start of every on-policy run, feed-forward (`buildOnPolicy`) or recurrent (`buildRecurrent`): gSDE's
 * sampling frequency checked, the training env, and the generators split from the seed — the run's (collection,
 * minibatches) first, then the policy's initialisation.
 */
export function startRun(
  c: Parameters<typeof buildTrainingEnv>[0] & { seed: number; useSde?: boolean; sdeSampleFreq?: number },
  ports: Ports = {},
): { env: VectorEnv; rng: Rng; policyRng: Rng } {
  if (c.useSde !== true && c.sdeSampleFreq !== undefined && c.sdeSampleFreq !== -1) {
    throw new PolicygradError(
      `sdeSampleFreq ${c.sdeSampleFreq} applies to gSDE only: set useSde: true as well, or leave it out`,
    );
  }
  const root = Rng.fromSeed(c.seed);
  const rng = root.split();
  const env = buildTrainingEnv(c, ports);
  return { env, rng, policyRng: root.split() };
}

/** The options the feed-forward and the recurrent policy share: the env's spaces, the heads, init, the Gaussian. */
export function sharedPolicyOptions(
  c: {
    netArch: NetArch;
    activation: HiddenActivation;
    orthogonalInit: boolean;
    logStdInit: number;
    useSde?: boolean;
    fullStd?: boolean;
    useExpln?: boolean;
  },
  env: VectorEnv,
) {
  return {
    observationSpace: env.singleObservationSpace as Box,
    actionSpace: env.singleActionSpace,
    netArch: c.netArch,
    activation: c.activation,
    orthogonalInit: c.orthogonalInit,
    logStdInit: c.logStdInit,
    useSde: c.useSde,
    fullStd: c.fullStd,
    useExpln: c.useExpln,
  };
}

/** The vector env of a run: `numEnvs` copies of `env`, normalised when `normalize` says so (SB3's VecNormalize). */
export function buildTrainingEnv(
  c: {
    env: string;
    envOptions: Record<string, unknown>;
    numEnvs: number;
    gamma?: number;
    normalize?: boolean | { observation: boolean; reward: boolean };
    vectorEnv?: 'sync' | 'async';
    envModules?: readonly string[];
  },
  ports: Ports = {},
): VectorEnv {
  const raw = makeVectorEnv(
    c.vectorEnv ?? 'sync',
    c.env,
    c.numEnvs,
    c.envOptions,
    { copy: false, envModules: c.envModules },
    ports.asyncVectorEnv,
  );
  const normalize = c.normalize ?? false;
  return normalize === false
    ? raw
    : new VecNormalize(raw, {
        ...(normalize === true ? {} : normalize),
        gamma: c.gamma ?? 0.99,
        copy: false, // the collector copies what it keeps
      });
}

/**
 * What a truncated episode's last step looks ahead to: 'bootstrap' — V(final observation), the value of the
 * state the time limit cut off (SB3, Pardo et al. 2018); 'terminate' — 0, as if the episode had ended there
 * (CleanRL's ppo.py: `next_done = terminations | truncations`).
 */
export const truncationSchema = z.enum(['bootstrap', 'terminate']);
export type TruncationHandling = z.infer<typeof truncationSchema>;

/** Working arrays of `advantagesAndReturns`, allocated once for a rollout size (`zeros` stays zero). */
export interface AdvantageScratch {
  next: Float64Array;
  zeros: Float64Array;
}

export function allocateAdvantageScratch(size: number): AdvantageScratch {
  return { next: new Float64Array(size), zeros: new Float64Array(size) };
}

/** GAE(γ, λ) advantages and value targets R = Â + V for a step rollout (see `truncationSchema`). */
export function advantagesAndReturns(
  buffer: RolloutBuffer,
  gamma: number,
  lambda: number,
  advantages: Float64Array,
  returns: Float64Array,
  truncation: TruncationHandling = 'bootstrap',
  scratch: AdvantageScratch = allocateAdvantageScratch(buffer.size),
): void {
  const next = successorValues(
    buffer,
    buffer.values,
    truncation === 'bootstrap' ? buffer.finalValues : scratch.zeros,
    buffer.lastValues,
    scratch.next,
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

/** A minibatch gathered from the rollout (row-major, B rows): the `LossRows` of PPO's loss. */
export interface Minibatch {
  size: number;
  observations: Float32Array;
  actions: Float32Array;
  oldLogProbs: Float64Array;
  oldValues: Float64Array;
  advantages: Float64Array;
  returns: Float64Array;
  /** The old policy's distribution inputs (needed by the KL objectives), [B × inputSize]. */
  oldDistInputs: Float32Array | null;
  /** Action masks [B × logits] when the env reports them (the loss is of the same masked distribution). */
  masks?: Uint8Array | null;
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

/** Copies the rollout rows `indices[start … start + size)` into `mb` (old inputs: when `mb` keeps them). */
export function gatherMinibatch(
  buffer: RolloutBuffer,
  advantages: Float64Array,
  returns: Float64Array,
  oldDistInputs: Float32Array | null,
  indices: Int32Array,
  start: number,
  size: number,
  mb: Minibatch,
): Minibatch {
  const { obsDim, actionDim } = buffer;
  const inputSize = oldDistInputs === null ? 0 : oldDistInputs.length / buffer.size;
  const { observations, actions, oldDistInputs: oldInputs } = mb;
  for (let b = 0; b < size; b++) {
    const k = indices[start + b];
    for (let j = 0; j < obsDim; j++) observations[b * obsDim + j] = buffer.observations[k * obsDim + j];
    for (let j = 0; j < actionDim; j++) actions[b * actionDim + j] = buffer.actions[k * actionDim + j];
    if (oldInputs !== null && oldDistInputs !== null) {
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

/**
 * `episodes` evaluation episodes of `policy` on a fresh single env: deterministic by default, returns in the
 * env's own units, observations normalised with the training statistics (frozen) when `normalization` is given.
 */
export function evaluatePolicy(
  policy: RolloutActor,
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
