/**
 * IMPALA/APPO over Redis (issue 17): actors on any machine, one learner. Every key is namespaced by the run id,
 * under policygrad:run:<run>: (`runKeyPrefix`):
 *
 *   policygrad:run:<run>:config   the learner's config and algorithm (JSON; actors build their policy from it)
 *   policygrad:run:<run>:chunks   a Stream of chunks, fields `header` (JSON) and `payload` (bytes); the learner
 *                             reads it through the consumer group `learner` and acknowledges (XACK, then XDEL) an
 *                             entry only after the update that used it, so a learner that dies leaves its
 *                             unacknowledged entries pending and its successor (same consumer name) reads them
 *                             first
 *   policygrad:run:<run>:params   a hash {version, params}: written in one HSET, so a reader never sees a version
 *                             with another version's parameters
 *   policygrad:run:<run>:state    'running' or 'done' (actors exit when the run is done)
 *   policygrad:run:<run>:actors   a counter: each actor takes the next index (its seed)
 *   policygrad:run:<run>:starts   a counter: each learner start (new or --resume) adds one after setting 'running',
 *                             so an actor waiting on a finished run sees a resume even if it finished before it polled
 *
 * Everything read back is untrusted: chunks go through `decodeActorChunk` in the learner, parameters are checked
 * for size and finiteness by the actor, the config is parsed by the algorithm's schema.
 *
 * Reaching the server is src/node/redis-connection.ts, as for sweeps: the URL (an ACL user, rediss:// for TLS with
 * --redis-tls-ca/--redis-tls-cert/--redis-tls-key), the password from POLICYGRAD_REDIS_PASSWORD (or the URL), never
 * written to a file or a log (messages show `target.describe`), the first connection retried with backoff, a
 * refused password or an untrusted certificate one line at once. ioredis is an optional peer dependency, loaded
 * when a Redis run starts. An ACL user for one run needs only its keys: `~policygrad:run:<run>:*` (README).
 */
import type { Redis } from 'ioredis';
import type { DistributedAlgoConfig, LearnerTransport, RawChunk } from '../algos/learner.js';
import { PolicygradError } from '../errors.js';
import {
  connectWithRetry,
  ID_PATTERN,
  KEY_PREFIX,
  loadIoredis,
  redact,
  type RedisTarget,
} from './redis-connection.js';

export type RedisClient = Redis;

/** The learner's consumer group and its (one) consumer. */
const GROUP = 'learner';
const CONSUMER = 'learner-1';

/** Every key of a run starts with this (an ACL user for the run: `~policygrad:run:<run>:*`). */
export function runKeyPrefix(runId: string): string {
  return `${KEY_PREFIX}:run:${runId}:`;
}

export function redisKeys(runId: string) {
  const prefix = runKeyPrefix(runId);
  return {
    config: `${prefix}config`,
    chunks: `${prefix}chunks`,
    params: `${prefix}params`,
    state: `${prefix}state`,
    actors: `${prefix}actors`,
    starts: `${prefix}starts`,
  };
}

/** A run id: letters, digits and . _ - (it becomes part of Redis keys and of every chunk's header). */
export function checkRunId(runId: string): string {
  if (!ID_PATTERN.test(runId)) {
    throw new PolicygradError(
      `invalid --run-id ${JSON.stringify(runId)}: expected letters, digits and . _ - (at most 128, starting with a letter or digit)`,
    );
  }
  return runId;
}

/**
 * Connects a learner or an actor (ioredis, loaded now): the first connection retried with backoff, each wait said
 * on one line; a lost connection later re-established with backoff while commands wait.
 */
export async function connectRedis(
  target: RedisTarget,
  command: string,
  log: (line: string) => void = (line) => console.error(line),
): Promise<RedisClient> {
  const ioredis = await loadIoredis(command);
  // RESP2's reply shapes (arrays of [stream, entries]), as every Redis since 2.x sends them.
  return connectWithRetry(ioredis, target, log, process.env, { protocol: 2 });
}

/**
 * An ACL user without this run's keys or commands: one line saying which rule it needs (README), instead of the
 * server's NOPERM reply as a stack trace. Other errors are returned as they are.
 */
export function refusedKeys(error: unknown, target: RedisTarget, runId: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (!/NOPERM/.test(message)) return error;
  return new PolicygradError(
    `Redis at ${target.describe} refused run ${runId}'s commands (${redact(message.split('\n')[0], target)}): its ACL user needs ~${runKeyPrefix(runId)}* and the commands in the README's rule`,
  );
}

/** The learner's side: reads the chunk stream through the consumer group, publishes parameters. */
export class RedisLearnerTransport implements LearnerTransport {
  private readonly keys: ReturnType<typeof redisKeys>;
  /**
   * First the entries delivered to this consumer and never acknowledged (a previous learner's), read from this
   * cursor onwards; then (null) new ones.
   */
  private pendingCursor: string | null = '0';

  private constructor(
    private readonly client: RedisClient,
    readonly runId: string,
  ) {
    this.keys = redisKeys(runId);
  }

  /**
   * Connects, creates the stream and group if needed, and writes the run's config for the actors. A new run
   * (`resume` false) refuses a run id the server already has: its leftover chunks would be taken for this run's.
   */
  static async open(
    target: RedisTarget,
    runId: string,
    algo: string,
    config: DistributedAlgoConfig,
    { resume = false, log }: { resume?: boolean; log?: (line: string) => void } = {},
  ): Promise<RedisLearnerTransport> {
    checkRunId(runId);
    const client = await connectRedis(target, 'policygrad train --redis', log);
    const transport = new RedisLearnerTransport(client, runId);
    const { keys } = transport;
    try {
      if (!resume && Number(await client.call('EXISTS', keys.config, keys.chunks, keys.params)) > 0) {
        throw new PolicygradError(
          `run id ${runId} is already in use on ${target.describe}: choose another --run-id, or continue that run with --resume`,
        );
      }
      try {
        await client.call('XGROUP', 'CREATE', keys.chunks, GROUP, '0', 'MKSTREAM');
      } catch (error) {
        if (!String(error).includes('BUSYGROUP')) throw error;
      }
      await client.call('SET', keys.config, JSON.stringify({ algo, config }));
      await client.call('SET', keys.state, 'running');
      await client.call('INCR', keys.starts);
    } catch (error) {
      await transport.close();
      throw refusedKeys(error, target, runId);
    }
    return transport;
  }

  async receive(maxChunks: number, waitMs: number): Promise<RawChunk[]> {
    if (this.pendingCursor !== null) {
      const pending = await this.read(maxChunks, this.pendingCursor, null);
      if (pending.length > 0) {
        this.pendingCursor = pending[pending.length - 1].id;
        return pending;
      }
      this.pendingCursor = null;
    }
    return this.read(maxChunks, '>', Math.max(1, Math.round(waitMs)));
  }

  /** XREADGROUP from `id` (an id: this consumer's pending entries after it; '>': new ones, blocking up to `blockMs`). */
  private async read(maxChunks: number, id: string, blockMs: number | null): Promise<RawChunk[]> {
    const reply = (await this.client.callBuffer(
      'XREADGROUP',
      'GROUP',
      GROUP,
      CONSUMER,
      'COUNT',
      maxChunks,
      ...(blockMs === null ? [] : ['BLOCK', blockMs]),
      'STREAMS',
      this.keys.chunks,
      id,
    )) as [Buffer, [Buffer, Buffer[] | null][]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    return entries.map(([entryId, fields]) => {
      const field = (name: string): Buffer | undefined => {
        if (fields === null) return undefined; // an entry deleted while pending
        for (let k = 0; k + 1 < fields.length; k += 2)
          if (fields[k].toString() === name) return fields[k + 1];
        return undefined;
      };
      return { id: entryId.toString(), header: field('header'), payload: field('payload') };
    });
  }

  async acknowledge(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.call('XACK', this.keys.chunks, GROUP, ...ids);
    await this.client.call('XDEL', this.keys.chunks, ...ids);
  }

  async publishedVersion(): Promise<number | null> {
    const text = await this.client.call('HGET', this.keys.params, 'version');
    const version = Number(text);
    return typeof text === 'string' && Number.isSafeInteger(version) && version >= 0 ? version : null;
  }

  async publish(params: Float32Array, version: number): Promise<void> {
    const bytes = Buffer.from(params.buffer, params.byteOffset, params.byteLength);
    await this.client.call('HSET', this.keys.params, 'version', String(version), 'params', bytes);
  }

  /** Says the run is done (actors exit) and disconnects. */
  async finish(): Promise<void> {
    await this.client.call('SET', this.keys.state, 'done');
    await this.close();
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
