// @module-tag slow: the built package (dist/) end to end against Debian's redis-server, with TLS and an ACL user
/**
 * IMPALA/APPO over a locked-down Redis (issue 17 §3): TLS (`rediss://`, a private CA, client certificates) and an
 * ACL user allowed only one run's keys, `~policygrad:run:<run>:*`, and the commands of the README's rule. The same
 * connection code and flags as sweeps (src/node/redis-connection.ts; test/sweep-redis-security.test.ts). Skipped,
 * saying why, when openssl or redis-server's TLS support is missing.
 *
 * Shown: a learner process and an actor process exchange chunks and parameters over TLS as the ACL user (a short
 * budget: a transport test, not a learning test), and `--resume` over TLS takes the connection flags again (one line
 * when they are missing); neither password reaches any output, the run directory, config.json or a checkpoint; a
 * wrong password and another run's keys fail at once in one line; the ACL user cannot touch other keys.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allFiles, cli, exitCodeWithin, outputMatches, type Running, start } from './cli-helpers.js';
import { aclClient, expectAdminRefused, tlsUnavailable, useTlsRedis } from './redis-tls.js';
import { redisAvailable } from './redis-server.js';

const RUN = 'tls-1';
const USER = 'appo-tls-1';
/** The README's rule for one run's learner and actors: the run's keys, the commands of strings, hashes, streams. */
const ACL_RULES = [
  'resetkeys',
  `~policygrad:run:${RUN}:*`,
  'resetchannels',
  '-@all',
  '+@connection',
  '+@read',
  '+@write',
  '+@blocking',
  '-@dangerous',
  '+info',
];

const available = redisAvailable();
const skipReason = available ? tlsUnavailable() : 'no redis-server';
if (available && skipReason !== null) console.warn(`skipping the Redis run TLS/ACL tests: ${skipReason}`);

describe.skipIf(skipReason !== null)('IMPALA/APPO on Redis with TLS and an ACL user', () => {
  const tls = useTlsRedis('run', USER, ACL_RULES);
  const { work, env } = tls;
  const processes: Running[] = [];
  const tlsUrl = () => tls.url();
  const tlsFlags = () => tls.tlsFlags();
  const runDir = join(work, 'run');
  const secrets = () => [tls.password, tls.server.password];
  const launch = (args: string[]) => {
    const running = start(args, env);
    processes.push(running);
    return running;
  };

  afterEach(async () => {
    for (const p of processes.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
  });

  /** A learner on a short budget: chunks of 25 steps × 4 envs, updates of 2 chunks. */
  const learnerArgs = (timesteps: number) => [
    'train',
    '--algo',
    'appo',
    '--env',
    'CartPole-v1',
    '--seed',
    '3',
    '--n-envs',
    '4',
    '--set',
    'chunkLength=25',
    '--set',
    'trainBatchSize=200',
    '--timesteps',
    String(timesteps),
    '--checkpoint-every',
    '400',
    '--redis',
    tlsUrl(),
    '--run-id',
    RUN,
    '--out',
    runDir,
    ...tlsFlags(),
  ];

  /** `train --resume` to 1,400 steps over TLS, with these TLS flags. */
  const resumeArgs = (flags: string[]) => [
    'train',
    '--resume',
    runDir,
    '--timesteps',
    '1400',
    '--redis',
    tlsUrl(),
    ...flags,
  ];

  it('a learner and an actor over rediss:// as the ACL user; --resume takes the flags again; the passwords appear nowhere', async () => {
    const learner = launch(learnerArgs(1000));
    const actor = launch(['actor', '--redis', tlsUrl(), '--run-id', RUN, ...tlsFlags()]);
    // Each process gets 40 s (a few seconds here): one that hangs fails with what it printed.
    expect(await exitCodeWithin(learner, 40_000), learner.output()).toBe(0);
    expect(await exitCodeWithin(actor, 40_000), actor.output()).toBe(0);
    const sent = Number(/sent (\d+) chunks/.exec(actor.output())?.[1]);
    expect(sent, actor.output()).toBeGreaterThanOrEqual(10); // 1,000 steps in chunks of 100
    expect(actor.output()).toContain(`actor done: the run is finished`);
    const rows = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows.length - 1).toBeGreaterThanOrEqual(5); // an update per 200 steps

    // config.json: the transport, the run id, the server without its password and which TLS flags were given;
    // never the password nor the files' paths.
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    expect([config.transport, config.runId]).toEqual(['redis', RUN]);
    expect(config.redis).toEqual({
      server: tlsUrl(),
      tlsFlags: ['--redis-tls-ca', '--redis-tls-cert', '--redis-tls-key'],
    });
    expect(JSON.stringify(config)).not.toContain(tls.certs.dir);

    // --resume: without --redis, or without the TLS files, one line saying what to give again.
    const noRedis = cli(['train', '--resume', runDir, '--timesteps', '1400'], env);
    expect(noRedis.status).toBe(2);
    expect(noRedis.stderr.trim()).toBe(
      `policygrad: cannot resume ${runDir} without --redis URL (it used --redis ${tlsUrl()} --redis-tls-ca FILE --redis-tls-cert FILE --redis-tls-key FILE): connection flags are never saved (the URL may hold a password); give them again`,
    );
    const noCa = cli(resumeArgs(tlsFlags().slice(2)), env);
    expect(noCa.status).toBe(2);
    expect(noCa.stderr.trim()).toBe(
      `policygrad: cannot resume ${runDir} without --redis-tls-ca FILE: the run used it and TLS files are never saved; give them again`,
    );

    // With the flags again: the run goes on over TLS with a new actor, to the extended budget. The actor starts
    // first and finds the run finished: it waits for the resume (it used to take the old run's 'done' for its own
    // and exit, leaving the resumed learner without chunks: CI hung here when the actor won that race).
    const again = launch(['actor', '--redis', tlsUrl(), '--run-id', RUN, ...tlsFlags()]);
    await outputMatches(
      again,
      new RegExp(`run ${RUN} is finished; waiting up to 600 s for its learner to resume it`),
      40_000,
    );
    const resumed = launch(resumeArgs(tlsFlags()));
    expect(await exitCodeWithin(resumed, 40_000), resumed.output()).toBe(0);
    expect(resumed.output()).toMatch(/resuming appo on CartPole-v1/);
    expect(await exitCodeWithin(again, 40_000), again.output()).toBe(0);
    // It joined the resumed run (it may send nothing: the first actor's queued chunks can cover the 400 steps).
    expect(again.output()).toContain(`joined run ${RUN}`);
    const steps = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1);
    expect(steps.length).toBeGreaterThan(rows.length - 1);
    expect(readdirSync(join(runDir, 'checkpoints')).length).toBeGreaterThan(0);

    for (const secret of secrets()) {
      for (const file of allFiles(runDir)) expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
      for (const p of [learner, actor, resumed, again]) expect(p.output()).not.toContain(secret);
      expect(noRedis.stderr + noCa.stderr).not.toContain(secret);
    }
  }, 120_000);

  it('the ACL user can use its run and nothing else', async () => {
    const client = aclClient(tls.certs, tls.port, USER, tls.password);
    try {
      await client.set(`policygrad:run:${RUN}:probe`, '1');
      await client.del(`policygrad:run:${RUN}:probe`);
      await expect(client.set('policygrad:run:other:config', '1')).rejects.toThrow(/NOPERM/);
      await expect(client.set('policygrad:sweep:x:events', '1')).rejects.toThrow(/NOPERM/);
      await expectAdminRefused(client);
    } finally {
      client.disconnect();
    }
  });

  it('another run id than the ACL allows: one line naming the rule, no run directory left', () => {
    const out = join(work, 'other');
    const args = learnerArgs(400).map((a) => (a === RUN ? 'other' : a === runDir ? out : a));
    const result = cli(args, env);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      new RegExp(
        `^policygrad: Redis at rediss://${USER}@127\\.0\\.0\\.1:${tls.port} refused run other's commands \\(NOPERM.*\\): its ACL user needs ~policygrad:run:other:\\* and the commands in the README's rule$`,
      ),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a wrong password: one line at once for the learner and the actor, naming no password, no run directory', () => {
    const wrong = { POLICYGRAD_REDIS_PASSWORD: 'not-the-password' };
    const out = join(work, 'wrong');
    const learner = cli(
      learnerArgs(400).map((a) => (a === runDir ? out : a)),
      wrong,
    );
    const actor = cli(['actor', '--redis', tlsUrl(), '--run-id', RUN, ...tlsFlags()], wrong);
    for (const result of [learner, actor]) {
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`Redis at ${tlsUrl()} refused us (WRONGPASS`);
      for (const secret of ['not-the-password', ...secrets()]) {
        expect(result.stderr + result.stdout).not.toContain(secret);
      }
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a server certificate signed by a CA not given: the actor fails at once, saying which flag to pass', () => {
    const result = cli(
      [
        'actor',
        '--redis',
        tlsUrl(),
        '--run-id',
        RUN,
        '--redis-tls-cert',
        tls.certs.clientCert,
        '--redis-tls-key',
        tls.certs.clientKey,
      ],
      { ...env, POLICYGRAD_REDIS_CONNECT_ATTEMPTS: '5' },
    );
    expect(result.status).toBe(2);
    expect(result.stdout + result.stderr).not.toContain('retrying');
    expect(result.stderr.trim()).toBe(
      `policygrad: Redis at ${tlsUrl()}: its TLS certificate is not trusted (self-signed certificate in certificate chain): pass the certificate authority that signed it with --redis-tls-ca FILE`,
    );
  });
});
