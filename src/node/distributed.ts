/**
 * IMPALA and APPO under Node (issue 17): a `DistributedLearner` (src/algos/learner.ts) with actors on worker
 * threads (the local transport, src/node/local-actors.ts) or on any machine through Redis
 * (src/node/redis-transport.ts). `learn` runs the learner until the budget of trained steps is used, calling
 * `callback` with every row; `stop()` ends it after the current iteration (signal handlers).
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
import { LocalActorPool } from './local-actors.js';
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
 * Actors on any machine through Redis (src/node/redis-transport.ts); `resume`: the run id exists there already
 * (a restarted learner takes up its pending chunks).
 */
export function redisLearner(
  url: string,
  options: { resume?: boolean; log?: (line: string) => void } = {},
): TransportFactory {
  return (learner) => RedisLearnerTransport.open(url, learner.runId, learner.algo, learner.config, options);
}

/** Actor threads on this machine (the default). */
export const localActors: TransportFactory = async (learner) => {
  const pool = new LocalActorPool(learner.config, learner.policy.numParams, learner.runId);
  await pool.ready; // every actor collects from the first version on
  return pool;
};

export class DistributedRun {
  readonly learner: DistributedLearner;
  private stopRequested = false;

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

  /** Ends a running `learn` after its current iteration. */
  stop(): void {
    this.stopRequested = true;
  }

  /** The learner's checkpoint (between iterations: call it from `learn`'s callback or after `learn`). */
  checkpoint(): LearnerCheckpoint {
    return this.learner.checkpoint();
  }

  restoreCheckpoint(checkpoint: unknown): void {
    this.learner.restoreCheckpoint(checkpoint);
  }

  async learn({
    totalTimesteps,
    callback,
    resetProgress = true,
  }: DistributedLearnOptions): Promise<DistributedMetrics[]> {
    this.stopRequested = false;
    const transport = await this.transportFactory(this.learner);
    this.learner.transport = transport;
    const history: DistributedMetrics[] = [];
    try {
      await this.learner.begin({ totalTimesteps, resetProgress });
      while (!this.learner.done && !this.stopRequested) {
        const row = await this.learner.iterate();
        history.push(row);
        if (callback?.(row) === false) break;
      }
    } finally {
      this.learner.transport = null;
      if (this.learner.done && transport.finish !== undefined) await transport.finish();
      else await transport.close();
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
