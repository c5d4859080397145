/**
 * Proximal Policy Optimization (Schulman et al. 2017), with the implementation details that decide whether it
 * learns (Engstrom et al. 2020; Huang et al. 2022): orthogonal init, Adam ε = 1e-5, GAE, per-minibatch advantage
 * normalisation, global gradient clipping, optional value clipping, linear schedules, optional target-KL stop.
 *
 *   maximise  L(θ) = E[ s(r_t(θ), Â_t) ] − β·E[ KL(π_old ‖ π_θ) ],   r_t = π_θ(a_t|s_t) / π_old(a_t|s_t)
 *
 * `objective` picks the surrogate (see surrogate.ts): 'clip' (PPO-clip), 'kl-penalty' (adaptive β: doubled when
 * KL ≥ 1.5·δ, halved when KL ≤ δ/1.5, after each update), 'clip+kl', or 'none' (the plain importance-sampled
 * surrogate). Each iteration: collect nSteps × numEnvs, estimate GAE advantages, then nEpochs passes of
 * minibatch gradient steps.
 */
import type { PredictOptions } from '../policies/actor-critic.js';
import { z } from 'zod';
import { clipGradNorm, Adam } from '../nn/optim.js';
import type { Floats } from '../nn/kernels.js';
import { declareRenamedOptions, parseOptions } from '../options.js';
import { renamedOptionsOf } from './renamed-options.js';
import { shuffle } from './value-regression.js';
import {
  resolveBatchSize,
  advantagesAndReturns,
  allocateMinibatch,
  buildOnPolicy,
  distInputsOf,
  evaluatePolicy,
  normalizationOf,
  explainedVariance,
  gatherMinibatch,
  mean,
  onPolicyFields,
  explorationFields,
  type OnPolicyLearnOptions,
  type OnPolicyMetrics,
  type OnPolicyParts,
  scheduleSchema,
  toSchedule,
  truncationSchema,
} from './on-policy.js';
import { IterationTracker } from '../rollouts/iteration.js';
import {
  beginProgress,
  captureCheckpoint,
  type Checkpoint,
  type CheckpointParts,
  checkLearnOptions,
  type LearnProgress,
  progressRemaining,
  restoreCheckpoint,
} from './checkpoint.js';
import { runCallbacks } from './callbacks.js';
import { type LoadOptions, loadAlgorithm, saveAlgorithm } from './persistence.js';
import { presetValues } from './presets.js';
import { checkNormalizable } from './hyperparameters.js';
import { accumulateSurrogateGradient, adaptKlBeta, SurrogateScratch } from './surrogate.js';

export const ppoConfigSchema = z.strictObject({
  ...onPolicyFields,
  ...explorationFields,
  numEnvs: onPolicyFields.numEnvs.default(1),
  nSteps: onPolicyFields.nSteps.default(2048),
  gaeLambda: onPolicyFields.gaeLambda.default(0.95),
  learningRate: scheduleSchema.default(3e-4),
  normalizeAdvantage: onPolicyFields.normalizeAdvantage.default(true),
  batchSize: z.number().int().positive().default(64),
  nEpochs: z.number().int().positive().default(10),
  objective: z.enum(['clip', 'kl-penalty', 'clip+kl', 'none']).default('clip'),
  clipRange: scheduleSchema.default(0.2),
  clipRangeVf: z.number().positive().nullable().default(null),
  /** The value loss: SB3's clamped MSE ('sb3') or CleanRL's ½·max of clipped and unclipped errors (surrogate.ts). */
  valueLoss: z.enum(['sb3', 'cleanrl']).default('sb3'),
  /** Truncated episodes: bootstrap from V(final observation) (SB3), or end them there (CleanRL's ppo.py). */
  truncation: truncationSchema.default('bootstrap'),
  /** Stop the epochs early when the approximate KL exceeds 1.5 × targetKl (SB3). */
  targetKl: z.number().positive().nullable().default(null),
  /** d_targ of the adaptive KL penalty (Schulman et al. 2017, eq. 8). */
  klPenaltyTarget: z.number().positive().default(0.01),
  /** Initial β of the KL penalty. */
  klBetaInit: z.number().positive().default(1.0),
  adamEpsilon: z.number().positive().default(1e-5),
});
declareRenamedOptions(ppoConfigSchema, renamedOptionsOf('ppo'));
export type PPOConfig = z.input<typeof ppoConfigSchema>;

export class PPO {
  readonly config: z.output<typeof ppoConfigSchema>;
  readonly policy: OnPolicyParts['policy'];
  readonly env: OnPolicyParts['env'];
  private readonly parts: OnPolicyParts;
  private readonly optimizer: Adam;
  private readonly scratch = new SurrogateScratch();
  private klBeta: number;
  private readonly tracker: IterationTracker;
  private progress: LearnProgress | null = null;

  constructor(config: PPOConfig = {}) {
    const preset = presetValues('ppo', config, 'CartPole-v1');
    const parsed = parseOptions(ppoConfigSchema, { ...preset, ...config }, 'PPO config');
    this.config = { ...parsed, batchSize: resolveBatchSize('PPO', parsed, preset, config) };
    const c = this.config;
    checkNormalizable('PPO config', c.normalizeAdvantage, 'nSteps', c.nSteps, c.nSteps * c.numEnvs);
    checkNormalizable('PPO config', c.normalizeAdvantage, 'batchSize', c.batchSize, c.batchSize);
    this.parts = buildOnPolicy(this.config);
    this.tracker = new IterationTracker(this.parts.collector);
    this.policy = this.parts.policy;
    this.env = this.parts.env;
    this.optimizer = new Adam(this.policy.numParams, 1, { epsilon: this.config.adamEpsilon });
    this.klBeta = this.config.klBetaInit;
  }

  /** Environment steps taken so far (SB3's `num_timesteps`). */
  get numTimesteps(): number {
    return this.parts.collector.totalSteps;
  }

  learn(options: OnPolicyLearnOptions): OnPolicyMetrics[] {
    const { totalTimesteps, callback, callbacks, resetProgress } = checkLearnOptions('PPO', options);
    const c = this.config;
    const { policy, collector, buffer, rng } = this.parts;
    const lrSchedule = toSchedule(c.learningRate);
    const clipSchedule = toSchedule(c.clipRange);
    const n = buffer.size;
    const advantages = new Float64Array(n);
    const returns = new Float64Array(n);
    const oldInputs = new Float32Array(n * policy.dist.inputSize);
    const indices = new Int32Array(n);
    const batchSize = Math.min(c.batchSize, n);
    const mb = allocateMinibatch(batchSize, policy.obsDim, policy.dist.actionSize, policy.dist.inputSize);
    const penalised = c.objective === 'kl-penalty' || c.objective === 'clip+kl';
    if (!penalised) mb.oldDistInputs = null; // the clipped objective needs only the old log-probabilities
    const history: OnPolicyMetrics[] = [];
    const progress = beginProgress(this.progress, totalTimesteps, resetProgress, this.parts, this.tracker);
    this.progress = progress;

    while (collector.totalSteps - progress.startStep < progress.totalTimesteps) {
      this.tracker.beginIteration();
      const remaining = progressRemaining(progress, collector.totalSteps);
      this.optimizer.learningRate = lrSchedule(remaining);
      const clipRange = clipSchedule(remaining);

      // 1. Collect nSteps from each env with the current policy (π_old).
      collector.collectSteps(buffer);
      // 2. Estimate advantages: GAE(γ, λ), truncations bootstrapped from V(final observation) or cut.
      advantagesAndReturns(buffer, c.gamma, c.gaeLambda, advantages, returns, c.truncation);
      if (penalised) distInputsOf(policy, buffer, oldInputs);
      // 3. Update: nEpochs passes of minibatch steps on the surrogate.
      const stats = {
        policyLoss: [] as number[],
        valueLoss: [] as number[],
        entropy: [] as number[],
        approxKl: [] as number[],
        clipFraction: [] as number[],
      };
      let stop = false;
      for (let epoch = 0; epoch < c.nEpochs && !stop; epoch++) {
        for (let k = 0; k < n; k++) indices[k] = k; // each epoch's order depends only on the generator
        shuffle(indices, rng);
        for (let s = 0; s < n; s += batchSize) {
          const size = Math.min(batchSize, n - s);
          gatherMinibatch(buffer, advantages, returns, oldInputs, indices, s, size, mb);
          policy.zeroGrad();
          const m = accumulateSurrogateGradient(
            policy,
            mb,
            {
              objective: c.objective,
              clipRange,
              klBeta: this.klBeta,
              entCoef: c.entCoef,
              vfCoef: c.vfCoef,
              clipRangeVf: c.clipRangeVf,
              valueLoss: c.valueLoss,
              normalizeAdvantage: c.normalizeAdvantage,
            },
            this.scratch,
          );
          if (c.targetKl !== null && m.approxKl > 1.5 * c.targetKl) {
            stop = true; // the policy moved too far from π_old: keep this batch out and end the update
            break;
          }
          stats.policyLoss.push(m.policyLoss);
          stats.valueLoss.push(m.valueLoss);
          stats.entropy.push(m.entropy);
          stats.approxKl.push(m.approxKl);
          stats.clipFraction.push(m.clipFraction);
          if (c.maxGradNorm !== null) clipGradNorm(policy.grads, c.maxGradNorm);
          this.optimizer.step(policy.params, policy.grads);
        }
      }
      // 4. Adaptive KL penalty: β ← 2β if KL ≥ 1.5δ, β/2 if KL ≤ δ/1.5 (KL over the whole batch).
      let kl: number | undefined;
      if (penalised) {
        kl = meanKl(policy, buffer, oldInputs);
        this.klBeta = adaptKlBeta(this.klBeta, kl, c.klPenaltyTarget);
      }

      const metrics: OnPolicyMetrics = {
        ...this.tracker.endIteration(),
        policyLoss: mean(stats.policyLoss) ?? Number.NaN,
        valueLoss: mean(stats.valueLoss) ?? Number.NaN,
        entropy: mean(stats.entropy) ?? Number.NaN,
        approxKl: mean(stats.approxKl) ?? Number.NaN,
        clipFraction: mean(stats.clipFraction) ?? Number.NaN,
        explainedVariance: explainedVariance(buffer.values, returns),
        learningRate: this.optimizer.learningRate,
        clipRange,
        ...(penalised ? { klBeta: this.klBeta, kl } : {}),
      };
      history.push(metrics);
      const stopRequested = callback?.(metrics) === false;
      if (!runCallbacks(callbacks, metrics, this) || stopRequested) break;
    }
    return history;
  }

  /** Everything needed to continue this run exactly (see src/algos/checkpoint.ts). */
  checkpoint(): Checkpoint {
    return captureCheckpoint(this.checkpointParts(), { klBeta: this.klBeta });
  }

  /** Continues from a checkpoint of the same algorithm and env; then `learn({ resetProgress: false })`. */
  restoreCheckpoint(checkpoint: unknown, options: { weightsOnly?: boolean } = {}): void {
    const { progress, extra } = restoreCheckpoint(this.checkpointParts(), checkpoint, options);
    this.progress = progress;
    if (typeof extra.klBeta === 'number') this.klBeta = extra.klBeta;
  }

  /** Saves the model (Node): model.json (config and a full checkpoint) and policy.json. */
  save(dir: string): void {
    saveAlgorithm(this, 'ppo', dir);
  }

  /** A saved model: the same run (continue with `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): PPO {
    return loadAlgorithm(dir, 'ppo', options, (config) => new PPO(config));
  }

  private checkpointParts(): CheckpointParts {
    return {
      algo: 'ppo',
      env: this.config.env,
      parts: this.parts,
      tracker: this.tracker,
      progress: this.progress,
      optimizers: { adam: this.optimizer },
    };
  }

  /** The current β of the KL penalty. */
  get beta(): number {
    return this.klBeta;
  }

  predict(observation: Floats, { deterministic = true, mask }: PredictOptions = {}): number | Float32Array {
    return this.policy.predict(observation, { deterministic, mask, rng: this.parts.rng });
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default). */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    return evaluatePolicy(this.policy, this.config, episodes, {
      ...options,
      normalization: normalizationOf(this.env),
    }).returns;
  }
}

/** Mean KL(π_old ‖ π) over the rollout. */
function meanKl(
  policy: OnPolicyParts['policy'],
  buffer: OnPolicyParts['buffer'],
  oldInputs: Float32Array,
): number {
  const current = distInputsOf(policy, buffer, new Float32Array(oldInputs.length));
  const kls = new Float64Array(buffer.size);
  policy.dist.kl(oldInputs, current, buffer.size, kls);
  return kls.reduce((a, b) => a + b, 0) / buffer.size;
}
