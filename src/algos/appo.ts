/**
 * APPO's learner update (asynchronous PPO, as RLlib's APPO): PPO's clipped surrogate on V-trace advantages.
 * Per batch of actor chunks, with π_old the learner's policy at the start of the update (RLlib's target network,
 * refreshed every update here):
 *
 *   1. (v_s, Â_s) = V-trace under π_old and V (distributed.ts: `vtraceTargets`; Â_s = ρ_s(r_s + γ v_{s+1} − V(s_s)))
 *   2. nEpochs × minibatches of
 *      L(θ) = −(1/B) Σ min(r·Â, clip(r, 1 − ε, 1 + ε)·Â)  [+ β·(1/B) Σ KL(π_old ‖ π_θ)]
 *             + c_V·½·(1/B) Σ (V_θ(s) − v_s)² − c_H·(1/B) Σ H(π_θ(·|s)),      r = π_θ(a|s)/π_old(a|s)
 *   3. with the KL term: β ← 2β if KL ≥ 1.5·target, β/2 if KL ≤ target/1.5 (RLlib's kl_coeff update).
 *
 * The ratio is to π_old, not to the actors' μ: RLlib's APPO multiplies π/μ by μ/π_old (its `is_ratio`), which is
 * π/π_old, so a stale actor's chunk starts at r = 1 and the off-policy correction stays in V-trace's truncated
 * ρ_s. Browser-safe.
 */
import { z } from 'zod';
import { clipGradNorm } from '../nn/optim.js';
import { parseOptions } from '../options.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import { Rng } from '../rng.js';
import { refuseOption } from './hyperparameters.js';
import {
  asLearnerBatch,
  buildLearnerParts,
  collectOwnChunk,
  distributedFields,
  type DistributedLosses,
  distributedOptimizer,
  type DistributedUpdateRule,
  VtraceScratch,
  vtraceTargets,
} from './distributed.js';
import { behaviourKl } from './impala.js';
import { explainedVariance, mean, scheduleSchema, toSchedule } from './on-policy.js';
import type { Ports } from './ports.js';
import { applyPreset } from './presets.js';
import { type AlgorithmDefinition, Trainer } from './trainer.js';
import { normalize } from '../estimators/returns.js';
import { accumulateLoss, type LossRows, LossScratch } from './loss/accumulate.js';
import { entropyBonus } from './loss/entropy-bonus.js';
import { adaptKlBeta, klPenalty } from './loss/kl-penalty.js';
import { surrogate } from './loss/surrogate.js';
import { valueLoss } from './loss/value-loss.js';
import { shuffle } from './value-regression.js';

export const appoConfigSchema = z.strictObject({
  ...distributedFields,
  learningRate: scheduleSchema.default(5e-4),
  entCoef: distributedFields.entCoef.default(0.01),
  optimizer: distributedFields.optimizer.default('adam'),
  /** ε of the clipped surrogate (RLlib's APPO clip_param: 0.4). */
  clipRange: z.number().positive().default(0.4),
  /** Passes over each batch (RLlib's num_epochs) and its minibatch size (null: the whole batch). */
  nEpochs: z.number().int().positive().default(1),
  minibatchSize: z.number().int().positive().nullable().default(null),
  /** β of the KL(π_old ‖ π) term (RLlib's use_kl_loss with kl_coeff); 0: no KL term. */
  klCoef: z.number().min(0).default(0),
  /** The KL β adapts to (RLlib's kl_target; PPO's klPenaltyTarget). */
  klPenaltyTarget: z.number().positive().default(0.01),
  normalizeAdvantage: z.boolean().default(false),
});
export type AppoConfig = z.input<typeof appoConfigSchema>;
export type AppoResolvedConfig = z.output<typeof appoConfigSchema>;

export function parseAppoConfig(config: AppoConfig): AppoResolvedConfig {
  return checkAppoConfig(
    parseOptions(appoConfigSchema, applyPreset('appo', config, 'CartPole-v1'), 'APPO config'),
  );
}

function checkAppoConfig(c: AppoResolvedConfig): AppoResolvedConfig {
  if (c.normalizeAdvantage && c.minibatchSize !== null && c.minibatchSize < 2) {
    refuseOption('APPO config', 'minibatchSize', c.minibatchSize, 'advantage normalisation needs ≥ 2 rows');
  }
  return c;
}

/** APPO as the trainer runs it (see `impalaDefinition`). */
export const appoDefinition: AlgorithmDefinition<AppoResolvedConfig, DistributedLosses> = {
  name: 'appo',
  schema: appoConfigSchema,
  resolve: (c) => checkAppoConfig(c),
  build: (c) => buildLearnerParts(c),
  collect: (parts) => collectOwnChunk(parts),
  createUpdate: (parts, c) => createAppoUpdate(parts.policy, c),
};

export class APPO extends Trainer<AppoResolvedConfig, DistributedLosses> {
  constructor(config: AppoConfig = {}, ports: Ports = {}) {
    super(appoDefinition, config, ports);
  }
}

export function createAppoUpdate(policy: ActorCriticPolicy, c: AppoResolvedConfig): DistributedUpdateRule {
  const optimizer = distributedOptimizer(c, policy.numParams);
  const lrSchedule = toSchedule(c.learningRate);
  const rng = Rng.fromSeed(c.seed, 7);
  const vtraceScratch = new VtraceScratch();
  const penalised = c.klCoef > 0;
  // L = −(1/B) Σ min(r·Â, clip(r)·Â) [+ β·(1/B) Σ KL(π_old ‖ π)] − c_H·(1/B) Σ H + c_V·½·(1/B) Σ (V − v_s)².
  const penalty = klPenalty({ beta: c.klCoef }); // β is rule state: adapted after each update
  const loss = [
    surrogate({ clipped: true, clipRange: c.clipRange }),
    entropyBonus(c.entCoef),
    ...(penalised ? [penalty] : []),
    valueLoss({ form: 'cleanrl', coef: c.vfCoef }),
  ];
  const lossScratch = new LossScratch();
  const { obsDim } = policy;
  const A = policy.dist.actionSize;
  const I = policy.dist.inputSize;
  let indices = new Int32Array(0);
  let mb: Required<LossRows> | null = null;

  // The rows of one minibatch, gathered from the batch and its V-trace targets (buffers grow once, then reused).
  const gather = (
    targets: ReturnType<typeof vtraceTargets>,
    batch: Parameters<DistributedUpdateRule['update']>[0],
    start: number,
    size: number,
  ): Required<LossRows> => {
    const capacity = Math.min(c.minibatchSize ?? batch.size, batch.size);
    const M = batch.masks === null ? 0 : batch.masks.length / batch.size;
    if (mb === null || (mb.returns as Float64Array).length < capacity) {
      mb = {
        size: 0,
        observations: new Float32Array(capacity * obsDim),
        actions: new Float32Array(capacity * A),
        masks: M === 0 ? null : new Uint8Array(capacity * M),
        advantages: new Float64Array(capacity),
        weights: null,
        oldLogProbs: new Float64Array(capacity),
        oldDistInputs: penalised ? new Float32Array(capacity * I) : null,
        oldValues: new Float64Array(capacity),
        returns: new Float64Array(capacity),
      };
    }
    for (let b = 0; b < size; b++) {
      const k = indices[start + b];
      mb.observations.set(batch.observations.subarray(k * obsDim, (k + 1) * obsDim), b * obsDim);
      mb.actions.set(batch.actions.subarray(k * A, (k + 1) * A), b * A);
      mb.oldDistInputs?.set(targets.distInputs.subarray(k * I, (k + 1) * I), b * I);
      if (M > 0) mb.masks?.set((batch.masks as Uint8Array).subarray(k * M, (k + 1) * M), b * M);
      (mb.oldLogProbs as Float64Array)[b] = targets.logProbs[k];
      (mb.oldValues as Float64Array)[b] = targets.values[k];
      (mb.advantages as Float64Array)[b] = targets.advantages[k];
      (mb.returns as Float64Array)[b] = targets.vs[k];
    }
    mb.size = size;
    if (c.normalizeAdvantage && size > 1) normalize((mb.advantages as Float64Array).subarray(0, size));
    return mb;
  };

  return {
    optimizers: { optimizer },
    getState: () => ({ klBeta: penalty.beta }),
    setState: (state) => {
      if (typeof state.klBeta === 'number' && Number.isFinite(state.klBeta)) penalty.beta = state.klBeta;
    },
    update(rollout, progressRemaining) {
      const batch = asLearnerBatch(rollout, 'APPO');
      optimizer.learningRate = lrSchedule(progressRemaining);
      const n = batch.size;
      // 1. V-trace under π_old (the parameters as the update starts).
      const targets = vtraceTargets(policy, batch, c, vtraceScratch);
      const behaviour = behaviourKl(targets.logProbs, batch.logProbs);
      // 2. Epochs × minibatches of the clipped surrogate with π_old as the ratio's denominator.
      if (indices.length < n) indices = new Int32Array(n);
      const size = Math.min(c.minibatchSize ?? n, n);
      const stats = {
        policyLoss: [] as number[],
        valueLoss: [] as number[],
        entropy: [] as number[],
        clipFraction: [] as number[],
        kl: [] as number[],
      };
      for (let epoch = 0; epoch < c.nEpochs; epoch++) {
        for (let k = 0; k < n; k++) indices[k] = k;
        shuffle(indices.subarray(0, n), rng);
        for (let s = 0; s < n; s += size) {
          const rows = gather(targets, batch, s, Math.min(size, n - s));
          policy.zeroGrad();
          const m = accumulateLoss(policy, rows, loss, lossScratch).metrics;
          if (c.maxGradNorm !== null) clipGradNorm(policy.grads, c.maxGradNorm);
          optimizer.step(policy.params, policy.grads);
          stats.policyLoss.push(m.policyLoss);
          stats.valueLoss.push(m.valueLoss);
          stats.entropy.push(m.entropy);
          stats.clipFraction.push(m.clipFraction);
          if (penalised) stats.kl.push(m.kl);
        }
      }
      // 3. The KL coefficient follows its target.
      if (penalised) penalty.beta = adaptKlBeta(penalty.beta, mean(stats.kl) ?? 0, c.klPenaltyTarget);
      return {
        policyLoss: mean(stats.policyLoss) ?? Number.NaN,
        valueLoss: mean(stats.valueLoss) ?? Number.NaN,
        entropy: mean(stats.entropy) ?? Number.NaN,
        approxKl: behaviour,
        clipFraction: mean(stats.clipFraction) ?? Number.NaN,
        explainedVariance: explainedVariance(targets.values, targets.vs),
        learningRate: optimizer.learningRate,
        ...(penalised ? { klBeta: penalty.beta } : {}),
      };
    },
  };
}
