/**
 * IMPALA and APPO under Node (issue 17): a `DistributedLearner` (src/algos/learner.ts) with actors on worker
 * threads (the local transport, src/node/local-actors.ts) or on any machine through Redis
 * (src/node/redis-transport.ts). Driven like every algorithm: `begin` + `iterate()` (asynchronous, as A3C's) until
 * `done`, or `learn` with a callback; `stop()` ends it after the current iteration (signal handlers).
 */
import type { DistributedMetrics } from '../algos/distributed.js';
import {
  type DistributedAlgoConfig,
  type DistributedAlgorithm,
  DistributedLearner,
  type LearnerCheckpoint,
  type LearnerTransport,
} from '../algos/learner.js';
import type { PredictOptions } from '../policies/actor-critic.js';
import { PolicygradError } from '../errors.js';
import { LocalActorPool } from './local-actors.js';
import type { RedisTarget } from './redis-connection.js';
import { RedisLearnerTransport } from './redis-transport.js';

export const DISTRIBUTED_ALGORITHMS: readonly DistributedAlgorithm[] = ['impala', 'appo'];

export function isDistributedAlgorithm(name: string): name is DistributedAlgorithm {
  return (DISTRIBUTED_ALGORITHMS as readonly string[]).includes(name);
}

export interface DistributedLearnOptions {
  totalTimesteps: number;
  /** Called with every row; false stops. */
  callback?: (metrics: DistributedMetrics) => boolean | void;
  /** false: `totalTimesteps` more steps, extending the schedule in force (after `restoreCheckpoint`). */
  resetProgress?: boolean;
}

/** A transport opened for `learn`: closed after it, or `finish`ed (actors told to exit) when the budget is used. */
export type OpenTransport = LearnerTransport & { close(): Promise<void>; finish?(): Promise<void> };
export type TransportFactory = (learner: DistributedLearner) => Promise<OpenTransport>;

/**
 * Actors on any machine through Redis (src/node/redis-transport.ts; `target` from `parseRedisUrl`); `resume`: the run id exists there already
 * (a restarted learner takes up its pending chunks).
 */
export function redisLearner(
  target: RedisTarget,
  options: { resume?: boolean; log?: (line: string) => void } = {},
): TransportFactory {
  return (learner) =>
    RedisLearnerTransport.open(target, learner.runId, learner.algo, learner.config, options);
}

/** Actor threads on this machine (the default). */
export const localActors: TransportFactory = async (learner) => {
  const pool = new LocalActorPool(learner.config, learner.publishedSize, learner.runId);
  await pool.ready; // every actor collects from the first version on
  return pool;
};

export class DistributedRun {
  readonly learner: DistributedLearner;
  private transport: OpenTransport | null = null;
  private pendingBegin: { totalTimesteps: number; resetProgress?: boolean } | null = null;
  /** True once the learner has begun the schedule set by the last `begin`. */
  private begun = false;
  /** The iteration under way, settled (a `stop` waits for it). */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    readonly algo: DistributedAlgorithm,
    config: Record<string, unknown>,
    private readonly transportFactory: TransportFactory = localActors,
    runId = 'local',
  ) {
    this.learner = new DistributedLearner(algo, config, runId);
  }

  get config(): DistributedAlgoConfig {
    return this.learner.config;
  }

  get policy(): DistributedLearner['policy'] {
    return this.learner.policy;
  }

  get env(): DistributedLearner['env'] {
    return this.learner.env;
  }

  get numTimesteps(): number {
    return this.learner.numTimesteps;
  }

  /** The learner's checkpoint (between iterations). */
  checkpoint(): LearnerCheckpoint {
    return this.learner.checkpoint();
  }

  restoreCheckpoint(checkpoint: unknown): void {
    this.learner.restoreCheckpoint(checkpoint);
  }

  /** True once the schedule's budget is used (false before the first `iterate` after `begin`). */
  get done(): boolean {
    return this.begun && this.learner.done;
  }

  /**
   * Sets the schedule (`resetProgress: false` extends the one in force, as after `restoreCheckpoint`); the first
   * `iterate` opens the transport (starts the actor threads, or connects to Redis) and publishes the parameters.
   */
  begin(options: { totalTimesteps: number; resetProgress?: boolean }): void {
    this.pendingBegin = options;
    this.begun = false;
  }

  /** One learner iteration (it waits for the actors' chunks); the transport is closed when the budget is used. */
  async iterate(): Promise<DistributedMetrics> {
    const running = this.iterateOnce();
    this.inFlight = running.then(
      () => undefined,
      () => undefined,
    );
    return running;
  }

  /**
   * Opens the transport now rather than at the first `iterate` (the CLI connects to Redis before it creates the
   * run directory, so a refused password or a taken run id leaves nothing behind). Idempotent.
   */
  async connect(): Promise<void> {
    if (this.transport !== null) return;
    const transport = await this.transportFactory(this.learner);
    this.transport = transport;
    this.learner.transport = transport;
  }

  private async iterateOnce(): Promise<DistributedMetrics> {
    if (this.transport === null) {
      if (this.pendingBegin === null) {
        throw new PolicygradError('call begin({ totalTimesteps }) before iterate()');
      }
      await this.connect();
    }
    if (this.pendingBegin !== null) {
      await this.learner.begin(this.pendingBegin);
      this.pendingBegin = null;
      this.begun = true;
    }
    const row = await this.learner.iterate();
    if (this.learner.done) await this.closeTransport();
    return row;
  }

  /**
   * Stops after the iteration under way (if any) and closes the transport: the actor threads end, or the Redis
   * connection closes (actors keep waiting, for a resumed learner, unless the budget was used).
   */
  async stop(): Promise<void> {
    await this.inFlight;
    await this.closeTransport();
  }

  private async closeTransport(): Promise<void> {
    const transport = this.transport;
    if (transport === null) return;
    const done = this.learner.done;
    this.transport = null;
    this.learner.transport = null;
    if (done && transport.finish !== undefined) await transport.finish();
    else await transport.close();
  }

  /** `begin`, then `iterate()` until the budget is used or `callback` returns false; the transport closes after. */
  async learn({
    totalTimesteps,
    callback,
    resetProgress = true,
  }: DistributedLearnOptions): Promise<DistributedMetrics[]> {
    this.begin({ totalTimesteps, resetProgress });
    const history: DistributedMetrics[] = [];
    try {
      do {
        const row = await this.iterate();
        history.push(row);
        if (callback?.(row) === false) break;
      } while (!this.learner.done);
    } finally {
      await this.stop();
    }
    return history;
  }

  predict(
    observation: Float32Array,
    { deterministic = true, mask }: PredictOptions = {},
  ): number | Float32Array {
    return this.learner.policy.predict(observation, { deterministic, mask, rng: this.learner.parts.rng });
  }

  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    return this.learner.evaluate(episodes, options);
  }
}
