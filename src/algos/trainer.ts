/**
 * One owner for a training run (ARCHITECTURE.md § "Redesign (issue 15)"). An algorithm is a definition: its config
 * schema, its cross-field checks, how its run is built, and its `UpdateRule` — the page a reader of CleanRL looks
 * for. The `Trainer` does everything else, once for all of them: resolves the config (preset → schema → checks),
 * builds the parts, keeps the schedule, runs the loop, checkpoints and restores, saves, predicts and evaluates.
 *
 * The loop is `iterate()`: one collection, one update, one metrics row. `learn()` is `begin()` and a loop over it
 * with the callbacks; the CLI and the web worker drive `iterate()` themselves, and an owner whose experience comes
 * from elsewhere calls `trainOn(batch)`.
 */
import type { z } from 'zod';
import type { VectorEnv } from '../envs/vector.js';
import { describeValue, PolicygradError } from '../errors.js';
import type { Floats } from '../nn/kernels.js';
import type { Optimizer } from '../nn/optim.js';
import { parseOptions } from '../options.js';
import { ActorCriticPolicy, type PredictOptions } from '../policies/actor-critic.js';
import type { RecurrentActorCriticPolicy } from '../policies/recurrent-actor-critic.js';
import type { Rng } from '../rng.js';
import { IterationTracker, type IterationStats } from '../rollouts/iteration.js';
import type { RolloutActor, RolloutBuffer, RolloutCollector } from '../rollouts/rollout.js';
import { type CallbackLike, runCallbacks } from './callbacks.js';
import {
  beginProgress,
  captureCheckpoint,
  type Checkpoint,
  type CheckpointParts,
  checkLearnOptions,
  type LearnProgress,
  progressRemaining,
  restoreCheckpoint,
} from './checkpoint.js';
import { evaluatePolicy, normalizationOf, type OnPolicyParts } from './on-policy.js';
import { saveAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import { type Preset, presetValues } from './presets.js';
import type { Algorithm } from './registry.js';

/** An algorithm's update: given its parts once, it allocates its scratch and returns this object. */
export interface UpdateRule<Row extends Record<string, unknown>> {
  /** The rule's optimizers, by name: checkpoints store their state under these names. */
  readonly optimizers: Readonly<Record<string, Optimizer>>;
  /**
   * One update on a collected batch. `progressRemaining` (1 at the start of the schedule, 0 at its end, taken
   * before the batch was collected) drives the schedules. Returns the rule's columns of the metrics row.
   */
  update(batch: RolloutBuffer, progressRemaining: number): Row;
  /** The rule's own state for checkpoints, beyond its optimizers (plain JSON). */
  getState?(): Record<string, unknown>;
  /** Puts back `getState`'s record, read from an untrusted checkpoint; `weightsOnly`: the run moves to another env. */
  setState?(state: Record<string, unknown>, options: { weightsOnly: boolean }): void;
}

/** The policies a run can train: what checkpoints (flat parameters, gSDE) and policy files (`save`) know. */
export type TrainablePolicy = ActorCriticPolicy | RecurrentActorCriticPolicy;

/**
 * What the Trainer needs of a run's parts; a definition's `build` returns its own kind (`OnPolicyParts`, a
 * recurrent run's `RecurrentParts` with the actor that carries the envs' states), which its rule is given.
 */
export interface TrainerParts {
  env: VectorEnv;
  policy: TrainablePolicy;
  rng: Rng;
  collector: RolloutCollector;
  /** The step buffer the default `collect` fills. */
  buffer: RolloutBuffer;
}

/** How a model acts outside training: `predict`, and the actor `evaluate` runs. */
export interface Acting<Options extends PredictOptions> {
  /** The model's `predict`; it may keep state from call to call (a recurrent policy's memory). */
  predict(observation: Floats, options?: Options): number | Float32Array;
  /** An actor for one evaluation env, fresh for each `evaluate`. */
  evaluationActor(): RolloutActor;
}

/** What every config has. */
export interface TrainerConfig {
  env: string;
  envOptions: Record<string, unknown>;
  seed: number;
}

export interface AlgorithmDefinition<
  Config extends TrainerConfig,
  Row extends Record<string, unknown>,
  Parts extends TrainerParts = OnPolicyParts,
  Options extends PredictOptions = PredictOptions,
> {
  /** 'a2c', 'ppo', …: the checkpoint's and model.json's `algo`, the presets' key; upper-cased in messages. */
  readonly name: string;
  /** The config, with its defaults; its output is `Config`. */
  readonly schema: z.ZodObject;
  /** Cross-field checks, and fields that depend on several others, given the preset and the user's own keys. */
  resolve?(config: Config, preset: Preset, explicit: Record<string, unknown>): Config;
  /** The run's env, policy, generator, collector and step buffer. */
  build(config: Config, ports: Ports): Parts;
  /** One batch of experience; default: `nSteps` from each env into the step buffer. */
  collect?(parts: Parts, config: Config): RolloutBuffer;
  createUpdate(parts: Parts, config: Config): UpdateRule<Row>;
  /**
   * The rule's losses need both networks in one `accumulateLoss` (PPO, A2C): with separate networks the critic's
   * half can run on a second thread (`threads`). TRPO's actor and critic steps are separate losses.
   */
  readonly twoNetworkLoss?: boolean;
  /**
   * `predict` and `evaluate`, made once per model. Default, for a feed-forward `ActorCriticPolicy`: its `predict`
   * with the run's generator, and the policy itself as the evaluation actor; a policy with memory needs its own.
   */
  acting?(parts: Parts): Acting<Options>;
}

export interface BeginOptions {
  /** Environment steps in the schedule. */
  totalTimesteps: number;
  /**
   * true (default): a new schedule of `totalTimesteps` from the current step. false (SB3's
   * `reset_num_timesteps=False`): `totalTimesteps` more steps, the schedule in force extended to end there.
   */
  resetProgress?: boolean;
}

export interface LearnOptions<Row extends object = IterationStats> extends BeginOptions {
  /** Called after every iteration; return false to stop. */
  callback?: (metrics: Row) => boolean | void;
  /** Callbacks run after every iteration (see callbacks.ts); any returning false stops training. */
  callbacks?: readonly CallbackLike[];
}

/**
 * Options of a run that do not change its results, so they are not part of its config (config.json, checkpoints):
 * given with the config to the constructor and removed from it before it is parsed.
 */
export interface RunOptions {
  /**
   * Threads of each minibatch update: 2 runs the critic's forward and backward passes beside the actor's
   * (policies/critic-thread.ts), with bit-identical results; 'auto' (default) is 2 when the machine has two
   * cores, the policy has separate networks and the ports can start a thread, else 1.
   */
  threads?: 1 | 2 | 'auto';
}

/** The owner of a run of the algorithm `definition` (see the module comment). */
export class Trainer<
  Config extends TrainerConfig,
  Row extends Record<string, unknown>,
  Parts extends TrainerParts = OnPolicyParts,
  Options extends PredictOptions = PredictOptions,
> implements Algorithm {
  readonly config: Config;
  readonly policy: Parts['policy'];
  readonly env: Parts['env'];
  /** The run's parts: for owners that collect elsewhere and call `trainOn` with a buffer of this shape. */
  readonly parts: Parts;
  private readonly rule: UpdateRule<Row>;
  private readonly acting: Acting<Options>;
  private readonly tracker: IterationTracker;
  private progress: LearnProgress | null = null;
  /** 'A2C', 'PPO', … in messages. */
  private readonly title: string;
  /** How many threads each update uses and why: '2 (actor | critic)', '1 (shared trunk)' … (for the run's log). */
  get updateThreads(): string {
    return this.threadsNote;
  }
  private threadsNote: string;
  private criticThread: { close(): void } | null = null;

  constructor(
    private readonly definition: AlgorithmDefinition<Config, Row, Parts, Options>,
    config: object = {},
    /** Files for `save`, worker threads for `vectorEnv: 'async'` (ports.ts); none unless given. */
    readonly ports: Ports = {},
  ) {
    this.title = definition.name.toUpperCase();
    const { threads, ...given } = config as Record<string, unknown> & {
      preset?: string | Preset | null;
      env?: string;
    };
    const preset = presetValues(definition.name, given, 'CartPole-v1');
    const parsed = parseOptions(definition.schema, { ...preset, ...given }, `${this.title} config`) as Config;
    this.config = definition.resolve?.(parsed, preset, given) ?? parsed;
    this.parts = definition.build(this.config, ports);
    this.policy = this.parts.policy;
    this.env = this.parts.env;
    this.tracker = new IterationTracker(this.parts.collector);
    this.rule = definition.createUpdate(this.parts, this.config);
    this.acting = definition.acting?.(this.parts) ?? this.feedForwardActing();
    this.threadsNote = this.startUpdateThreads(threads);
  }

  /** Stops the update's second thread, if any (the model trains on, on one thread, if used again). */
  close(): void {
    this.criticThread?.close();
    this.criticThread = null;
    if (this.policy instanceof ActorCriticPolicy) this.policy.criticThread = null;
    if (this.threadsNote.startsWith('2')) this.threadsNote = '1 (closed)';
  }

  /** Gives the policy a critic thread when `threads` asks for one and the run allows it; says which it uses. */
  private startUpdateThreads(threads: unknown): string {
    if (threads !== undefined && threads !== 1 && threads !== 2 && threads !== 'auto') {
      throw new PolicygradError(`${this.title}: threads ${describeValue(threads)}: expected 1, 2 or 'auto'`);
    }
    if (threads === 1) return '1 (threads: 1)';
    const { policy } = this;
    if (!(policy instanceof ActorCriticPolicy)) return '1 (recurrent policy)';
    if (this.definition.twoNetworkLoss !== true) return `1 (${this.title} has no two-network loss)`;
    if (policy.sharedTrunk) return '1 (shared trunk)';
    if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
      return '1 (no SharedArrayBuffer: a browser page needs cross-origin isolation)';
    }
    const port = this.ports.updateThreads;
    if (port === undefined) return "1 (no thread port: Node's classes and nodePorts have one)";
    if (threads !== 2 && port.cores() < 2) return '1 (one core)';
    const started = port.start(policy, threads === 2 ? 2 : 'auto');
    if (typeof started === 'string') return `1 (${started})`;
    this.criticThread = started;
    policy.criticThread = started;
    return '2 (actor | critic)';
  }

  /** Environment steps taken so far (SB3's `num_timesteps`). */
  get numTimesteps(): number {
    return this.parts.collector.totalSteps;
  }

  /** True once the schedule's budget is used (false before `begin`). */
  get done(): boolean {
    const p = this.progress;
    return p !== null && this.numTimesteps - p.startStep >= p.totalTimesteps;
  }

  /** Sets the schedule that `iterate()` follows (see `BeginOptions`). */
  begin(options: BeginOptions): void {
    this.schedule(options, 'begin');
  }

  /** One iteration: one collection, one update; returns its metrics row (what metrics.csv gets). */
  iterate(): IterationStats & Row {
    const progress = this.requireSchedule('iterate');
    if (this.done) {
      throw new PolicygradError(
        `${this.title}.iterate: the schedule of ${progress.totalTimesteps} steps is used (step ${this.numTimesteps}): call begin({ totalTimesteps }) for more`,
      );
    }
    this.tracker.beginIteration();
    const remaining = progressRemaining(progress, this.numTimesteps);
    const { collect } = this.definition;
    const batch =
      collect === undefined
        ? this.parts.collector.collectSteps(this.parts.buffer)
        : collect(this.parts, this.config);
    return this.update(batch, remaining);
  }

  /**
   * The update half of `iterate()`, on a batch collected elsewhere (a learner fed by remote actors). The row's
   * step counters are this run's collector's; the schedule needs `begin` as for `iterate()`.
   */
  trainOn(batch: RolloutBuffer): IterationStats & Row {
    const progress = this.requireSchedule('trainOn');
    this.tracker.beginIteration();
    return this.update(batch, progressRemaining(progress, this.numTimesteps));
  }

  /** `begin`, then `iterate()` until the budget is used or a callback returns false; returns the rows. */
  learn(options: LearnOptions<IterationStats & Row>): (IterationStats & Row)[] {
    this.schedule(options, 'learn');
    const { callback, callbacks } = options;
    const history: (IterationStats & Row)[] = [];
    while (!this.done) {
      const row = this.iterate();
      history.push(row);
      const stopRequested = callback?.(row) === false;
      if (!runCallbacks(callbacks, row, this) || stopRequested) break;
    }
    return history;
  }

  /** Everything needed to continue this run exactly (see src/algos/checkpoint.ts). */
  checkpoint(): Checkpoint {
    return captureCheckpoint(this.checkpointParts(), this.rule.getState?.() ?? {});
  }

  /**
   * Continues from a checkpoint of the same algorithm and env, schedule included (`iterate()` may follow); with
   * `weightsOnly`, only the networks, optimizers and the rule's learning state (for another env).
   */
  restoreCheckpoint(checkpoint: unknown, { weightsOnly = false }: { weightsOnly?: boolean } = {}): void {
    const restored = restoreCheckpoint(this.checkpointParts(), checkpoint, { weightsOnly });
    this.progress = restored.progress;
    this.rule.setState?.(restored.state, { weightsOnly });
  }

  /** Saves the model (Node): model.json (config and a full checkpoint) and policy.json. */
  save(dir: string): void {
    saveAlgorithm(this, this.definition.name, dir, this.ports.storage);
  }

  /** The action for an observation (or a batch of them); deterministic by default. */
  predict(observation: Floats, options?: Options): number | Float32Array {
    return this.acting.predict(observation, options);
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default). */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    return evaluatePolicy(this.acting.evaluationActor(), this.config, episodes, {
      ...options,
      normalization: normalizationOf(this.env),
    }).returns;
  }

  /** The default `acting`: a feed-forward policy predicts with the run's generator and is its own actor. */
  private feedForwardActing(): Acting<PredictOptions> {
    const { policy, rng } = this.parts;
    if (!(policy instanceof ActorCriticPolicy)) {
      throw new PolicygradError(
        `${this.title}: its definition builds a policy with memory, so it must give its own acting (predict, evaluate)`,
      );
    }
    return {
      predict: (observation, { deterministic = true, mask } = {}) =>
        policy.predict(observation, { deterministic, mask, rng }),
      evaluationActor: () => policy,
    };
  }

  private schedule(options: BeginOptions, method: string): void {
    const { totalTimesteps, resetProgress } = checkLearnOptions(this.title, options, method);
    this.progress = beginProgress(this.progress, totalTimesteps, resetProgress, this.parts, this.tracker);
  }

  private requireSchedule(method: string): LearnProgress {
    const progress = this.progress;
    if (progress === null) {
      throw new PolicygradError(
        `${this.title}.${method}: no schedule: call begin({ totalTimesteps }) or learn() first`,
      );
    }
    return progress;
  }

  private update(batch: RolloutBuffer, remaining: number): IterationStats & Row {
    const row = this.rule.update(batch, remaining);
    return { ...this.tracker.endIteration(), ...row };
  }

  private checkpointParts(): CheckpointParts {
    return {
      algo: this.definition.name,
      env: this.config.env,
      parts: this.parts,
      tracker: this.tracker,
      progress: this.progress,
      optimizers: this.rule.optimizers,
    };
  }
}
