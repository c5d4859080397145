// @module-tag slow: runs the built package (dist/) end to end
/**
 * A worker thread that ends before it answers (its script missing, an uncaught error, `process.exit` in a user's
 * env module) while the caller waits for it in `Atomics.wait`, where no 'error' or 'exit' event can reach it:
 * the wait ends with one line naming the thread and why, instead of never (src/node/watched-worker.ts). Each
 * child process runs with a kill timeout, so a regression fails here in seconds instead of hanging the suite.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createAlgorithm } from '../src/index.js';
import type { WorkerCriticThread } from '../src/node/critic-thread.js';
import { nodePorts } from '../src/node/ports.js';
import { startWatchedWorker, type WatchedWorker } from '../src/node/watched-worker.js';
import type { ActorCriticPolicy } from '../src/policies/actor-critic.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-worker-failure-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const library = pathToFileURL(join(root, 'dist', 'node.js')).href;
const moduleUrl = pathToFileURL(join(work, 'main-thread-only.js')).href;

/** An env module that registers its env everywhere but gives up in any thread but the main one. */
writeFileSync(
  join(work, 'main-thread-only.js'),
  `import { isMainThread } from 'node:worker_threads';
   import { make, register } from '${library}';
   register({ id: 'MainThreadOnly-v0', entryPoint: () => make('CartPole-v1') });
   if (!isMainThread) process.exit(3);`,
);

/** The built CLI in `work`, killed after `timeout` ms (status null) if it has not ended. */
function cli(args: string[], timeout: number) {
  const run = spawnSync('node', [join(root, 'dist', 'cli', 'main.js'), ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `policygrad train` of the env that registers everywhere and ends any other thread. */
const TRAIN = 'train --env MainThreadOnly-v0 --timesteps 256 --import ./main-thread-only.js'.split(' ');
const ASYNC = [
  '--set',
  'vectorEnv=async',
  '--set',
  'numEnvs=2',
  '--set',
  'nSteps=64',
  '--set',
  'batchSize=64',
];
const WHY = `exited with code 3 while importing ${moduleUrl}`;

describe('a worker thread that ends before it answers', () => {
  it('train: the async vector env says which thread ended and why; exit 2', () => {
    const run = cli([...TRAIN, ...ASYNC, '--out', join(work, 'train')], 30_000);
    expect(run.stderr).toBe(
      `policygrad: AsyncVectorEnv (MainThreadOnly-v0): the worker thread of sub-env 0 ${WHY}\n`,
    );
    expect(run.status).toBe(2);
  }, 40_000);

  it.each([
    ['train --seeds (seed threads)', ['--seeds', '2'], 'the thread of seed 2'],
    ['APPO (actor threads)', ['--algo', 'appo', '--set', 'numActors=1'], 'actor thread 0'],
    ['A3C (worker threads)', ['--algo', 'a3c', '--set', 'numWorkers=1'], 'A3C worker 0'],
  ])(
    '%s: one line naming the thread, the module and why; exit 2',
    (_, flags, thread) => {
      const run = cli([...TRAIN, ...flags, '--out', join(work, flags.join('-'))], 30_000);
      expect(run.stderr).toBe(`policygrad: ${thread} ${WHY}\n`);
      expect(run.status).toBe(2);
    },
    40_000,
  );

  it("sweep --import: the trial's async vector env threads import the modules too (its envModules)", () => {
    writeFileSync(
      join(work, 'everywhere.js'),
      `import { make, register } from '${library}';
       register({ id: 'Everywhere-v0', entryPoint: () => make('CartPole-v1') });`,
    );
    const spec = join(work, 'everywhere.yaml');
    writeFileSync(
      spec,
      `algo: ppo
env: Everywhere-v0
timesteps: 128
seeds: [1]
config: { vectorEnv: async, numEnvs: 2, nSteps: 64, batchSize: 64 }
grid: { learningRate: [0.001] }
`,
    );
    const out = join(work, 'everywhere');
    const run = cli(['sweep', spec, '--out', out, '--import', './everywhere.js'], 60_000);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'trials', 'c00-seed1', 'config.json'), 'utf8')) as {
      config: { envModules: string[] };
    };
    expect(config.config.envModules).toEqual([pathToFileURL(join(work, 'everywhere.js')).href]);
  }, 70_000);

  it('sweep: the trial fails with that line, the sweep ends (exit 1)', () => {
    const spec = join(work, 'spec.yaml');
    writeFileSync(
      spec,
      `algo: ppo
env: MainThreadOnly-v0
timesteps: 256
seeds: [1]
config: { vectorEnv: async, numEnvs: 2, nSteps: 64, batchSize: 64, envModules: [./main-thread-only.js] }
grid: { learningRate: [0.001] }
`,
    );
    const out = join(work, 'sweep');
    const run = cli(['sweep', spec, '--out', out, '--import', './main-thread-only.js'], 60_000);
    expect(run.status).toBe(1);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      trials: { status: string; error?: string }[];
    };
    expect(summary.trials.map(({ status, error }) => ({ status, error }))).toEqual([
      {
        status: 'failed',
        error: `AsyncVectorEnv (MainThreadOnly-v0): the worker thread of sub-env 0 ${WHY}`,
      },
    ]);
  }, 70_000);
});

describe('the critic thread (threads: 2)', () => {
  it('a worker that fails as it starts: one line at once, not a minute of waiting for a ready word', () => {
    const model = createAlgorithm('ppo', { env: 'CartPole-v1', seed: 1, threads: 2 }, nodePorts);
    const thread = (model.policy as ActorCriticPolicy).criticThread as WorkerCriticThread;
    // The worker builds the critic from these sizes before it says it is ready: an invalid one throws there.
    (thread as unknown as { data: { sizes: number[] } }).data.sizes = [4, 0, 1];
    const start = performance.now();
    expect(() => thread.roundTripMicros()).toThrow(
      'the critic thread did not start: it failed: PolicygradError: MLP: invalid sizes [4, 0, 1]: expected at least two positive integers; run with threads: 1',
    );
    expect(performance.now() - start).toBeLessThan(10_000); // the start timeout is 60 s
    model.close?.();
  }, 20_000);
});

describe('startWatchedWorker', () => {
  /** Waits as a blocked caller does (never returning to the event loop), up to 10 s, for the thread to end. */
  function blockUntilEnded(watched: WatchedWorker): string | null {
    const word = new Int32Array(new SharedArrayBuffer(4));
    const deadline = performance.now() + 10_000;
    while (watched.ended() === null && performance.now() < deadline) Atomics.wait(word, 0, 0, 20);
    return watched.ended();
  }

  it.each([
    [
      'a missing script',
      'missing.js',
      null,
      `failed: Error: Cannot find module '${join(work, 'missing.js')}'`,
    ],
    ['process.exit', 'exits.mjs', 'process.exit(5);', 'exited with code 5'],
    [
      'an uncaught error',
      'throws.mjs',
      "throw new RangeError('no such device');",
      'failed: RangeError: no such device',
    ],
    [
      'an error after loading',
      'later.mjs',
      "import { workerData } from 'node:worker_threads'; if (workerData.go) queueMicrotask(() => { throw new Error('later'); });",
      'failed: Error: later',
    ],
  ])('%s: ended() tells a thread that waits in Atomics.wait', (_, file, source, why) => {
    if (source !== null) writeFileSync(join(work, file), source);
    const watched = startWatchedWorker(pathToFileURL(join(work, file)), { workerData: { go: true } });
    try {
      expect(blockUntilEnded(watched)).toBe(why);
    } finally {
      void watched.worker.terminate();
    }
  });

  it('a thread that finishes ended with code 0; its own workerData fields reach it', async () => {
    writeFileSync(
      join(work, 'echo.mjs'),
      "import { parentPort, workerData } from 'node:worker_threads'; parentPort.postMessage(workerData.value);",
    );
    const watched = startWatchedWorker(pathToFileURL(join(work, 'echo.mjs')), { workerData: { value: 42 } });
    // Both listeners first: a thread that ends right after posting may deliver its message and 'exit' together.
    const message = new Promise((resolve) => watched.worker.once('message', resolve));
    const exited = new Promise((resolve) => watched.worker.once('exit', resolve));
    expect(await message).toBe(42);
    expect(await exited).toBe(0);
    expect(watched.ended()).toBe('exited with code 0');
  });
});
