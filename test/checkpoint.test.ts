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
      /^checkpoint format version 99 is not supported: expected 1, 2, 3$/,
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

/** The runs of the version 1 and 2 fixtures (PPO's options extended by `ppoExtra`), small networks. */
function fixtureRuns(ppoExtra: Record<string, unknown> = {}): [string, () => Model][] {
  const small = { netArch: [8] };
  return [
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
          ...ppoExtra,
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
}

/** Two iterations of a fixture's 100k-step schedule after the two it was written at. */
const untilIteration4 = {
  totalTimesteps: 100_000,
  callback: (m: { iteration: number }) => m.iteration < 4,
};

describe('checkpoint format version 1 (before the trainer) is converted on read', () => {
  // Files written at commit 6342c3d after two iterations of a 100k-step schedule (test/fixtures/checkpoint-v1).
  const v1 = fixtureRuns();
  const fixture = (name: string) =>
    JSON.parse(readFileSync(new URL(`./fixtures/checkpoint-v1/${name}`, import.meta.url), 'utf8')) as unknown;
  it.each(v1)('%s: a version 1 checkpoint continues exactly like the uninterrupted run', (name, build) => {
    const expected = build().learn(untilIteration4).slice(2);
    const resumed = build();
    resumed.restoreCheckpoint(fixture(`${name}.json`));
    expect(resumed.checkpoint()).toMatchObject({ version: 3, iteration: 2 });
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

describe('checkpoint format version 2 (optimizer buffers as arrays of numbers) is read as it is', () => {
  // Files written at commit 11e7289 (before version 3 stored the optimizers' buffers in base64) by the version 1
  // fixtures' runs (PPO with VecNormalize too), stopped after iteration 2 (test/fixtures/checkpoint-v2).
  const v2 = fixtureRuns({ normalize: true });
  const fixture = (name: string) =>
    JSON.parse(readFileSync(new URL(`./fixtures/checkpoint-v2/${name}`, import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >;
  it.each(v2)('%s: a version 2 checkpoint continues exactly like the uninterrupted run', (name, build) => {
    const expected = build().learn(untilIteration4).slice(2);
    const resumed = build();
    resumed.restoreCheckpoint(fixture(`${name}.json`));
    // Written again as version 3: the same state, the buffers in base64.
    const again = resumed.checkpoint();
    expect(again).toMatchObject({ version: 3, iteration: 2 });
    for (const state of Object.values(again.optimizers)) {
      for (const buffer of state.buffers) expect(buffer).toMatchObject({ dtype: 'float64' });
    }
    const tail = resumed.learn({
      ...untilIteration4,
      totalTimesteps: 100_000 - resumed.numTimesteps,
      resetProgress: false,
    });
    expect(comparable(tail)).toEqual(comparable(expected));
  });
});

describe('checkpoint format version 3: optimizer buffers in base64', () => {
  const build = () => new PPO({ env: 'CartPole-v1', numEnvs: 2, nSteps: 16, batchSize: 32, seed: 1 });
  const trained = () => {
    const ppo = build();
    ppo.learn({ totalTimesteps: 64 });
    return ppo;
  };

  it('holds every optimizer buffer as { dtype, data } whose bytes are the moments, bit for bit', () => {
    const ppo = trained();
    const cp = ppo.checkpoint();
    const [m, v] = cp.optimizers.actorCritic.buffers as { dtype: string; data: string }[];
    expect(m.dtype).toBe('float64');
    expect(v.dtype).toBe('float64');
    const n = ppo.policy.params.length;
    expect(Buffer.from(m.data, 'base64').byteLength).toBe(8 * n);
    // Through JSON (as on disk) and back: the next checkpoint is the same text.
    const restored = build();
    restored.restoreCheckpoint(JSON.parse(JSON.stringify(cp)));
    expect(JSON.stringify(restored.checkpoint().optimizers)).toBe(JSON.stringify(cp.optimizers));
    // No optimizer buffer is a JSON array of numbers any more.
    expect(JSON.stringify(cp.optimizers)).not.toMatch(/\[-?\d/);
  });

  it('normalisers, observations, env states and running returns are in base64 too: no JSON array of fractions', () => {
    const model = new PPO({
      env: 'Pendulum-v1',
      normalize: true,
      numEnvs: 2,
      nSteps: 32,
      batchSize: 32,
      seed: 3,
    });
    model.learn({ totalTimesteps: 96 });
    const text = JSON.stringify(model.checkpoint());
    // Integer arrays stay numbers (generator words, episode lengths); a fraction in an array is a float array.
    expect(text).not.toMatch(/\[[^\]]*\d\.\d/);
    expect(text).toMatch(/"obsRms":\{"mean":\{"dtype":"float64","data":"/);
    const resumed = new PPO({ env: 'Pendulum-v1', normalize: true, numEnvs: 2, nSteps: 32, batchSize: 32 });
    resumed.restoreCheckpoint(JSON.parse(text));
    // Read back bit for bit: written again, the same text.
    const again = resumed.checkpoint();
    for (const key of ['params', 'vectorEnv', 'collector', 'optimizers'] as const) {
      expect(JSON.stringify(again[key])).toBe(JSON.stringify((JSON.parse(text) as typeof again)[key]));
    }
  });

  it('refuses a wrong length, bad base64 or a wrong dtype in one line naming the field', () => {
    const cp = trained().checkpoint();
    const withBuffer = (buffer: unknown) => ({
      ...cp,
      optimizers: {
        actorCritic: {
          ...cp.optimizers.actorCritic,
          buffers: [buffer, cp.optimizers.actorCritic.buffers[1]],
        },
      },
    });
    const refused = (buffer: unknown) => {
      try {
        build().restoreCheckpoint(withBuffer(buffer));
      } catch (error) {
        expect(error).toBeInstanceOf(PolicygradError);
        const message = (error as Error).message;
        expect(message).not.toContain('\n');
        return message;
      }
      throw new Error('accepted');
    };
    const prefix = "checkpoint field 'optimizers.actorCritic': Adam: invalid optimizer state: buffer 0: ";
    expect(refused({ dtype: 'float64', data: 'AAAA' })).toMatch(
      new RegExp(`^${escape(prefix)}expected \\d+ float64 values \\(\\d+ bytes\\), got 3 bytes$`),
    );
    expect(refused({ dtype: 'float64', data: '!!not base64!!' })).toBe(
      `${prefix}its data is not valid base64`,
    );
    const m = cp.optimizers.actorCritic.buffers[0] as { data: string };
    expect(refused({ dtype: 'float32', data: m.data })).toBe(`${prefix}dtype "float32": expected 'float64'`);
    expect(refused('AAAA')).toBe(
      `${prefix}expected { dtype: 'float64', data: base64 } or an array of numbers, got string`,
    );
    expect(refused([1, 2, 3])).toMatch(new RegExp(`^${escape(prefix)}expected \\d+ numbers, got 3 values$`));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
