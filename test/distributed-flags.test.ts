/**
 * IMPALA/APPO's user-facing edges (issue 17): the CLI's transport flags are refused where they do not apply, with
 * one line; Redis URLs are checked and shown without their password; a missing ioredis says how to install it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runTrain } from '../src/cli/train.js';
import { PolicygradError } from '../src/errors.js';
import { checkRunId, redactRedisUrl } from '../src/node/redis-transport.js';

const quiet = { line: () => {}, progress: () => {}, interval: 1e9 };
const train = (options: Record<string, unknown>) =>
  runTrain({ set: [], out: '/nonexistent/never', ...options }, quiet);

describe('train flags for impala/appo', () => {
  it('refuses --actors, --redis and --run-id for the other algorithms', async () => {
    await expect(train({ algo: 'ppo', actors: 2 })).rejects.toThrow(
      '--actors apply to impala and appo only; --algo is ppo',
    );
    await expect(train({ algo: 'a2c', redis: 'redis://h:1', runId: 'r' })).rejects.toThrow(
      '--redis, --run-id apply to impala and appo only; --algo is a2c',
    );
  });

  it('--redis needs --run-id, --run-id needs --redis, and --actors is for threads', async () => {
    await expect(train({ algo: 'appo', redis: 'redis://h:1' })).rejects.toThrow(
      /--redis needs --run-id NAME/,
    );
    await expect(train({ algo: 'appo', runId: 'r' })).rejects.toThrow(/--run-id names a Redis run/);
    await expect(train({ algo: 'impala', redis: 'redis://h:1', runId: 'r', actors: 2 })).rejects.toThrow(
      /with --redis, start actors with: policygrad actor/,
    );
    await expect(train({ algo: 'appo', redis: 'redis://h:1', runId: 'no spaces' })).rejects.toThrow(
      /invalid --run-id "no spaces"/,
    );
  });
});

describe('Redis URLs and run ids', () => {
  afterEach(() => {
    vi.doUnmock('ioredis');
    vi.resetModules();
  });

  it('shows a URL with its password replaced', () => {
    expect(redactRedisUrl('redis://user:s3cret@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactRedisUrl('rediss://host:6380')).toBe('rediss://host:6380');
    expect(redactRedisUrl('not a url')).toBe('(an invalid URL)');
  });

  it('refuses run ids that are not plain names', () => {
    expect(checkRunId('cartpole-1')).toBe('cartpole-1');
    expect(() => checkRunId('a b')).toThrow(PolicygradError);
    expect(() => checkRunId('-x')).toThrow(/starting with a letter or digit/);
  });

  it('an invalid URL or scheme is one line, without the password', async () => {
    const { connectRedis } = await import('../src/node/redis-transport.js');
    await expect(connectRedis('::')).rejects.toThrow(/invalid --redis URL: expected redis:\/\//);
    const error = await connectRedis('http://u:s3cret@host:1').catch((e: Error) => e);
    expect(String(error)).toMatch(/expected the redis:\/\/ or rediss:\/\/ \(TLS\) scheme/);
    expect(String(error)).not.toContain('s3cret');
  });

  it('without ioredis installed, says which package to install', async () => {
    vi.doMock('ioredis', () => {
      throw new Error("Cannot find package 'ioredis'");
    });
    const { connectRedis } = await import('../src/node/redis-transport.js');
    await expect(connectRedis('redis://127.0.0.1:1')).rejects.toThrow(
      'the Redis transport needs the ioredis package: npm install ioredis',
    );
  });
});

describe('Redis unreachable', () => {
  it('says so once, without the password, and keeps retrying instead of failing', async () => {
    const { connectRedis } = await import('../src/node/redis-transport.js');
    const { createServer } = await import('node:net');
    // A loopback port with nothing listening: take a free one and close it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const lines: string[] = [];
    const client = await connectRedis(`redis://u:s3cret@127.0.0.1:${port}/0`, (line) => lines.push(line));
    const pending = client.call('PING').then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(lines).toHaveLength(1); // once per outage, not once per retry
    expect(lines[0]).toMatch(
      /^Redis at redis:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/0 unreachable \(.*\); retrying with backoff$/,
    );
    expect(lines[0]).not.toContain('s3cret');
    // The command waits for the connection rather than failing.
    expect(
      await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('waiting'), 100))]),
    ).toBe('waiting');
    client.disconnect();
  });
});
