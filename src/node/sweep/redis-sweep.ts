/**
 * The submitting side of a sweep on Redis: one BullMQ job per trial on the shared `trials` queue, then the
 * trials' events read from the sweep's stream and written into run directories here (no shared file system).
 * A job carries the trial's task only; results come back as events (rows, checkpoints, the final policy).
 *
 * Ctrl-C (`stop()`): jobs not yet started are removed, running trials are told (the sweep's stop key) to
 * checkpoint and stop. At the end the sweep's keys and jobs are deleted.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Asha } from './asha.js';
import type { PlannedTrial } from './local.js';
import { TrialRecorder } from './record.js';
import {
  jobId,
  KEY_PREFIX,
  QUEUE_NAME,
  type RedisConnection,
  type RedisPackages,
  sweepKeys,
} from './redis-connection.js';
import { type TrialEvent, trialEventSchema } from './trial.js';

/** Attempts per trial: a crash (not a user error) is retried this many times in all. */
export const TRIAL_ATTEMPTS = 3;
/** Seconds between checks of the jobs' states (a job BullMQ failed after repeated stalls sends no event). */
const STATE_POLL_MS = 2000;
/** How long Ctrl-C waits for running trials to checkpoint before writing the partial summary anyway. */
const STOP_GRACE_MS = 60_000;
/** How long a job may be missing from the queue before its trial counts as lost. */
const MISSING_GRACE_MS = 10_000;
/** Seconds a finished or stopped sweep's stop key lives. */
const STOP_KEY_TTL_S = 24 * 3600;

const streamEventSchema = z.strictObject({
  trial: z.string(),
  run: z.string(),
  final: z.boolean().optional(),
  event: trialEventSchema,
});

/** One event on the sweep's stream: which trial, which run of it (a retry is another), the event. */
export interface StreamEvent {
  trial: string;
  run: string;
  /** For errors: no attempt is left (the trial failed). */
  final?: boolean;
  event: TrialEvent;
}

export class RedisSweep {
  private stopping = false;
  private stoppedAt = 0;
  private readonly recorders = new Map<string, TrialRecorder>();
  /** When each trial's job was first seen missing (a finished job is removed just after its last event). */
  private readonly missingSince = new Map<string, number>();
  /** The run each trial's events are taken from: the latest that began (a stale worker's events are ignored). */
  private readonly currentRun = new Map<string, string>();

  constructor(
    private readonly trials: readonly PlannedTrial[],
    private readonly sweepId: string,
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly options: { asha?: Asha | null; onChange?: () => void; say: (line: string) => void },
  ) {
    for (const t of trials) this.recorders.set(t.state.id, new TrialRecorder(t.state, t.header));
  }

  static async open(
    packages: RedisPackages,
    connection: RedisConnection,
    trials: readonly PlannedTrial[],
    sweepId: string,
    redis: Redis,
    options: RedisSweep['options'],
  ): Promise<RedisSweep> {
    const queue = new packages.bullmq.Queue(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    queue.on('error', () => {}); // connection trouble surfaces through `redis` below
    return new RedisSweep(trials, sweepId, redis, queue, options);
  }

  get stopped(): boolean {
    return this.stopping;
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stoppedAt = performance.now();
    void this.cancel();
  }

  async run(): Promise<void> {
    const keys = sweepKeys(this.sweepId);
    await this.queue.addBulk(
      this.trials.map(({ state, task }) => ({
        name: 'trial',
        data: { sweepId: this.sweepId, trialId: state.id, task },
        opts: {
          jobId: jobId(this.sweepId, state.id),
          attempts: TRIAL_ATTEMPTS,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: { age: 24 * 3600 },
        },
      })),
    );
    let lastId = '0';
    let lastPoll = performance.now();
    try {
      while (!this.finished()) {
        const reply = (await this.redis.xread('COUNT', 500, 'BLOCK', 500, 'STREAMS', keys.events, lastId)) as
          [string, [string, string[]][]][] | null;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          lastId = id;
          this.receive(fields[1]);
        }
        if (performance.now() - lastPoll > STATE_POLL_MS) {
          lastPoll = performance.now();
          await this.pollStates();
        }
        if (this.stopping && performance.now() - this.stoppedAt > STOP_GRACE_MS) break;
      }
    } finally {
      await this.cleanUp();
    }
  }

  /** One stream entry: validated (anyone who can write to Redis can write here), then applied. */
  private receive(entry: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(entry ?? '');
    } catch {
      parsed = undefined;
    }
    const result = streamEventSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      this.options.say(
        `ignored an invalid event on the sweep's stream: '${issue.path.join('.')}' ${issue.message}`,
      );
      return;
    }
    try {
      this.apply(result.data as StreamEvent);
    } catch (error) {
      // A run directory that cannot be written (disk full): that trial fails with the reason, the sweep goes on.
      this.recorders.get(result.data.trial)?.fail(`cannot record its results: ${(error as Error).message}`);
    }
  }

  private apply({ trial, run, final, event }: StreamEvent): void {
    const recorder = this.recorders.get(trial);
    if (recorder === undefined) return;
    if (event.type === 'begin') this.currentRun.set(trial, run);
    else if (this.currentRun.get(trial) !== run) return;
    if (event.type === 'error' && final !== true) {
      this.options.say(`trial ${trial}: ${event.message.split('\n')[0]}; retrying`);
      return;
    }
    recorder.handle(event);
    if (event.type === 'row' && this.options.asha?.report(trial, event.row) === 'prune') {
      recorder.prune();
      void this.redis.set(sweepKeys(this.sweepId).stopTrial(trial), '1', 'EX', STOP_KEY_TTL_S);
    }
    this.options.onChange?.();
  }

  /** Trials whose job BullMQ failed without an event from a worker (it stalled too often, its worker died). */
  private async pollStates(): Promise<void> {
    for (const recorder of this.recorders.values()) {
      const { state } = recorder;
      if (state.status !== 'pending' && state.status !== 'running') continue;
      const job: Job | undefined = await this.queue.getJob(jobId(this.sweepId, state.id));
      if (job === undefined) {
        if (state.status === 'pending' && this.stopping) continue; // cancelled
        // Its last event may still be on its way: only a job gone for a while without one is lost.
        const since = this.missingSince.get(state.id) ?? performance.now();
        this.missingSince.set(state.id, since);
        if (performance.now() - since > MISSING_GRACE_MS) recorder.fail('its job disappeared from the queue');
      } else if ((await job.getState()) === 'failed') {
        recorder.fail(job.failedReason || 'failed');
      }
      this.options.onChange?.();
    }
  }

  private finished(): boolean {
    return [...this.recorders.values()].every(({ state }) =>
      this.stopping ? state.status !== 'running' : state.status !== 'pending' && state.status !== 'running',
    );
  }

  /** Removes the jobs not started yet and tells running trials to stop. */
  private async cancel(): Promise<void> {
    await this.redis.set(sweepKeys(this.sweepId).stop, '1', 'EX', STOP_KEY_TTL_S);
    for (const { state } of this.recorders.values()) {
      if (state.status !== 'pending') continue;
      const job = await this.queue.getJob(jobId(this.sweepId, state.id));
      // A job a worker has just taken is not removed (remove refuses a locked job): its trial will stop itself.
      await job?.remove().catch(() => {});
    }
  }

  private async cleanUp(): Promise<void> {
    const keys = sweepKeys(this.sweepId);
    for (const { state } of this.recorders.values()) {
      const job = await this.queue.getJob(jobId(this.sweepId, state.id));
      await job?.remove().catch(() => {});
    }
    // The stop key stays (it expires): a worker still running a trial of this sweep stops instead of writing on.
    await this.redis.set(keys.stop, '1', 'EX', STOP_KEY_TTL_S);
    await this.redis.del(
      keys.events,
      ...this.trials.flatMap((t) => [keys.checkpoint(t.state.id), keys.stopTrial(t.state.id)]),
    );
    await this.queue.close();
  }
}
