// @module-tag slow: worker threads from the built dist/
/** AsyncVectorEnv: same trajectories as SyncVectorEnv, errors from workers surface in the caller. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { make, makeVec, PolicygradError, register, Rng, type VectorEnv } from '../src/index.js';
import { AsyncVectorEnv, PPO } from '../src/node.js';

const open: VectorEnv[] = [];
afterEach(() => {
  for (const env of open.splice(0)) env.close();
});

function track<T extends VectorEnv>(env: T): T {
  open.push(env);
  return env;
}

describe('AsyncVectorEnv', () => {
  it.each([
    ['CartPole-v1', 5, 2],
    ['Pendulum-v1', 3, 2],
    ['MountainCarContinuous-v0', 4, 3],
  ] as const)('%s with %i envs on %i workers steps exactly like SyncVectorEnv', (id, n, workers) => {
    const sync = track(makeVec(id, n, { maxEpisodeSteps: 150 }));
    const fast = track(new AsyncVectorEnv(id, n, { maxEpisodeSteps: 150 }, { workers }));
    expect(fast.workerCount).toBe(workers);
    expect(fast.singleActionSpace.toJSON()).toEqual(sync.singleActionSpace.toJSON());
    const a = sync.reset({ seed: 11 });
    const b = fast.reset({ seed: 11 });
    expect(b.observations).toEqual(a.observations);
    const rng = Rng.fromSeed(5);
    let episodesEnded = 0;
    for (let t = 0; t < 600; t++) {
      const actions = new Float32Array(n * sync.actionDim);
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < sync.actionDim; d++) {
          actions[i * sync.actionDim + d] = (sync.singleActionSpace.sample(rng) as Float32Array)[d] ?? 0;
        }
        if (id === 'CartPole-v1') actions[i] = rng.integer(0, 2);
      }
      const x = sync.step(actions);
      const y = fast.step(actions);
      expect(y.observations).toEqual(x.observations);
      expect(y.rewards).toEqual(x.rewards);
      expect(y.terminated).toEqual(x.terminated);
      expect(y.truncated).toEqual(x.truncated);
      expect(y.info.finalObservation).toEqual(x.info.finalObservation);
      expect(y.info.finalInfo).toEqual(x.info.finalInfo);
      episodesEnded += x.info.finalObservation.filter((o) => o !== null).length;
    }
    expect(episodesEnded).toBeGreaterThan(0); // autoreset was exercised
  });

  it('runs a custom env registered by a setup module, and reports a worker failure as an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policygrad-async-'));
    const setup = join(dir, 'setup.mjs');
    const library = pathToFileURL(join(process.cwd(), 'dist', 'index.js')).href;
    writeFileSync(
      setup,
      `import { register, make } from '${library}';
       register({ id: 'Fragile-v0', entryPoint: () => {
         const env = make('CartPole-v1');
         const step = env.step.bind(env);
         env.step = (a) => { if (a === 1) throw new Error('fragile env broke'); return step(a); };
         return env;
       } });`,
    );
    // The main thread needs the id too (for the spaces); the workers get it from the setup module.
    register({ id: 'Fragile-v0', entryPoint: () => make('CartPole-v1') }, { override: true });
    const env = track(
      new AsyncVectorEnv('Fragile-v0', 2, {}, { workers: 2, envModules: [pathToFileURL(setup).href] }),
    );
    env.reset({ seed: 1 });
    expect(() => env.step(Int32Array.from([0, 0]))).not.toThrow();
    expect(() => env.step(Int32Array.from([0, 1]))).toThrow(/a worker failed: Error: fragile env broke/);
    const missing = track(
      new AsyncVectorEnv('CartPole-v1', 2, {}, { envModules: ['file:///nonexistent/setup.mjs'] }),
    );
    expect(() => missing.reset()).toThrow(PolicygradError);
    expect(() => missing.reset()).toThrow(/a worker failed: .*nonexistent/);
  });

  it("PPO with vectorEnv: 'async' learns exactly what it learns with 'sync' (same seed)", () => {
    const config = { env: 'CartPole-v1', numEnvs: 4, nSteps: 64, batchSize: 64, nEpochs: 2, seed: 3 };
    const sync = new PPO(config);
    const fast = new PPO({ ...config, vectorEnv: 'async' });
    track(fast.env);
    const a = sync.learn({ totalTimesteps: 2048 });
    const b = fast.learn({ totalTimesteps: 2048 });
    expect(b.map((m) => m.episodeReturnMean)).toEqual(a.map((m) => m.episodeReturnMean));
    expect(Array.from(fast.policy.params)).toEqual(Array.from(sync.policy.params));
  });

  it("checkpoints: a PPO with vectorEnv 'async' saves the workers' envs and resumes exactly, into sync or async", () => {
    const config = { env: 'Pendulum-v1', numEnvs: 3, nSteps: 64, batchSize: 64, nEpochs: 2, seed: 4 };
    const fast = new PPO({ ...config, vectorEnv: 'async' });
    track(fast.env);
    fast.learn({ totalTimesteps: 640 }); // 3⅓ rollouts: episodes are under way in every sub-env
    const checkpoint = JSON.parse(JSON.stringify(fast.checkpoint()));
    const reference = new PPO(config);
    reference.learn({ totalTimesteps: 640 });
    expect(checkpoint.vectorEnv).toEqual(JSON.parse(JSON.stringify(reference.checkpoint().vectorEnv)));

    const expected = reference.learn({ totalTimesteps: 384 }).map((m) => m.policyLoss);
    for (const vectorEnv of ['async', 'sync'] as const) {
      const resumed = new PPO({ ...config, vectorEnv });
      track(resumed.env);
      resumed.restoreCheckpoint(checkpoint);
      expect(resumed.learn({ totalTimesteps: 384 }).map((m) => m.policyLoss)).toEqual(expected);
      expect(Array.from(resumed.policy.params)).toEqual(Array.from(reference.policy.params));
    }
  });

  it('checks its arguments and its call order like SyncVectorEnv', () => {
    expect(() => new AsyncVectorEnv('CartPole-v1', 0)).toThrow(/numEnvs/);
    expect(() => new AsyncVectorEnv('CartPole-v1', 2, {}, { workers: 0 })).toThrow(/workers/);
    expect(() => new AsyncVectorEnv('CartPol-v1', 2)).toThrow(/CartPole-v1/);
    const env = track(new AsyncVectorEnv('CartPole-v1', 2));
    expect(() => env.step(Int32Array.from([0, 1]))).toThrow(/reset/);
    env.reset();
    expect(() => env.step([0])).toThrow(/expected 2 numbers/);
    env.close();
    expect(() => env.reset()).toThrow(/closed/);
  });
});
