/**
 * Advantage Actor-Critic, synchronous (A2C; Mnih et al. 2016, as in Stable-Baselines3).
 *
 *   L(θ) = −(1/n) Σ_t Â_t log π_θ(a_t|s_t) − c_H·(1/n) Σ_t H(π_θ(·|s_t)) + c_V·(1/n) Σ_t (V_θ(s_t) − R_t)²
 *
 * Each iteration: collect nSteps (5 by default) from each env, estimate Â by GAE (λ = 1 by default: n-step
 * Monte-Carlo returns bootstrapped from V after the last step), then one gradient step on L over the whole
 * rollout with RMSprop (PyTorch's, α 0.99, ε = 1e-5: SB3's default) or Adam, after global gradient clipping.
 * The loss is the surrogate of PPO with objective 'none' at r = 1, where ∇(r·Â) = Â·∇log π.
 */
import type { PredictOptions } from '../policies/actor-critic.js';
import { z } from 'zod';
import type { Floats } from '../nn/kernels.js';
import { Adam, clipGradNorm, type Optimizer, RMSprop } from '../nn/optim.js';
import { parseOptions } from '../options.js';
import {
  advantagesAndReturns,
  allocateMinibatch,
  buildOnPolicy,
  distInputsOf,
  evaluatePolicy,
  normalizationOf,
  explainedVariance,
  gatherMinibatch,
  type OnPolicyLearnOptions,
  type OnPolicyMetrics,
  type OnPolicyParts,
  onPolicyFields,
  explorationFields,
  scheduleSchema,
  toSchedule,
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
import type { Ports } from './ports.js';
import { applyPreset } from './presets.js';
import { checkNormalizable, rmsPropDecay } from './hyperparameters.js';
import { accumulateSurrogateGradient, SurrogateScratch } from './surrogate.js';

export const a2cConfigSchema = z.strictObject({
  ...onPolicyFields,
  ...explorationFields,
  numEnvs: onPolicyFields.numEnvs.default(1),
  nSteps: onPolicyFields.nSteps.default(5),
  gaeLambda: onPolicyFields.gaeLambda.default(1.0),
  learningRate: scheduleSchema.default(7e-4),
  normalizeAdvantage: onPolicyFields.normalizeAdvantage.default(false),
  optimizer: z.enum(['rmsprop', 'adam']).default('rmsprop'),
  /** RMSprop's decay and ε (SB3's A2C: α 0.99, ε 1e-5). */
  rmsPropAlpha: rmsPropDecay().default(0.99),
  rmsPropEpsilon: z.number().positive().default(1e-5),
  /**
   * 'pytorch': √v + ε with v starting at 0 (torch.optim.RMSprop, what SB3's A2C uses unless told otherwise);
   * 'tensorflow': √(v + ε) with v starting at 1 (SB3's RMSpropTFLike, which rl-zoo names only for Atari).
   */
  rmsPropStyle: z.enum(['pytorch', 'tensorflow']).default('pytorch'),
});
export type A2CConfig = z.input<typeof a2cConfigSchema>;

export class A2C {
  readonly config: z.output<typeof a2cConfigSchema>;
  readonly policy: OnPolicyParts['policy'];
  readonly env: OnPolicyParts['env'];
  private readonly parts: OnPolicyParts;
  private readonly optimizer: Optimizer;
  private readonly scratch = new SurrogateScratch();
  private readonly tracker: IterationTracker;
  private progress: LearnProgress | null = null;

  constructor(
    config: A2CConfig = {},
    readonly ports: Ports = {},
  ) {
    this.config = parseOptions(a2cConfigSchema, applyPreset('a2c', config, 'CartPole-v1'), 'A2C config');
    const { normalizeAdvantage, nSteps, numEnvs } = this.config;
    checkNormalizable('A2C config', normalizeAdvantage, 'nSteps', nSteps, nSteps * numEnvs);
    this.parts = buildOnPolicy(this.config, ports);
    this.tracker = new IterationTracker(this.parts.collector);
    this.policy = this.parts.policy;
    this.env = this.parts.env;
    const size = this.policy.numParams;
    this.optimizer =
      this.config.optimizer === 'rmsprop'
        ? new RMSprop(size, 1, {
            alpha: this.config.rmsPropAlpha,
            epsilon: this.config.rmsPropEpsilon,
            tensorflowStyle: this.config.rmsPropStyle === 'tensorflow',
          })
        : new Adam(size, 1, { epsilon: 1e-5 });
  }

  /** Environment steps taken so far (SB3's `num_timesteps`). */
  get numTimesteps(): number {
    return this.parts.collector.totalSteps;
  }

  learn(options: OnPolicyLearnOptions): OnPolicyMetrics[] {
    const { totalTimesteps, callback, callbacks, resetProgress } = checkLearnOptions('A2C', options);
    const c = this.config;
    const { policy, collector, buffer } = this.parts;
    const lrSchedule = toSchedule(c.learningRate);
    const n = buffer.size;
    const advantages = new Float64Array(n);
    const returns = new Float64Array(n);
    const oldInputs = new Float32Array(n * policy.dist.inputSize);
    const all = Int32Array.from({ length: n }, (_, k) => k);
    const batch = allocateMinibatch(n, policy.obsDim, policy.dist.actionSize, policy.dist.inputSize);
    const history: OnPolicyMetrics[] = [];
    const progress = beginProgress(this.progress, totalTimesteps, resetProgress, this.parts, this.tracker);
    this.progress = progress;

    while (collector.totalSteps - progress.startStep < progress.totalTimesteps) {
      this.tracker.beginIteration();
      this.optimizer.learningRate = lrSchedule(progressRemaining(progress, collector.totalSteps));

      // 1. Collect nSteps from each env.
      collector.collectSteps(buffer);
      // 2. Estimate advantages (GAE; λ = 1: bootstrapped n-step returns minus V).
      advantagesAndReturns(buffer, c.gamma, c.gaeLambda, advantages, returns);
      // 3. One gradient step on the actor-critic loss over the whole rollout.
      gatherMinibatch(buffer, advantages, returns, distInputsOf(policy, buffer, oldInputs), all, 0, n, batch);
      policy.zeroGrad();
      const m = accumulateSurrogateGradient(
        policy,
        batch,
        {
          objective: 'none',
          clipRange: Number.POSITIVE_INFINITY,
          klBeta: 0,
          entCoef: c.entCoef,
          vfCoef: c.vfCoef,
          clipRangeVf: null,
          normalizeAdvantage: c.normalizeAdvantage,
        },
        this.scratch,
      );
      if (c.maxGradNorm !== null) clipGradNorm(policy.grads, c.maxGradNorm);
      this.optimizer.step(policy.params, policy.grads);

      const metrics: OnPolicyMetrics = {
        ...this.tracker.endIteration(),
        policyLoss: m.policyLoss,
        valueLoss: m.valueLoss,
        entropy: m.entropy,
        approxKl: m.approxKl,
        clipFraction: m.clipFraction,
        explainedVariance: explainedVariance(buffer.values, returns),
        learningRate: this.optimizer.learningRate,
      };
      history.push(metrics);
      const stopRequested = callback?.(metrics) === false;
      if (!runCallbacks(callbacks, metrics, this) || stopRequested) break;
    }
    return history;
  }

  /** Everything needed to continue this run exactly (see src/algos/checkpoint.ts). */
  checkpoint(): Checkpoint {
    return captureCheckpoint(this.checkpointParts());
  }

  /** Continues from a checkpoint of the same algorithm and env; then `learn({ resetProgress: false })`. */
  restoreCheckpoint(checkpoint: unknown, options: { weightsOnly?: boolean } = {}): void {
    this.progress = restoreCheckpoint(this.checkpointParts(), checkpoint, options).progress;
  }

  /** Saves the model (Node): model.json (config and a full checkpoint) and policy.json. */
  save(dir: string): void {
    saveAlgorithm(this, 'a2c', dir, this.ports.storage);
  }

  /** A saved model: the same run (continue with `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): A2C {
    return loadAlgorithm(dir, 'a2c', options, (config) => new A2C(config, options.ports));
  }

  private checkpointParts(): CheckpointParts {
    return {
      algo: 'a2c',
      env: this.config.env,
      parts: this.parts,
      tracker: this.tracker,
      progress: this.progress,
      optimizers: { optimizer: this.optimizer },
    };
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
