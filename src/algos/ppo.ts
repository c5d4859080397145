/**
 * Proximal Policy Optimization (Schulman et al. 2017), with the implementation details that decide whether it
 * learns (Engstrom et al. 2020; Huang et al. 2022): orthogonal init, Adam ε = 1e-5, GAE, per-minibatch advantage
 * normalisation, global gradient clipping, optional value clipping, linear schedules, optional target-KL stop.
 *
 *   maximise  L(θ) = E[ s(r_t(θ), Â_t) ] − β·E[ KL(π_old ‖ π_θ) ],   r_t = π_θ(a_t|s_t) / π_old(a_t|s_t)
 *
 * `objective` picks the loss terms (src/algos/loss/): 'clip' (PPO-clip), 'kl-penalty' (adaptive β: doubled when
 * KL ≥ 1.5·δ, halved when KL ≤ δ/1.5, after each update), 'clip+kl', or 'none' (the plain importance-sampled
 * surrogate). Each iteration: collect nSteps × numEnvs, estimate GAE advantages, then nEpochs passes of
 * minibatch gradient steps.
 */
import { z } from 'zod';
import { describeValue, PolicygradError } from '../errors.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import type { Rng } from '../rng.js';
import type { RolloutBuffer } from '../rollouts/rollout.js';
import { declareRenamedOptions } from '../options.js';
import { renamedOptionsOf } from './renamed-options.js';
import { shuffle } from './value-regression.js';
import {
  type ActorCriticMetrics,
  advantagesAndReturns,
  allocateAdvantageScratch,
  allocateMinibatch,
  buildOnPolicy,
  explainedVariance,
  explorationFields,
  gatherMinibatch,
  onPolicyFields,
  resolveBatchSize,
  scheduleSchema,
  toSchedule,
  truncationSchema,
} from './on-policy.js';
import { type LoadOptions, loadAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import { checkNormalizable } from './hyperparameters.js';
import { normalize } from '../estimators/returns.js';
import {
  accumulateLoss,
  evaluateLoss,
  type LossPolicy,
  type LossRows,
  LossScratch,
  type LossTerm,
} from './loss/accumulate.js';
import { type Surrogate, surrogate } from './loss/surrogate.js';
import { adaptKlBeta, type KlPenalty, klPenalty } from './loss/kl-penalty.js';
import { entropyBonus } from './loss/entropy-bonus.js';
import { valueLoss } from './loss/value-loss.js';
import { capture } from './loss/capture.js';
import { createFusedPPOStep } from './fused-ppo.js';
import {
  type AlgorithmDefinition,
  type RunOptions,
  type TrainablePolicy,
  Trainer,
  type UpdateRule,
} from './trainer.js';

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
  /** The value loss: SB3's clamped MSE ('sb3') or CleanRL's ½·max of clipped and unclipped errors (loss/value-loss.ts). */
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

export type PPOResolvedConfig = z.output<typeof ppoConfigSchema>;

/** PPO's columns of the metrics row: the means over the minibatch steps taken, the clip range in force, and for
 * the KL objectives β after the update and the measured KL over the rollout. */
export type PPOUpdateMetrics = ActorCriticMetrics & { clipRange: number; klBeta?: number; kl?: number };

/** The fields of PPO's config its update reads (RecurrentPPO's config has them too). */
export type PPOUpdateConfig = Pick<
  PPOResolvedConfig,
  | 'nSteps'
  | 'numEnvs'
  | 'gamma'
  | 'gaeLambda'
  | 'truncation'
  | 'learningRate'
  | 'adamEpsilon'
  | 'batchSize'
  | 'nEpochs'
  | 'objective'
  | 'clipRange'
  | 'clipRangeVf'
  | 'valueLoss'
  | 'entCoef'
  | 'vfCoef'
  | 'normalizeAdvantage'
  | 'targetKl'
  | 'klPenaltyTarget'
  | 'klBetaInit'
  | 'maxGradNorm'
>;

/**
 * How PPO's epochs read a rollout: the order of its rows each epoch, what the loss sees of the policy on each
 * minibatch, and the policy over the whole rollout (π_old and the measured KL of the KL objectives). PPO's plan
 * is `shuffledRows`; RecurrentPPO's (recurrent-ppo.ts) cuts rotated windows of whole sequences and gives the loss
 * the policy's view of them. The epoch loop is the same for both: `createPPOUpdate`.
 */
export interface MinibatchPlan {
  /** True when the loss sees the policy itself on every minibatch (PPO's plan): the fused step may run it. */
  readonly direct?: boolean;
  /** The loss loop's workspace (a recurrent view needs its minibatch in one chunk). */
  readonly scratch: LossScratch;
  /** π_old's distribution inputs for every row of the rollout [rows × dist.inputSize], set by `captureOld`. */
  readonly oldInputs: Float32Array;
  /** Checks the rollout before an update (a plan may only read its run's own buffer). */
  begin?(rollout: RolloutBuffer): void;
  /** This epoch's order of the rollout's rows, drawn from the run's generator. */
  epochOrder(rng: Rng): Int32Array;
  /** What the loss sees of the policy on minibatch [start, start + size) of the epoch's order. */
  lossPolicy(start: number, size: number): LossPolicy;
  /** The current policy on every row of the rollout into `oldInputs` (before the epochs: π_old). */
  captureOld(rollout: RolloutBuffer): void;
  /** Mean KL(π_old ‖ π) over the rollout (after the epochs: the adaptive β's measure). */
  rolloutKl(rollout: RolloutBuffer): number;
}

/** PPO's plan: each epoch a fresh permutation of the rollout's rows; the loss sees the policy itself. */
export function shuffledRows(policy: ActorCriticPolicy, size: number): MinibatchPlan {
  const order = new Int32Array(size);
  const scratch = new LossScratch();
  const oldInputs = new Float32Array(size * policy.dist.inputSize);
  const rows: LossRows = {
    size,
    observations: new Float32Array(0),
    actions: new Float32Array(0),
    oldDistInputs: oldInputs,
  };
  const captureTerms = [capture({ distInputs: oldInputs })];
  const measureKl = [klPenalty({ beta: 0 })]; // only its metric `kl`, the mean KL(π_old ‖ π); β = 0: no gradient
  const readRollout = (rollout: RolloutBuffer) => {
    rows.observations = rollout.observations;
    rows.actions = rollout.actions;
    rows.masks = rollout.masks;
    return rows;
  };
  return {
    direct: true,
    scratch,
    oldInputs,
    epochOrder(rng) {
      for (let k = 0; k < size; k++) order[k] = k; // each epoch's order depends only on the generator
      shuffle(order, rng);
      return order;
    },
    lossPolicy: () => policy,
    captureOld(rollout) {
      evaluateLoss(policy, readRollout(rollout), captureTerms, scratch);
    },
    rolloutKl: (rollout) => evaluateLoss(policy, readRollout(rollout), measureKl, scratch).metrics.kl,
  };
}

/**
 * PPO's loss terms for its config, in the order of their float additions:
 *   L = −(1/B) Σ s(r, Â) [+ β·(1/B) Σ KL(π_old ‖ π)] − c_H·(1/B) Σ H + c_V·L_V,  s clipped or plain.
 * The surrogate's ε follows the clip-range schedule and the penalty's β is rule state (adapted after each update).
 */
export function ppoLoss(
  c: Pick<PPOUpdateConfig, 'objective' | 'entCoef' | 'vfCoef' | 'klBetaInit' | 'valueLoss' | 'clipRangeVf'>,
): { loss: LossTerm[]; policySurrogate: Surrogate; penalty: KlPenalty; penalised: boolean } {
  const penalised = c.objective === 'kl-penalty' || c.objective === 'clip+kl';
  const policySurrogate = surrogate({ clipped: c.objective === 'clip' || c.objective === 'clip+kl' });
  const penalty = klPenalty({ beta: c.klBetaInit });
  const loss = [
    policySurrogate,
    entropyBonus(c.entCoef),
    ...(penalised ? [penalty] : []),
    valueLoss({ form: c.valueLoss, clipRangeVf: c.clipRangeVf, coef: c.vfCoef }),
  ];
  return { loss, policySurrogate, penalty, penalised };
}

/**
 * The update: GAE over the rollout, nEpochs passes of minibatch steps in the order and on the view `plan` gives,
 * then the adaptive β. `title` names the algorithm in messages. Each minibatch step is one WebAssembly call
 * (fused-ppo.ts) where the policy and the config allow it, unless `fused` is false; the JavaScript path is the
 * reference, with the same numbers.
 */
export function createPPOUpdate(
  { policy, rng }: { policy: TrainablePolicy; rng: Rng },
  c: PPOUpdateConfig,
  plan: MinibatchPlan,
  title = 'PPO',
  { fused: allowFused = true }: { fused?: boolean } = {},
): UpdateRule<PPOUpdateMetrics> {
  const n = c.nSteps * c.numEnvs;
  const optimizer = new Adam(policy.numParams, 1, { epsilon: c.adamEpsilon });
  const lrSchedule = toSchedule(c.learningRate);
  const clipSchedule = toSchedule(c.clipRange);
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  const scratch = allocateAdvantageScratch(n);
  const { oldInputs, scratch: lossScratch } = plan;
  const batchSize = Math.min(c.batchSize, n);
  const fused =
    allowFused && plan.direct === true ? createFusedPPOStep(policy, optimizer, batchSize, c) : null;
  const mb =
    fused?.minibatch ??
    allocateMinibatch(batchSize, policy.obsDim, policy.dist.actionSize, policy.dist.inputSize);
  const { loss, policySurrogate, penalty, penalised } = ppoLoss(c);
  if (!penalised) mb.oldDistInputs = null; // the clipped objective needs only the old log-probabilities
  const normalized = fused?.normalized ?? new Float64Array(batchSize); // the minibatch's advantages, normalised
  const minibatchRows: LossRows = { ...mb };
  /** The JS path of a minibatch step; null when SB3's target-KL stop keeps the minibatch out. */
  const lossAndStep = (lossPolicy: LossPolicy) => {
    policy.zeroGrad();
    const m = accumulateLoss(lossPolicy, minibatchRows, loss, lossScratch).metrics;
    if (c.targetKl !== null && m.approxKl > 1.5 * c.targetKl) return null;
    if (c.maxGradNorm !== null) clipGradNorm(policy.grads, c.maxGradNorm);
    optimizer.step(policy.params, policy.grads);
    return m;
  };

  return {
    optimizers: { actorCritic: optimizer },
    update(rollout: RolloutBuffer, progressRemaining: number): PPOUpdateMetrics {
      plan.begin?.(rollout);
      optimizer.learningRate = lrSchedule(progressRemaining);
      const clipRange = clipSchedule(progressRemaining);
      // 1. Estimate advantages: GAE(γ, λ), truncations bootstrapped from V(final observation) or cut.
      advantagesAndReturns(rollout, c.gamma, c.gaeLambda, advantages, returns, c.truncation, scratch);
      policySurrogate.clipRange = clipRange;
      if (penalised) plan.captureOld(rollout); // π_old, for the KL terms
      // 2. nEpochs passes of minibatch steps on the surrogate; stop early once the policy has moved too far.
      let steps = 0; // minibatch steps taken, and the sums of their losses for the row's means
      let policyLoss = 0;
      let valueLoss = 0;
      let entropy = 0;
      let approxKl = 0;
      let clipFraction = 0;
      let stop = false;
      const fusedStep = fused !== null && fused.usable(rollout) ? fused : null;
      for (let epoch = 0; epoch < c.nEpochs && !stop; epoch++) {
        const order = plan.epochOrder(rng);
        for (let s = 0; s < n; s += batchSize) {
          const size = Math.min(batchSize, n - s);
          gatherMinibatch(rollout, advantages, returns, oldInputs, order, s, size, mb);
          minibatchRows.size = size;
          minibatchRows.masks = mb.masks;
          minibatchRows.advantages = mb.advantages;
          if (c.normalizeAdvantage && size > 1) {
            const minibatchAdvantages = size === batchSize ? normalized : normalized.subarray(0, size);
            minibatchAdvantages.set(mb.advantages.subarray(0, size));
            minibatchRows.advantages = normalize(minibatchAdvantages);
          }
          // The loss's gradient, then (unless the policy has moved too far) clipping and an Adam step.
          const m =
            fusedStep !== null
              ? fusedStep.step(minibatchRows.advantages as Float64Array, size, clipRange, mb.masks ?? null)
              : lossAndStep(plan.lossPolicy(s, size));
          if (m === null) {
            stop = true; // SB3's target-KL stop: keep this minibatch out and end the update
            break;
          }
          policyLoss += m.policyLoss;
          valueLoss += m.valueLoss;
          entropy += m.entropy;
          approxKl += m.approxKl;
          clipFraction += m.clipFraction;
          steps++;
        }
      }
      // 3. Adaptive KL penalty: β ← 2β if KL ≥ 1.5δ, β/2 if KL ≤ δ/1.5 (KL over the whole rollout).
      let kl: number | undefined;
      if (penalised) {
        kl = plan.rolloutKl(rollout);
        penalty.beta = adaptKlBeta(penalty.beta, kl, c.klPenaltyTarget);
      }
      const mean = (sum: number) => (steps === 0 ? Number.NaN : sum / steps);
      return {
        policyLoss: mean(policyLoss),
        valueLoss: mean(valueLoss),
        entropy: mean(entropy),
        approxKl: mean(approxKl),
        clipFraction: mean(clipFraction),
        explainedVariance: explainedVariance(rollout.values, returns),
        learningRate: optimizer.learningRate,
        clipRange,
        ...(penalised ? { klBeta: penalty.beta, kl } : {}),
      };
    },
    getState: () => ({ klBeta: penalty.beta }),
    setState(state) {
      const value = state.klBeta;
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
        throw new PolicygradError(
          `${title} checkpoint: invalid klBeta ${describeValue(value)}: expected a positive number`,
        );
      }
      penalty.beta = value;
    },
  };
}

export const ppoDefinition: AlgorithmDefinition<PPOResolvedConfig, PPOUpdateMetrics> = {
  name: 'ppo',
  twoNetworkLoss: true,
  schema: ppoConfigSchema,
  resolve(parsed, preset, explicit) {
    const c = { ...parsed, batchSize: resolveBatchSize('PPO', parsed, preset, explicit) };
    checkNormalizable('PPO config', c.normalizeAdvantage, 'nSteps', c.nSteps, c.nSteps * c.numEnvs);
    checkNormalizable('PPO config', c.normalizeAdvantage, 'batchSize', c.batchSize, c.batchSize);
    return c;
  },
  build: (c, ports) => buildOnPolicy(c, ports),
  createUpdate: (parts, c) => createPPOUpdate(parts, c, shuffledRows(parts.policy, c.nSteps * c.numEnvs)),
};

export class PPO extends Trainer<PPOResolvedConfig, PPOUpdateMetrics> {
  constructor(config: PPOConfig & RunOptions = {}, ports: Ports = {}) {
    super(ppoDefinition, config, ports);
  }

  /** A saved model: the same run (continue with `iterate()` or `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): PPO {
    return loadAlgorithm(dir, 'ppo', options, (config) => new PPO(config, options.ports));
  }
}
