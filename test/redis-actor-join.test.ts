/**
 * An actor that joins a finished run (src/node/redis-actor.ts): it waits for the run to be resumed rather than
 * taking the old 'done' for its own; if nobody resumes it, it ends as done, having sent nothing; Ctrl-C (`stop()`)
 * while it waits ends it as stopped, not as done.
 */
import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../src/node/redis-connection.js';
import { RedisActor } from '../src/node/redis-actor.js';
import { redisKeys } from '../src/node/redis-transport.js';
import { redisAvailable, useRedisServer } from './redis-server.js';

const available = redisAvailable();

describe.skipIf(!available)('a Redis actor joining a finished run', () => {
  const redis = useRedisServer();

  async function finishedRun(runId: string): Promise<void> {
    const keys = redisKeys(runId);
    await redis.client.set(keys.config, JSON.stringify({ algo: 'appo', config: {} }));
    await redis.client.set(keys.state, 'done');
    await redis.client.set(keys.starts, '1');
  }

  function actor(runId: string, waitForRunSeconds: number, lines: string[]): RedisActor {
    const target = parseRedisUrl(redis.server.url, {});
    return new RedisActor({ target, runId, waitForRunSeconds, log: (line) => lines.push(line) });
  }

  it('waits, saying so, and ends as done with nothing sent when no learner resumes the run', async () => {
    await finishedRun('finished-1');
    const lines: string[] = [];
    const started = performance.now();
    const result = await actor('finished-1', 0.5, lines).run();
    expect(result).toEqual({ chunks: 0, steps: 0, reason: 'done' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(500); // it waited
    expect(lines.some((l) => l.startsWith('run finished-1 is finished; waiting up to 0.5 s'))).toBe(true);
  });

  it('stop() while it waits ends it as stopped', async () => {
    await finishedRun('finished-2');
    const lines: string[] = [];
    const waiting = actor('finished-2', 60, lines);
    const result = waiting.run();
    while (!lines.some((l) => l.includes('is finished; waiting')))
      await new Promise((r) => setTimeout(r, 20));
    waiting.stop();
    expect(await result).toEqual({ chunks: 0, steps: 0, reason: 'stopped' });
  });
});
