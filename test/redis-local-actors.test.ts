// @module-tag slow: a private redis-server, CLI processes from the built dist/, and two short learning runs
/**
 * `policygrad train --redis URL --run-id R --actors K` (issue 17 §2: the learner "may also run local actors"): K
 * actor processes of this CLI join the run through Redis; the password (given in the URL here) is on none of their
 * command lines but in their environment; they end with the run, on Ctrl-C too, and `--resume DIR --redis URL
 * --actors K` starts them again.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PASSWORD_VARIABLE } from '../src/node/redis-connection.js';
import { startCli } from './cli-process.js';
import { redisAvailable, useRedisServer } from './redis-server.js';

const available = redisAvailable();
const dirs: string[] = [];
const children: ChildProcess[] = [];
const actorPids: number[] = [];
afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of actorPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The process ids of `pid`'s children. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('train --redis … --actors K', () => {
  const context = useRedisServer();

  it('starts K actor processes that train the run, without the password on their command lines, and none outlives the learner (finished, Ctrl-C, --resume)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'policygrad-redis-actors-'));
    dirs.push(out);
    const runDir = join(out, 'run');
    const { password, port } = context.server;
    // The password in the URL (the learner's own command line: the user's choice), not in the environment.
    const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}/0`;
    const env = { ...process.env };
    delete env[PASSWORD_VARIABLE];
    const start = (args: string[]) => startCli(args, env, children);
    /** Waits for the learner's two actors, checks how they were started, and remembers them. */
    const checkActors = async (learner: ChildProcess) => {
      let pids: number[] = [];
      for (let i = 0; i < 300 && pids.length < 2; i++) {
        pids = childrenOf(learner.pid as number);
        if (pids.length < 2) await sleep(100);
      }
      expect(pids).toHaveLength(2);
      actorPids.push(...pids);
      for (const pid of pids) {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        expect(argv.join(' ')).not.toContain(password);
        expect(argv).toContain('actor');
        expect(argv).toContain(`redis://127.0.0.1:${port}/0`);
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        expect(environ).toContain(`${PASSWORD_VARIABLE}=${password}`);
      }
      return pids;
    };
    const metricRows = () => {
      const [head, ...rows] = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
      const header = head.split(',');
      return rows.map((row) => {
        const cells = row.split(',');
        return {
          step: Number(cells[header.indexOf('step')]),
          actors: Number(cells[header.indexOf('actors')]),
        };
      });
    };
    const redisFlags = ['--redis', url, '--run-id', 'local-actors', '--actors', '2'];

    // A learner with two local actors, interrupted mid-run with Ctrl-C: the actors go with it.
    const learner = start([
      'train',
      ...['--algo', 'appo', '--env', 'CartPole-v1', '--seed', '1', '--timesteps', '40000'],
      ...['--checkpoint-every', '5000', '--out', runDir, ...redisFlags],
    ]);
    const first = await checkActors(learner.child);
    while (!existsSync(join(runDir, 'metrics.csv')) || (metricRows().at(-1)?.step ?? 0) < 10_000) {
      expect(learner.child.exitCode, learner.output()).toBeNull();
      await sleep(100);
    }
    learner.child.kill('SIGINT');
    const interrupted = await learner.done;
    expect(interrupted.code, interrupted.output).toBe(130);
    for (const pid of first) expect(alive(pid), `actor ${pid} outlived the learner`).toBe(false);
    const beforeResume = metricRows().length;

    // Resumed with two new local actors: the run finishes, the actors exit on their own (the run done).
    const resumed = start(['train', '--resume', runDir, ...redisFlags]);
    const second = await checkActors(resumed.child);
    const result = await resumed.done;
    expect(result.code, result.output).toBe(0);
    for (const pid of second) expect(alive(pid), `actor ${pid} outlived the learner`).toBe(false);
    const lines = result.output.split('\n');
    for (const i of [1, 2]) {
      expect(
        lines.some(
          (line) =>
            /^\[actor \d\] actor done: the run is finished; sent [1-9]\d* chunks/.test(line) &&
            line.startsWith(`[actor ${i}]`),
        ),
      ).toBe(true);
    }
    expect(result.output + interrupted.output).not.toContain(password);
    const rows = metricRows();
    expect(rows.at(-1)?.step).toBeGreaterThanOrEqual(40_000);
    // The chunks came from two actors: each said it sent some after --resume, and before it the learner heard from
    // exactly two (its `actors` column counts those heard from in the last few seconds; after --resume it also
    // counts the first actors, whose chunks left pending are taken up again).
    expect(Math.max(...rows.slice(0, beforeResume).map((row) => row.actors))).toBe(2);
  }, 180_000);

  it('a learner killed with SIGKILL takes its actors with it (their IPC channel to it closes)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'policygrad-redis-actors-'));
    dirs.push(out);
    const env = { ...process.env, [PASSWORD_VARIABLE]: context.server.password };
    const learner = startCli(
      [
        'train',
        ...['--algo', 'appo', '--env', 'CartPole-v1', '--timesteps', '10000000', '--out', join(out, 'run')],
        ...['--redis', `redis://127.0.0.1:${context.server.port}/0`, '--run-id', 'killed', '--actors', '2'],
      ],
      env,
      children,
    );
    let pids: number[] = [];
    for (let i = 0; i < 300 && pids.length < 2; i++) {
      pids = childrenOf(learner.child.pid as number);
      if (pids.length < 2) await sleep(100);
    }
    expect(pids).toHaveLength(2);
    actorPids.push(...pids);
    await sleep(1000);
    learner.child.kill('SIGKILL');
    await learner.done;
    // They stop after their current chunk (well under a second for CartPole).
    for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(100);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);
});
