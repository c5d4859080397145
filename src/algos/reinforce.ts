/**
 * REINFORCE / vanilla policy gradient (Williams 1992; the seeds' algorithm, made configurable).
 *
 *   ∇J(θ) = E[ Σ_t ∇log π_θ(a_t|s_t) · Ψ_t ]
 *
 * Each iteration: collect a batch (complete episodes, or T steps from N envs), compute Ψ_t, take one gradient step
 * on the pseudo-loss L(θ) = −(1/n) Σ_t log π_θ(a_t|s_t) · Ψ_t (its gradient is the policy-gradient estimate),
 * then, for a value baseline, refit V by regression on the returns.
 *
 * Ψ_t is chosen by the config:
 * - `returns: 'total'`        Ψ_t = R(τ), the whole (discounted) episode return;
 * - `returns: 'reward-to-go'` Ψ_t = G_t = Σ_{k≥t} γ^{k−t} r_k (causality: a_t cannot affect earlier rewards);
 * - `baseline: 'mean'`        Ψ_t − b, b the leave-one-out batch average of Ψ (unbiased);
 * - `baseline: 'value'`       Ψ_t − V(s_t), V refit each iteration by minimising Σ(V(s_t) − G_t)² for k epochs;
 * - `gaeLambda: λ`            Ψ_t = GAE(γ, λ) advantages from the critic (λ = 1: G_t − V(s_t)).
 *
 * `normalizeAdvantage` rescales Ψ to unit standard deviation. With a critic (value baseline, GAE) it also
 * subtracts the batch mean, as SB3 does; with baseline 'none' or 'mean' it only rescales, so that the baseline
 * switch means what it says (subtracting the in-batch mean would add a biased baseline of its own).
 *
 * Batches by steps (`nSteps`) cut episodes at the batch end. With a critic the cut return is completed with
 * γ·V(s_T); without one (baseline 'none' | 'mean') it cannot be, so each env then collects complete episodes
 * until it has at least `nSteps` steps (RLlib's batch_mode 'complete_episodes').
 *
 * With `reuseBatches: K` the update also reuses the last K batches, collected by older policies π_β, with the
 * per-decision importance-sampling estimator (Precup et al. 2000): each sample weighted by
 * w_t = ρ_{0:t} = Π_{k≤t} π_θ(a_k|s_k)/π_β(a_k|s_k) (truncated at `importanceWeightClip` when set), and Ψ_t
 * recomputed under the current policy from the importance-sampled reward-to-go Ψ_t = r_t + γ·ρ_{t+1}·Ψ_{t+1}
 * (baselines from the current critic). Products that start at the episode's first step need whole episodes, so
 * with reuse every batch is collected as complete episodes. The effective sample size of the weights is logged.
 */
import { z } from 'zod';
import { runCallbacks } from './callbacks.js';
import type { LearnOptions } from './trainer.js';
import { type LoadOptions, loadAlgorithm, saveAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import {
  beginProgress,
  captureCheckpoint,
  type Checkpoint,
  type CheckpointParts,
  checkLearnOptions,
  type LearnProgress,
  restoreCheckpoint,
} from './checkpoint.js';
import type { Box } from '../envs/spaces.js';
import { makeVec, type SyncVectorEnv } from '../envs/vector.js';
import { PolicygradError } from '../errors.js';
import {
  effectiveSampleSize,
  importanceSampledRewardToGo,
  importanceSampledTotalReturn,
  perDecisionWeights,
} from '../estimators/importance.js';
import {
  episodeIds,
  gae,
  leaveOneOutMeanBaseline,
  normalize,
  normalizeScale,
  rewardToGo,
  type StepBatch,
  successorValues,
  totalReturn,
} from '../estimators/returns.js';
import type { Floats } from '../nn/kernels.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import { declareRenamedOptions, parseOptions } from '../options.js';
import { renamedOptionsOf } from './renamed-options.js';
import { ActorCriticPolicy, type PredictOptions } from '../policies/actor-critic.js';
import { Rng } from '../rng.js';
import { RolloutBuffer, RolloutCollector } from '../rollouts/rollout.js';
import { evaluatePolicy, networkFields } from './on-policy.js';
import { accumulateLogLikelihoodGradient, maskRows } from './policy-gradient.js';
import { IterationTracker, type IterationStats } from '../rollouts/iteration.js';
import { applyPreset, presetField } from './presets.js';
import { discount, gradNormBound, stepSize, traceDecay } from './hyperparameters.js';
import { regressValues } from './value-regression.js';

export const reinforceConfigSchema = z.strictObject({
  env: z.string().default('CartPole-v1'),
  envOptions: z.record(z.string(), z.unknown()).default({}),
  /** Hyperparameters applied under the explicit fields: a preset's name for the env ('zoo'), or the values. */
  preset: presetField,
  numEnvs: z.number().int().positive().default(1),
  seed: z.number().int().nonnegative().default(0),
  returns: z.enum(['total', 'reward-to-go']).default('reward-to-go'),
  baseline: z.enum(['none', 'mean', 'value']).default('value'),
  /** GAE(γ, λ) advantages instead of returns minus baseline (needs the value baseline). */
  gaeLambda: traceDecay().nullable().default(null),
  gamma: discount().default(0.99),
  normalizeAdvantage: z.boolean().default(true),
  /** Batch of complete episodes per iteration; when null, `nSteps` steps from each env. */
  batchEpisodes: z.number().int().positive().nullable().default(null),
  nSteps: z.number().int().positive().default(1024),
  learningRate: stepSize().default(1e-3),
  valueLearningRate: stepSize().default(1e-3),
  nCriticUpdates: z.number().int().positive().default(10),
  valueMinibatchSize: z.number().int().positive().default(256),
  maxGradNorm: gradNormBound().nullable().default(null),
  /** Past batches reused with importance weights (0: on-policy only). */
  reuseBatches: z.number().int().min(0).default(0),
  /** Truncate the importance weights at c̄ (null: no truncation). */
  importanceWeightClip: z
    .number()
    .positive('must be > 0 (weights truncated at c̄ ≤ 0 drop every reused sample), or null')
    .nullable()
    .default(null),
  ...networkFields,
});
declareRenamedOptions(reinforceConfigSchema, renamedOptionsOf('reinforce'));
export type ReinforceConfig = z.input<typeof reinforceConfigSchema>;
type ResolvedConfig = z.output<typeof reinforceConfigSchema>;

export interface IterationMetrics extends IterationStats {
  policyLoss: number;
  valueLoss: number | null;
  entropy: number;
  learningRate: number;
  /** With batch reuse: effective sample size of the reused samples' importance weights, as a fraction of them. */
  effectiveSampleSize?: number;
}

/** A past batch kept for reuse: what the update needs, copied out of the (reused) rollout buffer. */
interface StoredBatch {
  batch: StepBatch;
  observations: Float32Array;
  actions: Float32Array;
  /** log π_β(a|s) of the policy that collected it. */
  behaviourLogProbs: Float32Array;
  /** V of each step's successor when it was collected (`successorValues`; used at truncations), or null. */
  nextValues: Float64Array | null;
  /** The env's action masks, when it reports them. */
  masks: Uint8Array | null;
}

export class Reinforce {
  readonly config: ResolvedConfig;
  readonly env: SyncVectorEnv;
  readonly policy: ActorCriticPolicy;
  private readonly rng: Rng;
  private readonly collector: RolloutCollector;
  private readonly policyOptimizer: Adam;
  private readonly valueOptimizer: Adam;
  private readonly tracker: IterationTracker;
  private readonly stored: StoredBatch[] = [];
  private progress: LearnProgress | null = null;

  constructor(
    config: ReinforceConfig = {},
    readonly ports: Ports = {},
  ) {
    this.config = parseOptions(
      reinforceConfigSchema,
      applyPreset('reinforce', config, 'CartPole-v1'),
      'REINFORCE config',
    );
    const c = this.config;
    if (c.gaeLambda !== null && c.baseline !== 'value') {
      throw new PolicygradError(
        `REINFORCE config: gaeLambda = ${c.gaeLambda} needs baseline 'value' (got '${c.baseline}')`,
      );
    }
    if (c.gaeLambda !== null && c.reuseBatches > 0) {
      throw new PolicygradError(
        `REINFORCE config: reuseBatches = ${c.reuseBatches} needs Monte-Carlo returns (gaeLambda: null): GAE advantages of an older policy's batch have no per-decision importance correction`,
      );
    }
    const root = Rng.fromSeed(c.seed);
    this.rng = root.split();
    this.env = makeVec(c.env, c.numEnvs, c.envOptions, { copy: false });
    this.policy = new ActorCriticPolicy(
      {
        observationSpace: this.env.singleObservationSpace as Box,
        actionSpace: this.env.singleActionSpace,
        netArch: c.netArch,
        activation: c.activation,
      },
      root.split(),
    );
    this.collector = new RolloutCollector(this.env, this.policy, this.rng, c.seed);
    this.tracker = new IterationTracker(this.collector);
    const { params, actorParamCount, criticOffset } = this.policy;
    this.policyOptimizer = new Adam(actorParamCount, c.learningRate);
    this.valueOptimizer = new Adam(params.length - criticOffset, c.valueLearningRate);
  }

  /** Environment steps taken so far (SB3's `num_timesteps`). */
  get numTimesteps(): number {
    return this.collector.totalSteps;
  }

  /** Trains for `totalTimesteps` environment steps (rounded up to whole iterations). */
  learn(options: LearnOptions<IterationMetrics>): IterationMetrics[] {
    const { totalTimesteps, callback, callbacks, resetProgress } = checkLearnOptions('REINFORCE', options);
    const history: IterationMetrics[] = [];
    const parts = this.checkpointParts().parts;
    const progress = beginProgress(this.progress, totalTimesteps, resetProgress, parts, this.tracker);
    this.progress = progress;
    while (this.collector.totalSteps - progress.startStep < progress.totalTimesteps) {
      this.tracker.beginIteration();
      // 1. Collect.
      const buffer = this.collect();
      // 2. Estimate Ψ_t.
      const { psi, valueTargets } = this.estimate(buffer);
      // 3. Update the policy on the pseudo-loss, then refit the critic.
      const { policyLoss, entropy, effectiveSampleSize } = this.updatePolicy(buffer, psi);
      const valueLoss =
        valueTargets === null
          ? null
          : regressValues(
              this.policy,
              this.valueOptimizer,
              buffer.observations,
              valueTargets,
              buffer.size,
              { epochs: this.config.nCriticUpdates, minibatchSize: this.config.valueMinibatchSize },
              this.rng,
            );

      const metrics: IterationMetrics = {
        ...this.tracker.endIteration(),
        policyLoss,
        valueLoss,
        entropy,
        learningRate: this.policyOptimizer.learningRate,
        ...(effectiveSampleSize === undefined ? {} : { effectiveSampleSize }),
      };
      history.push(metrics);
      const stopRequested = callback?.(metrics) === false;
      if (!runCallbacks(callbacks, metrics, this) || stopRequested) break;
    }
    return history;
  }

  /** Everything needed to continue this run exactly (see checkpoint.ts), including batches kept for reuse. */
  checkpoint(): Checkpoint {
    return captureCheckpoint(this.checkpointParts(), {
      stored: this.stored.map((b) => ({
        numEnvs: b.batch.numEnvs,
        rewards: Array.from(b.batch.rewards),
        terminated: Array.from(b.batch.terminated),
        truncated: Array.from(b.batch.truncated),
        observations: Array.from(b.observations),
        actions: Array.from(b.actions),
        behaviourLogProbs: Array.from(b.behaviourLogProbs),
        nextValues: b.nextValues === null ? null : Array.from(b.nextValues),
        masks: b.masks === null ? null : Array.from(b.masks),
      })),
    });
  }

  /** Continues from a checkpoint of the same env; then `learn({ resetProgress: false })`. */
  restoreCheckpoint(checkpoint: unknown, options: { weightsOnly?: boolean } = {}): void {
    const { progress, state } = restoreCheckpoint(this.checkpointParts(), checkpoint, options);
    this.progress = progress;
    if (options.weightsOnly) return;
    const stored = (state.stored ?? []) as Record<string, number[] | number | null>[];
    this.stored.length = 0;
    for (const b of stored) {
      this.stored.push({
        batch: {
          numEnvs: b.numEnvs as number,
          rewards: Float64Array.from(b.rewards as number[]),
          terminated: Uint8Array.from(b.terminated as number[]),
          truncated: Uint8Array.from(b.truncated as number[]),
        },
        observations: Float32Array.from(b.observations as number[]),
        actions: Float32Array.from(b.actions as number[]),
        behaviourLogProbs: Float32Array.from(b.behaviourLogProbs as number[]),
        nextValues: storedNextValues(b),
        masks: Array.isArray(b.masks) ? Uint8Array.from(b.masks) : null,
      });
    }
  }

  /** Saves the model (Node): model.json (config and a full checkpoint) and policy.json. */
  save(dir: string): void {
    saveAlgorithm(this, 'reinforce', dir, this.ports.storage);
  }

  /** A saved model: the same run (continue with `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): Reinforce {
    return loadAlgorithm(dir, 'reinforce', options, (config) => new Reinforce(config, options.ports));
  }

  private checkpointParts(): CheckpointParts {
    return {
      algo: 'reinforce',
      env: this.config.env,
      parts: {
        env: this.env,
        policy: this.policy,
        rng: this.rng,
        collector: this.collector,
        buffer: this.stepBuffer(),
      },
      tracker: this.tracker,
      progress: this.progress,
      optimizers: { actor: this.policyOptimizer, critic: this.valueOptimizer },
    };
  }

  private stepBufferCache: RolloutBuffer | null = null;
  private stepBuffer(): RolloutBuffer {
    if (this.stepBufferCache === null) {
      this.stepBufferCache = new RolloutBuffer(
        this.config.nSteps,
        this.env.numEnvs,
        this.env.obsDim,
        this.policy.dist.actionSize,
      );
    }
    return this.stepBufferCache;
  }

  /**
   * A batch: `batchEpisodes` complete episodes; else `nSteps` steps from each env when a critic completes the
   * returns cut at the batch end, and otherwise (no critic, or reuse) complete episodes of at least that many.
   */
  private collect(): RolloutBuffer {
    const c = this.config;
    if (c.batchEpisodes !== null) return this.collector.collectEpisodes(c.batchEpisodes);
    if (c.baseline !== 'value' || c.reuseBatches > 0) return this.collector.collectWholeEpisodes(c.nSteps);
    return this.collector.collectSteps(this.stepBuffer());
  }

  /** Ψ_t for the batch per the config, and the critic's regression targets (null without a value baseline). */
  estimate(buffer: RolloutBuffer): { psi: Float64Array; valueTargets: Float64Array | null } {
    const c = this.config;
    const n = buffer.size;
    const next =
      c.baseline === 'value'
        ? successorValues(buffer, buffer.values, buffer.finalValues, buffer.lastValues, new Float64Array(n))
        : null;
    const psi = new Float64Array(n);
    let valueTargets: Float64Array | null = null;
    if (c.gaeLambda !== null && next !== null) {
      valueTargets = new Float64Array(n);
      gae(buffer, buffer.values, next, c.gamma, c.gaeLambda, psi, valueTargets);
    } else {
      if (c.returns === 'total') totalReturn(buffer, c.gamma, next, psi);
      else rewardToGo(buffer, c.gamma, next, psi);
      if (next !== null) valueTargets = rewardToGo(buffer, c.gamma, next, new Float64Array(n));
      this.subtractBaseline(buffer, psi, buffer.values);
    }
    this.normalizeScores(psi);
    return { psi, valueTargets };
  }

  /**
   * Ψ_t of a stored batch under the current policy: the importance-sampled (per-decision) returns for the
   * log-ratios log π_θ − log π_β, minus the baseline of the current critic or the leave-one-out mean.
   */
  private reusedScores(past: StoredBatch, logRatios: Floats): Float64Array {
    const c = this.config;
    const n = past.actions.length / this.policy.dist.actionSize;
    const psi = new Float64Array(n);
    if (c.returns === 'total') {
      importanceSampledTotalReturn(past.batch, logRatios, c.gamma, past.nextValues, psi);
    } else importanceSampledRewardToGo(past.batch, logRatios, c.gamma, past.nextValues, psi);
    const values = c.baseline === 'value' ? this.policy.values(past.observations, n) : null;
    this.subtractBaseline(past.batch, psi, values);
    this.normalizeScores(psi);
    return psi;
  }

  /** Ψ − V(s) for the value baseline, Ψ − leave-one-out mean for 'mean', Ψ for 'none' (in place). */
  private subtractBaseline(batch: StepBatch, psi: Float64Array, values: Floats | null): void {
    const n = psi.length;
    if (this.config.baseline === 'value' && values !== null) {
      for (let k = 0; k < n; k++) psi[k] -= values[k];
    } else if (this.config.baseline === 'mean') {
      const ids = new Int32Array(n);
      const count = episodeIds(batch, ids);
      const b = leaveOneOutMeanBaseline(psi, ids, count, new Float64Array(n));
      for (let k = 0; k < n; k++) psi[k] -= b[k];
    }
  }

  /**
   * `normalizeAdvantage`: with a critic, (Ψ − mean)/std as SB3; with baseline 'none' or 'mean', Ψ/std only,
   * so that no in-batch mean baseline is added to the one chosen (see the module comment).
   */
  private normalizeScores(psi: Float64Array): void {
    if (!this.config.normalizeAdvantage) return;
    if (this.config.baseline === 'value') normalize(psi);
    else normalizeScale(psi);
  }

  /**
   * One Adam step on L(θ) = −(1/N) Σ w_t log π(a_t|s_t)·Ψ_t over this batch (w = 1) and the stored ones
   * (importance weights w_t, held constant), then stores this batch for reuse.
   */
  private updatePolicy(
    buffer: RolloutBuffer,
    psi: Float64Array,
  ): { policyLoss: number; entropy: number; effectiveSampleSize?: number } {
    const { policy } = this;
    const total = buffer.size + this.stored.reduce((n, b) => n + b.behaviourLogProbs.length, 0);
    policy.zeroGrad();
    const weights = psi.map((v) => -v / total); // ∂L/∂log π(a_k|s_k)
    const stats = accumulateLogLikelihoodGradient(
      policy,
      buffer.observations,
      buffer.actions,
      weights,
      buffer.size,
      buffer.masks,
    );
    let loss = stats.weightedLogProb;
    const reusedWeights: number[] = [];
    for (const past of this.stored) {
      const n = past.behaviourLogProbs.length;
      const logRatios = logProbsOf(policy, past.observations, past.actions, n, past.masks).map(
        (lp, k) => lp - past.behaviourLogProbs[k],
      );
      const w = perDecisionWeights(
        past.batch,
        logRatios,
        this.config.importanceWeightClip,
        new Float64Array(n),
      );
      for (const v of w) reusedWeights.push(v);
      const pastPsi = this.reusedScores(past, logRatios);
      const pastStats = accumulateLogLikelihoodGradient(
        policy,
        past.observations,
        past.actions,
        pastPsi.map((v, k) => (-w[k] * v) / total),
        n,
        past.masks,
      );
      loss += pastStats.weightedLogProb;
    }
    const actorGrads = policy.grads.subarray(0, policy.actorParamCount);
    if (this.config.maxGradNorm !== null) clipGradNorm(actorGrads, this.config.maxGradNorm);
    this.policyOptimizer.step(policy.params.subarray(0, policy.actorParamCount), actorGrads);

    if (this.config.reuseBatches > 0) {
      this.stored.unshift(snapshot(buffer, this.config.baseline === 'value'));
      if (this.stored.length > this.config.reuseBatches) this.stored.pop();
    }
    return {
      policyLoss: loss,
      entropy: stats.entropySum / buffer.size,
      ...(reusedWeights.length > 0
        ? { effectiveSampleSize: effectiveSampleSize(reusedWeights) / reusedWeights.length }
        : {}),
    };
  }

  /** The action for an observation (deterministic by default). */
  predict(observation: Floats, { deterministic = true, mask }: PredictOptions = {}): number | Float32Array {
    return this.policy.predict(observation, { deterministic, mask, rng: this.rng });
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default). */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    return evaluatePolicy(this.policy, this.config, episodes, options).returns;
  }
}

/** log π_θ(a|s) of the current policy for n stored samples. */
function logProbsOf(
  policy: ActorCriticPolicy,
  observations: Float32Array,
  actions: Float32Array,
  n: number,
  masks: Uint8Array | null,
): Float64Array {
  const out = new Float64Array(n);
  const chunk = 1024;
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const inputs = policy.distInputs(
      observations.subarray(start * policy.obsDim, (start + size) * policy.obsDim),
      size,
      maskRows(masks, policy.dist.inputSize, start, size),
    );
    const acts = actions.subarray(start * policy.dist.actionSize, (start + size) * policy.dist.actionSize);
    policy.dist.logProb(inputs, acts, size, out.subarray(start, start + size));
  }
  return out;
}

/** Copies what reuse needs out of a rollout buffer (which the collector may overwrite). */
function snapshot(buffer: RolloutBuffer, withValues: boolean): StoredBatch {
  const n = buffer.size;
  return {
    batch: {
      numEnvs: buffer.numEnvs,
      rewards: buffer.rewards.slice(),
      terminated: buffer.terminated.slice(),
      truncated: buffer.truncated.slice(),
    },
    observations: buffer.observations.slice(),
    actions: buffer.actions.slice(),
    behaviourLogProbs: buffer.logProbs.slice(),
    nextValues: withValues
      ? successorValues(buffer, buffer.values, buffer.finalValues, buffer.lastValues, new Float64Array(n))
      : null,
    masks: buffer.masks?.slice() ?? null,
  };
}

/** A checkpoint's stored `nextValues`; checkpoints from before whole-episode reuse stored Ψ instead. */
function storedNextValues(b: Record<string, unknown>): Float64Array | null {
  if (Array.isArray(b.nextValues)) return Float64Array.from(b.nextValues as number[]);
  if (b.nextValues === null) return null;
  throw new PolicygradError(
    'REINFORCE checkpoint: its reused batches predate per-decision importance sampling (no nextValues); restore it with { weightsOnly: true }',
  );
}
