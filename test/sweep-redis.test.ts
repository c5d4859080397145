// @module-tag slow: runs the built package (dist/) end to end, with worker processes and a private Redis
/**
 * Sweeps through Redis + BullMQ with real processes: two `policygrad worker` processes complete a 4-trial sweep
 * whose run directories the submitting side writes (rows equal a local `train`'s); a worker SIGKILLed mid-trial
 * has its trial taken over by another worker, which resumes from the checkpoint shipped through Redis, and the
 * trial's metrics and final policy equal an uninterrupted run's; malformed jobs, an unknown env and an option
 * outside its schema each fail alone, at once, with their message, and the worker goes on; the password is on no
 * disk and in no output; an unreachable server gives one line after retries.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { allFiles, CRASHY_ENV, cli, metrics, type Running, start } from './cli-helpers.js';
import { redisAvailable, useRedisServer } from './redis-server.js';

const available = redisAvailable();
const work = mkdtempSync(join(tmpdir(), 'policygrad-sweep-redis-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CONFIG = { nSteps: 256, numEnvs: 2, batchSize: 64, nEpochs: 4 };
const spec = (name: string, timesteps: number, seeds: number[], grid: string) =>
  `algo: ppo\nenv: CartPole-v1\npreset: zoo\ntimesteps: ${timesteps}\nseeds: [${seeds.join(', ')}]\ncheckpointEvery: 2048\nconfig: ${JSON.stringify(CONFIG)}\n${grid}\nname: ${name}\n`;

/**
 * Waits for a line in a process's output. A worker prints a trial's outcome (completed, stopped, failed) before it
 * sends the event the sweep may end on, so once the sweep has ended the line is at most a pipe read away.
 */
async function printed(process: Running, line: RegExp, timeoutMs = 5000): Promise<void> {
  await until(() => line.test(process.output()), String(line), timeoutMs);
}

async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The uninterrupted run the interrupted trials must equal: seed 3, learning rate 0.001, 30,720 steps. */
function faultReference(): string {
  const reference = join(work, 'fault-reference');
  if (!existsSync(join(reference, 'final', 'policy.json'))) {
    const sets = Object.entries({ ...CONFIG, learningRate: 0.001 }).flatMap(([k, v]) => [
      '--set',
      `${k}=${v}`,
    ]);
    expect(cli(['train', '--seed', '3', '--timesteps', '30720', '--out', reference, ...sets]).status).toBe(0);
  }
  return reference;
}

describe.skipIf(!available)('policygrad sweep --redis and policygrad worker', () => {
  const redis = useRedisServer();
  const workers: Running[] = [];
  const url = () => `redis://127.0.0.1:${redis.server.port}`;
  const env = () => ({ POLICYGRAD_REDIS_PASSWORD: redis.server.password });
  const worker = (...extra: string[]) => {
    const w = start(
      ['worker', '--redis', url(), '--concurrency', '1', '--lock-seconds', '2', ...extra],
      env(),
    );
    workers.push(w);
    return w;
  };
  /** The step of a trial's latest checkpoint in Redis (where a worker taking the trial over resumes from). */
  const checkpointInRedis = async (name: string, trial: string): Promise<number> => {
    const [key] = await redis.client.keys(`policygrad:sweep:${name}-*:checkpoint:${trial}`);
    // The step is near the start of the JSON; the whole checkpoint would count in the bytes Redis sends.
    const start = key === undefined ? '' : await redis.client.getrange(key, 0, 199);
    return Number(/"step":(\d+)/.exec(start)?.[1] ?? 0);
  };
  /** A sweep of one 30,720-step trial (seed 3, learning rate 0.001), once its second checkpoint is in Redis. */
  const startLongTrial = async (name: string) => {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, spec(name, 30_720, [3], 'grid: { learningRate: [0.001] }'));
    const out = join(work, name);
    const sweep = start(['sweep', file, '--redis', url(), '--out', out], env());
    await until(async () => (await checkpointInRedis(name, 'c00-seed3')) >= 4096, 'two checkpoints');
    return { out, sweep };
  };
  const netOutputBytes = async () =>
    Number(/total_net_output_bytes:(\d+)/.exec(await redis.client.info('stats'))?.[1]);
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await w.exited;
    }
  });

  it('two workers complete a sweep; the submitting side writes the run directories', async () => {
    const file = join(work, 'two.yaml');
    writeFileSync(file, spec('two', 2048, [1, 2], 'grid: { learningRate: [0.001, 0.0003] }'));
    const a = worker();
    const b = worker();
    await printed(a, /taking sweep trials/);
    await printed(b, /taking sweep trials/);
    const out = join(work, 'two');
    const sweep = start(['sweep', file, '--redis', url(), '--out', out], env());
    expect(await sweep.exited).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('completed');
    expect(summary.backend).toBe(url());
    expect(summary.trials.map((t: { status: string }) => t.status)).toEqual(Array(4).fill('completed'));
    // Both workers took trials.
    await printed(a, /two-[0-9a-f]{8}\/c0\d-seed\d: completed/);
    await printed(b, /two-[0-9a-f]{8}\/c0\d-seed\d: completed/);
    // A trial's rows and policy, written here from Redis, are those `train` gives for its config and seed.
    const reference = join(work, 'two-reference');
    const sets = Object.entries({ ...CONFIG, learningRate: 0.0003 }).flatMap(([k, v]) => [
      '--set',
      `${k}=${v}`,
    ]);
    const trained = cli(['train', '--seed', '2', '--timesteps', '2048', '--out', reference, ...sets]);
    expect(trained.status).toBe(0);
    const trial = join(out, 'trials', 'c01-seed2');
    expect(metrics(trial)).toEqual(metrics(reference));
    expect(readFileSync(join(trial, 'final', 'policy.json'), 'utf8')).toBe(
      readFileSync(join(reference, 'final', 'policy.json'), 'utf8'),
    );
    // The password reached neither a file nor any output.
    for (const path of allFiles(out)) expect(readFileSync(path, 'utf8')).not.toContain(redis.server.password);
    for (const text of [sweep.output(), a.output(), b.output()])
      expect(text).not.toContain(redis.server.password);
    // The sweep's own keys are gone (the stop key stays, expiring, for any straggler).
    expect(await redis.client.keys('policygrad:sweep:*:events')).toEqual([]);
    expect(await redis.client.keys('policygrad:sweep:*:checkpoint:*')).toEqual([]);
  });

  it('a worker killed mid-trial: another resumes from the last checkpoint, metrics equal an uninterrupted run', async () => {
    const doomed = worker();
    const sentBefore = await netOutputBytes();
    const { out, sweep } = await startLongTrial('fault');
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const rescuer = worker();
    expect(await sweep.exited).toBe(0);
    expect(rescuer.output()).toMatch(/fault-[0-9a-f]{8}\/c00-seed3: resumed from step [1-9]\d*/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.trials[0]).toMatchObject({ status: 'completed', resumes: 1, steps: 30_720 });

    const reference = faultReference();
    const trial = join(out, 'trials', 'c00-seed3');
    expect(metrics(trial)).toEqual(metrics(reference));
    expect(readFileSync(join(trial, 'final', 'policy.json'), 'utf8')).toBe(
      readFileSync(join(reference, 'final', 'policy.json'), 'utf8'),
    );
    // Of the trial's 15 checkpoints only the last travelled to the submitting side (the run directory holds it);
    // the rescuer read one from Redis. Everything Redis sent (stream, jobs, that checkpoint) is under 4 of them.
    const checkpoints = join(trial, 'checkpoints');
    expect(readdirSync(checkpoints)).toEqual(['step-0000030720.json']);
    const checkpointBytes = statSync(join(checkpoints, 'step-0000030720.json')).size;
    expect((await netOutputBytes()) - sentBefore).toBeLessThan(4 * checkpointBytes);
  });

  it('connections dropped mid-trial (CLIENT KILL): everyone reconnects and the trial ends as if nothing happened', async () => {
    const w = worker();
    const { out, sweep } = await startLongTrial('dropped');
    const killed = (await redis.client.call('CLIENT', 'KILL', 'TYPE', 'normal')) as number;
    expect(killed).toBeGreaterThan(0);
    expect(await sweep.exited).toBe(0);
    expect(sweep.output()).toContain(`lost Redis at ${url()}; reconnecting in 0.5s (attempt 1)`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.trials[0]).toMatchObject({ status: 'completed', steps: 30_720 });
    expect(metrics(join(out, 'trials', 'c00-seed3'))).toEqual(metrics(faultReference()));
    expect(w.child.exitCode).toBeNull();
  });

  it('Ctrl-C on a worker: its trial checkpoints, goes back on the queue, and another worker finishes it exactly', async () => {
    const leaving = worker();
    const { out, sweep } = await startLongTrial('handback');
    leaving.child.kill('SIGINT');
    expect(await leaving.exited).toBe(130);
    expect(leaving.output()).toMatch(
      /handback-[0-9a-f]{8}\/c00-seed3: checkpointed at step \d+; back on the queue/,
    );
    const successor = worker();
    expect(await sweep.exited).toBe(0);
    expect(successor.output()).toMatch(/handback-[0-9a-f]{8}\/c00-seed3: resumed from step [1-9]\d*/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.trials[0]).toMatchObject({ status: 'completed', resumes: 1, steps: 30_720 });
    const trial = join(out, 'trials', 'c00-seed3');
    expect(metrics(trial)).toEqual(metrics(faultReference()));
  });

  it('Ctrl-C on the sweep: queued trials are removed, the running one checkpoints, a partial summary', async () => {
    const file = join(work, 'cancel.yaml');
    writeFileSync(file, spec('cancel', 400_000, [1, 2], 'grid: { learningRate: [0.001] }'));
    const out = join(work, 'cancel');
    const w = worker();
    const sweep = start(['sweep', file, '--redis', url(), '--out', out], env());
    const checkpoints = join(out, 'trials', 'c00-seed1', 'checkpoints');
    await until(async () => (await checkpointInRedis('cancel', 'c00-seed1')) > 0, 'a checkpoint');
    sweep.child.kill('SIGINT');
    expect(await sweep.exited).toBe(130);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('interrupted');
    expect(summary.trials.map((t: { status: string }) => t.status)).toEqual(['stopped', 'pending']);
    const steps = summary.trials[0].steps;
    expect(readdirSync(checkpoints).at(-1)).toBe(`step-${String(steps).padStart(10, '0')}.json`);
    await printed(
      w,
      /cancel-[0-9a-f]{8}\/c00-seed1: stopped at step \d+ \(by the sweep: cancelled or pruned\)/,
    );
    // Nothing of this sweep is left to run, and the worker never started its second trial.
    const queue = new Queue('trials', {
      prefix: 'policygrad',
      connection: { host: '127.0.0.1', port: redis.server.port, password: redis.server.password },
    });
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    await queue.close();
    expect(counts).toEqual({ wait: 0, active: 0, delayed: 0, prioritized: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(w.output()).not.toContain('c00-seed2');
  });

  it('a trial that keeps crashing: retried, then marked failed with its error; the worker goes on', async () => {
    const crash = join(work, 'crash.js');
    writeFileSync(crash, CRASHY_ENV);
    const file = join(work, 'retry.yaml');
    writeFileSync(
      file,
      spec('retry', 2048, [7], '').replace('preset: zoo', 'preset: none').replace('CartPole-v1', 'Crashy-v0'),
    );
    const w = worker('--import', crash);
    const sweep = start(
      ['sweep', file, '--redis', url(), '--out', join(work, 'retry'), '--import', crash],
      env(),
    );
    expect(await sweep.exited).toBe(1);
    const summary = JSON.parse(readFileSync(join(work, 'retry', 'summary.json'), 'utf8'));
    expect(summary.trials[0].status).toBe('failed');
    expect(summary.trials[0].error).toContain('Error: the simulator crashed');
    expect(sweep.output().match(/trial c00-seed7: Error: the simulator crashed; retrying/g)).toHaveLength(2);
    // The worker prints its line just after sending the event the sweep ends on.
    const failures = () => w.output().match(/c00-seed7: failed: Error: the simulator crashed/g)?.length ?? 0;
    await until(() => failures() === 3, 'three failed attempts', 5000);
    expect(w.child.exitCode).toBeNull();
  });

  it('ASHA through Redis: a trial waits at each rung for the submitting side’s verdict; a pruned one stops there', async () => {
    const file = join(work, 'asha.yaml');
    writeFileSync(
      file,
      spec('asha', 16_384, [1, 2], 'grid: { learningRate: [0.003, 0.000001] }') +
        'asha: { gracePeriod: 2048, reductionFactor: 2 }\n',
    );
    const w = worker();
    const out = join(work, 'asha');
    const sweep = start(['sweep', file, '--redis', url(), '--out', out], env());
    expect(await sweep.exited).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    // One worker takes the jobs in order, and each trial waits at a rung for the sweep's verdict: the rungs see the
    // trials as the local sweep does, and a pruned trial stops at the rung (2048), however slow the round trip.
    expect(summary.trials.map((t: { status: string; steps: number }) => [t.status, t.steps])).toEqual([
      ['completed', 16_384],
      ['pruned', 2048],
      ['pruned', 2048],
      ['pruned', 2048],
    ]);
    // The sweep ends on the pruned trial's `stopped` event, which the worker sends after printing its line.
    await printed(
      w,
      /asha-[0-9a-f]{8}\/c01-seed2: stopped at step 2048 \(by the sweep: cancelled or pruned\)/,
    );
  });

  it('bad jobs fail alone, at once, with their message; the worker goes on', async () => {
    const w = worker();
    await until(() => w.output().includes('taking sweep trials'), 'the worker');
    const queue = new Queue('trials', {
      prefix: 'policygrad',
      connection: { host: '127.0.0.1', port: redis.server.port, password: redis.server.password },
    });
    const task = {
      algo: 'ppo',
      env: 'CartPole-v1',
      seed: 0,
      timesteps: 1024,
      checkpointEvery: 512,
      config: { env: 'CartPole-v1', seed: 0, ...CONFIG },
    };
    const bad = {
      malformed: { sweepId: 'x', trialId: 'a:b', task },
      'unknown-env': {
        sweepId: 'bad',
        trialId: 'env',
        task: { ...task, env: 'NoSuchEnv-v0', config: { ...task.config, env: 'NoSuchEnv-v0' } },
      },
      'out-of-schema': {
        sweepId: 'bad',
        trialId: 'lr',
        task: { ...task, config: { ...task.config, learningRate: -1 } },
      },
    };
    for (const [id, data] of Object.entries(bad)) {
      await queue.add('trial', data, { jobId: id, attempts: 3, removeOnFail: false });
    }
    const reasons: Record<string, string> = {};
    for (const id of Object.keys(bad)) {
      // Up to 60 s per job: each attempt forks a trial process, slow on a busy CI machine ("at once" is the one
      // attempt, checked below, not a time).
      // The state first, then the job: a job read before it failed has no failedReason yet (CI caught that race).
      for (let i = 0; i < 600 && !(id in reasons); i++) {
        if ((await queue.getJobState(id)) === 'failed') {
          const job = await queue.getJob(id);
          reasons[id] = job?.failedReason as string;
          expect(job?.attemptsStarted).toBe(1); // failed at once: no retries for bad input
        } else await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(reasons.malformed).toContain("invalid job malformed: 'trialId'");
    expect(reasons['unknown-env']).toMatch(/NoSuchEnv-v0/);
    expect(reasons['out-of-schema']).toMatch(/learningRate/);
    for (const reason of Object.values(reasons)) expect(reason).not.toContain('\n');
    await queue.close();
    // Still serving: a sweep completes.
    const file = join(work, 'after-bad.yaml');
    writeFileSync(file, spec('after-bad', 1024, [0], ''));
    const sweep = start(['sweep', file, '--redis', url(), '--out', join(work, 'after-bad')], env());
    expect(await sweep.exited).toBe(0);
    expect(w.child.exitCode).toBeNull();
  });

  it("forged events on a sweep's stream are refused before they touch a run directory", async () => {
    const file = join(work, 'forged.yaml');
    writeFileSync(file, spec('forged', 16_384, [1], ''));
    const out = join(work, 'forged');
    worker();
    const sweep = start(['sweep', file, '--redis', url(), '--out', out], env());
    await until(() => existsSync(join(out, 'trials', 'c00-seed1', 'metrics.csv')), 'the first row');
    const [stream] = await redis.client.keys('policygrad:sweep:forged-*:events');
    const forge = (entry: unknown) => redis.client.xadd(stream, '*', 'entry', JSON.stringify(entry));
    // The forger knows the current run's id (the stream is readable), so only validation stands in the way.
    const [[, fields]] = await redis.client.xrange(stream, '-', '+', 'COUNT', 1);
    const { run } = JSON.parse(fields[1]) as { run: string };
    // A checkpoint whose step would name a file outside the run directory, a row of text, a checkpoint whose
    // contents are another step's, no JSON at all.
    const events = (...list: unknown[]) => ({ trial: 'c00-seed1', run, events: list });
    await forge(
      events({ type: 'checkpoint', checkpoint: { step: '/../../../evil', iteration: 1 }, json: '{}' }),
    );
    await forge(events({ type: 'row', row: 'rm -rf' }));
    await forge(
      events({
        type: 'checkpoint',
        checkpoint: { step: 999_999, iteration: 1 },
        json: '{"step":1,"iteration":1}',
      }),
    );
    await redis.client.xadd(stream, '*', 'entry', '{not json');
    expect(await sweep.exited).toBe(0);
    expect(sweep.output().match(/ignored an invalid event on the sweep's stream/g)).toHaveLength(4);
    expect(sweep.output()).toContain(
      "ignored an invalid event on the sweep's stream: 'events.0.checkpoint.step'",
    );
    expect(sweep.output()).toContain(
      "ignored an invalid event on the sweep's stream: 'events.0.json' is not a checkpoint at step 999999",
    );
    expect(existsSync(join(out, 'trials', 'c00-seed1', 'checkpoints', 'step-0000999999.json'))).toBe(false);
    expect(allFiles(work).filter((f) => f.includes('evil'))).toEqual([]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.trials[0].status).toBe('completed');
  });

  it('a wrong password: one line at once, naming neither password', () => {
    const file = join(work, 'wrong.yaml');
    writeFileSync(file, spec('wrong', 1024, [0], ''));
    const result = cli(['sweep', file, '--redis', url(), '--out', join(work, 'wrong')], {
      POLICYGRAD_REDIS_PASSWORD: 'not-the-password',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`Redis at ${url()} refused us (WRONGPASS`);
    expect(result.stderr).toContain('the password in POLICYGRAD_REDIS_PASSWORD');
    expect(result.stderr + result.stdout).not.toContain('not-the-password');
  });

  it('an unreachable server: one line after retries with backoff, exit 2', () => {
    const file = join(work, 'unreachable.yaml');
    writeFileSync(file, spec('unreachable', 1024, [0], ''));
    const result = cli(
      ['sweep', file, '--redis', 'redis://127.0.0.1:1', '--out', join(work, 'unreachable')],
      {
        POLICYGRAD_REDIS_CONNECT_ATTEMPTS: '2',
      },
    );
    expect(result.status).toBe(2);
    expect(result.stdout).toContain(
      'cannot reach Redis at redis://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); retrying in 0.5s (attempt 2 of 2)',
    );
    expect(result.stderr.trim()).toBe(
      'policygrad: cannot reach Redis at redis://127.0.0.1:1 after 2 attempts (connect ECONNREFUSED 127.0.0.1:1): is redis-server running and bound to an address this machine can reach?',
    );
  });
});
