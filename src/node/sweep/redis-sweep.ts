/**
 * The submitting side of a sweep on Redis: one BullMQ job per trial on the shared `trials` queue, then the
 * trials' events read from the sweep's stream and written into run directories here (no shared file system).
 * A job carries the trial's task only; results come back as events (rows in batches, the trial's last checkpoint,
 * the final policy). Its other checkpoints stay in Redis under the trial's key, for a worker taking it over.
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
import { KEY_PREFIX, type RedisConnection } from '../redis-connection.js';
import { jobId, QUEUE_NAME, type RedisPackages, sweepKeys } from './redis-names.js';
import { type TrialEvent, trialEventSchema } from './trial.js';

/** Attempts per trial: a crash (not a user error) is retried this many times in all. */
export const TRIAL_ATTEMPTS = 3;
/** Milliseconds between checks of the jobs' states (a job BullMQ failed after repeated stalls sends no event). */
const STATE_POLL_MS = 5000;
/** How long Ctrl-C waits for running trials to checkpoint before writing the partial summary anyway. */
const STOP_GRACE_MS = 60_000;
/** How long a job may be missing from the queue before its trial counts as lost. */
const MISSING_GRACE_MS = 10_000;
/** Seconds a finished or stopped sweep's stop key lives. */
const STOP_KEY_TTL_S = 24 * 3600;
/** Seconds a verdict on a row at a rung lives (the worker waiting for it reads and deletes it within moments). */
const VERDICT_KEY_TTL_S = 3600;

/** Events per stream entry at most (a worker sends a quarter second's rows, far fewer). */
const MAX_BATCH = 10_000;

const streamBatchSchema = z.strictObject({
  trial: z.string(),
  run: z.string(),
  final: z.boolean().optional(),
  events: z.array(trialEventSchema).min(1).max(MAX_BATCH),
});

/**
 * One entry on the sweep's stream: which trial, which run of it (a retry is another), its events in order (a
 * worker gathers rows for a moment and sends them together).
 */
export interface StreamBatch {
  trial: string;
  run: string;
  /** For an error: no attempt is left (the trial failed). */
  final?: boolean;
  events: TrialEvent[];
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
    const result = streamBatchSchema.safeParse(parsed);
    const problem = result.success
      ? checkpointProblem((result.data as StreamBatch).events)
      : `'${result.error.issues[0].path.join('.')}' ${result.error.issues[0].message}`;
    if (problem !== null) {
      this.options.say(`ignored an invalid event on the sweep's stream: ${problem}`);
      return;
    }
    const batch = result.data as StreamBatch;
    try {
      this.apply(batch);
    } catch (error) {
      // A run directory that cannot be written (disk full): that trial fails with the reason, the sweep goes on.
      this.recorders.get(batch.trial)?.fail(`cannot record its results: ${(error as Error).message}`);
    }
  }

  private apply({ trial, run, final, events }: StreamBatch): void {
    const recorder = this.recorders.get(trial);
    if (recorder === undefined) return;
    const keys = sweepKeys(this.sweepId);
    let rows: Record<string, unknown>[] = [];
    const writeRows = () => {
      recorder.rows(rows);
      rows = [];
    };
    for (const event of events) {
      if (event.type === 'begin') this.currentRun.set(trial, run);
      else if (this.currentRun.get(trial) !== run) continue;
      if (event.type === 'row') {
        rows.push(event.row);
        const verdict = this.options.asha?.report(trial, event.row) ?? 'continue';
        if (verdict === 'prune') {
          recorder.prune();
          void this.redis.set(keys.stopTrial(trial), '1', 'EX', STOP_KEY_TTL_S);
        }
        // The trial waits at the rung for this (after the stop key, so a worker told 'prune' finds it set).
        if (event.rung !== undefined) {
          void this.redis.set(keys.verdict(trial, Number(event.row.step)), verdict, 'EX', VERDICT_KEY_TTL_S);
        }
        continue;
      }
      writeRows();
      if (event.type === 'error' && final !== true) {
        this.options.say(`trial ${trial}: ${event.message.split('\n')[0]}; retrying`);
        continue;
      }
      recorder.handle(event);
    }
    writeRows();
    this.options.onChange?.();
  }

  /**
   * Trials whose job BullMQ failed without an event from a worker (it stalled too often, its worker died): one
   * state lookup per unfinished trial, the job itself fetched only when it failed (for its reason).
   */
  private async pollStates(): Promise<void> {
    for (const recorder of this.recorders.values()) {
      const { state } = recorder;
      if (state.status !== 'pending' && state.status !== 'running') continue;
      const id = jobId(this.sweepId, state.id);
      const jobState = await this.queue.getJobState(id);
      if (jobState === 'unknown') {
        if (state.status === 'pending' && this.stopping) continue; // cancelled
        // Its last event may still be on its way: only a job gone for a while without one is lost.
        const since = this.missingSince.get(state.id) ?? performance.now();
        this.missingSince.set(state.id, since);
        if (performance.now() - since > MISSING_GRACE_MS) recorder.fail('its job disappeared from the queue');
      } else if (jobState === 'failed') {
        const job: Job | undefined = await this.queue.getJob(id);
        recorder.fail(job?.failedReason || 'failed');
      }
    }
    this.options.onChange?.();
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

/** A checkpoint's contents must be a JSON object of the step and iteration it claims (its step names its file). */
function checkpointProblem(events: readonly TrialEvent[]): string | null {
  for (const [i, event] of events.entries()) {
    if (event.type !== 'checkpoint' || event.json === undefined) continue;
    let saved: unknown;
    try {
      saved = JSON.parse(event.json);
    } catch {
      saved = null;
    }
    const { step, iteration } = (saved ?? {}) as { step?: unknown; iteration?: unknown };
    if (step !== event.checkpoint.step || iteration !== event.checkpoint.iteration) {
      return `'events.${i}.json' is not a checkpoint at step ${event.checkpoint.step}, iteration ${event.checkpoint.iteration}`;
    }
  }
  return null;
}
