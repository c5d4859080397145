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
import { PolicygradError } from '../errors.js';
import type { PredictOptions } from '../policies/actor-critic.js';
import {
  RecurrentActorCriticPolicy,
  type RecurrentState,
  SequenceLayout,
} from '../policies/recurrent-actor-critic.js';
import type { Rng } from '../rng.js';
import { RecurrentActor, RecurrentRolloutBuffer } from '../rollouts/recurrent.js';
import { RolloutCollector } from '../rollouts/rollout.js';
import { checkNormalizable } from './hyperparameters.js';
import {
  allocateMinibatch,
  gatherMinibatch,
  type Minibatch,
  type OnPolicyParts,
  resolveBatchSize,
  sharedPolicyOptions,
  startRun,
} from './on-policy.js';
import { type LoadOptions, loadAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import { createPPOUpdate, type MinibatchPlan, ppoConfigSchema, type PPOUpdateMetrics } from './ppo.js';
import { LossScratch } from './loss/accumulate.js';
import {
  type Acting,
  type AlgorithmDefinition,
  type RunOptions,
  Trainer,
  type UpdateRule,
} from './trainer.js';

/**
 * What a recurrent policy's config adds (RecurrentPPO's and RecurrentA2C's), and the feed-forward fields it does not
 * take: a shared MLP trunk (the cell is the shared part), and the Gaussian variants sb3-contrib's recurrent policy
 * does not have.
 */
export const recurrentPolicyFields = {
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
};
export const notForRecurrentPolicies = {
  sharedTrunk: true,
  stateDependentStd: true,
  squashOutput: true,
} as const;

export const recurrentPpoConfigSchema = ppoConfigSchema.omit(notForRecurrentPolicies).extend({
  // sb3-contrib's RecurrentPPO defaults
  nSteps: z.number().int().positive().default(128),
  batchSize: z.number().int().positive().default(128),
  ...recurrentPolicyFields,
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

/** What `buildRecurrent` reads of a config (RecurrentPPO's or RecurrentA2C's). */
export type RecurrentRunConfig = Parameters<typeof startRun>[0] &
  Parameters<typeof sharedPolicyOptions>[0] &
  Pick<
    RecurrentPPOResolvedConfig,
    'numEnvs' | 'nSteps' | 'sdeSampleFreq' | keyof typeof recurrentPolicyFields
  >;

/** Env, policy, collector and buffer of a recurrent run, seeded as `buildOnPolicy` seeds a feed-forward one. */
export function buildRecurrent(c: RecurrentRunConfig, ports: Ports = {}): RecurrentParts {
  const { env, rng, policyRng } = startRun(c, ports);
  const policy = new RecurrentActorCriticPolicy(
    {
      ...sharedPolicyOptions(c, env),
      cell: c.cell,
      hiddenSize: c.hiddenSize,
      encoder: c.encoder,
      enableCriticLstm: c.enableCriticLstm,
      sharedLstm: c.sharedLstm,
      recurrentInit: c.recurrentInit,
    },
    policyRng,
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
 * RecurrentPPO's minibatch plan for PPO's epoch loop (`createPPOUpdate`): each epoch a new rotation of the
 * env-major order (`SequenceSampler`), each minibatch a window of it whose sequences the policy replays from their
 * stored states (`sequenceView`), in one chunk of the loss loop so that no chunk cuts a sequence; π_old and the
 * measured KL replay the whole rollout from its first states (`WholeRollout`, built for the KL objectives only).
 */
export function sequenceWindows({ policy, buffer }: RecurrentParts, batchSize: number): MinibatchPlan {
  const n = buffer.size;
  const sampler = new SequenceSampler(buffer, batchSize);
  const oldInputs = new Float32Array(n * policy.dist.inputSize);
  let whole: WholeRollout | null = null;
  const wholeRollout = () => (whole ??= new WholeRollout(buffer, policy));
  return {
    scratch: new LossScratch({ chunk: batchSize }),
    oldInputs,
    begin(rollout) {
      if (rollout !== buffer) {
        throw new PolicygradError(
          "RecurrentPPO: the update replays the run's own rollout buffer (its stored hidden states)",
        );
      }
    },
    epochOrder(rng) {
      sampler.rotate(rng.integer(0, n));
      return sampler.order;
    },
    lossPolicy: (start, size) => policy.sequenceView(sampler.fillLayout(start, size)),
    captureOld() {
      wholeRollout().distInputs(oldInputs);
    },
    rolloutKl: () => wholeRollout().meanKl(oldInputs),
  };
}

/** RecurrentPPO's update: PPO's (GAE, nEpochs of minibatch steps, target-KL stop, adaptive β) on sequences. */
export function createRecurrentPpoUpdate(
  parts: RecurrentParts,
  c: RecurrentPPOResolvedConfig,
): UpdateRule<PPOUpdateMetrics> {
  const batchSize = Math.min(c.batchSize, parts.buffer.size);
  return createPPOUpdate(parts, c, sequenceWindows(parts, batchSize), 'RecurrentPPO');
}

/** Advantages and returns `WholeRollout` does not gather. */
const NO_VALUES = new Float64Array(0);

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
    gatherMinibatch(buffer, NO_VALUES, NO_VALUES, out, rowOf, 0, size, rows);
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

/** `predict`'s options: PPO's, and the memory (see `RecurrentPPO.predict`). */
export interface RecurrentPredictOptions extends PredictOptions {
  /** The state to act from and advance in place (`initialState()`); default: the model's own. */
  state?: RecurrentState;
  /** true on an episode's first observation (one flag per observation, or one for all): forget first. */
  episodeStart?: boolean | ArrayLike<boolean | number>;
}

/**
 * `predict` with memory, as sb3-contrib's `predict(obs, state, episode_start)`: `state` (from `initialState()`) is
 * advanced in place; without one the model keeps its own (one agent, or one per observation of a batch).
 * `episodeStart: true` on an episode's first observation forgets the previous episode. `evaluate` runs the policy
 * with one env's state, fresh for each evaluation.
 */
export function recurrentActing({ policy, rng }: RecurrentParts): Acting<RecurrentPredictOptions> {
  let ownState: RecurrentState | null = null; // the state `predict` uses when given none
  return {
    predict(observation, { state, episodeStart, deterministic = true, mask } = {}) {
      const batch = Math.max(1, Math.floor(observation.length / policy.obsDim));
      let current = state;
      if (current === undefined) {
        if (ownState?.count !== batch) ownState = policy.initialState(batch);
        current = ownState;
      }
      return policy.predict(observation, { state: current, episodeStart, deterministic, mask, rng });
    },
    evaluationActor: () => new RecurrentActor(policy, 1),
  };
}

export const recurrentPpoDefinition: AlgorithmDefinition<
  RecurrentPPOResolvedConfig,
  PPOUpdateMetrics,
  RecurrentParts,
  RecurrentPredictOptions
> = {
  name: 'recurrent-ppo',
  schema: recurrentPpoConfigSchema,
  resolve(parsed, preset, explicit) {
    const c = { ...parsed, batchSize: resolveBatchSize('RecurrentPPO', parsed, preset, explicit) };
    checkNormalizable('RecurrentPPO config', c.normalizeAdvantage, 'batchSize', c.batchSize, c.batchSize);
    return c;
  },
  build: buildRecurrent,
  // collect: the Trainer's default, nSteps from each env into the step buffer: the collector acts through the
  // RecurrentActor, which carries the envs' states and stores them in the RecurrentRolloutBuffer.
  createUpdate: createRecurrentPpoUpdate,
  acting: recurrentActing,
};

/**
 * RecurrentPPO (sb3-contrib's): `recurrentPpoDefinition` on the Trainer. `predict(observation, { state,
 * episodeStart })` remembers (see `recurrentActing`), `evaluate` runs each episode with memory, checkpoints hold
 * the envs' hidden states.
 */
export class RecurrentPPO extends Trainer<
  RecurrentPPOResolvedConfig,
  PPOUpdateMetrics,
  RecurrentParts,
  RecurrentPredictOptions
> {
  constructor(config: RecurrentPPOConfig & RunOptions = {}, ports: Ports = {}) {
    super(recurrentPpoDefinition, config, ports);
  }

  /** A saved model: the same run (continue with `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): RecurrentPPO {
    return loadAlgorithm(dir, 'recurrent-ppo', options, (config) => new RecurrentPPO(config, options.ports));
  }

  /** A zero state for `count` agents, for `predict(observation, { state })`. */
  initialState(count = 1): RecurrentState {
    return this.policy.initialState(count);
  }
}
