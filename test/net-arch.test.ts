/**
 * Network architecture as SB3 users write it: `netArch` (one list for both networks, or `{ pi, vf }` for the
 * actor and the critic) and `activation` (tanh, relu, elu, gelu), in every algorithm with the actor-critic MLP
 * policy, from the API and from the CLI (`--set`), saved, exported and loaded by `policygrad/inference`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/inference.js';
import {
  A2C,
  A3C,
  ActorCriticPolicy,
  exportPolicy,
  importPolicy,
  makeVec,
  NPG,
  PPO,
  Reinforce,
  Rng,
  RunDirectory,
  TRPO,
} from '../src/node.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-net-arch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPLIT = { pi: [16], vf: [32, 8] };

/** The exported policy of an untrained CartPole model. */
function policyFile(model: A2C) {
  return exportPolicy(model.policy, {
    algo: 'a2c',
    env: 'CartPole-v1',
    envOptions: {},
    observationSpace: model.env.singleObservationSpace,
    actionSpace: model.env.singleActionSpace,
    normalization: null,
  });
}

/** Layer widths of an MLP, input to output. */
function widths(mlp: { sizes: readonly number[] }): number[] {
  return [...mlp.sizes];
}

describe('netArch and activation', () => {
  it.each([
    ['PPO', 'relu', () => new PPO({ netArch: SPLIT, activation: 'relu', nSteps: 64, batchSize: 32 })],
    ['A2C', 'elu', () => new A2C({ netArch: SPLIT, activation: 'elu' })],
    ['TRPO', 'gelu', () => new TRPO({ netArch: SPLIT, activation: 'gelu', nSteps: 64, batchSize: 32 })],
    ['NPG', 'gelu', () => new NPG({ netArch: SPLIT, activation: 'gelu', nSteps: 64, batchSize: 32 })],
    ['REINFORCE', 'elu', () => new Reinforce({ netArch: SPLIT, activation: 'elu', nSteps: 64 })],
  ] as const)(
    '%s builds the actor and the critic each at its own size with %s hidden layers, and trains them',
    (_name, activation, build) => {
      const model = build();
      expect(widths(model.policy.actor)).toEqual([4, 16, 2]); // CartPole: 4 observations, 2 actions
      expect(widths(model.policy.critic)).toEqual([4, 32, 8, 1]);
      expect(model.policy.spec).toMatchObject({ netArch: SPLIT, activation });
      for (const { layers } of [model.policy.actor, model.policy.critic]) {
        expect(layers.map((l) => l.act)).toEqual([...layers.slice(1).map(() => activation), 'identity']);
      }
      const before = Float32Array.from(model.policy.params);
      model.learn({ totalTimesteps: 128 });
      expect(model.policy.params.every(Number.isFinite)).toBe(true);
      expect(model.policy.params.some((v, k) => v !== before[k])).toBe(true);
    },
  );

  it(
    'A3C workers train the same architecture as the main thread (gelu, pi/vf split)',
    { tags: ['slow'] },
    async () => {
      const model = new A3C({ netArch: SPLIT, activation: 'gelu', numWorkers: 2, seed: 3 });
      expect(widths(model.policy.critic)).toEqual([4, 32, 8, 1]);
      expect(model.policy.spec).toMatchObject({ netArch: SPLIT, activation: 'gelu' });
      const before = Float32Array.from(model.policy.params);
      await model.learn({ totalTimesteps: 200 });
      expect(model.totalSteps).toBeGreaterThanOrEqual(200);
      const after = model.policy.params;
      expect(after.every(Number.isFinite)).toBe(true);
      expect(after.some((v, i) => v !== before[i])).toBe(true);
    },
  );

  it('the README example: PPO on Pendulum-v1 with a gelu actor [16] and critic [32, 8]', () => {
    const model = new PPO({ env: 'Pendulum-v1', netArch: { pi: [16], vf: [32, 8] }, activation: 'gelu' });
    expect(widths(model.policy.actor)).toEqual([3, 16, 1]); // the mean; log σ is a free parameter
    expect(widths(model.policy.critic)).toEqual([3, 32, 8, 1]);
  });

  it('a plain list sizes both networks (SB3 ≥ 1.8); the default is [64, 64] with tanh', () => {
    const model = new A2C({ netArch: [24, 12], activation: 'gelu' });
    expect(widths(model.policy.actor)).toEqual([4, 24, 12, 2]);
    expect(widths(model.policy.critic)).toEqual([4, 24, 12, 1]);
    expect(model.policy.spec.netArch).toEqual({ pi: [24, 12], vf: [24, 12] });
    const plain = new A2C();
    expect(plain.policy.spec).toMatchObject({ netArch: { pi: [64, 64], vf: [64, 64] }, activation: 'tanh' });
  });

  it('keeps SB3 initialisation whatever the activation: orthogonal with gain √2 for hidden layers', () => {
    const env = makeVec('CartPole-v1', 1);
    for (const activation of ['relu', 'gelu'] as const) {
      const policy = new ActorCriticPolicy(
        {
          observationSpace: env.singleObservationSpace,
          actionSpace: env.singleActionSpace,
          netArch: SPLIT,
          activation,
        },
        Rng.fromSeed(1),
      );
      // The critic's first layer W [32 × 4]: orthonormal columns times √2, so WᵀW = 2·I.
      const { wOffset } = policy.critic.layers[0];
      const W = policy.params.subarray(policy.criticOffset + wOffset, policy.criticOffset + wOffset + 32 * 4);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          let dot = 0;
          for (let r = 0; r < 32; r++) dot += W[r * 4 + i] * W[r * 4 + j];
          expect(dot).toBeCloseTo(i === j ? 2 : 0, 5);
        }
      }
    }
  });

  it('refuses the old name, an unknown activation and a malformed netArch in one line each', () => {
    expect(() => new PPO({ hiddenSizes: [8] } as never)).toThrow(
      /^PPO config: option 'hiddenSizes' was renamed to 'netArch': netArch: \[64, 64\] for both networks, or \{ pi: \[64, 64\], vf: \[256, 256\] \} for the actor and the critic$/,
    );
    expect(() => new Reinforce({ activation: 'swish' } as never)).toThrow(
      /^REINFORCE config: option 'activation' = "swish" is invalid: expected one of tanh, relu, elu, gelu$/,
    );
    for (const netArch of [{ pi: [64] }, '64,64', [64, 0], { pi: [8], vf: [8], qf: [8] }]) {
      expect(() => new A2C({ netArch } as never)).toThrow(
        /^A2C config: option 'netArch' = .* is invalid: expected a list of positive integers for both networks, e\.g\. \[64, 64\], or \{ pi: \[64, 64\], vf: \[256, 256\] \} for the actor and the critic$/,
      );
    }
    expect(() => new PPO({ netArch: SPLIT, sharedTrunk: true })).toThrow(
      /^sharedTrunk shares the hidden layers, so netArch must be one list; got pi \[16\], vf \[32, 8\]$/,
    );
    const env = makeVec('CartPole-v1', 1);
    const spaces = { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace };
    const rng = Rng.fromSeed(0);
    expect(() => new ActorCriticPolicy({ ...spaces, activation: 'sigmoid' } as never, rng)).toThrow(
      /^activation "sigmoid" is not supported: expected one of tanh, relu, elu, gelu$/,
    );
    expect(() => new ActorCriticPolicy({ ...spaces, netArch: [64, -1] }, rng)).toThrow(
      /^netArch \[64, -1\] is invalid/,
    );
    expect(() => new ActorCriticPolicy({ ...spaces, hiddenSizes: [8] } as never, rng)).toThrow(
      /^ActorCriticPolicy: option 'hiddenSizes' was renamed to 'netArch'/,
    );
  });

  it('save → load keeps the architecture and the actions (gelu, pi/vf split)', () => {
    const dir = join(work, 'saved');
    const model = new PPO({ netArch: SPLIT, activation: 'gelu', nSteps: 64, batchSize: 32, seed: 4 });
    model.learn({ totalTimesteps: 256 });
    model.save(dir);
    const loaded = PPO.load(dir);
    expect(loaded.policy.spec).toEqual(model.policy.spec);
    expect(widths(loaded.policy.critic)).toEqual([4, 32, 8, 1]);
    const rng = Rng.fromSeed(3);
    for (let k = 0; k < 30; k++) {
      const o = Float32Array.from({ length: 4 }, () => rng.normal(0, 0.5));
      expect(loaded.predict(o)).toEqual(model.predict(o));
      expect(loaded.policy.values(o, 1)[0]).toBe(model.policy.values(o, 1)[0]);
    }
  });

  it('models and runs saved before netArch (config.hiddenSizes) load and resume with it as netArch', () => {
    const dir = join(work, 'saved-legacy');
    const model = new A2C({ netArch: [8, 8], seed: 2 });
    model.save(dir);
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const { netArch: _n, ...rest } = saved.config;
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ ...saved, config: { ...rest, hiddenSizes: [8, 8] } }),
    );
    const loaded = A2C.load(dir);
    expect(loaded.config.netArch).toEqual([8, 8]);
    expect(Array.from(loaded.policy.params)).toEqual(Array.from(model.policy.params));
    const run = join(work, 'run-legacy');
    mkdirSync(run);
    writeFileSync(
      join(run, 'config.json'),
      JSON.stringify({ algo: 'a2c', config: { hiddenSizes: [8], seed: 1 } }),
    );
    expect(RunDirectory.open(run).readConfig()).toEqual({ algo: 'a2c', config: { netArch: [8], seed: 1 } });
  });

  it('policy files written before netArch (spec.hiddenSizes) still load, in the library and in policygrad/inference', () => {
    const model = new A2C({ netArch: [8, 8], activation: 'relu', seed: 1 });
    const file = policyFile(model);
    const { netArch: _n, ...rest } = file.spec;
    const legacy = { ...file, spec: { ...rest, hiddenSizes: [8, 8] } } as never;
    const restored = importPolicy(legacy);
    expect(restored.spec).toEqual(model.policy.spec);
    expect(Array.from(restored.params)).toEqual(Array.from(model.policy.params));
    const o = Float32Array.of(0.1, -0.2, 0.03, 0.4);
    expect(loadPolicy(legacy).act(o)).toBe(model.predict(o));
  });
});

describe('from the CLI (built dist/)', { tags: ['slow'] }, () => {
  const cli = (args: string[]) =>
    spawnSync('node', ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8' });

  it("train --set activation=gelu --set 'netArch={…}' → export → loadPolicy acts as the trained policy", () => {
    const run = join(work, 'cli-run');
    const result = cli([
      'train',
      '--algo',
      'a2c',
      '--env',
      'Pendulum-v1',
      // the defaults, not the zoo preset (its observation normalisation would sit between the two policies)
      '--preset',
      'none',
      '--timesteps',
      '400',
      '--set',
      'activation=gelu',
      '--set',
      'netArch={"pi":[16,16],"vf":[32]}',
      '--out',
      run,
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { config } = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ activation: 'gelu', netArch: { pi: [16, 16], vf: [32] } });
    const exported = join(work, 'exported.json');
    expect(cli(['export', run, '--out', exported]).status).toBe(0);
    const json = readFileSync(exported, 'utf8');
    const file = JSON.parse(json);
    expect(file.spec).toMatchObject({ activation: 'gelu', netArch: { pi: [16, 16], vf: [32] } });
    const trained = importPolicy(file);
    const policy = loadPolicy(json);
    const rng = Rng.fromSeed(5);
    for (let k = 0; k < 100; k++) {
      const o = Float32Array.from({ length: 3 }, () => rng.normal(0, 1));
      const expected = Array.from(trained.predict(o) as Float32Array, (a) => Math.min(Math.max(a, -2), 2));
      const action = policy.act(o) as number[];
      // float32 kernels (wasm gelu within 2e-7·max(1, |z|)) vs float64 here
      action.forEach((a, i) =>
        expect(Math.abs(a - expected[i])).toBeLessThan(1e-5 * (1 + Math.abs(expected[i]))),
      );
    }
  });

  it('refuses --set activation=swish and --set hiddenSizes=… in one line, exit 2', () => {
    const out = join(work, 'never');
    const bad = cli(['train', '--timesteps', '100', '--set', 'activation=swish', '--out', out]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(
      /option 'activation' = "swish" is invalid: expected one of tanh, relu, elu, gelu/,
    );
    const old = cli(['train', '--timesteps', '100', '--set', 'hiddenSizes=[8]', '--out', out]);
    expect(old.status).toBe(2);
    expect(old.stderr.trim().split('\n')).toHaveLength(1);
    expect(old.stderr).toMatch(/'hiddenSizes' was renamed to 'netArch'/);
  });
});

describe('policygrad/inference', () => {
  it('refuses a policy file with an unknown activation in one line naming the accepted ones', () => {
    const file = policyFile(new A2C({ netArch: [8], seed: 1 }));
    const edited = JSON.stringify({ ...file, spec: { ...file.spec, activation: 'swish' } });
    expect(() => loadPolicy(edited)).toThrow(
      /^policygrad\/inference: unknown activation "swish": expected one of tanh, relu, elu, gelu$/,
    );
    expect(() => importPolicy(JSON.parse(edited))).toThrow(/^activation "swish" is not supported/);
  });
});
