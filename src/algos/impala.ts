/**
 * IMPALA's learner update (Espeholt et al. 2018, section 4.2): one gradient step per batch of actor chunks on
 *
 *   L(θ) = −(1/n) Σ_s ρ_s·(r_s + γ·v_{s+1} − V(s_s))·log π_θ(a_s|s_s)     (the V-trace policy gradient)
 *          + c_V·½·(1/n) Σ_s (V_θ(s_s) − v_s)²                           (value regression to the V-trace targets)
 *          − c_H·(1/n) Σ_s H(π_θ(·|s_s))                                  (entropy bonus)
 *
 * with v_s and the advantages ρ_s(…) from `vtrace` (distributed.ts: `vtraceTargets`), both held constant. The
 * paper sums over the batch where we average (a learning-rate scale); its baseline loss is ½·Σ(v_s − V)² times
 * the baseline cost, as here. On-policy (every log-ratio 0, λ = c̄ = ρ̄ = 1) the step is A2C's with n-step
 * targets: v_s is the bootstrapped n-step return and the advantage is v_s − V(s_s) (test/impala.test.ts).
 *
 * The loss is composed of the loss terms (src/algos/loss/): the plain surrogate at r = 1 (∇(r·Â) = Â·∇log π
 * there), the entropy bonus, and the ½-squared-error value loss ('cleanrl' form without clipping). Browser-safe.
 */
import { z } from 'zod';
import { clipGradNorm } from '../nn/optim.js';
import { parseOptions } from '../options.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import {
  asLearnerBatch,
  buildLearnerParts,
  collectOwnChunk,
  distributedFields,
  type DistributedLosses,
  distributedOptimizer,
  type DistributedUpdateRule,
  VtraceScratch,
  type VtraceTargets,
  vtraceTargets,
} from './distributed.js';
import type { LearnerBatch } from './learner-batch.js';
import { explainedVariance, scheduleSchema, toSchedule } from './on-policy.js';
import type { Ports } from './ports.js';
import { applyPreset } from './presets.js';
import { type AlgorithmDefinition, Trainer } from './trainer.js';
import { accumulateLoss, type LossRows, LossScratch, type LossTerm } from './loss/accumulate.js';
import { entropyBonus } from './loss/entropy-bonus.js';
import { surrogate } from './loss/surrogate.js';
import { valueLoss } from './loss/value-loss.js';

export const impalaConfigSchema = z.strictObject({
  ...distributedFields,
  learningRate: scheduleSchema.default(5e-4),
  entCoef: distributedFields.entCoef.default(0.01),
  optimizer: distributedFields.optimizer.default('rmsprop'),
});
export type ImpalaConfig = z.input<typeof impalaConfigSchema>;
export type ImpalaResolvedConfig = z.output<typeof impalaConfigSchema>;

export function parseImpalaConfig(config: ImpalaConfig): ImpalaResolvedConfig {
  return parseOptions(impalaConfigSchema, applyPreset('impala', config, 'CartPole-v1'), 'IMPALA config');
}

/**
 * IMPALA as the trainer runs it: `iterate()` collects one chunk from the trainer's own envs (on-policy: a
 * single-process IMPALA, browser-safe); a learner fed by actors calls `trainOn` with assembled chunks
 * (src/algos/learner.ts).
 */
export const impalaDefinition: AlgorithmDefinition<ImpalaResolvedConfig, DistributedLosses> = {
  name: 'impala',
  schema: impalaConfigSchema,
  build: (c) => buildLearnerParts(c),
  collect: (parts) => collectOwnChunk(parts),
  createUpdate: (parts, c) => createImpalaUpdate(parts.policy, c),
};

export class IMPALA extends Trainer<ImpalaResolvedConfig, DistributedLosses> {
  constructor(config: ImpalaConfig = {}, ports: Ports = {}) {
    super(impalaDefinition, config, ports);
  }
}

type ImpalaLossConfig = Pick<
  ImpalaResolvedConfig,
  'gamma' | 'vtraceRhoBar' | 'vtraceCBar' | 'vtraceLambda' | 'entCoef' | 'vfCoef'
>;

/** What `accumulateImpalaGradient` reuses from call to call: the V-trace workspace, the loss terms, the rows. */
export class ImpalaScratch {
  readonly vtrace = new VtraceScratch();
  readonly loss = new LossScratch();
  readonly terms: readonly LossTerm[];
  readonly rows: LossRows = { size: 0, observations: new Float32Array(0), actions: new Float32Array(0) };

  constructor(c: Pick<ImpalaResolvedConfig, 'entCoef' | 'vfCoef'>) {
    this.terms = [surrogate(), entropyBonus(c.entCoef), valueLoss({ form: 'cleanrl', coef: c.vfCoef })];
  }
}

export interface ImpalaLosses {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  targets: VtraceTargets;
}

/**
 * Adds ∂L/∂θ of the loss above into `policy.grads` (zero them first) for a learner batch and returns the loss
 * terms, with the V-trace targets it used. `scratch` must have been made for the same entCoef and vfCoef.
 */
export function accumulateImpalaGradient(
  policy: ActorCriticPolicy,
  batch: LearnerBatch,
  c: ImpalaLossConfig,
  scratch: ImpalaScratch,
): ImpalaLosses {
  // 1. V-trace targets v_s and advantages ρ_s(r_s + γ v_{s+1} − V(s_s)) under the current π and V.
  const targets = vtraceTargets(policy, batch, c, scratch.vtrace);
  // 2. The loss's gradient (r = 1: π's own log-probabilities stand as the "old" ones).
  const { rows } = scratch;
  rows.size = batch.size;
  rows.observations = batch.observations;
  rows.actions = batch.actions;
  rows.masks = batch.masks;
  rows.oldLogProbs = targets.logProbs;
  rows.oldValues = targets.values;
  rows.advantages = targets.advantages;
  rows.returns = targets.vs;
  const m = accumulateLoss(policy, rows, scratch.terms, scratch.loss).metrics;
  return { policyLoss: m.policyLoss, valueLoss: m.valueLoss, entropy: m.entropy, targets };
}

export function createImpalaUpdate(
  policy: ActorCriticPolicy,
  c: ImpalaResolvedConfig,
): DistributedUpdateRule {
  const optimizer = distributedOptimizer(c, policy.numParams);
  const lrSchedule = toSchedule(c.learningRate);
  const scratch = new ImpalaScratch(c);
  return {
    optimizers: { optimizer },
    update(rollout, progressRemaining) {
      const batch = asLearnerBatch(rollout, 'IMPALA');
      optimizer.learningRate = lrSchedule(progressRemaining);
      // 1–2. V-trace targets and the gradient of the loss; 3. one clipped optimizer step.
      policy.zeroGrad();
      const m = accumulateImpalaGradient(policy, batch, c, scratch);
      if (c.maxGradNorm !== null) clipGradNorm(policy.grads, c.maxGradNorm);
      optimizer.step(policy.params, policy.grads);
      return {
        policyLoss: m.policyLoss,
        valueLoss: m.valueLoss,
        entropy: m.entropy,
        approxKl: behaviourKl(m.targets.logProbs, batch.logProbs),
        clipFraction: 0,
        explainedVariance: explainedVariance(m.targets.values, m.targets.vs),
        learningRate: optimizer.learningRate,
      };
    },
  };
}

/**
 * mean((ρ − 1) − log ρ) with ρ = π/μ: the k3 estimate of KL(μ ‖ π), how far the behaviour policies are from the
 * learner's (0 on-policy). Samples are from μ, so this is the unbiased, non-negative estimator.
 */
export function behaviourKl(logProbs: ArrayLike<number>, behaviourLogProbs: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < logProbs.length; k++) {
    const logRatio = logProbs[k] - behaviourLogProbs[k];
    sum += Math.exp(logRatio) - 1 - logRatio;
  }
  return logProbs.length === 0 ? 0 : sum / logProbs.length;
}
