/**
 * Issue 13, the library side: `learn` validates its argument and `resetProgress: false` trains that many more
 * steps (SB3's reset_num_timesteps=False); a minibatch larger than the rollout is refused; snake_case names get a
 * camelCase hint; envs print as Gymnasium's do; the presets' budgets are the ones the learning benchmark measured.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  A2C,
  make,
  NPG,
  PendulumEnv,
  PolicygradError,
  PPO,
  presetTimesteps,
  Reinforce,
  TRPO,
  type Algorithm,
} from '../src/internal.js';
import { A3C } from '../src/node.js';

const small = { env: 'CartPole-v1', numEnvs: 2, nSteps: 16, seed: 1 };
const builders = [
  ['PPO', () => new PPO({ ...small, batchSize: 32 })],
  ['A2C', () => new A2C(small)],
  ['TRPO', () => new TRPO({ ...small, batchSize: 32 })],
  ['NPG', () => new NPG({ ...small, batchSize: 32 })],
  ['REINFORCE', () => new Reinforce({ env: 'CartPole-v1', numEnvs: 2, nSteps: 16, seed: 1 })],
] as unknown as [string, () => Algorithm][];

describe('learn({ totalTimesteps }) (item 7)', () => {
  describe.each(builders)('%s', (name, build) => {
    it.each([
      [{ totalTimesteps: -5 }, /invalid totalTimesteps -5: expected a positive integer/],
      [{ totalTimesteps: 0 }, /invalid totalTimesteps 0/],
      [{ totalTimesteps: Number.NaN }, /invalid totalTimesteps NaN/],
      [{ totalTimesteps: 10.5 }, /invalid totalTimesteps 10.5/],
      [{ totalTimesteps: '1000' }, /invalid totalTimesteps "1000"/],
      [{}, /invalid totalTimesteps undefined/],
      [1000, /expected an options object such as \{ totalTimesteps: 10000 \}, got 1000/],
      [{ totalTimesteps: 32, resetProgress: 'no' }, /invalid resetProgress "no": expected true or false/],
    ])('refuses %j, naming the value', (options, message) => {
      const model = build();
      const learn = () => model.learn(options as never);
      expect(learn).toThrow(PolicygradError);
      expect(learn).toThrow(new RegExp(`^${name}\\.learn: ${message.source}`));
      expect(model.numTimesteps).toBe(0); // nothing ran
    });

    it('resetProgress: false trains totalTimesteps more steps', () => {
      const model = build();
      model.learn({ totalTimesteps: 64 });
      expect(model.numTimesteps).toBe(64);
      model.learn({ totalTimesteps: 64, resetProgress: false });
      expect(model.numTimesteps).toBe(128);
      model.learn({ totalTimesteps: 32 });
      expect(model.numTimesteps).toBe(160);
    });
  });

  it('A3C refuses the same values (its learn is asynchronous)', async () => {
    const a3c = new A3C({ env: 'CartPole-v1' });
    await expect(a3c.learn(1000 as never)).rejects.toThrow(/^A3C\.learn: expected an options object/);
    await expect(a3c.learn({ totalTimesteps: -5 })).rejects.toThrow(/^A3C\.learn: invalid totalTimesteps -5/);
  });

  it('the continued schedule is the one in force extended to the new end (as SB3 recomputes its progress)', () => {
    // lin_0.001 over 128 steps, then 128 more: the schedule now ends at 256, so at step 128 the rate is 0.0005.
    const model = new PPO({ ...small, batchSize: 32, learningRate: 'lin_0.001' });
    const first = model.learn({ totalTimesteps: 128 });
    expect(first[0].learningRate).toBeCloseTo(0.001, 12);
    const more = model.learn({ totalTimesteps: 128, resetProgress: false });
    expect(more[0].learningRate).toBeCloseTo(0.001 * (1 - 128 / 256), 12);
    expect(more.at(-1)?.step).toBe(256);
  });
});

describe('config mistakes (item 8)', () => {
  it('a batchSize given larger than the rollout is refused (it used to be cut to the rollout silently)', () => {
    expect(() => new PPO({ ...small, batchSize: 64 })).toThrow(
      'PPO config: batchSize 64 is larger than the rollout (numEnvs × nSteps = 2 × 16 = 32); expected at most 32',
    );
    expect(() => new TRPO({ ...small, batchSize: 33 })).toThrow(/TRPO config: batchSize 33 is larger/);
    expect(() => new PPO({ ...small, batchSize: 32 })).not.toThrow();
    // A preset's batch size with a smaller rollout: refused, saying where the value came from.
    expect(() => new PPO({ env: 'CartPole-v1', preset: 'zoo', numEnvs: 2 })).toThrow(
      "PPO config: batchSize 256 (from the 'zoo' preset: set batchSize) is larger than the rollout (numEnvs × nSteps = 2 × 32 = 64)",
    );
    // The default (64) is not the user's choice: it is cut to a smaller rollout as before.
    expect(() => new PPO({ env: 'CartPole-v1', nSteps: 8 })).not.toThrow();
  });

  it("a preset's own batch larger than its rollout builds again from the resolved config (load, resume)", () => {
    const zoo = new PPO({ env: 'MountainCarContinuous-v0', preset: 'zoo' }).config; // rl-zoo: 256 over 1 × 8
    expect(new PPO(zoo).config.batchSize).toBe(256);
  });

  it("a preset given as values (the README's) keeps its own batch over a smaller rollout", () => {
    const preset = { numEnvs: 1, nSteps: 8, batchSize: 256 };
    expect(new PPO({ env: 'MountainCarContinuous-v0', preset }).config).toMatchObject(preset);
  });

  it('a preset given as values is refused once the explicit fields change its rollout', () => {
    const preset = { numEnvs: 1, nSteps: 8, batchSize: 256 };
    expect(() => new PPO({ env: 'MountainCarContinuous-v0', preset, numEnvs: 2 })).toThrow(
      'PPO config: batchSize 256 (from the preset: set batchSize) is larger than the rollout (numEnvs × nSteps = 2 × 8 = 16); expected at most 16',
    );
  });

  it('a preset given as values cannot choose the env', () => {
    expect(() => new PPO({ preset: { env: 'Pendulum-v1' } })).toThrow(
      'PPO: a preset given as hyperparameters cannot set env (set it next to the preset)',
    );
  });

  it.each([
    ['PPO', (c: object) => new PPO(c).config],
    ['TRPO', (c: object) => new TRPO(c).config],
  ])(
    '%s: the default batch size is recorded cut to a smaller rollout, so the config builds again',
    (_, build) => {
      const cut = build({ env: 'CartPole-v1', nSteps: 8 });
      expect(cut.batchSize).toBe(8);
      expect(build(cut).batchSize).toBe(8);
    },
  );

  it.each([
    ['learning_rate', 'learningRate'],
    ['n_steps', 'nSteps'],
    ['ent_coef', 'entCoef'],
    ['gae_lambda', 'gaeLambda'],
    ['learningrate', 'learningRate'],
    ['learningRat', 'learningRate'],
  ])('%s gets "did you mean %s"', (key, camel) => {
    expect(() => new PPO({ ...small, [key]: 0.1 })).toThrow(
      `unknown option '${key}' (did you mean ${camel}?)`,
    );
  });
});

describe('smaller (issue 13)', () => {
  it("String(make('CartPole-v1')) prints as Gymnasium's str(env)", () => {
    expect(String(make('CartPole-v1'))).toBe('<TimeLimit<OrderEnforcing<CartPoleEnv<CartPole-v1>>>>');
    expect(String(make('Pendulum-v1', { maxEpisodeSteps: 10 }))).toBe(
      '<TimeLimit<OrderEnforcing<PendulumEnv<Pendulum-v1>>>>',
    );
    expect(String(new PendulumEnv())).toBe('<PendulumEnv instance>');
  });

  it("every preset's budget is the budget bench/results/learning.md measured", () => {
    const lines = readFileSync(new URL('../bench/results/learning.md', import.meta.url), 'utf8').split('\n');
    const cells = (line: string) => line.split('|').map((cell) => cell.trim());
    const header = cells(lines.find((line) => line.startsWith('| env |')) ?? '');
    const column = (name: string) => header.indexOf(name);
    const rows = lines.filter((line) => /^\| [A-Z]\w+-v\d+ \|/.test(line)).map(cells);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const [env, algo, preset, budget] = ['env', 'algo', 'preset', 'budget'].map(
        (name) => row[column(name)],
      );
      expect(presetTimesteps(algo, env, preset), `${algo} ${preset} on ${env}`).toBe(
        Number(budget.replaceAll(',', '')),
      );
    }
  });
});
