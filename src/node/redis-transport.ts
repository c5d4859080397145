/**
 * IMPALA/APPO over Redis (issue 17): actors on any machine, one learner. Every key is namespaced by the run id:
 *
 *   policygrad:<run>:config   the learner's resolved config and algorithm (JSON; actors build their policy from it)
 *   policygrad:<run>:chunks   a Stream of chunks, fields `header` (JSON) and `payload` (bytes); the learner reads
 *                             it through the consumer group `learner` and acknowledges (XACK, then XDEL) an
 *                             entry only after the update that used it, so a learner that dies leaves its
 *                             unacknowledged entries pending and its successor (same consumer name) reads them
 *                             first
 *   policygrad:<run>:params   a hash {version, params}: written in one HSET, so a reader never sees a version
 *                             with another version's parameters
 *   policygrad:<run>:state    'running' or 'done' (actors exit when the run is done)
 *   policygrad:<run>:actors   a counter: each actor takes the next index (its seed)
 *
 * Everything read back is untrusted: chunks go through `decodeActorChunk` in the learner, parameters are checked
 * for size and finiteness by the actor, the config is parsed by the algorithm's schema.
 *
 * The password: a URL may carry one (redis://user:password@host:port/db) or it comes from the environment
 * (POLICYGRAD_REDIS_PASSWORD, so it need not appear on a command line). It is never written to a file or a log:
 * `redactRedisUrl` is what messages show. ioredis is an optional peer dependency, loaded when a Redis run starts.
 */
import type { DistributedAlgoConfig, LearnerTransport, RawChunk } from '../algos/learner.js';
import { PolicygradError } from '../errors.js';

/** The Redis client calls used here (ioredis's generic `call`/`callBuffer`). */
export interface RedisClient {
  call(command: string, ...args: (string | number | Buffer)[]): Promise<unknown>;
  callBuffer(command: string, ...args: (string | number | Buffer)[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

export const REDIS_PASSWORD_ENV = 'POLICYGRAD_REDIS_PASSWORD';

/** The learner's consumer group and its (one) consumer. */
const GROUP = 'learner';
const CONSUMER = 'learner-1';

export function redisKeys(runId: string) {
  const prefix = `policygrad:${runId}:`;
  return {
    config: `${prefix}config`,
    chunks: `${prefix}chunks`,
    params: `${prefix}params`,
    state: `${prefix}state`,
    actors: `${prefix}actors`,
  };
}

/** A run id: letters, digits and . _ : - (it becomes part of Redis keys and of every chunk's header). */
export function checkRunId(runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(runId)) {
    throw new PolicygradError(
      `invalid --run-id ${JSON.stringify(runId)}: expected letters, digits and . _ : - (at most 64, starting with a letter or digit)`,
    );
  }
  return runId;
}

/** The URL with its password replaced by ***: what messages may show. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/** Connects (ioredis, loaded now), retrying with backoff and saying so once per outage. */
export async function connectRedis(
  url: string,
  log: (line: string) => void = (line) => console.error(line),
): Promise<RedisClient> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PolicygradError(
      'invalid --redis URL: expected redis://[user:password@]host:port[/db] or rediss:// for TLS',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new PolicygradError(
      `invalid --redis URL ${redactRedisUrl(url)}: expected the redis:// or rediss:// (TLS) scheme`,
    );
  }
  let Redis: new (url: string, options: Record<string, unknown>) => RedisClient;
  try {
    ({ Redis } = (await import('ioredis')) as unknown as { Redis: typeof Redis });
  } catch {
    throw new PolicygradError('the Redis transport needs the ioredis package: npm install ioredis');
  }
  const password = parsed.password === '' ? process.env[REDIS_PASSWORD_ENV] : undefined;
  const shown = redactRedisUrl(url);
  let outage = false;
  const client = new Redis(url, {
    ...(password === undefined ? {} : { password }),
    protocol: 2, // RESP2's reply shapes (arrays of [stream, entries]), as every Redis since 2.x sends them
    // Commands wait for the connection instead of failing; reconnects back off up to 5 s.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
    lazyConnect: true,
  });
  client.on('error', (error) => {
    if (!outage) log(`Redis at ${shown} unreachable (${describeRedisError(error)}); retrying with backoff`);
    outage = true;
  });
  client.on('ready', () => {
    if (outage) log(`Redis at ${shown} reachable again`);
    outage = false;
  });
  await (client as unknown as { connect(): Promise<void> }).connect().catch(() => {
    // The retry strategy keeps trying; commands queue until it connects.
  });
  return client;
}

function describeRedisError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^@\s]*@/g, '//***@'); // never a password, should a message quote the URL
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
   * (`resume` false) refuses a run id this Redis already has: its leftover chunks would be taken for this run's.
   */
  static async open(
    url: string,
    runId: string,
    algo: string,
    config: DistributedAlgoConfig,
    { resume = false, log }: { resume?: boolean; log?: (line: string) => void } = {},
  ): Promise<RedisLearnerTransport> {
    const client = await connectRedis(url, log);
    const transport = new RedisLearnerTransport(client, checkRunId(runId));
    const { keys } = transport;
    if (!resume && Number(await client.call('EXISTS', keys.config, keys.chunks, keys.params)) > 0) {
      await transport.close();
      throw new PolicygradError(
        `run id ${runId} is already in use on this Redis: choose another --run-id, or continue that run with --resume`,
      );
    }
    try {
      await client.call('XGROUP', 'CREATE', keys.chunks, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
    await client.call('SET', keys.config, JSON.stringify({ algo, config }));
    await client.call('SET', keys.state, 'running');
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
