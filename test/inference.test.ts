/**
 * policygrad/inference: `loadPolicy(json).act(observation)` takes the same actions as the trained policy's
 * deterministic `predict` (on normalised observations when training normalised them; Box actions within float32
 * rounding), and the built module imports nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/inference.js';
import type { Box } from '../src/internal.js';
import { A2C, Discrete, make, policyFileOf, PPO, VecNormalize } from '../src/internal.js';

const root = new URL('..', import.meta.url).pathname;

type Model = PPO | A2C;

function exported(model: Model, algo: string) {
  return JSON.stringify(policyFileOf(model, algo));
}

/** What the env receives from the trained policy for a raw observation (normalise, predict, map to the space). */
function expectedAction(model: Model, raw: Float32Array): number | number[] {
  const observation = model.env instanceof VecNormalize ? model.env.normalizeObservations(raw) : raw;
  const action = model.policy.predict(observation, { deterministic: true });
  const space = model.env.singleActionSpace;
  if (space instanceof Discrete) return (action as number) + space.start;
  const box = space as Box;
  if (model.policy.squashOutput) {
    return Array.from(
      action as Float32Array,
      (a, i) => box.low[i] + 0.5 * (a + 1) * (box.high[i] - box.low[i]),
    );
  }
  return Array.from(action as Float32Array, (a, i) => Math.min(Math.max(a, box.low[i]), box.high[i]));
}

describe('policygrad/inference', () => {
  it.each([
    ['PPO, CartPole-v1 (Discrete)', () => new PPO({ env: 'CartPole-v1', preset: 'zoo', seed: 1 }), 'ppo'],
    [
      'A2C, Pendulum-v1 (Box, normalised observations)',
      () => new A2C({ env: 'Pendulum-v1', normalize: true, numEnvs: 4, seed: 2 }),
      'a2c',
    ],
    [
      'PPO, Acrobot-v1 (shared trunk, normalised)',
      () =>
        new PPO({ env: 'Acrobot-v1', normalize: true, sharedTrunk: true, numEnvs: 4, nSteps: 64, seed: 3 }),
      'ppo',
    ],
    ...(['relu', 'elu', 'gelu'] as const).map(
      (activation) =>
        [
          `A2C, Pendulum-v1 (Box), ${activation}, actor [32, 32] / critic [64]`,
          () =>
            new A2C({
              env: 'Pendulum-v1',
              netArch: { pi: [32, 32], vf: [64] },
              activation,
              numEnvs: 4,
              seed: 4,
            }),
          'a2c',
        ] as const,
    ),
    [
      'PPO, CartPole-v1 (Discrete), gelu, actor [64, 64] / critic [16]',
      () =>
        new PPO({
          env: 'CartPole-v1',
          netArch: { pi: [64, 64], vf: [16] },
          activation: 'gelu',
          nSteps: 256,
          batchSize: 64,
          seed: 5,
        }),
      'ppo',
    ],
    [
      'PPO, Pendulum-v1 with gSDE (the export loads; the action is the mean)',
      () => new PPO({ env: 'Pendulum-v1', useSde: true, sdeSampleFreq: 4, numEnvs: 2, nSteps: 256, seed: 4 }),
      'ppo',
    ],
    [
      'A2C, Pendulum-v1 with a tanh-squashed Gaussian and gSDE (tanh(μ) rescaled to the bounds)',
      () =>
        new A2C({
          env: 'Pendulum-v1',
          squashOutput: true,
          useSde: true,
          fullStd: false,
          numEnvs: 4,
          seed: 5,
        }),
      'a2c',
    ],
  ] as const)('%s: act() equals predict(deterministic) on 300 observations', (_name, build, algo) => {
    const model = build();
    model.learn({ totalTimesteps: 3000 });
    const policy = loadPolicy(exported(model, algo));
    const env = make(model.config.env);
    let { observation } = env.reset({ seed: 7 });
    for (let t = 0; t < 300; t++) {
      const raw = observation as Float32Array;
      const action = policy.act(raw);
      const expected = expectedAction(model, raw);
      if (typeof expected === 'number') {
        expect(action).toBe(expected);
      } else {
        // Box actions: equal within float32 rounding (the training kernels accumulate in float32, with
        // vectorised activations good to 2e-7 (gelu: 2e-7·max(1, |z|)); this module in float64)
        (action as number[]).forEach((a, i) =>
          expect(Math.abs(a - expected[i])).toBeLessThan(1e-5 * (1 + Math.abs(expected[i]))),
        );
      }
      const result = env.step(action as never);
      observation = result.terminated || result.truncated ? env.reset().observation : result.observation;
    }
  });

  it('refuses what is not a policy, and observations of the wrong size', () => {
    expect(() => loadPolicy('{not json')).toThrow(/not valid JSON/);
    expect(() => loadPolicy({ format: 'x' } as never)).toThrow(/not a policygrad policy file/);
    const model = new PPO({ env: 'CartPole-v1', numEnvs: 1, nSteps: 8, batchSize: 8, seed: 1 });
    expect(() => loadPolicy(exported(model, 'ppo')).act([0, 0])).toThrow(
      /observation of length 2, expected 4/,
    );
  });

  it(
    'the built module imports nothing, and `policygrad export` writes a file it loads',
    { tags: ['slow'] },
    () => {
      const source = readFileSync(join(root, 'dist', 'inference.js'), 'utf8');
      expect(source).not.toMatch(/^\s*import\s/m);
      expect(source).not.toMatch(/\bimport\(/);
      const dir = mkdtempSync(join(tmpdir(), 'policygrad-export-'));
      const run = join(dir, 'run');
      const cli = (args: string[]) =>
        spawnSync('node', ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8' });
      expect(cli(['train', '--timesteps', '512', '--out', run]).status).toBe(0);
      const out = join(dir, 'agent.json');
      const result = cli(['export', run, '--out', out]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/wrote .*agent\.json \(ppo on CartPole-v1/);
      expect([0, 1]).toContain(loadPolicy(readFileSync(out, 'utf8')).act([0.01, 0, 0.02, 0]));
      const missing = cli(['export', join(dir, 'nothing'), '--out', out]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/no trained policy at/);
      rmSync(dir, { recursive: true, force: true });
    },
  );
});
