// @module-tag slow: runs the built package (dist/) end to end against Debian's redis-server, with TLS and an ACL user
/**
 * A sweep against a real server configured as a shared one should be: an ACL user whose rules allow only what
 * sweeps use (the `policygrad:` keys; no admin, dangerous or pub/sub commands beyond those), a password in the
 * environment, and TLS (`rediss://`) with a private certificate authority and client certificates. A throwaway
 * CA, server and client certificates are made with the `openssl` CLI in a temporary directory; the test is
 * skipped, saying why, when openssl or redis-server's TLS support is missing.
 *
 * Shown: a sweep and a worker complete over TLS as the ACL user; neither password reaches any output, run
 * directory or summary.json; a wrong password, a certificate that is not trusted, a TLS file given to a redis://
 * URL, a missing or non-PEM file each fail at once in one line; the default user's commands the ACL user lacks
 * (FLUSHALL, KEYS, other keys) are refused, so the rules are not wider than they say.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allFiles, cli, root, type Running, start } from './cli-helpers.js';
import { aclClient, expectAdminRefused, tlsUnavailable, useTlsRedis } from './redis-tls.js';
import { redisAvailable } from './redis-server.js';

const USER = 'sweeper';
/**
 * What a sweep and its workers need, and nothing else: their keys (BullMQ's under the same prefix), the
 * commands of keys, streams, lists, hashes, sorted sets, transactions, Lua scripts (BullMQ's) and blocking
 * reads, INFO (BullMQ reads the server's version) and CLIENT SETNAME/GETNAME (BullMQ names its connections).
 */
const ACL_RULES = [
  'resetkeys',
  '~policygrad:*',
  'resetchannels',
  '-@all',
  '+@connection',
  '+@keyspace',
  '+@read',
  '+@write',
  '+@transaction',
  '+@scripting',
  '+@blocking',
  '-@dangerous',
  '+info',
  '+client|setname',
  '+client|getname',
];

const available = redisAvailable();
const skipReason = available ? tlsUnavailable() : 'no redis-server';
if (available && skipReason !== null) console.warn(`skipping the Redis TLS/ACL tests: ${skipReason}`);

describe.skipIf(skipReason !== null)('sweeps on Redis with TLS and an ACL user', () => {
  const tls = useTlsRedis('sweep', USER, ACL_RULES);
  const { work, env } = tls;
  const workers: Running[] = [];
  const tlsUrl = () => tls.url();
  const clientFiles = () => tls.clientFiles();
  const tlsFlags = () => tls.tlsFlags();
  const specFile = join(work, 'spec.yaml');

  beforeAll(() => {
    writeFileSync(
      specFile,
      'algo: ppo\nenv: CartPole-v1\npreset: zoo\ntimesteps: 2048\nseeds: [1, 2]\ncheckpointEvery: 1024\nconfig: { nSteps: 256, numEnvs: 2, batchSize: 64, nEpochs: 2 }\nname: secure\n',
    );
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await w.exited;
    }
  });

  it('a sweep and a worker over rediss:// as the ACL user; the passwords appear nowhere', async () => {
    const worker = start(['worker', '--redis', tlsUrl(), '--concurrency', '1', ...tlsFlags()], env);
    workers.push(worker);
    const out = join(work, 'secure');
    const sweep = start(['sweep', specFile, '--redis', tlsUrl(), '--out', out, ...tlsFlags()], env);
    expect(await sweep.exited, sweep.output()).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.backend).toBe(tlsUrl());
    expect(summary.trials.map((t: { status: string }) => t.status)).toEqual(['completed', 'completed']);
    expect(worker.output()).toMatch(/secure-[0-9a-f]{8}\/c00-seed2: completed/);
    expect(existsSync(join(out, 'trials', 'c00-seed1', 'final', 'policy.json'))).toBe(true);
    // Neither the ACL user's password nor the default user's is in any output or file the sweep wrote.
    for (const secret of [tls.password, tls.server.password]) {
      for (const file of allFiles(out)) expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
      expect(sweep.output()).not.toContain(secret);
      expect(worker.output()).not.toContain(secret);
    }
    // The sweep's keys are the ACL user's to delete, and were.
    const admin = tls.server.client();
    expect(await admin.keys('policygrad:sweep:secure-*:events')).toEqual([]);
    await admin.quit();
  });

  it('the ACL user can do what a sweep needs and no more', async () => {
    const client = aclClient(tls.certs, tls.port, USER, tls.password);
    try {
      await client.set('policygrad:probe', '1');
      await expect(client.set('elsewhere', '1')).rejects.toThrow(/NOPERM/);
      await expectAdminRefused(client);
      await client.del('policygrad:probe');
    } finally {
      client.disconnect();
    }
  });

  it('a wrong password: one line at once, naming neither password', () => {
    const result = cli(
      ['sweep', specFile, '--redis', tlsUrl(), '--out', join(work, 'wrong'), ...tlsFlags()],
      {
        POLICYGRAD_REDIS_PASSWORD: 'not-the-password',
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`Redis at ${tlsUrl()} refused us (WRONGPASS`);
    for (const secret of ['not-the-password', tls.password, tls.server.password]) {
      expect(result.stderr + result.stdout).not.toContain(secret);
    }
  });

  it('a server certificate signed by a CA not given: one line at once, saying which flag to pass', () => {
    const result = cli(['worker', '--redis', tlsUrl(), ...clientFiles()], {
      ...env,
      POLICYGRAD_REDIS_CONNECT_ATTEMPTS: '5',
    });
    expect(result.status).toBe(2);
    expect(result.stdout).not.toContain('retrying');
    expect(result.stderr.trim()).toBe(
      `policygrad: Redis at ${tlsUrl()}: its TLS certificate is not trusted (self-signed certificate in certificate chain): pass the certificate authority that signed it with --redis-tls-ca FILE`,
    );
  });

  it.each([
    [
      ['--redis', 'redis://127.0.0.1:1', '--redis-tls-ca', 'ca.pem'],
      "--redis-tls-ca is for TLS: use a rediss:// URL (the server's tls-port)",
    ],
    [
      ['--redis', 'rediss://127.0.0.1:1', '--redis-tls-cert', 'client.pem'],
      '--redis-tls-cert and --redis-tls-key go together: the client certificate and its private key',
    ],
    [
      ['--redis', 'rediss://127.0.0.1:1', '--redis-tls-ca', 'missing.pem'],
      'cannot read --redis-tls-ca missing.pem (ENOENT)',
    ],
    [
      ['--redis', 'rediss://127.0.0.1:1', '--redis-tls-ca', 'spec.yaml'],
      "--redis-tls-ca spec.yaml is not a PEM certificate: expected a '-----BEGIN CERTIFICATE-----' block",
    ],
    [
      ['--redis', 'rediss://127.0.0.1:1', '--redis-tls-cert', 'client.pem', '--redis-tls-key', 'client.pem'],
      "--redis-tls-key client.pem is not a PEM private key: expected a '-----BEGIN PRIVATE KEY-----' block",
    ],
  ])('refuses bad TLS files in one line: %j', (args, message) => {
    writeFileSync(join(work, 'client.pem'), readFileSync(tls.certs.clientCert));
    writeFileSync(join(work, 'ca.pem'), readFileSync(tls.certs.ca));
    const result = spawnSync('node', [join(root, 'dist/cli/main.js'), 'worker', ...args], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(`policygrad: ${message}`);
  });

  it('a TLS file without --redis on a local sweep: one line', () => {
    const result = cli(['sweep', specFile, '--redis-tls-ca', tls.certs.ca, '--out', join(work, 'local')]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      'policygrad: sweep: --redis-tls-ca is for --redis rediss://… (a Redis sweep)',
    );
  });
});
