/**
 * Checkpoints resume exactly: a run stopped after iteration k, saved, restored into a fresh algorithm (through
 * JSON, as on disk) and continued produces the same metrics and parameters as the uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { A2C, PolicygradError, PPO, Reinforce, TRPO } from '../src/index.js';

type Model = PPO | A2C | TRPO | Reinforce;
const TIME_FIELDS = new Set(['sps', 'timeSeconds']);

function comparable(rows: object[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIME_FIELDS.has(k))));
}

const cases: [string, () => Model, number][] = [
  ['PPO (zoo, CartPole-v1)', () => new PPO({ env: 'CartPole-v1', preset: 'zoo', seed: 4 }), 256 * 8],
  [
    'PPO adaptive KL with VecNormalize (Pendulum-v1)',
    () =>
      new PPO({
        env: 'Pendulum-v1',
        objective: 'kl-penalty',
        normalize: true,
        numEnvs: 2,
        nSteps: 128,
        seed: 5,
      }),
    256 * 6,
  ],
  [
    'A2C (zoo, Acrobot-v1, normalised)',
    () => new A2C({ env: 'Acrobot-v1', preset: 'zoo', seed: 6 }),
    80 * 12,
  ],
  ['TRPO (zoo, CartPole-v1)', () => new TRPO({ env: 'CartPole-v1', preset: 'zoo', seed: 7 }), 1024 * 4],
  [
    'REINFORCE with importance-sampled reuse of 2 past batches',
    () => new Reinforce({ env: 'CartPole-v1', preset: 'zoo', reuseBatches: 2, seed: 8 }),
    2048 * 5,
  ],
  [
    'REINFORCE by whole episodes (mean baseline)',
    () => new Reinforce({ env: 'CartPole-v1', batchEpisodes: 4, baseline: 'mean', seed: 9 }),
    600,
  ],
];

describe.each(cases)('%s', (_name, build, total) => {
  it('resumed from a checkpoint produces exactly the metrics and parameters of an uninterrupted run', () => {
    const uninterrupted = build();
    const expected = uninterrupted.learn({ totalTimesteps: total });
    expect(expected.length).toBeGreaterThan(3);

    const first = build();
    const head = first.learn({ totalTimesteps: total, callback: (m) => m.iteration < 2 });
    const saved = JSON.parse(JSON.stringify(first.checkpoint()));
    const resumed = build();
    resumed.restoreCheckpoint(saved);
    // SB3's reset_num_timesteps=False: learn the steps left of the budget, on the schedule in force.
    const tail = resumed.learn({ totalTimesteps: total - resumed.numTimesteps, resetProgress: false });

    expect(comparable([...head, ...tail])).toEqual(comparable(expected));
    expect(Array.from(resumed.policy.params)).toEqual(Array.from(uninterrupted.policy.params));

    // Continuing in place (no save) is the same run too.
    const inPlace = first.learn({ totalTimesteps: total - first.numTimesteps, resetProgress: false });
    expect(comparable([...head, ...inPlace])).toEqual(comparable(expected));
  });
});

describe('checkpoint validation', () => {
  it('refuses a checkpoint of another algorithm or env, a corrupt one, and says why', () => {
    const ppo = new PPO({ env: 'CartPole-v1', numEnvs: 2, nSteps: 16, batchSize: 32, seed: 1 });
    ppo.learn({ totalTimesteps: 64 });
    const cp = ppo.checkpoint();
    expect(() => new A2C({ env: 'CartPole-v1' }).restoreCheckpoint(cp)).toThrow(
      /made by "ppo" on "CartPole-v1", not by 'a2c' on 'CartPole-v1'/,
    );
    expect(() => new PPO({ env: 'Acrobot-v1' }).restoreCheckpoint(cp)).toThrow(
      /not by 'ppo' on 'Acrobot-v1'/,
    );
    expect(() => new PPO({ env: 'CartPole-v1' }).restoreCheckpoint({ format: 'x' })).toThrow(PolicygradError);
    expect(() => new PPO({ env: 'CartPole-v1' }).restoreCheckpoint({ ...cp, version: 99 })).toThrow(
      /version 99/,
    );
    expect(() => new PPO({ env: 'CartPole-v1' }).restoreCheckpoint({ ...cp, params: 'AAAA' })).toThrow(
      /checkpoint parameters: expected \d+ float32 values/,
    );
    const { collector: _dropped, ...incomplete } = cp;
    expect(() => new PPO({ env: 'CartPole-v1' }).restoreCheckpoint(incomplete)).toThrow(
      /'collector' is missing/,
    );
  });
});
