/**
 * IMPALA/APPO's user-facing edges (issue 17): the CLI's transport flags (TLS files included) are refused where they
 * do not apply, with one line; Redis URLs are checked (by the sweeps' code, src/node/redis-connection.ts) and shown
 * without their password; a missing ioredis says how to install it; an unreachable server is retried and said.
 */
import { describe, expect, it, vi } from 'vitest';
import { runTrain } from '../src/cli/train.js';
import { PolicygradError } from '../src/errors.js';
import { actorCommand } from '../src/cli/redis-local-actors.js';
import { PASSWORD_VARIABLE, parseRedisUrl } from '../src/node/redis-connection.js';
import { checkRunId } from '../src/node/redis-transport.js';

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
    await expect(train({ algo: 'ppo', redisTlsCa: 'ca.pem' })).rejects.toThrow(
      '--redis-tls-ca apply to impala and appo only; --algo is ppo',
    );
  });

  it('TLS files: only with --redis, only for rediss://, checked before anything is built', async () => {
    await expect(train({ algo: 'appo', redisTlsCa: 'ca.pem' })).rejects.toThrow(
      '--redis-tls-ca is for --redis rediss://… (actors through Redis)',
    );
    await expect(
      train({ algo: 'appo', redis: 'redis://h:1', runId: 'r', redisTlsCa: 'ca.pem' }),
    ).rejects.toThrow("--redis-tls-ca is for TLS: use a rediss:// URL (the server's tls-port)");
    await expect(
      train({ algo: 'impala', redis: 'rediss://h:1', runId: 'r', redisTlsCa: '/nonexistent/ca.pem' }),
    ).rejects.toThrow('cannot read --redis-tls-ca /nonexistent/ca.pem (ENOENT)');
    await expect(
      train({ algo: 'appo', redis: 'rediss://h:1', runId: 'r', redisTlsKey: 'k.pem' }),
    ).rejects.toThrow('--redis-tls-cert and --redis-tls-key go together');
  });

  it('--redis needs --run-id, --run-id needs --redis', async () => {
    await expect(train({ algo: 'appo', redis: 'redis://h:1' })).rejects.toThrow(
      /--redis needs --run-id NAME/,
    );
    await expect(train({ algo: 'appo', runId: 'r' })).rejects.toThrow(/--run-id names a Redis run/);
    await expect(train({ algo: 'appo', redis: 'redis://h:1', runId: 'no spaces' })).rejects.toThrow(
      /invalid --run-id "no spaces"/,
    );
  });
});

describe('--redis URL --actors K: the actor command each local actor process runs', () => {
  it('gives the URL without its password, the password in the environment, the TLS files and imports', () => {
    const { args, env } = actorCommand(
      {
        redis: 'rediss://ann:s3cret%21@host:6380/2',
        runId: 'r1',
        redisTlsCa: 'ca.pem',
        import: ['./my-env.js'],
      },
      { PATH: '/bin' },
    );
    expect(args).toEqual([
      'actor',
      '--redis',
      'rediss://ann@host:6380/2',
      '--run-id',
      'r1',
      '--redis-tls-ca',
      'ca.pem',
      '--import',
      './my-env.js',
    ]);
    expect(env).toEqual({ PATH: '/bin', [PASSWORD_VARIABLE]: 's3cret!' });
    // The variable, when set, wins over the URL's password (as parseRedisUrl does) and is passed on.
    const fromEnv = actorCommand({ redis: 'redis://:inurl@h:1', runId: 'r' }, { [PASSWORD_VARIABLE]: 'v' });
    expect(fromEnv.args.join(' ')).not.toContain('inurl');
    expect(fromEnv.env[PASSWORD_VARIABLE]).toBe('v');
    expect(actorCommand({ redis: 'redis://h:1/0', runId: 'r' }, {}).env).toEqual({});
  });
});

describe('Redis URLs and run ids', () => {
  it('refuses run ids that are not plain names (no ":", so an ACL key pattern grants one run)', () => {
    expect(checkRunId('cartpole-1')).toBe('cartpole-1');
    expect(() => checkRunId('a b')).toThrow(PolicygradError);
    expect(() => checkRunId('a:b')).toThrow(/expected letters, digits and \. _ -/);
    expect(() => checkRunId('-x')).toThrow(/starting with a letter or digit/);
  });

  it('every key of a run is under policygrad:run:<run>:', async () => {
    const { redisKeys } = await import('../src/node/redis-transport.js');
    for (const key of Object.values(redisKeys('r1'))) expect(key).toMatch(/^policygrad:run:r1:[a-z]+$/);
  });

  it('an invalid URL or scheme is one line, without the password', async () => {
    await expect(train({ algo: 'appo', redis: '::', runId: 'r' })).rejects.toThrow(
      /invalid --redis URL: expected redis:\/\//,
    );
    const error = await train({ algo: 'appo', redis: 'http://u:s3cret@host:1', runId: 'r' }).catch(
      (e: Error) => e,
    );
    expect(String(error)).toMatch(
      /invalid --redis URL scheme 'http:': expected redis:\/\/ or rediss:\/\/ \(TLS\)/,
    );
    expect(String(error)).not.toContain('s3cret');
  });
  // Without ioredis installed: test/sweep-cli.test.ts runs `policygrad actor` with the package made missing.
});

describe('Redis unreachable', () => {
  it('retries with backoff saying so on one line per attempt, without the password, then fails in one line', async () => {
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
    vi.stubEnv('POLICYGRAD_REDIS_CONNECT_ATTEMPTS', '2');
    try {
      const target = parseRedisUrl(`redis://u:s3cret@127.0.0.1:${port}/0`, {});
      const error = await connectRedis(target, 'policygrad actor', (line) => lines.push(line)).catch(
        (e: Error) => e,
      );
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^cannot reach Redis at redis://u@127\\.0\\.0\\.1:${port}/0 \\(.*ECONNREFUSED.*\\); retrying in 0\\.5s \\(attempt 2 of 2\\)$`,
          ),
        ),
      ]);
      expect(String(error)).toMatch(/cannot reach Redis at redis:\/\/u@127\.0\.0\.1:\d+\/0 after 2 attempts/);
      expect(String(error) + lines.join('')).not.toContain('s3cret');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
