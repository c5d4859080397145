/**
 * RecurrentPPO: PPO (ppo.ts) with a recurrent policy (policies/recurrent-actor-critic.ts), as sb3-contrib's
 * `RecurrentPPO`. The loss is PPO's (surrogate.ts: clip or KL penalty, value clipping, entropy, advantage
 * normalisation over the minibatch's rows) and so are the schedules, the target-KL stop and the normalisation;
 * what changes is what a minibatch is and how the policy sees it.
 *
 * **Minibatches of sequences, as sb3-contrib's `RecurrentRolloutBuffer`.** Each epoch the rollout is read env by
 * env (env-major: env 0's steps in time order, then env 1's…), rotated at a random index, and cut into
 * consecutive windows of `batchSize` steps. Within a window, every maximal run of one env's consecutive steps is
 * a sequence, replayed from the state the env entered its first step with (stored at collection); the cells see
 * the sequences side by side, padded to the longest at the end (padding rows carry no loss and no gradient).
 * Backpropagation runs through each whole sequence: truncated BPTT through at most the rollout length.
 *
 * One choice differs from sb3-contrib, without changing the result: sb3-contrib also cuts a sequence at every
 * episode start and pads the pieces; here a sequence runs on through episode starts and the cell zeroes its state
 * there (the same mask sb3-contrib's `_process_sequence` applies), which computes the same outputs and gradients
 * (the mask cuts the gradient path at the reset as well) with less padding: a window of one env's 32 steps holding
 * 3 episodes is one sequence of 32 instead of 3 sequences padded to the longest.
 *
 * The random rotation keeps sequences long (only the window edges and the rotation point cut them) while the
 * order of minibatches changes from epoch to epoch. The stored starting states were computed by the rollout's
 * policy, not the current one: after the first step they are slightly stale, as in sb3-contrib and CleanRL.
 */
import { z } from 'zod';
import type { Box } from '../envs/spaces.js';
import { describeValue, PolicygradError } from '../errors.js';
import type { Floats } from '../nn/kernels.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import type { PredictOptions } from '../policies/actor-critic.js';
import {
  RecurrentActorCriticPolicy,
  type RecurrentState,
  SequenceLayout,
} from '../policies/recurrent-actor-critic.js';
import { Rng } from '../rng.js';
import type { IterationStats } from '../rollouts/iteration.js';
import { RecurrentActor, RecurrentRolloutBuffer } from '../rollouts/recurrent.js';
import { type RolloutBuffer, RolloutCollector } from '../rollouts/rollout.js';
import { type CallbackLike, runCallbacks } from './callbacks.js';
import type { Checkpoint } from './checkpoint.js';
import { checkNormalizable } from './hyperparameters.js';
import {
  advantagesAndReturns,
  allocateAdvantageScratch,
  allocateMinibatch,
  buildTrainingEnv,
  evaluatePolicy,
  explainedVariance,
  gatherMinibatch,
  type Minibatch,
  normalizationOf,
  type OnPolicyParts,
  resolveBatchSize,
  toSchedule,
} from './on-policy.js';
import { type LoadOptions, loadAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import { ppoConfigSchema, type PPOUpdateMetrics } from './ppo.js';
import { normalize } from '../estimators/returns.js';
import { accumulateLoss, type LossRows, LossScratch } from './loss/accumulate.js';
import { surrogate } from './loss/surrogate.js';
import { adaptKlBeta, klPenalty } from './loss/kl-penalty.js';
import { entropyBonus } from './loss/entropy-bonus.js';
import { valueLoss } from './loss/value-loss.js';
import {
  type AlgorithmDefinition,
  type BeginOptions,
  type LearnOptions,
  Trainer,
  type UpdateRule,
} from './trainer.js';

export const recurrentPpoConfigSchema = ppoConfigSchema
  .omit({
    // Not for recurrent policies: a shared MLP trunk (the cell is the shared part), and the Gaussian variants
    // sb3-contrib's recurrent policy does not have.
    sharedTrunk: true,
    stateDependentStd: true,
    squashOutput: true,
  })
  .extend({
    // sb3-contrib's RecurrentPPO defaults
    nSteps: z.number().int().positive().default(128),
    batchSize: z.number().int().positive().default(128),
    /** The recurrent cell: 'lstm' (sb3-contrib's) or 'gru'. */
    cell: z.enum(['lstm', 'gru']).default('lstm'),
    /** Width of the recurrent state (sb3-contrib's lstm_hidden_size). */
    hiddenSize: z.number().int().positive().default(256),
    /** Hidden widths of an MLP before the cell; [] (default) feeds the observations to the cell. */
    encoder: z.array(z.number().int().positive()).default([]),
    /** The critic has its own cell (sb3-contrib's enable_critic_lstm); default: yes, unless sharedLstm. */
    enableCriticLstm: z.boolean().optional(),
    /** The critic reads the actor's cell, which the value loss does not train (sb3-contrib's shared_lstm). */
    sharedLstm: z.boolean().default(false),
    /** Initialisation of the cells: PyTorch's default (sb3-contrib) or orthogonal (CleanRL). */
    recurrentInit: z.enum(['pytorch', 'orthogonal']).default('pytorch'),
  });
export type RecurrentPPOConfig = z.input<typeof recurrentPpoConfigSchema>;
export type RecurrentPPOResolvedConfig = z.output<typeof recurrentPpoConfigSchema>;

/** The pieces of a recurrent run (what `buildOnPolicy` is for feed-forward ones). */
export interface RecurrentParts {
  env: OnPolicyParts['env'];
  policy: RecurrentActorCriticPolicy;
  /** The policy with the training envs' states: what the collector acts with. */
  actor: RecurrentActor;
  rng: Rng;
  collector: RolloutCollector;
  buffer: RecurrentRolloutBuffer;
}

/** Env, policy, collector and buffer of a recurrent run, seeded as `buildOnPolicy` seeds a feed-forward one. */
export function buildRecurrent(c: RecurrentPPOResolvedConfig, ports: Ports = {}): RecurrentParts {
  if (!c.useSde && c.sdeSampleFreq !== -1) {
    throw new PolicygradError(
      `sdeSampleFreq ${c.sdeSampleFreq} applies to gSDE only: set useSde: true as well, or leave it out`,
    );
  }
  const root = Rng.fromSeed(c.seed);
  const rng = root.split();
  const env = buildTrainingEnv(c, ports);
  const policy = new RecurrentActorCriticPolicy(
    {
      observationSpace: env.singleObservationSpace as Box,
      actionSpace: env.singleActionSpace,
      cell: c.cell,
      hiddenSize: c.hiddenSize,
      encoder: c.encoder,
      netArch: c.netArch,
      activation: c.activation,
      enableCriticLstm: c.enableCriticLstm,
      sharedLstm: c.sharedLstm,
      orthogonalInit: c.orthogonalInit,
      recurrentInit: c.recurrentInit,
      logStdInit: c.logStdInit,
      useSde: c.useSde,
      fullStd: c.fullStd,
      useExpln: c.useExpln,
    },
    root.split(),
  );
  const actor = new RecurrentActor(policy, c.numEnvs);
  const collector = new RolloutCollector(env, actor, rng, c.seed);
  collector.sdeSampleFreq = c.sdeSampleFreq;
  const buffer = new RecurrentRolloutBuffer(
    c.nSteps,
    c.numEnvs,
    env.obsDim,
    policy.dist.actionSize,
    policy.statePlanes,
    policy.hiddenSize,
  );
  return { env, policy, actor, rng, collector, buffer };
}

/**
 * The minibatches of an epoch (see the module comment): `order[m]` is the buffer row (time-major t·N + i) of
 * position m of the rotated env-major sequence; `fillLayout` describes window [start, start + size) as sequences.
 */
export class SequenceSampler {
  readonly order: Int32Array;
  readonly layout: SequenceLayout;

  constructor(
    private readonly buffer: RecurrentRolloutBuffer,
    readonly batchSize: number,
  ) {
    const { steps: T, numEnvs: N } = buffer;
    this.order = new Int32Array(T * N);
    // A window holds at most ⌈batchSize/T⌉ + 1 runs, and at most N + 1 (the rotated env's two ends).
    const sequences = Math.min(N + 1, Math.ceil(batchSize / T) + 1);
    this.layout = new SequenceLayout(batchSize, sequences, buffer.statePlanes, buffer.hiddenSize);
  }

  /** A new rotation, at env-major index `split` (sb3-contrib draws it uniformly). */
  rotate(split: number): void {
    const { steps: T, numEnvs: N } = this.buffer;
    const n = T * N;
    for (let m = 0; m < n; m++) {
      const k = (split + m) % n; // env-major index: env ⌊k/T⌋, step k mod T
      this.order[m] = (k % T) * N + Math.floor(k / T);
    }
  }

  /** The sequences of window [start, start + size) of the current order, with their stored initial states. */
  fillLayout(start: number, size: number): SequenceLayout {
    const { buffer, layout, order } = this;
    const N = buffer.numEnvs;
    layout.clear();
    let previous = -1;
    for (let m = start; m < start + size; m++) {
      const row = order[m];
      // A new sequence at the window's start and wherever the next row is not the previous row's next step.
      if (previous < 0 || row !== previous + N) {
        const j = layout.beginSequence();
        buffer.copyStateInto(Math.floor(row / N), row % N, layout.initial, j);
      }
      layout.pushRow(buffer.episodeStarts[row] === 1);
      previous = row;
    }
    layout.finish();
    return layout;
  }
}

/**
 * RecurrentPPO's update rule on one collected rollout: GAE, then `nEpochs` passes of sequence minibatches on PPO's
 * loss (surrogate.ts) with PPO's schedules, target-KL stop and adaptive β; the row has PPO's columns. Scratch is
 * allocated once.
 */
export function createRecurrentPpoUpdate(
  parts: RecurrentParts,
  c: RecurrentPPOResolvedConfig,
): UpdateRule<PPOUpdateMetrics> {
  const { policy, buffer, rng } = parts;
  const optimizer = new Adam(policy.numParams, 1, { epsilon: c.adamEpsilon });
  const lrSchedule = toSchedule(c.learningRate);
  const clipSchedule = toSchedule(c.clipRange);
  const n = buffer.size;
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  const advantageScratch = allocateAdvantageScratch(n);
  const penalised = c.objective === 'kl-penalty' || c.objective === 'clip+kl';
  const oldInputs = new Float32Array(penalised ? n * policy.dist.inputSize : 0);
  const batchSize = Math.min(c.batchSize, n);
  const sampler = new SequenceSampler(buffer, batchSize);
  const mb = allocateMinibatch(batchSize, policy.obsDim, policy.dist.actionSize, policy.dist.inputSize);
  if (!penalised) mb.oldDistInputs = null; // the clipped objective needs only the old log-probabilities
  // PPO's loss: L = −(1/B) Σ s(r, Â) [+ β·(1/B) Σ KL(π_old ‖ π)] − c_H·(1/B) Σ H + c_V·L_V, over the rows.
  const policySurrogate = surrogate({ clipped: c.objective === 'clip' || c.objective === 'clip+kl' });
  const penalty = klPenalty({ beta: c.klBetaInit }); // β is rule state: adapted after each update
  const loss = [
    policySurrogate,
    entropyBonus(c.entCoef),
    ...(penalised ? [penalty] : []),
    valueLoss({ form: c.valueLoss, clipRangeVf: c.clipRangeVf, coef: c.vfCoef }),
  ];
  // One chunk per minibatch: the loop's chunks must not cut the sequences of the view.
  const lossScratch = new LossScratch({ chunk: batchSize });
  const normalized = new Float64Array(batchSize); // the minibatch's advantages, normalised
  const rows: LossRows = { ...mb };
  const whole = penalised ? new WholeRollout(buffer, policy) : null;

  return {
    optimizers: { actorCritic: optimizer },
    update(batch: RolloutBuffer, remaining: number): PPOUpdateMetrics {
      if (batch !== buffer) {
        throw new PolicygradError(
          "RecurrentPPO: the update replays the run's own rollout buffer (its stored hidden states)",
        );
      }
      optimizer.learningRate = lrSchedule(remaining);
      const clipRange = clipSchedule(remaining);
      policySurrogate.clipRange = clipRange;
      // 1. Advantages: GAE(γ, λ) over each env's steps, truncations bootstrapped as for PPO.
      advantagesAndReturns(buffer, c.gamma, c.gaeLambda, advantages, returns, c.truncation, advantageScratch);
      if (whole !== null) whole.distInputs(oldInputs); // π_old, for the KL terms
      // 2. nEpochs passes over rotated windows of whole sequences; stop once the policy has moved too far.
      let steps = 0;
      let policyLoss = 0;
      let valueLoss = 0;
      let entropy = 0;
      let approxKl = 0;
      let clipFraction = 0;
      let stop = false;
      for (let epoch = 0; epoch < c.nEpochs && !stop; epoch++) {
        sampler.rotate(rng.integer(0, n));
        for (let s = 0; s < n; s += batchSize) {
          const size = Math.min(batchSize, n - s);
          gatherMinibatch(buffer, advantages, returns, oldInputs, sampler.order, s, size, mb);
          rows.size = size;
          rows.masks = mb.masks;
          rows.advantages = mb.advantages;
          if (c.normalizeAdvantage && size > 1) {
            const minibatchAdvantages = size === batchSize ? normalized : normalized.subarray(0, size);
            minibatchAdvantages.set(mb.advantages.subarray(0, size));
            rows.advantages = normalize(minibatchAdvantages);
          }
          const view = policy.sequenceView(sampler.fillLayout(s, size));
          policy.zeroGrad();
          const m = accumulateLoss(view, rows, loss, lossScratch).metrics;
          if (c.targetKl !== null && m.approxKl > 1.5 * c.targetKl) {
            stop = true; // SB3's target-KL stop: keep this minibatch out and end the update
            break;
          }
          policyLoss += m.policyLoss;
          valueLoss += m.valueLoss;
          entropy += m.entropy;
          approxKl += m.approxKl;
          clipFraction += m.clipFraction;
          steps++;
          if (c.maxGradNorm !== null) clipGradNorm(policy.grads, c.maxGradNorm);
          optimizer.step(policy.params, policy.grads);
        }
      }
      // 3. Adaptive KL penalty over the whole rollout, replayed from the stored states.
      let kl: number | undefined;
      if (whole !== null) {
        kl = whole.meanKl(oldInputs);
        penalty.beta = adaptKlBeta(penalty.beta, kl, c.klPenaltyTarget);
      }
      const mean = (sum: number) => (steps === 0 ? Number.NaN : sum / steps);
      return {
        policyLoss: mean(policyLoss),
        valueLoss: mean(valueLoss),
        entropy: mean(entropy),
        approxKl: mean(approxKl),
        clipFraction: mean(clipFraction),
        explainedVariance: explainedVariance(buffer.values, returns),
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
          `RecurrentPPO checkpoint: invalid klBeta ${describeValue(value)}: expected a positive number`,
        );
      }
      penalty.beta = value;
    },
  };
}

/** The whole rollout as N sequences of T steps from the rollout's first stored states (for the KL objectives). */
class WholeRollout {
  private readonly layout: SequenceLayout;
  private readonly rows: Minibatch;
  private readonly rowOf: Int32Array;
  private readonly current: Float32Array;
  private readonly kls: Float64Array;

  constructor(
    private readonly buffer: RecurrentRolloutBuffer,
    private readonly policy: RecurrentActorCriticPolicy,
  ) {
    const { steps: T, numEnvs: N, size } = buffer;
    this.layout = new SequenceLayout(size, N, buffer.statePlanes, buffer.hiddenSize);
    this.rows = allocateMinibatch(size, policy.obsDim, policy.dist.actionSize, policy.dist.inputSize);
    this.rowOf = new Int32Array(size);
    for (let i = 0; i < N; i++) for (let t = 0; t < T; t++) this.rowOf[i * T + t] = t * N + i;
    this.current = new Float32Array(size * policy.dist.inputSize);
    this.kls = new Float64Array(size);
  }

  /** The current policy's distribution inputs for every buffer row (time-major) into `out`. */
  distInputs(out: Float32Array): Float32Array {
    const { buffer, layout, rows, rowOf, policy } = this;
    const { steps: T, numEnvs: N, size } = buffer;
    const zeros = new Float64Array(0);
    gatherMinibatch(buffer, zeros, zeros, out, rowOf, 0, size, rows);
    layout.clear();
    for (let i = 0; i < N; i++) {
      buffer.copyStateInto(0, i, layout.initial, layout.beginSequence());
      for (let t = 0; t < T; t++) layout.pushRow(buffer.episodeStarts[t * N + i] === 1);
    }
    layout.finish();
    const inputs = policy.sequenceDistInputs(layout, rows.observations, rows.masks ?? undefined);
    const width = policy.dist.inputSize;
    for (let r = 0; r < size; r++) {
      for (let k = 0; k < width; k++) out[rowOf[r] * width + k] = inputs[r * width + k];
    }
    return out;
  }

  /** Mean KL(π_old ‖ π) over the rollout. */
  meanKl(oldInputs: Float32Array): number {
    const current = this.distInputs(this.current);
    this.policy.dist.kl(oldInputs, current, this.buffer.size, this.kls);
    return this.kls.reduce((a, b) => a + b, 0) / this.buffer.size;
  }
}

/**
 * The run's parts as the Trainer types them. The Trainer is typed for feed-forward parts (`OnPolicyParts`); of the
 * policy it uses only `params` and `sde` (checkpoints) and the policy file (`save`), which a recurrent policy has
 * too — its `predict` and `evaluate` go through `RecurrentPPO`, never the Trainer's. (Goes away once the Trainer is
 * generic in its parts.)
 */
const asTrainerParts = (parts: RecurrentParts) => parts as unknown as OnPolicyParts;
const asRecurrentParts = (parts: OnPolicyParts) => parts as unknown as RecurrentParts;

export const recurrentPpoDefinition: AlgorithmDefinition<RecurrentPPOResolvedConfig, PPOUpdateMetrics> = {
  name: 'recurrent-ppo',
  schema: recurrentPpoConfigSchema,
  resolve(parsed, preset, explicit) {
    const c = { ...parsed, batchSize: resolveBatchSize('RecurrentPPO', parsed, preset, explicit) };
    checkNormalizable('RecurrentPPO config', c.normalizeAdvantage, 'batchSize', c.batchSize, c.batchSize);
    return c;
  },
  build: (c, ports) => asTrainerParts(buildRecurrent(c, ports)),
  // collect: the Trainer's default, nSteps from each env into the step buffer: the collector acts through the
  // RecurrentActor, which carries the envs' states and stores them in the RecurrentRolloutBuffer.
  createUpdate: (parts, c) => createRecurrentPpoUpdate(asRecurrentParts(parts), c),
};

/** `predict`'s options: PPO's, and the memory (see `RecurrentPPO.predict`). */
export interface RecurrentPredictOptions extends PredictOptions {
  /** The state to act from and advance in place (`initialState()`); default: the model's own. */
  state?: RecurrentState;
  /** true on an episode's first observation (one flag per observation, or one for all): forget first. */
  episodeStart?: boolean | ArrayLike<boolean | number>;
}

/**
 * RecurrentPPO (sb3-contrib's): a run of `recurrentPpoDefinition` on the Trainer, which owns the schedule, the
 * loop, checkpoints and saving; this class adds what memory changes — `predict` with a state, `evaluate` with
 * each env's state — and exposes the recurrent policy.
 */
export class RecurrentPPO {
  readonly policy: RecurrentActorCriticPolicy;
  private readonly trainer: Trainer<RecurrentPPOResolvedConfig, PPOUpdateMetrics>;
  private readonly parts: RecurrentParts;
  /** The state `predict` uses when given none (one agent). */
  private ownState: RecurrentState | null = null;

  constructor(config: RecurrentPPOConfig = {}, ports: Ports = {}) {
    this.trainer = new Trainer(recurrentPpoDefinition, config, ports);
    this.parts = asRecurrentParts(this.trainer.parts);
    this.policy = this.parts.policy;
  }

  get config(): RecurrentPPOResolvedConfig {
    return this.trainer.config;
  }

  get env(): RecurrentParts['env'] {
    return this.parts.env;
  }

  /** Environment steps taken so far. */
  get numTimesteps(): number {
    return this.trainer.numTimesteps;
  }

  /** True once the schedule's budget is used. */
  get done(): boolean {
    return this.trainer.done;
  }

  begin(options: BeginOptions): void {
    this.trainer.begin(options);
  }

  /** One collection (the envs' states carried), one update on its sequences; the metrics row. */
  iterate(): IterationStats & PPOUpdateMetrics {
    return this.trainer.iterate();
  }

  trainOn(batch: RecurrentRolloutBuffer): IterationStats & PPOUpdateMetrics {
    return this.trainer.trainOn(batch);
  }

  /** The Trainer's `learn`, with this model (not the Trainer) handed to the callbacks (they evaluate and save it). */
  learn(options: LearnOptions<IterationStats & PPOUpdateMetrics>): (IterationStats & PPOUpdateMetrics)[] {
    const { callback, callbacks, ...schedule } = options;
    return this.trainer.learn({
      ...schedule,
      callback: (row) => {
        const stopRequested = callback?.(row) === false;
        return runCallbacks(callbacks as readonly CallbackLike[] | undefined, row, this) && !stopRequested;
      },
    });
  }

  /** Everything needed to continue this run exactly, the envs' hidden states included. */
  checkpoint(): Checkpoint {
    return this.trainer.checkpoint();
  }

  restoreCheckpoint(checkpoint: unknown, options: { weightsOnly?: boolean } = {}): void {
    this.trainer.restoreCheckpoint(checkpoint, options);
  }

  /** Saves the model (Node): model.json (config and a full checkpoint, hidden states included) and policy.json. */
  save(dir: string): void {
    this.trainer.save(dir);
  }

  /** A saved model: the same run (continue with `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): RecurrentPPO {
    return loadAlgorithm(dir, 'recurrent-ppo', options, (config) => new RecurrentPPO(config, options.ports));
  }

  /** A zero state for `count` agents, for `predict(observation, { state })`. */
  initialState(count = 1): RecurrentState {
    return this.policy.initialState(count);
  }

  /**
   * The action for an observation (or a batch of one per agent), with memory, as sb3-contrib's
   * `predict(obs, state, episode_start)`: `state` (from `initialState()`) is advanced in place; without one the
   * model keeps its own (one agent, or one per observation of a batch). `episodeStart: true` on an episode's
   * first observation forgets the previous episode.
   */
  predict(
    observation: Floats,
    { state, episodeStart, deterministic = true, mask }: RecurrentPredictOptions = {},
  ): number | Float32Array {
    const batch = Math.max(1, Math.floor(observation.length / this.policy.obsDim));
    let current = state;
    if (current === undefined) {
      if (this.ownState?.count !== batch) this.ownState = this.policy.initialState(batch);
      current = this.ownState;
    }
    return this.policy.predict(observation, {
      state: current,
      episodeStart,
      deterministic,
      mask,
      rng: this.parts.rng,
    });
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default), with memory. */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    return evaluatePolicy(new RecurrentActor(this.policy, 1), this.config, episodes, {
      ...options,
      normalization: normalizationOf(this.env),
    }).returns;
  }
}
