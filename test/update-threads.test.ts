// @module-tag slow: the critic's worker thread and the CLI from the built dist/
/**
 * Two-thread updates (policies/critic-thread.ts, src/node/critic-thread.ts): the critic's forward and backward
 * passes of each minibatch on a worker thread beside the actor's give bit for bit the one-thread run — the golden
 * rows, longer PPO and A2C runs (rows and parameters), and a resume across thread counts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Algorithm } from '../src/algos/registry.js';
import { createAlgorithm } from '../src/index.js';
import { nodePorts } from '../src/node/ports.js';
import { WorkerCriticThread } from '../src/node/critic-thread.js';
import { CHUNK } from '../src/algos/loss/accumulate.js';
import type { WasmKernels } from '../src/nn/wasm-kernels.js';
import type { ActorCriticPolicy } from '../src/policies/actor-critic.js';
import { cli, metrics } from './cli-helpers.js';
import { describeGoldenRows, GOLDEN_CASES, stripTiming } from './golden-rows.js';

const TWO_THREADS = '2 (actor | critic)';
/** A Gaussian PPO run the fused step covers: 4 iterations × 4 epochs × 4 minibatches of 64 rows. */
const FUSED_PENDULUM = { env: 'Pendulum-v1', seed: 15, numEnvs: 4, nSteps: 64, batchSize: 64, nEpochs: 4 };
const ports = { ...nodePorts, threads: undefined };

describeGoldenRows(
  'golden rows with threads: 2: the same rows and parameters',
  GOLDEN_CASES,
  new URL('./fixtures/golden-rows.json', import.meta.url),
  {
    runOptions: { threads: 2 },
    ports: nodePorts,
    check(model, c) {
      // A2C and PPO split their loss; the others say why they do not.
      if (c.algo === 'ppo' || c.algo === 'a2c') expect(model.updateThreads).toBe(TWO_THREADS);
      else expect(model.updateThreads).toBe(`1 (${c.algo.toUpperCase()} has no two-network loss)`);
    },
  },
);

function run(algo: string, config: Record<string, unknown>, threads: 1 | 2, steps: number) {
  const model: Algorithm = createAlgorithm(algo, { ...config, threads }, ports);
  expect(model.updateThreads).toBe(threads === 2 ? TWO_THREADS : '1 (threads: 1)');
  const rows = model.learn({ totalTimesteps: steps }).map(stripTiming);
  const params = Float32Array.from(model.policy.params);
  model.close?.();
  return { rows, params };
}

describe('threads: 1 and 2 train the same run', () => {
  it("PPO with CleanRL's CartPole config: identical rows and parameters over 8 iterations", () => {
    const config = { env: 'CartPole-v1', preset: 'cleanrl', seed: 11 };
    const one = run('ppo', config, 1, 8 * 512);
    const two = run('ppo', config, 2, 8 * 512);
    expect(two.rows).toEqual(one.rows);
    expect(two.params).toEqual(one.params);
  });

  it('PPO on two threads runs the fused step in halves (critic in the worker, its part of Adam too), with the one-thread numbers', () => {
    const config = FUSED_PENDULUM;
    const one = run('ppo', config, 1, 4 * 256);
    const model = createAlgorithm('ppo', { ...config, threads: 2 }, ports);
    const policy = model.policy as ActorCriticPolicy;
    const kernels = policy.critic.kernels as WasmKernels;
    const halves = vi.spyOn(kernels, 'ppoActorHalf');
    const whole = vi.spyOn(kernels, 'ppoMinibatch');
    const ranges = vi.spyOn(kernels, 'ppoStepRange');
    const rows = model.learn({ totalTimesteps: 4 * 256 }).map(stripTiming);
    const thread = policy.criticThread as WorkerCriticThread;
    const { done, withdrawn } = thread.handOffs;
    model.close?.();
    expect(rows).toEqual(one.rows);
    expect(Float32Array.from(model.policy.params)).toEqual(one.params);
    expect(halves).toHaveBeenCalledTimes(4 * 4 * 4); // iterations × epochs × minibatches
    expect(whole).not.toHaveBeenCalled();
    // Per minibatch the critic's half and the critic's part of the step are offered, each run there or taken back;
    // the actor's part of the step runs here.
    expect(done + withdrawn).toBe(2 * 4 * 4 * 4);
    expect(ranges.mock.calls.filter(([, from]) => from === 0)).toHaveLength(4 * 4 * 4);
    vi.restoreAllMocks();
  });

  it('with no request taken back, the critic thread runs its half and its part of the step every time: the same numbers', () => {
    // The test above passes whether the worker or this thread ran each part (either gives the same bits); here the
    // thread never withdraws, so the worker's side of every hand-off, the critic's Adam range included, is sure to run.
    const config = FUSED_PENDULUM;
    const one = run('ppo', config, 1, 4 * 256);
    const patient = {
      ...ports,
      updateThreads: {
        cores: () => 2,
        start: (policy: ActorCriticPolicy) =>
          new WorkerCriticThread(policy, policy.critic.kernels as WasmKernels, CHUNK, { withdraw: false }),
      },
    };
    const model = createAlgorithm('ppo', { ...config, threads: 2 }, patient);
    const rows = model.learn({ totalTimesteps: 4 * 256 }).map(stripTiming);
    const thread = (model.policy as ActorCriticPolicy).criticThread as WorkerCriticThread;
    const handOffs = thread.handOffs;
    model.close?.();
    expect(rows).toEqual(one.rows);
    expect(Float32Array.from(model.policy.params)).toEqual(one.params);
    expect(handOffs).toEqual({ done: 2 * 4 * 4 * 4, withdrawn: 0 });
  });

  it('A2C on Pendulum (a Gaussian policy, Adam, normalised advantages): identical rows and parameters', () => {
    const config = {
      env: 'Pendulum-v1',
      seed: 12,
      numEnvs: 4,
      nSteps: 16,
      optimizer: 'adam',
      normalizeAdvantage: true,
    };
    const one = run('a2c', config, 1, 20 * 64);
    const two = run('a2c', config, 2, 20 * 64);
    expect(two.rows).toEqual(one.rows);
    expect(two.params).toEqual(one.params);
  });

  it('a checkpoint of a two-thread run resumes exactly on one thread, and the other way round', () => {
    const config = { env: 'CartPole-v1', seed: 13, numEnvs: 2, nSteps: 64, batchSize: 32, nEpochs: 3 };
    const whole = run('ppo', config, 2, 6 * 128);
    for (const [first, second] of [
      [2, 1],
      [1, 2],
    ] as const) {
      const a = createAlgorithm('ppo', { ...config, threads: first }, ports);
      a.begin({ totalTimesteps: 6 * 128 });
      const rows = [a.iterate(), a.iterate(), a.iterate()].map(stripTiming);
      const checkpoint = JSON.parse(JSON.stringify(a.checkpoint())) as unknown;
      a.close?.();
      const b = createAlgorithm('ppo', { ...config, threads: second }, ports);
      b.restoreCheckpoint(checkpoint);
      rows.push(...[b.iterate(), b.iterate(), b.iterate()].map(stripTiming));
      expect(rows).toEqual(whole.rows);
      expect(Float32Array.from(b.policy.params)).toEqual(whole.params);
      b.close?.();
    }
  });

  it('after close() the model trains on, on one thread, with the same numbers', () => {
    const config = { env: 'CartPole-v1', seed: 14, numEnvs: 2, nSteps: 32, batchSize: 32, nEpochs: 2 };
    const one = run('ppo', config, 1, 4 * 64);
    const model = createAlgorithm('ppo', { ...config, threads: 2 }, ports);
    model.begin({ totalTimesteps: 4 * 64 });
    const rows = [model.iterate(), model.iterate()].map(stripTiming);
    model.close?.();
    expect(model.updateThreads).toBe('1 (closed)');
    rows.push(...[model.iterate(), model.iterate()].map(stripTiming));
    expect(rows).toEqual(one.rows);
  });
});

describe('policygrad train --threads', () => {
  const work = mkdtempSync(join(tmpdir(), 'policygrad-threads-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const train = (threads: string, out: string) =>
    cli([
      'train',
      '--preset',
      'cleanrl',
      '--timesteps',
      '2048',
      '--threads',
      threads,
      '--out',
      join(work, out),
    ]);

  it('says which it uses, writes the same metrics either way, and keeps threads out of config.json', () => {
    const one = train('1', 'one');
    const two = train('2', 'two');
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    expect(one.stdout).toContain('update threads 1 (threads: 1)');
    expect(two.stdout).toContain('update threads 2 (actor | critic)');
    expect(metrics(join(work, 'two'))).toEqual(metrics(join(work, 'one')));
    expect(readFileSync(join(work, 'two', 'config.json'), 'utf8')).not.toContain('threads');
  });

  it('refuses a bad value, and the algorithms whose threads are their own, in one line', () => {
    const bad = train('3', 'bad');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('policygrad: invalid --threads "3": expected 1, 2 or auto');
    const a3c = cli(['train', '--algo', 'a3c', '--threads', '2', '--out', join(work, 'a3c')]);
    expect(a3c.status).toBe(2);
    expect(a3c.stderr).toContain('--threads applies to the synchronous algorithms; a3c runs');
  });
});
