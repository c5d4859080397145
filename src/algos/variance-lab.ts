/**
 * The gradient-variance lab: the seeds' argument for each variance-reduction step, made runnable on a real env.
 *
 * A fixed policy (a seeded random initialisation, or a trained one) is held still. For estimators that need a critic, V is first
 * fitted on separate rollouts (so the baseline does not depend on the batches it is used with). Then `repeats`
 * independent batches of `batchEpisodes` episodes are drawn, and on every batch each estimator's policy-gradient
 * estimate ĝ = (1/E) Σ_episodes Σ_t ∇log π(a_t|s_t) Ψ_t is computed (all estimators on the same batches). Per
 * estimator we report the mean gradient's norm, the total variance tr Cov(ĝ), the variance relative to `total`,
 * and the cosine between its mean and the reference.
 *
 * The reference is one estimand, ∇J_γ, the gradient of the discounted return J_γ = E[Σ_t γ^t r_t], estimated by
 * the mean over all batches of `rtg-discounted` (Ψ_t = γ^t·G_t, unbiased for it; computed whether listed or not).
 * `total` (Ψ_t = R(τ) = Σ_k γ^k r_k) is unbiased for ∇J_γ too. `rtg` (Ψ_t = G_t), `rtg-mean` (G_t minus the
 * leave-one-out batch mean) and `rtg-value` (G_t − V(s_t)) drop the γ^t factor: at γ < 1 they estimate
 * E[Σ_t ∇log π(a_t|s_t) G_t] ≠ ∇J_γ, as every practical implementation does (Thomas 2014), and their cosine to the
 * reference shows the gap; at γ = 1 every one of them is unbiased for ∇J. GAE with λ < 1 trades bias for variance.
 */
import { z } from 'zod';
import { VecNormalize, type VecNormalizeState } from '../envs/vec-normalize.js';
import { makeVec, type VectorEnv } from '../envs/vector.js';
import { PolicygradError } from '../errors.js';
import {
  discountedRewardToGo,
  episodeIds,
  gae,
  leaveOneOutMeanBaseline,
  rewardToGo,
  successorValues,
  totalReturn,
} from '../estimators/returns.js';
import { Adam } from '../nn/optim.js';
import { networkFields } from './on-policy.js';
import { parseOptions } from '../options.js';
import { ActorCriticPolicy } from '../policies/actor-critic.js';
import { Rng } from '../rng.js';
import { type RolloutBuffer, RolloutCollector } from '../rollouts/rollout.js';
import { accumulateLoss, LossScratch } from './loss/accumulate.js';
import { surrogate } from './loss/surrogate.js';
import { regressValues } from './value-regression.js';
import { discount, traceDecay } from './hyperparameters.js';

export const VARIANCE_ESTIMATORS = [
  'total',
  'total-mean',
  'total-value',
  'rtg-discounted',
  'rtg',
  'rtg-mean',
  'rtg-value',
  'gae',
] as const;
export type VarianceEstimator = (typeof VARIANCE_ESTIMATORS)[number];
/** The lab's default line-up: the seeds' variance-reduction steps. */
export const DEFAULT_VARIANCE_ESTIMATORS: readonly VarianceEstimator[] = [
  'total',
  'rtg-discounted',
  'rtg',
  'rtg-mean',
  'rtg-value',
  'gae',
];
const CRITIC_ESTIMATORS: readonly VarianceEstimator[] = ['total-value', 'rtg-value', 'gae'];

/**
 * The lab's name for the Ψ_t that REINFORCE's switches select (returns × baseline, or GAE): the lab computes
 * exactly REINFORCE's Ψ_t before normalisation, so the training page's variance chart measures what trains.
 */
export function varianceEstimatorFor(config: {
  returns: 'total' | 'reward-to-go';
  baseline: 'none' | 'mean' | 'value';
  gaeLambda: number | null;
}): VarianceEstimator {
  if (config.gaeLambda !== null) return 'gae';
  const returns = config.returns === 'total' ? 'total' : 'rtg';
  return config.baseline === 'none' ? returns : `${returns}-${config.baseline}`;
}
/** The estimator whose mean is the reference: unbiased for ∇J_γ at every γ. */
export const VARIANCE_REFERENCE: VarianceEstimator = 'rtg-discounted';

export const varianceLabSchema = z.strictObject({
  env: z.string().default('CartPole-v1'),
  estimators: z
    .array(z.enum(VARIANCE_ESTIMATORS))
    .nonempty()
    .default([...DEFAULT_VARIANCE_ESTIMATORS]),
  batchEpisodes: z.number().int().positive().default(10),
  repeats: z.number().int().min(2).default(200),
  seed: z.number().int().nonnegative().default(0),
  gamma: discount().default(0.99),
  gaeLambda: traceDecay().default(0.97),
  /** Episodes of separate rollouts the critic is fitted on (for rtg-value and gae). */
  criticEpisodes: z.number().int().positive().default(200),
  criticEpochs: z.number().int().positive().default(50),
  ...networkFields,
});
export type VarianceLabConfig = z.input<typeof varianceLabSchema>;

export interface EstimatorReport {
  name: VarianceEstimator;
  meanNorm: number;
  totalVariance: number;
  relativeVariance: number;
  cosineToReference: number;
}

export interface VarianceReport {
  env: string;
  gamma: number;
  /** What the cosines compare with: ∇J_γ, estimated by the mean of `VARIANCE_REFERENCE`. */
  reference: string;
  batchEpisodes: number;
  repeats: number;
  seed: number;
  criticLoss: number | null;
  estimators: EstimatorReport[];
}

export interface VarianceLabPolicy {
  /** A trained policy to hold fixed instead of a random initialisation (its critic is refitted). */
  policy: ActorCriticPolicy;
  /** The observation normalisation it was trained with, if any (applied frozen). */
  normalization?: VecNormalizeState | null;
}

export function runVarianceLab(config: VarianceLabConfig = {}, trained?: VarianceLabPolicy): VarianceReport {
  const c = parseOptions(varianceLabSchema, config, 'variance lab');
  const root = Rng.fromSeed(c.seed);
  let env: VectorEnv = makeVec(c.env, c.batchEpisodes, {}, { copy: false });
  if (trained?.normalization) {
    const frozen = new VecNormalize(env, { reward: false, copy: false });
    frozen.setState(trained.normalization);
    frozen.training = false;
    env = frozen;
  }
  const initRng = root.split();
  const policy =
    trained?.policy ??
    new ActorCriticPolicy(
      {
        observationSpace: env.singleObservationSpace,
        actionSpace: env.singleActionSpace,
        netArch: c.netArch,
        activation: c.activation,
      },
      initRng,
    );
  if (policy.obsDim !== env.obsDim) {
    throw new PolicygradError(
      `variance lab: the policy takes observations of size ${policy.obsDim}, but ${c.env} gives ${env.obsDim}`,
    );
  }
  const rng = root.split();
  const collector = new RolloutCollector(env, policy, rng, c.seed);
  const needsCritic = c.estimators.some((e) => CRITIC_ESTIMATORS.includes(e));
  const criticLoss = needsCritic ? fitCriticOnSeparateRollouts(policy, collector, c, rng) : null;

  const dim = policy.actorParamCount;
  const computed = c.estimators.includes(VARIANCE_REFERENCE)
    ? c.estimators
    : [...c.estimators, VARIANCE_REFERENCE];
  const mean = new Map(computed.map((e) => [e, new Float64Array(dim)]));
  const m2 = new Map(computed.map((e) => [e, new Float64Array(dim)]));
  const estimate = new Float64Array(dim);
  // ĝ = −∇L of REINFORCE's pseudo-loss L = −(1/E) Σ Ψ·log π (the exact negation: the same float operations).
  const pseudoLoss = [surrogate({ form: 'log-likelihood' })];
  const scratch = new LossScratch();
  for (let r = 0; r < c.repeats; r++) {
    const batch = collector.collectEpisodes(c.batchEpisodes);
    const psis = varianceLabScores(batch, computed, c.gamma, c.gaeLambda);
    for (const name of computed) {
      policy.zeroGrad();
      const rows = {
        size: batch.size,
        observations: batch.observations,
        actions: batch.actions,
        masks: batch.masks,
        advantages: psis.get(name) as Float64Array,
      };
      accumulateLoss(policy, rows, pseudoLoss, scratch, c.batchEpisodes);
      for (let k = 0; k < dim; k++) estimate[k] = -policy.grads[k];
      welford(mean.get(name) as Float64Array, m2.get(name) as Float64Array, estimate, r + 1);
    }
  }

  const variances = new Map(c.estimators.map((e) => [e, sum(m2.get(e) as Float64Array) / (c.repeats - 1)]));
  const reference = mean.get(VARIANCE_REFERENCE) as Float64Array;
  const baseVariance = variances.get('total') ?? (variances.get(c.estimators[0]) as number);
  return {
    env: c.env,
    gamma: c.gamma,
    reference: `∇J_γ (γ = ${c.gamma}), estimated by the mean of ${VARIANCE_REFERENCE} (γ^t·G_t)`,
    batchEpisodes: c.batchEpisodes,
    repeats: c.repeats,
    seed: c.seed,
    criticLoss,
    estimators: c.estimators.map((name) => {
      const m = mean.get(name) as Float64Array;
      const totalVariance = variances.get(name) as number;
      return {
        name,
        meanNorm: Math.sqrt(dot(m, m)),
        totalVariance,
        relativeVariance: totalVariance / baseVariance,
        cosineToReference: dot(m, reference) / (Math.sqrt(dot(m, m) * dot(reference, reference)) || 1),
      };
    }),
  };
}

/**
 * Ψ_t of each estimator on one batch of complete episodes, as REINFORCE computes it before normalisation: the
 * estimators without a critic complete nothing (a truncated episode's return stops at the truncation), those with
 * one bootstrap truncations with V(final observation) and subtract V(s_t).
 */
export function varianceLabScores(
  batch: RolloutBuffer,
  estimators: readonly VarianceEstimator[],
  gamma: number,
  lambda: number,
): Map<VarianceEstimator, Float64Array> {
  const n = batch.size;
  const next = successorValues(batch, batch.values, batch.finalValues, batch.lastValues, new Float64Array(n));
  const minus = (psi: Float64Array, b: ArrayLike<number>) => psi.map((v, k) => v - b[k]);
  const leaveOneOut = (psi: Float64Array) => {
    const ids = new Int32Array(n);
    const count = episodeIds(batch, ids);
    return minus(psi, leaveOneOutMeanBaseline(psi, ids, count, new Float64Array(n)));
  };
  const scores: Record<VarianceEstimator, () => Float64Array> = {
    total: () => totalReturn(batch, gamma, null, new Float64Array(n)),
    'total-mean': () => leaveOneOut(totalReturn(batch, gamma, null, new Float64Array(n))),
    'total-value': () => minus(totalReturn(batch, gamma, next, new Float64Array(n)), batch.values),
    'rtg-discounted': () => discountedRewardToGo(batch, gamma, null, new Float64Array(n)),
    rtg: () => rewardToGo(batch, gamma, null, new Float64Array(n)),
    'rtg-mean': () => leaveOneOut(rewardToGo(batch, gamma, null, new Float64Array(n))),
    'rtg-value': () => minus(rewardToGo(batch, gamma, next, new Float64Array(n)), batch.values),
    gae: () => gae(batch, batch.values, next, gamma, lambda, new Float64Array(n)),
  };
  return new Map(estimators.map((name) => [name, scores[name]()]));
}

/** Fits V on Monte-Carlo returns of separate episodes; returns the final mean squared error. */
function fitCriticOnSeparateRollouts(
  policy: ActorCriticPolicy,
  collector: RolloutCollector,
  c: z.output<typeof varianceLabSchema>,
  rng: Rng,
): number {
  const batch = collector.collectEpisodes(c.criticEpisodes);
  const targets = rewardToGo(batch, c.gamma, null, new Float64Array(batch.size));
  const optimizer = new Adam(policy.params.length - policy.criticOffset, 1e-3);
  return regressValues(
    policy,
    optimizer,
    batch.observations,
    targets,
    batch.size,
    { epochs: c.criticEpochs, minibatchSize: 64 },
    rng,
  );
}

/** Welford's running mean and sum of squared deviations, per coordinate. */
function welford(mean: Float64Array, m2: Float64Array, x: Float64Array, count: number): void {
  for (let k = 0; k < x.length; k++) {
    const delta = x[k] - mean[k];
    mean[k] += delta / count;
    m2[k] += delta * (x[k] - mean[k]);
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k];
  return s;
}
