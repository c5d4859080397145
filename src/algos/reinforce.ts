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
import type { Box } from '../envs/spaces.js';
import { makeVec } from '../envs/vector.js';
import { describeValue, PolicygradError } from '../errors.js';
import { base64Length, encodeFloatArray, readFloatArrayInto } from '../encoding.js';
import { declareRenamedOptions } from '../options.js';
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
import { ActorCriticPolicy } from '../policies/actor-critic.js';
import { Rng } from '../rng.js';
import { RolloutBuffer, RolloutCollector } from '../rollouts/rollout.js';
import type { IterationStats } from '../rollouts/iteration.js';
import { networkFields, type OnPolicyParts } from './on-policy.js';
import { type LoadOptions, loadAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import { presetField } from './presets.js';
import { discount, gradNormBound, stepSize, traceDecay } from './hyperparameters.js';
import { type AlgorithmDefinition, type RunOptions, Trainer, type UpdateRule } from './trainer.js';
import { renamedOptionsOf } from './renamed-options.js';
import { type RegressionScratch, regressValues } from './value-regression.js';
import { accumulateLoss, evaluateLoss, type LossRows, LossScratch } from './loss/accumulate.js';
import { surrogate } from './loss/surrogate.js';
import { entropyBonus } from './loss/entropy-bonus.js';
import { capture } from './loss/capture.js';

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
export type ReinforceResolvedConfig = z.output<typeof reinforceConfigSchema>;

/** REINFORCE's columns of the metrics row. */
export type ReinforceUpdateMetrics = {
  policyLoss: number;
  valueLoss: number | null;
  entropy: number;
  learningRate: number;
  /** With batch reuse: effective sample size of the reused samples' importance weights, as a fraction of them. */
  effectiveSampleSize?: number;
};
/** A REINFORCE metrics row. */
export type IterationMetrics = IterationStats & ReinforceUpdateMetrics;

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

/**
 * The run's parts: a synchronous vector env (no normalisation), the policy, the collector and the step buffer of
 * `nSteps` per env (batches of episodes come from the collector's own buffers).
 */
function buildReinforce(c: ReinforceResolvedConfig): OnPolicyParts {
  const root = Rng.fromSeed(c.seed);
  const rng = root.split();
  const env = makeVec(c.env, c.numEnvs, c.envOptions, { copy: false });
  const policy = new ActorCriticPolicy(
    {
      observationSpace: env.singleObservationSpace as Box,
      actionSpace: env.singleActionSpace,
      netArch: c.netArch,
      activation: c.activation,
    },
    root.split(),
  );
  const collector = new RolloutCollector(env, policy, rng, c.seed);
  const buffer = new RolloutBuffer(c.nSteps, c.numEnvs, env.obsDim, policy.dist.actionSize);
  return { env, policy, rng, collector, buffer };
}

/**
 * A batch: `batchEpisodes` complete episodes; else `nSteps` steps from each env when a critic completes the
 * returns cut at the batch end, and otherwise (no critic, or reuse) complete episodes of at least that many.
 */
function collectReinforce({ collector, buffer }: OnPolicyParts, c: ReinforceResolvedConfig): RolloutBuffer {
  if (c.batchEpisodes !== null) return collector.collectEpisodes(c.batchEpisodes);
  if (c.baseline !== 'value' || c.reuseBatches > 0) return collector.collectWholeEpisodes(c.nSteps);
  return collector.collectSteps(buffer);
}

/** Ψ − V(s) for the value baseline, Ψ − leave-one-out mean for 'mean', Ψ for 'none' (in place). */
function subtractBaseline(
  batch: StepBatch,
  psi: Float64Array,
  values: Floats | null,
  c: ReinforceResolvedConfig,
  work: ScoreWorkspace,
): void {
  const n = psi.length;
  if (c.baseline === 'value' && values !== null) {
    for (let k = 0; k < n; k++) psi[k] -= values[k];
  } else if (c.baseline === 'mean') {
    const ids = work.ids.rows(n);
    const count = episodeIds(batch, ids);
    const b = leaveOneOutMeanBaseline(psi, ids, count, work.baseline.rows(n));
    for (let k = 0; k < n; k++) psi[k] -= b[k];
  }
}

/**
 * `normalizeAdvantage`: with a critic, (Ψ − mean)/std as SB3; with baseline 'none' or 'mean', Ψ/std only,
 * so that no in-batch mean baseline is added to the one chosen (see the module comment).
 */
function normalizeScores(psi: Float64Array, c: ReinforceResolvedConfig): void {
  if (!c.normalizeAdvantage) return;
  if (c.baseline === 'value') normalize(psi);
  else normalizeScale(psi);
}

/**
 * Ψ_t for a collected batch per the config, and the critic's regression targets (null without a value baseline).
 * A function of the batch alone (its rewards, ends and the values recorded when it was collected). The arrays are
 * views of `work` (the update's, grown to the largest batch; a fresh one by default), valid until its next use.
 */
export function estimateScores(
  buffer: RolloutBuffer,
  c: ReinforceResolvedConfig,
  work: ScoreWorkspace = new ScoreWorkspace(),
): { psi: Float64Array; valueTargets: Float64Array | null } {
  const n = buffer.size;
  const next =
    c.baseline === 'value'
      ? successorValues(buffer, buffer.values, buffer.finalValues, buffer.lastValues, work.next.rows(n))
      : null;
  const psi = work.psi.rows(n);
  let valueTargets: Float64Array | null = null;
  if (c.gaeLambda !== null && next !== null) {
    valueTargets = work.valueTargets.rows(n);
    gae(buffer, buffer.values, next, c.gamma, c.gaeLambda, psi, valueTargets);
  } else {
    if (c.returns === 'total') totalReturn(buffer, c.gamma, next, psi);
    else rewardToGo(buffer, c.gamma, next, psi);
    if (next !== null) valueTargets = rewardToGo(buffer, c.gamma, next, work.valueTargets.rows(n));
    subtractBaseline(buffer, psi, buffer.values, c, work);
  }
  normalizeScores(psi, c);
  return { psi, valueTargets };
}

/** A typed array grown (never shrunk) to the largest batch seen: REINFORCE's batches change size. */
class Grown<T extends Float64Array | Float32Array | Int32Array> {
  private data: T;
  constructor(private readonly create: (n: number) => T) {
    this.data = create(0);
  }
  /** The first n entries (a view; the storage is replaced only when a larger batch arrives). */
  rows(n: number): T {
    if (this.data.length < n) this.data = this.create(n);
    return this.data.subarray(0, n) as T;
  }
}

const float64s = (n: number) => new Float64Array(n);

/** The per-batch arrays of Ψ's estimation, allocated once per run and grown with the batches. */
export class ScoreWorkspace {
  readonly next = new Grown(float64s);
  readonly psi = new Grown(float64s);
  readonly valueTargets = new Grown(float64s);
  readonly ids = new Grown((n) => new Int32Array(n));
  readonly baseline = new Grown(float64s);
}

/**
 * The update: estimate Ψ, one step on the pseudo-loss over this batch and the reused ones, refit the critic. The
 * batches kept for reuse are the rule's state (checkpointed with it).
 */
export function createReinforceUpdate(
  { policy, rng }: OnPolicyParts,
  c: ReinforceResolvedConfig,
): UpdateRule<ReinforceUpdateMetrics> {
  const actor = new Adam(policy.actorParamCount, c.learningRate);
  const critic = new Adam(policy.numParams - policy.criticOffset, c.valueLearningRate);
  const stored: StoredBatch[] = [];
  // The pseudo-loss L = −(1/N) Σ w·Ψ·log π over this batch (w = 1) and the reused ones, N their rows together;
  // the entropy of this batch is reported.
  const pseudoLoss = [surrogate({ form: 'log-likelihood' }), entropyBonus(0)];
  const reusedLoss = [pseudoLoss[0]];
  const lossScratch = new LossScratch();
  const captured = { logProbs: new Float64Array(0) };
  const captureLogProbs = [capture(captured)]; // log π_θ of a reused batch's actions
  const rows: LossRows = { size: 0, observations: new Float32Array(0), actions: new Float32Array(0) };
  const scores = new ScoreWorkspace(); // this batch's Ψ and targets
  const reused = new ScoreWorkspace(); // a reused batch's Ψ
  const logRatios = new Grown(float64s);
  const weights = new Grown(float64s);
  const allWeights = new Grown(float64s); // every reused row's weight, for the effective sample size
  const regressionOrder = new Grown((n) => new Int32Array(n));
  const regressionObservations = new Grown((n) => new Float32Array(n));
  const regressionGradients = new Grown((n) => new Float32Array(n));

  /** The critic regression's workspace for n rows (what `allocateRegression` gives, without allocating). */
  function regressionScratch(n: number): RegressionScratch {
    const minibatch = Math.min(c.valueMinibatchSize, n);
    return {
      order: regressionOrder.rows(n),
      obs: regressionObservations.rows(minibatch * policy.obsDim),
      gradValues: regressionGradients.rows(minibatch),
    };
  }

  /** Points `rows` at a batch's arrays (no copy). */
  function rowsOf(
    size: number,
    batch: { observations: Float32Array; actions: Float32Array; masks: Uint8Array | null },
    advantages: Float64Array | null,
    rowWeights: Float64Array | null,
  ): LossRows {
    rows.size = size;
    rows.observations = batch.observations;
    rows.actions = batch.actions;
    rows.masks = batch.masks;
    rows.advantages = advantages;
    rows.weights = rowWeights;
    return rows;
  }

  /**
   * Ψ_t of a stored batch under the current policy: the importance-sampled (per-decision) returns for the
   * log-ratios log π_θ − log π_β, minus the baseline of the current critic or the leave-one-out mean.
   */
  function reusedScores(past: StoredBatch, logRatios: Floats): Float64Array {
    const n = past.behaviourLogProbs.length;
    const psi = reused.psi.rows(n);
    if (c.returns === 'total') {
      importanceSampledTotalReturn(past.batch, logRatios, c.gamma, past.nextValues, psi);
    } else importanceSampledRewardToGo(past.batch, logRatios, c.gamma, past.nextValues, psi);
    const values = c.baseline === 'value' ? policy.values(past.observations, n) : null;
    subtractBaseline(past.batch, psi, values, c, reused);
    normalizeScores(psi, c);
    return psi;
  }

  /**
   * One Adam step on L(θ) = −(1/N) Σ w_t log π(a_t|s_t)·Ψ_t over this batch (w = 1) and the stored ones
   * (importance weights w_t, held constant), then stores this batch for reuse.
   */
  function updatePolicy(
    buffer: RolloutBuffer,
    psi: Float64Array,
  ): { policyLoss: number; entropy: number; effectiveSampleSize?: number } {
    let total = buffer.size;
    for (const past of stored) total += past.behaviourLogProbs.length;
    policy.zeroGrad();
    const stats = accumulateLoss(
      policy,
      rowsOf(buffer.size, buffer, psi, null),
      pseudoLoss,
      lossScratch,
      total,
    );
    let loss = stats.metrics.policyLoss;
    const entropy = stats.metrics.entropy;
    const reusedWeights = allWeights.rows(total - buffer.size);
    let reusedRows = 0;
    for (const past of stored) {
      const n = past.behaviourLogProbs.length;
      const ratios = logRatios.rows(n);
      captured.logProbs = ratios;
      evaluateLoss(policy, rowsOf(n, past, null, null), captureLogProbs, lossScratch);
      for (let k = 0; k < n; k++) ratios[k] -= past.behaviourLogProbs[k];
      const w = perDecisionWeights(past.batch, ratios, c.importanceWeightClip, weights.rows(n));
      reusedWeights.set(w, reusedRows);
      reusedRows += n;
      const pastPsi = reusedScores(past, ratios);
      const pastRows = rowsOf(n, past, pastPsi, w);
      loss += accumulateLoss(policy, pastRows, reusedLoss, lossScratch, total).metrics.policyLoss;
    }
    const actorGrads = policy.grads.subarray(0, policy.actorParamCount);
    if (c.maxGradNorm !== null) clipGradNorm(actorGrads, c.maxGradNorm);
    actor.step(policy.params.subarray(0, policy.actorParamCount), actorGrads);

    if (c.reuseBatches > 0) {
      stored.unshift(snapshot(buffer, c.baseline === 'value'));
      if (stored.length > c.reuseBatches) stored.pop();
    }
    return {
      policyLoss: loss,
      entropy,
      ...(reusedRows > 0 ? { effectiveSampleSize: effectiveSampleSize(reusedWeights) / reusedRows } : {}),
    };
  }

  return {
    optimizers: { actor, critic },
    update(batch: RolloutBuffer): ReinforceUpdateMetrics {
      // 1. Estimate Ψ_t.
      const { psi, valueTargets } = estimateScores(batch, c, scores);
      // 2. Update the policy on the pseudo-loss, then refit the critic.
      const { policyLoss, entropy, effectiveSampleSize } = updatePolicy(batch, psi);
      const valueLoss =
        valueTargets === null
          ? null
          : regressValues(
              policy,
              critic,
              batch.observations,
              valueTargets,
              batch.size,
              { epochs: c.nCriticUpdates, minibatchSize: c.valueMinibatchSize },
              rng,
              regressionScratch(batch.size),
            );
      return {
        policyLoss,
        valueLoss,
        entropy,
        learningRate: actor.learningRate,
        ...(effectiveSampleSize === undefined ? {} : { effectiveSampleSize }),
      };
    },
    getState: () => ({ stored: stored.map(serializeStored) }),
    setState(state, { weightsOnly }) {
      if (weightsOnly) return; // another env: the kept batches are of the old one
      const kept = parseKeptBatches(state.stored ?? [], policy, c.reuseBatches);
      stored.splice(0, stored.length, ...kept);
    },
  };
}

export const reinforceDefinition: AlgorithmDefinition<ReinforceResolvedConfig, ReinforceUpdateMetrics> = {
  name: 'reinforce',
  schema: reinforceConfigSchema,
  resolve(c) {
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
    return c;
  },
  build: buildReinforce,
  collect: collectReinforce,
  createUpdate: createReinforceUpdate,
};

export class Reinforce extends Trainer<ReinforceResolvedConfig, ReinforceUpdateMetrics> {
  constructor(config: ReinforceConfig & RunOptions = {}, ports: Ports = {}) {
    super(reinforceDefinition, config, ports);
  }

  /** A saved model: the same run (continue with `iterate()` or `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): Reinforce {
    return loadAlgorithm(dir, 'reinforce', options, (config) => new Reinforce(config, options.ports));
  }
}

/** A kept batch as checkpoint JSON. */
/** A kept batch for a checkpoint: its float arrays in base64 (format 3), its flags as numbers. */
function serializeStored(b: StoredBatch): Record<string, unknown> {
  return {
    numEnvs: b.batch.numEnvs,
    rewards: encodeFloatArray(Float64Array.from(b.batch.rewards)),
    terminated: Array.from(b.batch.terminated),
    truncated: Array.from(b.batch.truncated),
    observations: encodeFloatArray(b.observations),
    actions: encodeFloatArray(b.actions),
    behaviourLogProbs: encodeFloatArray(b.behaviourLogProbs),
    nextValues: b.nextValues === null ? null : encodeFloatArray(b.nextValues),
    masks: b.masks === null ? null : Array.from(b.masks),
  };
}

/**
 * The kept batches of a checkpoint (untrusted): at most `reuseBatches` of them, each array of the length its
 * batch and the policy's sizes imply, or one line naming the batch and the field.
 */
function parseKeptBatches(value: unknown, policy: ActorCriticPolicy, reuseBatches: number): StoredBatch[] {
  if (!Array.isArray(value) || value.length > reuseBatches) {
    throw new PolicygradError(
      `REINFORCE checkpoint: invalid kept batches ${describeValue(value)}: expected a list of at most reuseBatches = ${reuseBatches}`,
    );
  }
  return value.map((b: unknown, index) => {
    const where = `REINFORCE checkpoint: kept batch ${index}`;
    if (b === null || typeof b !== 'object') {
      throw new PolicygradError(`${where} is ${describeValue(b)}: expected an object`);
    }
    const fields = b as Record<string, unknown>;
    const numbers = (key: string, length: number | null, optional = false): number[] | null => {
      const v = fields[key];
      if (optional && v === null) return null;
      if (
        !Array.isArray(v) ||
        (length !== null && v.length !== length) ||
        v.some((x) => typeof x !== 'number')
      ) {
        throw new PolicygradError(
          `${where}: invalid '${key}': expected ${length ?? 'a list of'} numbers${optional ? ' or null' : ''}`,
        );
      }
      return v as number[];
    };
    /** A float array: base64 (format 3) or numbers (before); `length` null: as many as it holds. */
    const floats = <T extends Float32Array | Float64Array>(
      key: string,
      make: (n: number) => T,
      length: number | null,
    ): T => {
      const v = fields[key];
      const bytesPer = make(0).BYTES_PER_ELEMENT;
      const data = (v as { data?: unknown } | null)?.data;
      const held = Array.isArray(v) ? v.length : typeof data === 'string' ? base64Length(data) / bytesPer : 0;
      const out = make(length ?? Math.floor(held));
      readFloatArrayInto(v, out, `${where}: invalid '${key}'`);
      return out;
    };
    const rewards = floats('rewards', (k) => new Float64Array(k), null);
    const n = rewards.length;
    const { numEnvs } = fields;
    if (typeof numEnvs !== 'number' || !Number.isSafeInteger(numEnvs) || numEnvs <= 0) {
      throw new PolicygradError(
        `${where}: invalid numEnvs ${describeValue(numEnvs)}: expected a positive integer`,
      );
    }
    if (fields.nextValues === undefined) {
      // Checkpoints from before whole-episode reuse stored Ψ instead.
      throw new PolicygradError(
        'REINFORCE checkpoint: its reused batches predate per-decision importance sampling (no nextValues); restore it with { weightsOnly: true }',
      );
    }
    const float32 = (k: number) => new Float32Array(k);
    const masks = numbers('masks', n * policy.dist.inputSize, true);
    return {
      batch: {
        numEnvs,
        rewards,
        terminated: Uint8Array.from(numbers('terminated', n) as number[]),
        truncated: Uint8Array.from(numbers('truncated', n) as number[]),
      },
      observations: floats('observations', float32, n * policy.obsDim),
      actions: floats('actions', float32, n * policy.dist.actionSize),
      behaviourLogProbs: floats('behaviourLogProbs', float32, n),
      nextValues: fields.nextValues === null ? null : floats('nextValues', (k) => new Float64Array(k), n),
      masks: masks === null ? null : Uint8Array.from(masks),
    };
  });
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
