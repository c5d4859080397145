/**
 * `policygrad worker`: takes trial jobs from the Redis queue, `concurrency` at a time, each in its own trial
 * process, and ships its events back on the trial's sweep stream, rows in batches. Each checkpoint goes to a key,
 * from which the next worker resumes if this one dies (BullMQ's stalled-job check hands the job over once its
 * lock, renewed every lockDuration/2 while the worker lives, expires); only the trial's last checkpoint travels
 * to the submitting side with its contents (the run directory gets the checkpoint the trial ends with).
 *
 * A job is validated before use (it may come from anywhere that can reach the queue): a malformed payload, an
 * unknown env or an option outside its schema fails that job alone, at once (no retries), with that message.
 * A crash is retried, up to the job's attempts. Ctrl-C puts the running trials back on the queue after a
 * checkpoint, for another worker to continue.
 */
import { randomUUID } from 'node:crypto';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { forkTrial } from './fork.js';
import { ID_PATTERN, KEY_PREFIX, type RedisTarget } from '../redis-connection.js';
import { QUEUE_NAME, type RedisPackages, sweepKeys } from './redis-names.js';
import type { StreamBatch } from './redis-sweep.js';
import type { TrialEvent } from './trial.js';

const jobSchema = z.strictObject({
  sweepId: z.string().regex(ID_PATTERN),
  trialId: z.string().regex(ID_PATTERN),
  /** Validated by the trial process (trialTaskSchema, then the algorithm's own schema). */
  task: z.record(z.string(), z.unknown()),
});

export interface WorkerOptions {
  concurrency: number;
  /** Seconds a job's lock lasts unless renewed: how soon a dead worker's trial moves on (BullMQ's lockDuration). */
  lockSeconds: number;
  /** Resolved module URLs every trial imports first (`--import`). */
  imports: readonly string[];
  say: (line: string) => void;
}

/** Milliseconds a trial's rows are gathered before they leave as one stream entry (fewer, larger writes). */
const BATCH_MS = 500;
/**
 * Milliseconds between two checks of a running trial's stop keys (Ctrl-C on the sweep, pruned by ASHA): on their
 * own timer, not with the row batches, so a stop is seen within this time whatever the trial is sending.
 */
const STOP_POLL_MS = 200;
/** Milliseconds between two looks for the sweep's verdict while a trial waits at an early-stopping rung. */
const VERDICT_POLL_MS = 20;
/**
 * How long a trial waits at a rung for the sweep's verdict before going on without it (a submitter that is gone,
 * or busy for this long): ASHA then prunes it later, through the stop key, as when it had no rungs.
 */
const VERDICT_WAIT_MS = 60_000;
/** Seconds a sweep's stream and checkpoints outlive their last write (the submitter deletes them when it ends). */
const KEY_TTL_S = 7 * 24 * 3600;

/** The checkpoint a trial resumes from; one that is not JSON is dropped (the trial starts over) with a line. */
function parseCheckpoint(text: string | null, label: string, say: (line: string) => void): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    say(`${label}: its checkpoint in Redis is not valid JSON; starting the trial over`);
    return null;
  }
}

export class SweepWorker {
  private shuttingDown = false;
  private readonly running = new Set<{ stop(): void }>();
  private readonly worker: Worker;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly packages: RedisPackages,
    target: RedisTarget,
    private readonly redis: Redis,
    private readonly options: WorkerOptions,
  ) {
    const { bullmq } = packages;
    const lockDuration = options.lockSeconds * 1000;
    this.worker = new bullmq.Worker(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: { ...target.options, maxRetriesPerRequest: null },
      prefix: KEY_PREFIX,
      concurrency: options.concurrency,
      lockDuration,
      stalledInterval: lockDuration,
      maxStalledCount: 2,
    });
    let lastError = '';
    this.worker.on('error', (error) => {
      const message = error.message.split('\n')[0];
      if (message !== lastError) options.say(`queue: ${message}`); // ioredis reconnects by itself
      lastError = message;
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Resolves once the worker has shut down (after `shutdown()`). */
  get done(): Promise<void> {
    return this.closed;
  }

  /** Ctrl-C: running trials checkpoint and go back to the queue; no new job is taken. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const trial of this.running) trial.stop();
    await this.worker.close();
    this.resolveClosed();
  }

  private async process(job: Job, token: string | undefined): Promise<unknown> {
    const { bullmq } = this.packages;
    const parsed = jobSchema.safeParse(job.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const message = `invalid job ${job.id}: '${issue.path.map(String).join('.')}' ${issue.message}`;
      this.options.say(message);
      throw new bullmq.UnrecoverableError(message);
    }
    const { sweepId, trialId, task } = parsed.data;
    const keys = sweepKeys(sweepId);
    const label = `${sweepId}/${trialId}`;
    const stopKeys = [keys.stop, keys.stopTrial(trialId)];
    if ((await this.redis.exists(...stopKeys)) > 0) {
      this.options.say(`${label}: stopped before it started (by the sweep: cancelled or pruned)`);
      return { stopped: true };
    }
    const saved = parseCheckpoint(await this.redis.get(keys.checkpoint(trialId)), label, this.options.say);
    const run = randomUUID();
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
    let relay = Promise.resolve();
    let relayError: unknown = null;
    // Events leave in batches, one stream entry each: rows gathered for up to BATCH_MS, anything else at once.
    let batch: TrialEvent[] = [];
    let checkpointJson: string | null = null;
    let timer: NodeJS.Timeout | null = null;
    const flush = (final?: boolean) => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (batch.length === 0) return;
      const entry: StreamBatch = {
        trial: trialId,
        run,
        ...(final === undefined ? {} : { final }),
        events: batch,
      };
      const json = JSON.stringify(entry);
      const checkpoint = checkpointJson;
      batch = [];
      checkpointJson = null;
      // In order, and a checkpoint in the same transaction as the rows before it (its key is what a successor
      // resumes from, and the rows after it are computed again by the successor).
      relay = relay
        .then(async () => {
          const multi = this.redis.multi();
          if (checkpoint !== null) multi.set(keys.checkpoint(trialId), checkpoint, 'EX', KEY_TTL_S);
          multi.xadd(keys.events, '*', 'entry', json);
          // A submitter that never comes back (killed) leaves nothing behind for ever.
          multi.expire(keys.events, KEY_TTL_S);
          await multi.exec();
        })
        .catch((error: unknown) => {
          relayError ??= error; // the trial's results cannot reach the sweep: this attempt fails (below)
        });
    };
    const send = (event: TrialEvent) => {
      // Handed back to the queue on shutdown: for the sweep the trial is still running (another worker resumes it).
      if (event.type === 'stopped' && this.shuttingDown) return flush();
      // The trial's outcome is said before it is sent, so the line is out before the sweep can end on it.
      const outcome = outcomeLine(event);
      if (outcome !== null) this.options.say(`${label}: ${outcome}`);
      if (event.type === 'row') {
        batch.push(event);
        if (event.rung !== undefined) {
          flush(); // the trial waits for the sweep to judge this row
          awaitVerdict(Number(event.row.step));
          return;
        }
        timer ??= setTimeout(() => flush(), BATCH_MS);
        return;
      }
      if (event.type === 'checkpoint') {
        // Every checkpoint goes to the trial's key; the sweep gets only the last one's contents (the trial's end).
        checkpointJson = event.json ?? null;
        const { json: _contents, ...marker } = event;
        batch.push(event.last === true ? event : marker);
        return flush();
      }
      batch.push(event);
      flush(event.type === 'error' ? event.userError || attemptsLeft <= 0 : undefined);
    };
    const child = forkTrial(
      saved === null ? task : { ...task, resume: saved },
      this.options.imports,
      (event) => {
        if (event.type === 'begin') {
          const from = event.resumedFrom;
          this.options.say(`${label}: ${from === null ? 'started' : `resumed from step ${from.step}`}`);
        }
        send(event);
      },
    );
    this.running.add(child);
    // The verdict on the row at `step` (it reached a rung): 'continue' lets the trial go on, 'pending' too (its next
    // row carries the rung again); 'prune' comes with the trial's stop key.
    let verdictTimer: NodeJS.Timeout | null = null;
    const awaitVerdict = (step: number) => {
      const deadline = performance.now() + VERDICT_WAIT_MS;
      const key = keys.verdict(trialId, step);
      const look = () => {
        verdictTimer = null;
        this.redis.get(key).then(
          (verdict) => {
            if (verdict !== null) void this.redis.del(key).catch(() => {}); // else it expires
            if (verdict === 'prune') child.stop();
            else if (verdict !== null) child.proceed(verdict === 'pending');
            else if (performance.now() > deadline) {
              this.options.say(`${label}: no verdict from the sweep on step ${step}; going on`);
              child.proceed();
            } else if (!finished) verdictTimer = setTimeout(look, VERDICT_POLL_MS);
          },
          () => {
            if (!finished) verdictTimer = setTimeout(look, VERDICT_POLL_MS); // retried, as the stop poll is
          },
        );
      };
      look();
    };
    let finished = false;
    // Stop requests of the sweep, checked on their own timer (see STOP_POLL_MS); a failed check is retried next time.
    let stopAsked = false;
    const stopPoll = setInterval(() => {
      if (stopAsked) return;
      this.redis.exists(...stopKeys).then(
        (found) => {
          if (found > 0 && !stopAsked) {
            stopAsked = true;
            child.stop();
          }
        },
        () => {},
      );
    }, STOP_POLL_MS);
    let last: TrialEvent;
    try {
      last = await child.finished;
      flush();
      await relay;
    } finally {
      finished = true;
      if (verdictTimer !== null) clearTimeout(verdictTimer);
      clearInterval(stopPoll);
      this.running.delete(child);
    }
    if (relayError !== null) {
      throw new Error(`${label}: could not send results to Redis: ${(relayError as Error).message}`);
    }
    switch (last.type) {
      case 'done':
        return { finalEval: last.finalEval, steps: last.steps };
      case 'stopped':
        if (this.shuttingDown && token !== undefined) {
          // Back to the queue without using an attempt: another worker continues from the checkpoint just sent.
          this.options.say(`${label}: checkpointed at step ${last.steps}; back on the queue`);
          await job.moveToWait(token);
          throw new bullmq.WaitingError();
        }
        return { stopped: true, steps: last.steps };
      case 'error': {
        const first = last.message.split('\n')[0];
        throw last.userError ? new bullmq.UnrecoverableError(first) : new Error(last.message);
      }
      default:
        throw new Error(`trial process ended after a '${last.type}' event`);
    }
  }
}

/** The line a worker prints for a trial's last event (completed, stopped by the sweep, failed), or null. */
function outcomeLine(event: TrialEvent): string | null {
  switch (event.type) {
    case 'done':
      return `completed, final eval ${event.finalEval.toFixed(1)}`;
    case 'stopped':
      return `stopped at step ${event.steps} (by the sweep: cancelled or pruned)`;
    case 'error':
      return `failed: ${event.message.split('\n')[0]}`;
    default:
      return null;
  }
}
