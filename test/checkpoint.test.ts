/**
 * Checkpoints resume exactly: a run stopped after iteration k, saved, restored into a fresh algorithm (through
 * JSON, as on disk) and continued produces the same metrics and parameters as the uninterrupted run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { A2C, NPG, PolicygradError, PPO, Reinforce, TRPO } from '../src/node.js';

type Model = PPO | A2C | TRPO | NPG | Reinforce;
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
      /^checkpoint format version 99 is not supported: expected 1 or 2$/,
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

describe('checkpoint format version 1 (before the trainer) is converted on read', () => {
  // Files written at commit 6342c3d after two iterations of a 100k-step schedule (test/fixtures/checkpoint-v1).
  const small = { netArch: [8] };
  const v1: [string, () => Model][] = [
    ['a2c', () => new A2C({ env: 'CartPole-v1', seed: 11, numEnvs: 2, nSteps: 5, ...small })],
    [
      'ppo',
      () =>
        new PPO({
          env: 'Pendulum-v1',
          seed: 12,
          numEnvs: 2,
          nSteps: 32,
          batchSize: 32,
          nEpochs: 2,
          objective: 'kl-penalty',
          ...small,
        }),
    ],
    [
      'trpo',
      () => new TRPO({ env: 'CartPole-v1', seed: 13, numEnvs: 2, nSteps: 32, batchSize: 32, ...small }),
    ],
    ['npg', () => new NPG({ env: 'CartPole-v1', seed: 14, numEnvs: 2, nSteps: 32, batchSize: 32, ...small })],
    [
      'reinforce',
      () => new Reinforce({ env: 'CartPole-v1', seed: 15, reuseBatches: 1, batchEpisodes: 2, ...small }),
    ],
  ];
  const fixture = (name: string) =>
    JSON.parse(readFileSync(new URL(`./fixtures/checkpoint-v1/${name}`, import.meta.url), 'utf8')) as unknown;
  const untilIteration4 = {
    totalTimesteps: 100_000,
    callback: (m: { iteration: number }) => m.iteration < 4,
  };

  it.each(v1)('%s: a version 1 checkpoint continues exactly like the uninterrupted run', (name, build) => {
    const expected = build().learn(untilIteration4).slice(2);
    const resumed = build();
    resumed.restoreCheckpoint(fixture(`${name}.json`));
    expect(resumed.checkpoint()).toMatchObject({ version: 2, iteration: 2 });
    const tail = resumed.learn({
      ...untilIteration4,
      totalTimesteps: 100_000 - resumed.numTimesteps,
      resetProgress: false,
    });
    expect(comparable(tail)).toEqual(comparable(expected));
  });

  it("renames the optimizers to the update rule's names and keeps the rule's state (PPO's β)", () => {
    const ppo = v1[1][1]() as PPO;
    ppo.restoreCheckpoint(fixture('ppo.json'));
    const cp = ppo.checkpoint();
    expect(Object.keys(cp.optimizers)).toEqual(['actorCritic']);
    expect(cp.state).toEqual({ klBeta: 0.25 });
    expect(cp).not.toHaveProperty('extra');
  });

  it('a version 1 saved model (model.json) loads and continues the same run', () => {
    const dir = fileURLToPath(new URL('./fixtures/checkpoint-v1/ppo-model', import.meta.url));
    const expected = v1[1][1]().learn(untilIteration4).slice(2);
    const loaded = PPO.load(dir);
    const tail = loaded.learn({ ...untilIteration4, totalTimesteps: 100_000 - 128, resetProgress: false });
    expect(comparable(tail)).toEqual(comparable(expected));
  });
});
