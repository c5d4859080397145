/**
 * A3C on Node's worker threads: the coordinator, A3C's `threads` port (src/algos/ports.ts). It owns the shared
 * parameters (initialised from its own seeded policy), starts `numWorkers` threads running `A3CWorker`
 * (src/algos/a3c.ts) on them, and turns the workers' reports into metrics rows. The workers run freely between
 * `begin` and the end of the schedule; `iterate()` resolves with the next report. A policy in this thread,
 * synchronised from the shared parameters, serves `predict`, `evaluate` and the exported policy.
 */
import type { PredictOptions } from '../policies/actor-critic.js';
import {
  A3C_STEPS,
  A3C_STOP,
  type A3CConfig,
  type A3CReport,
  type A3CResolvedConfig,
  type A3CSharedBuffers,
  createA3CShared,
  parseA3CConfig,
} from '../algos/a3c.js';
import { runCallbacks } from '../algos/callbacks.js';
import { checkLearnOptions } from '../algos/checkpoint.js';
import { buildOnPolicy, evaluatePolicy, type OnPolicyParts } from '../algos/on-policy.js';
import type { MetricsRow, ThreadedAlgorithm } from '../algos/registry.js';
import type { BeginOptions, LearnOptions } from '../algos/trainer.js';
import type { Floats } from '../nn/kernels.js';
import { PolicygradError } from '../errors.js';
import { resolveEnvModule } from './env-modules.js';
import { startWatchedWorker } from './watched-worker.js';

/** `learn`'s options (the Trainer's: its rows are A3C's aggregated reports). */
export type A3CLearnOptions = LearnOptions<MetricsRow>;

/** Where the compiled worker script is: next to this module, or in dist/ when this module runs from src/. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/node/a3c-worker.js', here)
    : new URL('./a3c-worker.js', here);
}

/** Why A3C has no checkpoints (and so no save or resume). */
const NO_CHECKPOINTS =
  'A3C runs have no checkpoints (lock-free updates have no exact resume point; each worker thread holds its own envs)';

export class A3C implements ThreadedAlgorithm {
  readonly config: A3CResolvedConfig;
  readonly policy: OnPolicyParts['policy'];
  readonly env: OnPolicyParts['env'];
  private readonly parts: OnPolicyParts;
  private readonly shared: A3CSharedBuffers;
  private readonly sharedParams: Float32Array;
  private readonly counters: Int32Array;
  /** config.envModules, resolved here (a relative path means the working directory of this thread). */
  private readonly envModules: string[];
  /** The schedule: the step it started at (for the learning-rate schedule) and the step it ends at. */
  private schedule: { start: number; until: number } | null = null;
  /** The started workers, until they have all exited. */
  private workers: Promise<void> | null = null;
  /** Workers that have not sent their final report yet. */
  private active = 0;
  /** Reports turned into rows, not yet handed out by `iterate()`. */
  private readonly rows: MetricsRow[] = [];
  private waiting: { resolve: (row: MetricsRow) => void; reject: (error: unknown) => void } | null = null;
  private failure: unknown = null;
  private iteration = 0;
  private episodes = 0;
  private clock = { begin: 0, lastTime: 0, lastStep: 0 };

  constructor(config: A3CConfig = {}) {
    this.config = parseA3CConfig(config);
    this.parts = buildOnPolicy(this.config);
    this.policy = this.parts.policy;
    this.env = this.parts.env;
    this.shared = createA3CShared(this.policy.numParams);
    this.sharedParams = new Float32Array(this.shared.params);
    this.sharedParams.set(this.policy.params);
    this.counters = new Int32Array(this.shared.counters);
    this.envModules = this.config.envModules.map((specifier) => resolveEnvModule(specifier));
  }

  /** Environment steps taken so far by all workers. */
  get totalSteps(): number {
    return Atomics.load(this.counters, A3C_STEPS);
  }

  /** Environment steps taken so far (SB3's `num_timesteps`; the same as `totalSteps`). */
  get numTimesteps(): number {
    return this.totalSteps;
  }

  /** True once the schedule's budget is used, every worker has reported its last and every row is handed out. */
  get done(): boolean {
    return (
      this.schedule !== null &&
      this.totalSteps >= this.schedule.until &&
      this.active === 0 &&
      this.rows.length === 0
    );
  }

  /**
   * Sets the schedule: `totalTimesteps` more steps from the shared counter; `resetProgress: false` keeps the
   * learning-rate schedule's start. The workers start at the next `iterate()`.
   */
  begin(options: BeginOptions): void {
    this.setSchedule(options, 'begin');
  }

  /** The next aggregated report of the workers (about every `reportEvery` updates of one of them). */
  async iterate(): Promise<MetricsRow> {
    if (this.failure !== null) throw this.failure;
    const queued = this.rows.shift();
    if (queued !== undefined) return queued;
    if (this.schedule === null) {
      throw new PolicygradError('A3C.iterate: no schedule: call begin({ totalTimesteps }) or learn() first');
    }
    if (this.done) {
      throw new PolicygradError(
        `A3C.iterate: the schedule is used (step ${this.totalSteps}): call begin({ totalTimesteps }) for more`,
      );
    }
    if (this.active === 0) {
      await this.workers; // stopped before the budget: the threads end, then new ones continue the schedule
      if (this.failure !== null) throw this.failure;
      this.workers = this.startWorkers(this.schedule);
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Trains until the workers together have taken `totalTimesteps` more steps, or a callback returns false. */
  async learn(options: A3CLearnOptions): Promise<MetricsRow[]> {
    this.setSchedule(options, 'learn');
    const { callback, callbacks } = options;
    const history: MetricsRow[] = [];
    try {
      while (!this.done) {
        const row = await this.iterate();
        history.push(row);
        const stopRequested = callback?.(row) === false;
        if (!runCallbacks(callbacks, row, this) || stopRequested) break;
      }
    } finally {
      await this.stop();
    }
    return history;
  }

  /**
   * Asks the workers to stop after their current update (within milliseconds) and resolves once they have, with
   * the shared parameters in `policy`. The schedule stays: `iterate()` starts them again.
   */
  async stop(): Promise<void> {
    Atomics.store(this.counters, A3C_STOP, 1);
    await this.workers; // a failure is reported by iterate()
  }

  checkpoint(): never {
    throw new PolicygradError(NO_CHECKPOINTS);
  }

  restoreCheckpoint(): never {
    throw new PolicygradError(NO_CHECKPOINTS);
  }

  /** A3C has no saved-model form (it would hold a checkpoint); `exportPolicy(model.policy, …)` saves its policy. */
  save(): never {
    throw new PolicygradError(`A3C cannot be saved as a model: ${NO_CHECKPOINTS}; export its policy instead`);
  }

  predict(observation: Floats, { deterministic = true, mask }: PredictOptions = {}): number | Float32Array {
    this.policy.params.set(this.sharedParams);
    return this.policy.predict(observation, { deterministic, mask, rng: this.parts.rng });
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default). */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    this.policy.params.set(this.sharedParams);
    return evaluatePolicy(this.policy, this.config, episodes, options).returns;
  }

  private setSchedule(options: BeginOptions, method: string): void {
    const { totalTimesteps, resetProgress } = checkLearnOptions('A3C', options, method);
    if (this.workers !== null) {
      throw new PolicygradError(
        `A3C.${method}: the workers of the schedule in force are running: iterate() until done, or await stop() first`,
      );
    }
    const step = this.totalSteps;
    const start = !resetProgress && this.schedule !== null ? this.schedule.start : step;
    this.schedule = { start, until: step + totalTimesteps };
    this.rows.length = 0;
    const now = performance.now();
    this.clock = { begin: now, lastTime: now, lastStep: step };
  }

  private startWorkers({ start, until }: { start: number; until: number }): Promise<void> {
    Atomics.store(this.counters, A3C_STOP, 0);
    this.active = this.config.numWorkers;
    const fail = (error: unknown) => {
      Atomics.store(this.counters, A3C_STOP, 1); // the others stop too
      this.failure ??= error;
      this.waiting?.reject(this.failure);
      this.waiting = null;
    };
    const threads = Array.from({ length: this.config.numWorkers }, (_, index) => {
      const watched = startWatchedWorker(workerUrl(), {
        workerData: {
          config: this.config,
          shared: this.shared,
          index,
          until,
          start,
          envModules: this.envModules,
        },
      });
      const worker = watched.worker;
      // Why a thread ended (process.exit or an error thrown later in an env module, a script that failed to load).
      const died = (error?: Error) =>
        fail(
          new PolicygradError(
            `A3C worker ${index} ${watched.ended() ?? `failed: ${String(error).split('\n')[0]}`}`,
          ),
        );
      return new Promise<void>((resolve) => {
        worker.on('message', (message: A3CReport | { importFailure: string }) => {
          if ('importFailure' in message) {
            fail(new PolicygradError(`A3C worker ${index}: ${message.importFailure}`));
          } else {
            if (message.done) this.active--;
            this.deliver(this.rowOf(message));
          }
        });
        worker.on('error', died);
        worker.on('exit', (code) => {
          if (code !== 0) died();
          resolve();
        });
      });
    });
    return Promise.all(threads).then(() => {
      this.workers = null;
      this.active = 0;
      this.policy.params.set(this.sharedParams);
      if (this.waiting !== null) {
        // Every worker sends its last report before it exits; this only follows a failure.
        this.waiting.reject(this.failure ?? new PolicygradError('A3C: the workers stopped without a report'));
        this.waiting = null;
      }
    });
  }

  private deliver(row: MetricsRow): void {
    if (this.waiting === null) {
      this.rows.push(row);
      return;
    }
    this.waiting.resolve(row);
    this.waiting = null;
  }

  private rowOf(r: A3CReport): MetricsRow {
    const now = performance.now();
    const { clock } = this;
    this.episodes += r.episodeReturns.length;
    const average = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
    const row = {
      iteration: ++this.iteration,
      step: r.step,
      episodes: this.episodes,
      episodeReturnMean: average(r.episodeReturns),
      episodeLengthMean: average(r.episodeLengths),
      sps: now > clock.lastTime ? ((r.step - clock.lastStep) / (now - clock.lastTime)) * 1000 : 0,
      timeSeconds: (now - clock.begin) / 1000,
      policyLoss: r.policyLoss,
      valueLoss: r.valueLoss,
      entropy: r.entropy,
      approxKl: 0,
      clipFraction: 0,
      explainedVariance: r.explainedVariance,
      learningRate: r.learningRate,
    };
    clock.lastTime = now;
    clock.lastStep = r.step;
    return row;
  }
}

/** A3C's `threads` port for Node (in `nodePorts`): the coordinator above. */
export function nodeA3CThreads(config: Record<string, unknown>): A3C {
  return new A3C(config);
}
