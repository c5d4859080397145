/**
 * An IMPALA/APPO actor process on any machine (`policygrad actor --redis URL --run-id R`): reads the run's config
 * from Redis (validated by the algorithm's schema), takes the next actor index (its seed), then loops — newest
 * parameters when the published version changed (checked for size and finite numbers), one chunk, XADD — until
 * the learner marks the run done or `stop()` is called. It waits while the stream holds as many chunks as the
 * learner needs for a few updates (back-pressure), and while Redis is unreachable (the client retries).
 *
 * An actor joining a run that is already finished waits for it to be resumed, as it waits for a run not yet started:
 * `train --resume` and a new actor started together may reach Redis in either order, and an actor that took the
 * previous run's 'done' for its own would leave the resumed learner without chunks.
 */
import { hostname } from 'node:os';
import { Actor, actorSeed } from '../algos/actor.js';
import { parseDistributedConfig, type DistributedAlgorithm } from '../algos/learner.js';
import { loadEnvEngine } from '../envs/load-engine.js';
import { PolicygradError } from '../errors.js';
import type { RedisTarget } from './redis-connection.js';
import { checkRunId, connectRedis, type RedisClient, redisKeys, refusedKeys } from './redis-transport.js';

export interface RedisActorOptions {
  /** The server (`parseRedisUrl`: URL, password, TLS files). */
  target: RedisTarget;
  runId: string;
  /** Envs this actor steps (default: the run's numEnvs). */
  envs?: number;
  log?: (line: string) => void;
  /** Seconds to wait for the learner's config, or for a finished run to be resumed, before giving up (default 600). */
  waitForRunSeconds?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RedisActor {
  private stopped = false;
  chunks = 0;
  steps = 0;

  constructor(readonly options: RedisActorOptions) {}

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<{ chunks: number; steps: number; reason: 'done' | 'stopped' }> {
    const { target, envs } = this.options;
    const runId = checkRunId(this.options.runId);
    const log = this.options.log ?? ((line: string) => console.error(line));
    const client = await connectRedis(target, 'policygrad actor', log);
    const keys = redisKeys(runId);
    try {
      const run = await this.readRun(client, keys, log).catch((error: unknown) => {
        throw refusedKeys(error, target, runId);
      });
      if (run === 'finished' || run === 'stopped') {
        return { ...this.counts(), reason: run === 'finished' ? 'done' : 'stopped' };
      }
      const { algo, raw } = run;
      const config = parseDistributedConfig(algo, {
        ...raw,
        ...(envs === undefined ? {} : { numEnvs: envs }),
      });
      const index = Number(await client.call('INCR', keys.actors)) - 1;
      const actorId = `${
        hostname()
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .slice(0, 40) || 'host'
      }:${process.pid}:${index}`.replace(/^[^A-Za-z0-9]+/, '');
      await loadEnvEngine(config.env);
      const actor = new Actor(config, { runId, actorId, seed: actorSeed(config.seed, index) });
      const numParams = actor.publishedSize;
      const chunksPerUpdate = Math.ceil(config.trainBatchSize / (config.chunkLength * config.numEnvs));
      const maxQueued = Math.max(8, 4 * chunksPerUpdate);
      log(
        `actor ${actorId} joined run ${runId}: ${config.numEnvs} × ${config.env}, chunks of ${config.chunkLength} steps`,
      );
      let version = -1;
      while (!this.stopped) {
        if ((await client.call('GET', keys.state)) === 'done') return { ...this.counts(), reason: 'done' };
        const published = Number(await client.call('HGET', keys.params, 'version'));
        // A newer version, or another one (a resumed learner numbers its versions after the last published).
        if (Number.isSafeInteger(published) && published !== version) {
          const params = await readParams(client, keys.params, numParams);
          if (params !== null) {
            actor.setParameters(params.values, params.version);
            version = params.version;
          }
        }
        if (version < 0 || Number(await client.call('XLEN', keys.chunks)) >= maxQueued) {
          await sleep(20); // no parameters yet, or the learner is behind: wait
          continue;
        }
        const { header, payload } = actor.collectEncoded();
        await client.call(
          'XADD',
          keys.chunks,
          '*',
          'header',
          header,
          'payload',
          Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        );
        this.chunks++;
        this.steps += config.chunkLength * config.numEnvs;
      }
      return { ...this.counts(), reason: 'stopped' };
    } finally {
      await client.quit().catch(() => client.disconnect());
    }
  }

  private counts() {
    return { chunks: this.chunks, steps: this.steps };
  }

  /**
   * The run's config once its learner is running it; 'finished' when the run stayed finished (state 'done') until
   * the deadline; 'stopped' when `stop()` came first. A missing config past the deadline is an error: no learner
   * ever started that run here. A finished run counts as resumed when its learner-start counter moved, even if the
   * resumed run already finished again.
   */
  private async readRun(
    client: RedisClient,
    keys: { config: string; state: string; starts: string },
    log: (line: string) => void,
  ): Promise<{ algo: DistributedAlgorithm; raw: Record<string, unknown> } | 'finished' | 'stopped'> {
    const waitSeconds = this.options.waitForRunSeconds ?? 600;
    const deadline = performance.now() + waitSeconds * 1000;
    const { runId } = this.options;
    let said: 'missing' | 'finished' | null = null;
    let startsWhenFinished: unknown;
    for (;;) {
      // The counter first: a learner sets 'running' before it counts its start.
      const starts = await client.call('GET', keys.starts);
      const text = await client.call('GET', keys.config);
      const finished = typeof text === 'string' && (await client.call('GET', keys.state)) === 'done';
      if (finished && said !== 'finished') startsWhenFinished = starts;
      const resumed = finished && said === 'finished' && starts !== startsWhenFinished;
      if (typeof text === 'string' && (!finished || resumed)) return parseRun(text);
      if (this.stopped) return 'stopped'; // Ctrl-C while waiting
      if (performance.now() > deadline) {
        if (finished) return 'finished';
        throw new PolicygradError(
          `no run ${runId} on ${this.options.target.describe}: start its learner (policygrad train --redis … --run-id ${runId})`,
        );
      }
      const now = finished ? 'finished' : 'missing';
      if (said !== now) {
        log(
          finished
            ? `run ${runId} is finished; waiting up to ${waitSeconds} s for its learner to resume it (policygrad train --resume … --redis …)`
            : `waiting for run ${runId}'s learner to publish its config…`,
        );
      }
      said = now;
      await sleep(finished ? 100 : 500);
    }
  }
}

function parseRun(text: string): { algo: DistributedAlgorithm; raw: Record<string, unknown> } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PolicygradError('the run config in Redis is not JSON');
  }
  const { algo, config } = (json ?? {}) as { algo?: unknown; config?: unknown };
  if ((algo !== 'impala' && algo !== 'appo') || config === null || typeof config !== 'object') {
    throw new PolicygradError("the run config in Redis has no algorithm 'impala' or 'appo' and config");
  }
  return { algo, raw: config as Record<string, unknown> };
}

/** The published parameters, or null when they do not fit the policy or are not finite numbers (ignored). */
async function readParams(
  client: RedisClient,
  key: string,
  numParams: number,
): Promise<{ version: number; values: Float32Array } | null> {
  const fields = (await client.callBuffer('HGETALL', key)) as Buffer[];
  let version = Number.NaN;
  let bytes: Buffer | null = null;
  for (let k = 0; k + 1 < fields.length; k += 2) {
    const name = fields[k].toString();
    if (name === 'version') version = Number(fields[k + 1].toString());
    else if (name === 'params') bytes = fields[k + 1];
  }
  if (!Number.isSafeInteger(version) || version < 0 || bytes === null || bytes.byteLength !== numParams * 4) {
    return null;
  }
  const values = new Float32Array(numParams);
  new Uint8Array(values.buffer).set(bytes);
  for (const v of values) if (!Number.isFinite(v)) return null;
  return { version, values };
}
