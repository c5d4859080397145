/**
 * Advantage Actor-Critic, synchronous (A2C; Mnih et al. 2016, as in Stable-Baselines3).
 *
 *   L(θ) = −(1/n) Σ_t Â_t log π_θ(a_t|s_t) − c_H·(1/n) Σ_t H(π_θ(·|s_t)) + c_V·(1/n) Σ_t (V_θ(s_t) − R_t)²
 *
 * Each iteration: collect nSteps (5 by default) from each env, estimate Â by GAE (λ = 1 by default: n-step
 * Monte-Carlo returns bootstrapped from V after the last step), then one gradient step on L over the whole
 * rollout with RMSprop (PyTorch's, α 0.99, ε = 1e-5: SB3's default) or Adam, after global gradient clipping.
 * The loss is the composition surrogate + entropyBonus + valueLoss (src/algos/loss/): the plain surrogate r·Â at
 * r = 1, where ∇(r·Â) = Â·∇log π.
 */
import { z } from 'zod';
import { Adam, clipGradNorm, type Optimizer, RMSprop } from '../nn/optim.js';
import type { Floats } from '../nn/kernels.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import type { RolloutBuffer } from '../rollouts/rollout.js';
import {
  type ActorCriticMetrics,
  advantagesAndReturns,
  allocateAdvantageScratch,
  buildOnPolicy,
  explainedVariance,
  explorationFields,
  onPolicyFields,
  type OnPolicyParts,
  scheduleSchema,
  toSchedule,
} from './on-policy.js';
import { type LoadOptions, loadAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import { checkNormalizable, rmsPropDecay } from './hyperparameters.js';
import { normalize } from '../estimators/returns.js';
import { accumulateLoss, type LossPolicy, type LossRows, LossScratch } from './loss/accumulate.js';
import { surrogate } from './loss/surrogate.js';
import { entropyBonus } from './loss/entropy-bonus.js';
import { valueLoss } from './loss/value-loss.js';
import {
  type AlgorithmDefinition,
  type RunOptions,
  Trainer,
  type TrainablePolicy,
  type UpdateRule,
} from './trainer.js';

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
export type A2CResolvedConfig = z.output<typeof a2cConfigSchema>;

/** A2C's columns of the metrics row. */
export type A2CUpdateMetrics = ActorCriticMetrics;

/** A2C's optimizer over all the parameters: SB3's RMSprop (PyTorch's or TensorFlow's form) or Adam. */
export function a2cOptimizer(
  size: number,
  c: Pick<A2CResolvedConfig, 'optimizer' | 'rmsPropAlpha' | 'rmsPropEpsilon' | 'rmsPropStyle'>,
): Optimizer {
  if (c.optimizer === 'adam') return new Adam(size, 1, { epsilon: 1e-5 });
  return new RMSprop(size, 1, {
    alpha: c.rmsPropAlpha,
    epsilon: c.rmsPropEpsilon,
    tensorflowStyle: c.rmsPropStyle === 'tensorflow',
  });
}

/** What the update reads of the config (A3C's workers run it with their own). */
export type A2CUpdateConfig = Pick<
  A2CResolvedConfig,
  'nSteps' | 'numEnvs' | 'gamma' | 'gaeLambda' | 'learningRate' | 'entCoef' | 'vfCoef' | 'maxGradNorm'
> & { normalizeAdvantage: boolean };

/**
 * How A2C's one gradient step reads the rollout: the rows of its loss and the policy that computes them. A
 * feed-forward policy reads the rollout's rows as they are (`rolloutRows`); a recurrent one replays them as
 * sequences (`wholeSequences`, recurrent-a2c.ts).
 */
export interface RolloutView {
  /** The loss loop's workspace (its chunk must hold a recurrent view's rows: no chunk may cut a sequence). */
  readonly scratch: LossScratch;
  /** The loss's rows: the rollout's, with these (possibly normalised) advantages and returns. */
  rows(rollout: RolloutBuffer, advantages: Float64Array, returns: Float64Array): LossRows;
  /** The policy as the loss sees it, for the rows `rows` just returned. */
  lossPolicy(): LossPolicy;
}

/** The feed-forward view: the rollout's arrays themselves, no copy; the loss sees the policy. */
export function rolloutRows(policy: LossPolicy, n: number): RolloutView {
  const rows: LossRows = { size: n, observations: new Float32Array(0), actions: new Float32Array(0) };
  return {
    scratch: new LossScratch(),
    rows(rollout, advantages, returns) {
      rows.advantages = advantages;
      rows.returns = returns;
      rows.observations = rollout.observations;
      rows.actions = rollout.actions;
      rows.masks = rollout.masks;
      rows.oldLogProbs = rollout.logProbs;
      return rows;
    },
    lossPolicy: () => policy,
  };
}

/**
 * The update: GAE over the rollout, then one gradient step on L over all of it, taken by `optimizer` on `target`
 * (the policy's own parameters; an A3C worker's are the shared ones, its gradient from its local copy), the loss
 * reading the rollout through `view`.
 */
export function createA2CUpdate(
  parts: Pick<OnPolicyParts, 'policy'>,
  c: A2CUpdateConfig,
  optimizer: Optimizer,
  target?: Float32Array,
): UpdateRule<A2CUpdateMetrics>;
/** A policy that is not feed-forward needs its view of the rollout (RecurrentA2C's `wholeSequences`). */
export function createA2CUpdate(
  parts: { policy: TrainablePolicy },
  c: A2CUpdateConfig,
  optimizer: Optimizer,
  target: Floats,
  view: RolloutView,
): UpdateRule<A2CUpdateMetrics>;
export function createA2CUpdate(
  { policy }: { policy: TrainablePolicy },
  c: A2CUpdateConfig,
  optimizer: Optimizer,
  target: Floats = policy.params,
  view?: RolloutView,
): UpdateRule<A2CUpdateMetrics> {
  const n = c.nSteps * c.numEnvs;
  // Without a view the policy is feed-forward (the first signature).
  const rolloutView = view ?? rolloutRows(policy as ActorCriticPolicy, n);
  const lrSchedule = toSchedule(c.learningRate);
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  const scratch = allocateAdvantageScratch(n);
  const normalized = new Float64Array(n);
  // L = −(1/n) Σ r·Â − c_H·(1/n) Σ H + c_V·(1/n) Σ (V − R)², r = 1 at θ_old.
  const loss = [surrogate(), entropyBonus(c.entCoef), valueLoss({ coef: c.vfCoef })];
  return {
    optimizers: { actorCritic: optimizer },
    update(rollout: RolloutBuffer, progressRemaining: number): A2CUpdateMetrics {
      optimizer.learningRate = lrSchedule(progressRemaining);
      // 1. Estimate advantages (GAE; λ = 1: bootstrapped n-step returns minus V).
      advantagesAndReturns(rollout, c.gamma, c.gaeLambda, advantages, returns, 'bootstrap', scratch);
      // 2. One gradient step on the actor-critic loss over the whole rollout.
      let rowAdvantages = advantages;
      if (c.normalizeAdvantage && n > 1) {
        normalized.set(advantages);
        rowAdvantages = normalize(normalized);
      }
      const rows = rolloutView.rows(rollout, rowAdvantages, returns);
      policy.zeroGrad();
      const m = accumulateLoss(rolloutView.lossPolicy(), rows, loss, rolloutView.scratch).metrics;
      if (c.maxGradNorm !== null) clipGradNorm(policy.grads, c.maxGradNorm);
      optimizer.step(target, policy.grads);
      return {
        policyLoss: m.policyLoss,
        valueLoss: m.valueLoss,
        entropy: m.entropy,
        approxKl: m.approxKl,
        clipFraction: m.clipFraction,
        explainedVariance: explainedVariance(rollout.values, returns),
        learningRate: optimizer.learningRate,
      };
    },
  };
}

export const a2cDefinition: AlgorithmDefinition<A2CResolvedConfig, A2CUpdateMetrics> = {
  name: 'a2c',
  twoNetworkLoss: true,
  schema: a2cConfigSchema,
  resolve(c) {
    checkNormalizable('A2C config', c.normalizeAdvantage, 'nSteps', c.nSteps, c.nSteps * c.numEnvs);
    return c;
  },
  build: (c, ports) => buildOnPolicy(c, ports),
  createUpdate: (parts, c) => createA2CUpdate(parts, c, a2cOptimizer(parts.policy.numParams, c)),
};

export class A2C extends Trainer<A2CResolvedConfig, A2CUpdateMetrics> {
  constructor(config: A2CConfig & RunOptions = {}, ports: Ports = {}) {
    super(a2cDefinition, config, ports);
  }

  /** A saved model: the same run (continue with `iterate()` or `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): A2C {
    return loadAlgorithm(dir, 'a2c', options, (config) => new A2C(config, options.ports));
  }
}
