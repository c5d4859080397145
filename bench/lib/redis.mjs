// A private redis-server for a benchmark (the tests use test/redis-server.ts, which needs vitest): loopback only, a
// port the OS picked, a random password kept in a mode-0600 config file, no persistence; `stop()` removes it all.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

export async function startRedis(binary = process.env.POLICYGRAD_REDIS_SERVER ?? '/usr/bin/redis-server') {
  const dir = mkdtempSync(join(tmpdir(), 'policygrad-bench-redis-'));
  const port = await freePort();
  const password = randomBytes(24).toString('hex');
  const config = join(dir, 'redis.conf');
  const lines = [
    'bind 127.0.0.1',
    `port ${port}`,
    'protected-mode yes',
    `requirepass ${password}`,
    'save ""',
  ];
  writeFileSync(
    config,
    [...lines, 'appendonly no', `dir ${dir}`, 'logfile ""', 'loglevel warning', ''].join('\n'),
    {
      mode: 0o600,
    },
  );
  const server = spawn(binary, [config], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const client = new Redis({ port, password, lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      break;
    } catch {
      client.disconnect();
      if (i > 100) throw new Error(`redis-server did not start on port ${port}`);
      await sleep(50);
    }
  }
  return {
    port,
    password,
    pid: server.pid,
    stop: async () => {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
