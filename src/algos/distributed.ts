/**
 * What IMPALA and APPO share (Espeholt et al. 2018; RLlib's APPO): the config of a run whose actors collect
 * elsewhere (threads, machines), the learner's V-trace step over an assembled batch, and the metrics row.
 *
 * The learner's V-trace step, for a batch collected by behaviour policies μ (the actors' versions) and read by the
 * learner's π with critic V:
 *
 *   log ρ_k = log π(a_k|s_k) − log μ(a_k|s_k)           (μ's log-probabilities travel with the chunk)
 *   V(s_k), V(final observation) at truncations, V(last observation) per env column → successorValues
 *   (vs, advantages) = vtrace(batch, log ρ, V, next V, γ, {ρ̄, c̄, λ})   (src/estimators/vtrace.ts)
 *
 * Browser-safe.
 */
import { z } from 'zod';
import { PolicygradError } from '../errors.js';
import { successorValues } from '../estimators/returns.js';
import { vtrace } from '../estimators/vtrace.js';
import { Adam, type Optimizer, RMSprop } from '../nn/optim.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import type { IterationStats } from '../rollouts/iteration.js';
import { discount, gradNormBound, rmsPropDecay, traceDecay } from './hyperparameters.js';
import { LearnerBatch } from './learner-batch.js';
import type { RolloutBuffer } from '../rollouts/rollout.js';
import { buildOnPolicy, type OnPolicyParts, onPolicyFields } from './on-policy.js';
import type { UpdateRule } from './trainer.js';
import { networkFields, type OnPolicyMetrics, scheduleSchema } from './on-policy.js';
import { presetField } from './presets.js';

export const distributedFields = {
  env: z.string().default('CartPole-v1'),
  envOptions: z.record(z.string(), z.unknown()).default({}),
  preset: presetField,
  seed: z.number().int().nonnegative().default(0),
  /** Actors (worker threads with the local transport; the learner's own with Redis, 0 for none). */
  numActors: z.number().int().nonnegative().max(64).default(2),
  /** Envs each actor steps (a vector env per actor). */
  numEnvs: z.number().int().positive().max(256).default(8),
  /** T: steps per env in each chunk (RLlib's rollout_fragment_length). */
  chunkLength: z.number().int().positive().max(100_000).default(50),
  /** A learner update takes chunks until it has at least this many transitions (RLlib's train_batch_size). */
  trainBatchSize: z.number().int().positive().default(500),
  /** Chunks collected more than this many policy versions ago are dropped (and counted). */
  maxPolicyLag: z.number().int().nonnegative().default(16),
  /** Chunks an actor may have sent and the learner not yet taken: bounds the lag when the learner is slower. */
  maxChunksInFlight: z.number().int().positive().max(64).default(2),
  gamma: discount().default(0.99),
  /** V-trace's ρ̄ (importance weights in δ and the advantage), c̄ (traces) and λ (Espeholt et al. 2018). */
  vtraceRhoBar: z.number().positive().default(1),
  vtraceCBar: z.number().positive().default(1),
  vtraceLambda: traceDecay().default(1),
  learningRate: scheduleSchema,
  entCoef: z.number().min(0, 'must be ≥ 0 (a negative coefficient rewards collapsing the entropy)'),
  vfCoef: z.number().min(0).default(0.5),
  maxGradNorm: gradNormBound().nullable().default(40),
  optimizer: z.enum(['rmsprop', 'adam']),
  rmsPropAlpha: rmsPropDecay().default(0.99),
  rmsPropEpsilon: z.number().positive().default(0.1),
  adamEpsilon: z.number().positive().default(1e-8),
  ...networkFields,
  sharedTrunk: z.boolean().default(false),
  orthogonalInit: z.boolean().default(true),
  logStdInit: z.number().default(0),
  /** Modules every actor thread (and actor process) imports before making its envs (your registrations). */
  envModules: z.array(z.string().min(1)).default([]),
  /**
   * Normalise observations and rewards (SB3's VecNormalize; an object picks one). The learner owns the running
   * statistics: it merges the raw observations and each env's discounted returns of the chunks it accepts,
   * normalises each batch before the update, and publishes μ_o and σ²_o with the parameters, so every actor acts
   * on observations normalised with the statistics of its parameters' version (Sample Factory's shared normaliser).
   */
  normalize: onPolicyFields.normalize,
};

/** The fields an actor needs: the env, the network, the chunk shape, the seed. */
export interface DistributedConfig {
  env: string;
  envOptions: Record<string, unknown>;
  seed: number;
  numEnvs: number;
  chunkLength: number;
  netArch: z.output<typeof networkFields.netArch>;
  activation: z.output<typeof networkFields.activation>;
  sharedTrunk: boolean;
  orthogonalInit: boolean;
  logStdInit: number;
  envModules: string[];
  normalize: z.output<typeof onPolicyFields.normalize>;
}

export type DistributedResolvedConfig = DistributedConfig & {
  numActors: number;
  trainBatchSize: number;
  maxPolicyLag: number;
  maxChunksInFlight: number;
  gamma: number;
  vtraceRhoBar: number;
  vtraceCBar: number;
  vtraceLambda: number;
  learningRate: z.output<typeof scheduleSchema>;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number | null;
  optimizer: 'rmsprop' | 'adam';
  rmsPropAlpha: number;
  rmsPropEpsilon: number;
  adamEpsilon: number;
};

/** Which of observations and rewards a run normalises (`normalize`: true for both, false for none, or each). */
export function normalization(normalize: DistributedConfig['normalize']): {
  observation: boolean;
  reward: boolean;
} {
  return typeof normalize === 'boolean' ? { observation: normalize, reward: normalize } : normalize;
}

/**
 * What a learner publishes and its actors read: the parameters, then, when observations are normalised, the
 * learner's μ_o and σ²_o ([obsDim] each). Returns its length.
 */
export function publishedLength(numParams: number, obsDim: number, normalizeObservations: boolean): number {
  return numParams + (normalizeObservations ? 2 * obsDim : 0);
}

/** The learner's optimizer: RMSprop as in the IMPALA paper (TensorFlow's, ε inside the root), or Adam. */
export function distributedOptimizer(c: DistributedResolvedConfig, size: number): Optimizer {
  return c.optimizer === 'rmsprop'
    ? new RMSprop(size, 1, { alpha: c.rmsPropAlpha, epsilon: c.rmsPropEpsilon, tensorflowStyle: true })
    : new Adam(size, 1, { epsilon: c.adamEpsilon });
}

/** The learner's metrics row: the iteration's counters and the rule's losses (as A2C/PPO's), and the actors' side. */
export interface DistributedMetrics extends OnPolicyMetrics {
  /** The published policy version after this update. */
  policyVersion: number;
  /** Policy lag of the chunks this update used: mean and maximum (versions). */
  policyLagMean: number;
  policyLagMax: number;
  /** Chunks in this update; chunks dropped as stale and rejected as invalid so far (totals). */
  chunks: number;
  staleChunks: number;
  rejectedChunks: number;
  /** Actors heard from in the last minute. */
  actors: number;
}

/** What an update rule returns; the learner adds the counters. */
export type DistributedLosses = Omit<OnPolicyMetrics, keyof IterationStats>;

/** IMPALA's and APPO's update rule: the trainer's, over learner batches. */
export type DistributedUpdateRule = UpdateRule<DistributedLosses>;

/** The batch an IMPALA/APPO rule was given, as the learner batch it must be. */
export function asLearnerBatch(batch: RolloutBuffer, algo: string): LearnerBatch {
  if (!(batch instanceof LearnerBatch)) {
    throw new PolicygradError(
      `${algo} update: expected a LearnerBatch (actor chunks assembled by ChunkAssembler, or the trainer's own collect), got a plain RolloutBuffer`,
    );
  }
  return batch;
}

/**
 * The learner's run: its policy and optimizer target, and its own vector env of `numEnvs` envs, which is the
 * only actor when the trainer collects itself (`iterate()`, on-policy) and serves evaluation otherwise. The
 * step buffer is a `LearnerBatch` of one chunk.
 */
export function buildLearnerParts(c: DistributedResolvedConfig): OnPolicyParts {
  const parts = buildOnPolicy({ ...c, nSteps: c.chunkLength }); // c.normalize: the env is a VecNormalize
  const { env, policy } = parts;
  return { ...parts, buffer: new LearnerBatch(c.chunkLength, c.numEnvs, env.obsDim, policy.dist.actionSize) };
}

/** The trainer's own collection (no remote actors): one chunk from its env, on-policy (lag 0). */
export function collectOwnChunk(parts: OnPolicyParts): LearnerBatch {
  const batch = asLearnerBatch(parts.buffer, 'IMPALA/APPO');
  parts.collector.collectSteps(batch);
  batch.lastObservations.set(parts.collector.currentObservations);
  batch.chunks = 1;
  return batch;
}

/** Per-row arrays of the V-trace step, grown to the largest batch seen and reused. */
export class VtraceScratch {
  /** log π(a|s) of the learner's policy. */
  logProbs = new Float64Array(0);
  logRatios = new Float64Array(0);
  values = new Float64Array(0);
  finalValues = new Float64Array(0);
  nextValues = new Float64Array(0);
  vs = new Float64Array(0);
  advantages = new Float64Array(0);
  /** The learner's distribution inputs at the start of the update (APPO's π_old), [n × inputSize]. */
  distInputs = new Float32Array(0);
  lastValues = new Float64Array(0);
  private finalRows = new Float32Array(0);
  private finalIndex = new Int32Array(0);

  ensure(n: number, columns: number, obsDim: number, inputSize: number): void {
    if (this.logProbs.length < n) {
      this.logProbs = new Float64Array(n);
      this.logRatios = new Float64Array(n);
      this.values = new Float64Array(n);
      this.finalValues = new Float64Array(n);
      this.nextValues = new Float64Array(n);
      this.vs = new Float64Array(n);
      this.advantages = new Float64Array(n);
      this.distInputs = new Float32Array(n * inputSize);
      this.finalRows = new Float32Array(n * obsDim);
      this.finalIndex = new Int32Array(n);
    }
    if (this.lastValues.length < columns) this.lastValues = new Float64Array(columns);
  }

  /** V of the final observations at the truncated steps (0 elsewhere), computed in one forward pass. */
  finalValuesOf(policy: ActorCriticPolicy, batch: LearnerBatch): Float64Array {
    const { size: n, obsDim: D } = batch;
    const out = this.finalValues.subarray(0, n);
    out.fill(0);
    let count = 0;
    for (let k = 0; k < n; k++) {
      if (batch.truncated[k] && !batch.terminated[k]) {
        this.finalRows.set(batch.finalObservations.subarray(k * D, (k + 1) * D), count * D);
        this.finalIndex[count++] = k;
      }
    }
    if (count > 0) {
      const v = policy.values(this.finalRows.subarray(0, count * D), count);
      for (let j = 0; j < count; j++) out[this.finalIndex[j]] = v[j];
    }
    return out;
  }
}

/** The V-trace targets of a learner batch under the learner's current policy and critic (see the module comment). */
export interface VtraceTargets {
  logProbs: Float64Array;
  values: Float64Array;
  vs: Float64Array;
  advantages: Float64Array;
  distInputs: Float32Array;
}

export function vtraceTargets(
  policy: ActorCriticPolicy,
  batch: LearnerBatch,
  c: Pick<DistributedResolvedConfig, 'gamma' | 'vtraceRhoBar' | 'vtraceCBar' | 'vtraceLambda'>,
  scratch: VtraceScratch,
): VtraceTargets {
  const { size: n, numEnvs: N } = batch;
  const { dist } = policy;
  scratch.ensure(n, N, batch.obsDim, dist.inputSize);
  const logProbs = scratch.logProbs.subarray(0, n);
  const logRatios = scratch.logRatios.subarray(0, n);
  const values = scratch.values.subarray(0, n);
  const distInputs = scratch.distInputs.subarray(0, n * dist.inputSize);
  distInputs.set(policy.distInputs(batch.observations, n, batch.masks ?? undefined));
  dist.logProb(distInputs, batch.actions, n, logProbs);
  for (let k = 0; k < n; k++) logRatios[k] = logProbs[k] - batch.logProbs[k];
  values.set(policy.values(batch.observations, n));
  const finalValues = scratch.finalValuesOf(policy, batch);
  const lastValues = scratch.lastValues.subarray(0, N);
  lastValues.set(policy.values(batch.lastObservations, N));
  const nextValues = successorValues(
    batch,
    values,
    finalValues,
    lastValues,
    scratch.nextValues.subarray(0, n),
  );
  const out = { vs: scratch.vs.subarray(0, n), advantages: scratch.advantages.subarray(0, n) };
  vtrace(
    batch,
    logRatios,
    values,
    nextValues,
    c.gamma,
    { rhoBar: c.vtraceRhoBar, cBar: c.vtraceCBar, lambda: c.vtraceLambda },
    out,
  );
  return { logProbs, values, vs: out.vs, advantages: out.advantages, distInputs };
}
