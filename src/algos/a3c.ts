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
 * The gradient step is A2C's update rule (a2c.ts) and the shared RMSprop is `RMSprop` (src/nn/optim.ts) given the
 * shared averages; this file holds the config, the shared layout and the worker's loop.
 *
 * Thread creation is platform-specific and lives outside the core (src/node/a3c.ts for Node's worker threads);
 * this file only needs the shared buffers.
 */
import { z } from 'zod';
import { RMSprop } from '../nn/optim.js';
import { parseOptions } from '../options.js';
import { type A2CUpdateMetrics, createA2CUpdate } from './a2c.js';
import { buildOnPolicy, type OnPolicyParts, onPolicyFields, scheduleSchema } from './on-policy.js';
import { applyPreset } from './presets.js';
import { checkNormalizable, rmsPropDecay } from './hyperparameters.js';
import type { UpdateRule } from './trainer.js';

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

/**
 * One worker: A2C's update rule (a2c.ts) on its own envs and local copy θ' of the networks, its step taken by
 * RMSprop (src/nn/optim.ts, TensorFlow's form) on the shared θ with the shared squared-gradient averages.
 */
export class A3CWorker {
  private readonly parts: OnPolicyParts;
  private readonly params: Float32Array;
  private readonly counters: Int32Array;
  private readonly rule: UpdateRule<A2CUpdateMetrics>;

  constructor(
    readonly config: A3CResolvedConfig,
    shared: A3CSharedBuffers,
    readonly index: number,
  ) {
    this.parts = buildOnPolicy({ ...config, seed: a3cWorkerSeed(config.seed, index) });
    this.params = new Float32Array(shared.params);
    this.counters = new Int32Array(shared.counters);
    const size = this.parts.policy.numParams;
    if (this.params.length !== size) {
      throw new Error(`A3C worker ${index}: shared parameters do not fit the policy`);
    }
    const optimizer = new RMSprop(size, 1, {
      alpha: config.rmsPropAlpha,
      epsilon: config.rmsPropEpsilon,
      tensorflowStyle: true,
      squareAverages: new Float32Array(shared.squareAverages),
    });
    this.rule = createA2CUpdate(this.parts, config, optimizer, this.params);
  }

  /** Learns until the shared step counter reaches `until` (or the stop flag is set). */
  run(until: number, start: number, report: (r: A3CReport) => void): void {
    const { policy, collector, buffer } = this.parts;
    const { params, counters } = this;
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
      // θ' ← θ, n steps with π_θ', then A2C's step on the shared θ (Hogwild: no locks).
      policy.params.set(params);
      collector.collectSteps(buffer);
      const m = this.rule.update(buffer, 1 - Math.min(1, (globalSteps - start) / Math.max(1, until - start)));
      Atomics.add(counters, A3C_STEPS, buffer.size);
      Atomics.add(counters, A3C_UPDATES, 1);
      updates++;
      learningRate = m.learningRate;
      sums.policyLoss += m.policyLoss;
      sums.valueLoss += m.valueLoss;
      sums.entropy += m.entropy;
      sums.explainedVariance += m.explainedVariance;
      sums.count++;
      if (updates % this.config.reportEvery === 0) send(false);
    }
    send(true);
  }
}
