/**
 * Asynchronous Advantage Actor-Critic (A3C; Mnih et al. 2016): the learner that runs in each worker thread.
 *
 * Shared between the threads, in SharedArrayBuffers: the parameters θ, RMSprop's running average of squared
 * gradients g (shared, as in the paper) and a step counter. Each worker, without locks (Hogwild!):
 *
 *   θ' ← θ;  collect nSteps from its own envs with π_θ';  R_t = r_t + γ r_{t+1} + … + γⁿ V(s_{t+n})  (GAE, λ = 1)
 *   dθ = ∇_θ' [ −(1/n) Σ_t (R_t − V(s_t)) log π(a_t|s_t) + c_V (1/n) Σ_t (V(s_t) − R_t)² − c_H (1/n) Σ_t H_t ]
 *   g ← α g + (1 − α) dθ²;   θ ← θ − η dθ / √(g + ε)
 *
 * Thread creation is platform-specific and lives outside the core (src/node/a3c.ts for Node's worker threads);
 * this file only needs the shared buffers.
 */
import { z } from 'zod';
import { clipGradNorm } from '../nn/optim.js';
import { parseOptions } from '../options.js';
import {
  advantagesAndReturns,
  allocateMinibatch,
  buildOnPolicy,
  explainedVariance,
  gatherMinibatch,
  type OnPolicyParts,
  onPolicyFields,
  scheduleSchema,
  toSchedule,
} from './on-policy.js';
import { applyPreset } from './presets.js';
import { checkNormalizable, rmsPropDecay } from './hyperparameters.js';
import { accumulateSurrogateGradient, SurrogateScratch } from './surrogate.js';

export const a3cConfigSchema = z.strictObject({
  ...onPolicyFields,
  /** Worker threads, each with its own envs and copy of the networks. */
  numWorkers: z.number().int().positive().max(64).default(2),
  /** Envs per worker (the paper: 1). */
  numEnvs: onPolicyFields.numEnvs.default(1),
  /** t_max: steps per env between updates. */
  nSteps: onPolicyFields.nSteps.default(5),
  gaeLambda: onPolicyFields.gaeLambda.default(1.0),
  learningRate: scheduleSchema.default(7e-4),
  normalizeAdvantage: onPolicyFields.normalizeAdvantage.default(false),
  /** Observation/reward normalisation would need statistics shared between threads: not supported. */
  normalize: z.literal(false).default(false),
  /** Each worker is already a thread: its envs step in it. */
  vectorEnv: z.literal('sync').default('sync'),
  rmsPropAlpha: rmsPropDecay().default(0.99),
  rmsPropEpsilon: z.number().positive().default(1e-5),
  /** Updates between a worker's progress reports. */
  reportEvery: z.number().int().positive().default(50),
});
export type A3CConfig = z.input<typeof a3cConfigSchema>;
export type A3CResolvedConfig = z.output<typeof a3cConfigSchema>;

export function parseA3CConfig(config: A3CConfig): A3CResolvedConfig {
  const c = parseOptions(a3cConfigSchema, applyPreset('a3c', config, 'CartPole-v1'), 'A3C config');
  checkNormalizable('A3C config', c.normalizeAdvantage, 'nSteps', c.nSteps, c.nSteps * c.numEnvs);
  return c;
}

/** Indices into the shared Int32 counters. */
export const A3C_STEPS = 0;
export const A3C_UPDATES = 1;
export const A3C_STOP = 2;

export interface A3CSharedBuffers {
  params: SharedArrayBuffer;
  squareAverages: SharedArrayBuffer;
  counters: SharedArrayBuffer;
}

/** Shared state for `numParams` parameters: θ (to be filled by the caller), g = 1 (TensorFlow-style start). */
export function createA3CShared(numParams: number): A3CSharedBuffers {
  const shared = {
    params: new SharedArrayBuffer(numParams * 4),
    squareAverages: new SharedArrayBuffer(numParams * 4),
    counters: new SharedArrayBuffer(16),
  };
  new Float32Array(shared.squareAverages).fill(1);
  return shared;
}

/** What a worker tells the coordinator every `reportEvery` updates and when it stops. */
export interface A3CReport {
  worker: number;
  /** Global environment steps when the report was made. */
  step: number;
  updates: number;
  episodeReturns: number[];
  episodeLengths: number[];
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  explainedVariance: number;
  learningRate: number;
  done: boolean;
}

/** The environment seed of worker `index` (distinct streams per worker, reproducible per run seed). */
export function a3cWorkerSeed(seed: number, index: number): number {
  return seed + 100_003 * (index + 1);
}

export class A3CWorker {
  private readonly parts: OnPolicyParts;
  private readonly params: Float32Array;
  private readonly squareAverages: Float32Array;
  private readonly counters: Int32Array;
  private readonly scratch = new SurrogateScratch();

  constructor(
    readonly config: A3CResolvedConfig,
    shared: A3CSharedBuffers,
    readonly index: number,
  ) {
    this.parts = buildOnPolicy({ ...config, seed: a3cWorkerSeed(config.seed, index) });
    this.params = new Float32Array(shared.params);
    this.squareAverages = new Float32Array(shared.squareAverages);
    this.counters = new Int32Array(shared.counters);
    if (this.params.length !== this.parts.policy.numParams) {
      throw new Error(`A3C worker ${index}: shared parameters do not fit the policy`);
    }
  }

  /** Learns until the shared step counter reaches `until` (or the stop flag is set). */
  run(until: number, start: number, report: (r: A3CReport) => void): void {
    const c = this.config;
    const { policy, collector, buffer } = this.parts;
    const { params, squareAverages, counters } = this;
    const lrSchedule = toSchedule(c.learningRate);
    const n = buffer.size;
    const advantages = new Float64Array(n);
    const returns = new Float64Array(n);
    const all = Int32Array.from({ length: n }, (_, k) => k);
    const batch = allocateMinibatch(n, policy.obsDim, policy.dist.actionSize, policy.dist.inputSize);
    const noOldInputs = new Float32Array(n * policy.dist.inputSize);
    batch.oldDistInputs = null;
    const alpha = c.rmsPropAlpha;
    const epsilon = c.rmsPropEpsilon;
    let updates = 0;
    let sums = { policyLoss: 0, valueLoss: 0, entropy: 0, explainedVariance: 0, count: 0 };
    let learningRate = 0;

    const send = (done: boolean) => {
      const episodes = collector.drainEpisodes();
      const k = Math.max(1, sums.count);
      report({
        worker: this.index,
        step: Atomics.load(counters, A3C_STEPS),
        updates,
        episodeReturns: episodes.map((e) => e.return),
        episodeLengths: episodes.map((e) => e.length),
        policyLoss: sums.policyLoss / k,
        valueLoss: sums.valueLoss / k,
        entropy: sums.entropy / k,
        explainedVariance: sums.explainedVariance / k,
        learningRate,
        done,
      });
      sums = { policyLoss: 0, valueLoss: 0, entropy: 0, explainedVariance: 0, count: 0 };
    };

    for (;;) {
      const globalSteps = Atomics.load(counters, A3C_STEPS);
      if (globalSteps >= until || Atomics.load(counters, A3C_STOP) !== 0) break;
      // θ' ← θ, then n steps with π_θ' and the n-step returns.
      policy.params.set(params);
      collector.collectSteps(buffer);
      advantagesAndReturns(buffer, c.gamma, c.gaeLambda, advantages, returns);
      gatherMinibatch(buffer, advantages, returns, noOldInputs, all, 0, n, batch);
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
      // Hogwild: shared RMSprop statistics and parameters, updated in place without locks.
      learningRate = lrSchedule(1 - Math.min(1, (globalSteps - start) / Math.max(1, until - start)));
      const grads = policy.grads;
      for (let i = 0; i < params.length; i++) {
        const g = grads[i];
        const average = alpha * squareAverages[i] + (1 - alpha) * g * g;
        squareAverages[i] = average;
        params[i] -= (learningRate * g) / Math.sqrt(average + epsilon);
      }
      Atomics.add(counters, A3C_STEPS, n);
      Atomics.add(counters, A3C_UPDATES, 1);
      updates++;
      sums.policyLoss += m.policyLoss;
      sums.valueLoss += m.valueLoss;
      sums.entropy += m.entropy;
      sums.explainedVariance += explainedVariance(buffer.values, returns);
      sums.count++;
      if (updates % c.reportEvery === 0) send(false);
    }
    send(true);
  }
}
