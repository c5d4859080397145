/**
 * Trust Region Policy Optimization (Schulman et al. 2015) and the natural policy gradient (Kakade 2001).
 *
 *   maximise L(θ) = E[ π_θ(a|s)/π_old(a|s) · Â ]   subject to   E[ KL(π_old ‖ π_θ) ] ≤ δ
 *
 * Each iteration: collect, estimate GAE advantages, take the policy gradient g = ∇L at θ_old, solve F x = g by
 * conjugate gradient on Fisher-vector products (x = F⁻¹g, the natural gradient), scale it to the edge of the
 * trust region, Δθ = √(2δ / xᵀFx) · x, then
 *  - TRPO: backtrack Δθ by a shrinking factor until the surrogate improves and the measured KL(π_new ‖ π_old) ≤ δ
 *    (or give up and keep θ_old);
 *  - NPG: take Δθ as it is.
 * The critic is fitted by regression on the returns (Adam, k epochs of minibatches) after the policy step.
 */
import { z } from 'zod';
import { normalize } from '../estimators/returns.js';
import { Adam } from '../nn/optim.js';
import { declareRenamedOptions } from '../options.js';
import type { RolloutBuffer } from '../rollouts/rollout.js';
import { checkNormalizable } from './hyperparameters.js';
import {
  allocateConjugateGradient,
  conjugateGradient,
  dot,
  FisherVectorProduct,
} from './natural-gradient.js';
import {
  type ActorCriticMetrics,
  advantagesAndReturns,
  allocateAdvantageScratch,
  buildOnPolicy,
  explainedVariance,
  explorationFields,
  onPolicyFields,
  type OnPolicyParts,
  resolveBatchSize,
  scheduleSchema,
  toSchedule,
} from './on-policy.js';
import { type LoadOptions, loadAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import { type AlgorithmDefinition, type RunOptions, Trainer, type UpdateRule } from './trainer.js';
import { renamedOptionsOf } from './renamed-options.js';
import { allocateRegression, regressValues } from './value-regression.js';
import { accumulateLoss, evaluateLoss, type LossRows, LossScratch } from './loss/accumulate.js';
import { surrogate } from './loss/surrogate.js';
import { klPenalty } from './loss/kl-penalty.js';
import { entropyBonus } from './loss/entropy-bonus.js';
import { capture } from './loss/capture.js';

const { entCoef: _e, vfCoef: _v, maxGradNorm: _m, ...baseFields } = onPolicyFields;

export const trpoConfigSchema = z.strictObject({
  ...baseFields,
  ...explorationFields,
  numEnvs: onPolicyFields.numEnvs.default(1),
  nSteps: onPolicyFields.nSteps.default(2048),
  gaeLambda: onPolicyFields.gaeLambda.default(0.95),
  /** The critic's learning rate (the policy step is set by the trust region). */
  learningRate: scheduleSchema.default(1e-3),
  normalizeAdvantage: onPolicyFields.normalizeAdvantage.default(true),
  /** Critic minibatch size. */
  batchSize: z.number().int().positive().default(128),
  nCriticUpdates: z.number().int().positive().default(10),
  /** δ, the KL trust-region radius (sb3-contrib's target_kl). */
  maxKl: z.number().positive().default(0.01),
  cgMaxSteps: z.number().int().positive().default(15),
  /** λ in (F + λI)x = g: F is singular (a softmax's Fisher always is), so λ must be > 0. */
  cgDamping: z
    .number()
    .positive(
      'must be > 0 (the Fisher matrix F is singular; undamped conjugate gradient steps along its null space, e.g. NPG on CartPole measured KL = 7970·δ)',
    )
    .default(0.1),
  lineSearchShrinkingFactor: z.number().gt(0).lt(1).default(0.8),
  lineSearchMaxIter: z.number().int().positive().default(10),
  /** TRPO's backtracking line search; false gives the natural policy gradient. */
  lineSearch: z.boolean().default(true),
  /**
   * The critic's Adam ε: 1e-5, as sb3-contrib's TRPO (SB3's policy Adam). Measured against Adam's usual 1e-8 with
   * the zoo presets on CartPole, Acrobot and MountainCar, 10 seeds each: 26 (1e-5) vs 28 (1e-8) of 30 final
   * evaluations at the threshold, all of the difference on CartPole (docs/parity.md).
   */
  adamEpsilon: z.number().positive().default(1e-5),
});
declareRenamedOptions(trpoConfigSchema, renamedOptionsOf('trpo'));
export type TRPOConfig = z.input<typeof trpoConfigSchema>;
export type TRPOResolvedConfig = z.output<typeof trpoConfigSchema>;

/** NPG's config: TRPO's, with the line search off (a saved NPG config says `lineSearch: false`; true is refused). */
export const npgConfigSchema = trpoConfigSchema.extend({ lineSearch: z.literal(false).default(false) });
declareRenamedOptions(npgConfigSchema, renamedOptionsOf('npg'));
export type NPGConfig = z.input<typeof npgConfigSchema>;

/** TRPO's and NPG's columns of the metrics row. */
export type TrustRegionUpdateMetrics = ActorCriticMetrics & {
  /** KL(π_new ‖ π_old) after the step (sb3-contrib's direction), mean over the rollout. */
  kl: number;
  /** Backtracking steps taken (TRPO), −1 if no step was accepted. */
  lineSearchSteps: number;
};

/** The update: GAE, the natural step within the trust region, then the critic's regression. */
export function createTrustRegionUpdate(
  { policy, rng }: OnPolicyParts,
  c: TRPOResolvedConfig,
): UpdateRule<TrustRegionUpdateMetrics> {
  const n = c.nSteps * c.numEnvs;
  const A = policy.actorParamCount;
  const critic = new Adam(policy.numParams - policy.criticOffset, 1, { epsilon: c.adamEpsilon });
  const lrSchedule = toSchedule(c.learningRate);
  // Everything an iteration needs, allocated once for the run.
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  const advantageScratch = allocateAdvantageScratch(n);
  const oldInputs = new Float32Array(n * policy.dist.inputSize);
  const oldLogProbs = new Float64Array(n);
  const g = new Float64Array(A);
  const Fx = new Float64Array(A);
  const oldParams = new Float32Array(A);
  const cgScratch = allocateConjugateGradient(A);
  const fisher = new FisherVectorProduct(policy, null, n, c.cgDamping);
  const lossScratch = new LossScratch();
  const rows: LossRows = {
    size: n,
    observations: new Float32Array(0),
    actions: new Float32Array(0),
    advantages,
    oldLogProbs,
    oldDistInputs: oldInputs,
  };
  const capturePolicy = [capture({ distInputs: oldInputs, logProbs: oldLogProbs })]; // π_old
  // L = −(1/n) Σ Â·log π: its gradient at θ_old is −g (the surrogate's at r = 1); the entropy is reported.
  const pseudoLoss = [surrogate({ form: 'log-likelihood' }), entropyBonus(0)];
  // The line search's measures: the surrogate (1/n) Σ r·Â = −policyLoss and the mean KL(π ‖ π_old). The direction
  // is sb3-contrib's `kl_divergence(distribution, old_distribution)`; it matters once the policy is nearly
  // deterministic: KL(π_old ‖ π) = −log π(a*) lets a state where π_old(a*) = 1 − ε become a coin flip for log 2
  // whatever ε is, while KL(π ‖ π_old) charges ≈ ½·log(1/ε) for it, so the trust region keeps protecting the
  // states the policy has already learnt (docs/parity.md).
  const lineSearchMeasures = [surrogate(), klPenalty({ beta: 0, direction: 'new-old' })];
  const regression = allocateRegression(policy, n, c.batchSize);

  return {
    optimizers: { critic },
    update(rollout: RolloutBuffer, progressRemaining: number): TrustRegionUpdateMetrics {
      critic.learningRate = lrSchedule(progressRemaining);
      // 1. Estimate GAE advantages; π_old's distribution inputs and log-probabilities.
      advantagesAndReturns(rollout, c.gamma, c.gaeLambda, advantages, returns, 'bootstrap', advantageScratch);
      if (c.normalizeAdvantage) normalize(advantages);
      rows.observations = rollout.observations;
      rows.actions = rollout.actions;
      rows.masks = rollout.masks;
      evaluateLoss(policy, rows, capturePolicy, lossScratch);

      // 2. Policy gradient of the surrogate at θ_old: g = (1/n) Σ Â ∇log π = −∇L.
      policy.zeroGrad();
      const stats = accumulateLoss(policy, rows, pseudoLoss, lossScratch).metrics;
      const policyLoss = stats.policyLoss; // read now: the report is reused by the line search
      const entropy = stats.entropy;
      const grads = policy.grads;
      for (let k = 0; k < A; k++) g[k] = -grads[k];
      // 3. Natural gradient x = F⁻¹ g by conjugate gradient, scaled to the trust region's edge.
      fisher.setBatch(rollout.observations, rollout.masks);
      const x = conjugateGradient(fisher.apply, g, c.cgMaxSteps, undefined, cgScratch);
      fisher.apply(x, Fx);
      const stepScale = Math.sqrt((2 * c.maxKl) / Math.max(dot(x, Fx), 1e-12));
      oldParams.set(policy.params.subarray(0, A));
      let surrogateBefore = 0; // r = 1 at θ_old: the mean advantage
      for (let k = 0; k < n; k++) surrogateBefore += advantages[k];
      surrogateBefore /= n;

      // 4. Step: TRPO backtracks until improvement within the trust region; NPG takes the full step.
      let lineSearchSteps = -1;
      let kl = 0;
      let fraction = 1;
      for (let i = 0; i < (c.lineSearch ? c.lineSearchMaxIter : 1); i++) {
        for (let k = 0; k < A; k++) policy.params[k] = oldParams[k] + fraction * stepScale * x[k];
        const evaluation = evaluateLoss(policy, rows, lineSearchMeasures, lossScratch).metrics;
        kl = evaluation.kl;
        if (!c.lineSearch || (evaluation.kl <= c.maxKl && -evaluation.policyLoss > surrogateBefore)) {
          lineSearchSteps = i;
          break;
        }
        fraction *= c.lineSearchShrinkingFactor;
      }
      if (lineSearchSteps < 0) {
        policy.params.set(oldParams); // no acceptable step: keep π_old
        kl = 0;
      }

      // 5. Fit the critic by regression on the returns.
      const valueLoss = regressValues(
        policy,
        critic,
        rollout.observations,
        returns,
        n,
        { epochs: c.nCriticUpdates, minibatchSize: c.batchSize },
        rng,
        regression,
      );

      return {
        policyLoss,
        valueLoss,
        entropy,
        approxKl: kl,
        clipFraction: 0,
        explainedVariance: explainedVariance(rollout.values, returns),
        learningRate: critic.learningRate,
        kl,
        lineSearchSteps,
      };
    },
  };
}

/** TRPO's definition under `name` with `schema` (TRPO's, or NPG's with the line search off). */
function trustRegionDefinition(
  name: 'trpo' | 'npg',
  schema: z.ZodObject,
): AlgorithmDefinition<TRPOResolvedConfig, TrustRegionUpdateMetrics> {
  const title = name.toUpperCase();
  return {
    name,
    schema,
    resolve(parsed, preset, explicit) {
      const c = { ...parsed, batchSize: resolveBatchSize(title, parsed, preset, explicit) };
      checkNormalizable(`${title} config`, c.normalizeAdvantage, 'nSteps', c.nSteps, c.nSteps * c.numEnvs);
      return c;
    },
    build: (c, ports) => buildOnPolicy({ ...c, sharedTrunk: false }, ports),
    createUpdate: createTrustRegionUpdate,
  };
}

export const trpoDefinition = trustRegionDefinition('trpo', trpoConfigSchema);
/** Natural policy gradient: TRPO's natural step at the trust region's edge, without the line search. */
export const npgDefinition = trustRegionDefinition('npg', npgConfigSchema);

export class TRPO extends Trainer<TRPOResolvedConfig, TrustRegionUpdateMetrics> {
  constructor(config: TRPOConfig & RunOptions = {}, ports: Ports = {}) {
    super(trpoDefinition, config, ports);
  }

  /** A saved model: the same run (continue with `iterate()` or `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): TRPO {
    return loadAlgorithm(dir, 'trpo', options, (config) => new TRPO(config, options.ports));
  }
}

export class NPG extends Trainer<TRPOResolvedConfig, TrustRegionUpdateMetrics> {
  constructor(config: NPGConfig & RunOptions = {}, ports: Ports = {}) {
    super(npgDefinition, config, ports);
  }

  /** A saved model: the same run (continue with `iterate()` or `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): NPG {
    return loadAlgorithm(dir, 'npg', options, (config) => new NPG(config, options.ports));
  }
}
