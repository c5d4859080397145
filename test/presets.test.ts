/**
 * Each preset owns its budget (issue 15 step 4): every named preset carries `timesteps`, the budget the CLI, the
 * web page and the benchmarks train it for, and that budget is never passed to an algorithm as a hyperparameter.
 */
import { describe, expect, it } from 'vitest';
import { PPO, PRESETS, presetTimesteps, presetValues } from '../src/internal.js';

describe('preset budgets', () => {
  it('every named preset has a budget, and its hyperparameters leave it out', () => {
    const named = Object.entries(PRESETS).flatMap(([algo, envs]) =>
      Object.entries(envs).flatMap(([env, presets]) => Object.keys(presets).map((name) => [algo, env, name])),
    );
    expect(named.length).toBeGreaterThanOrEqual(38);
    for (const [algo, env, name] of named) {
      const { timesteps } = PRESETS[algo][env][name];
      expect(Number.isSafeInteger(timesteps) && timesteps > 0, `${algo} ${env} ${name}`).toBe(true);
      expect(presetTimesteps(algo, env, name)).toBe(timesteps);
      expect(presetValues(algo, { preset: name, env }, env)).not.toHaveProperty('timesteps');
    }
  });

  it("a preset's own budget: PPO CartPole-v1 zoo 100k (rl-zoo), cleanrl 500k (CleanRL's ppo.py)", () => {
    expect(presetTimesteps('ppo', 'CartPole-v1', 'zoo')).toBe(100_000);
    expect(presetTimesteps('ppo', 'CartPole-v1', 'cleanrl')).toBe(500_000);
    expect(presetTimesteps('npg', 'Acrobot-v1', 'zoo')).toBe(200_000);
    // Without a named preset (none, or hyperparameters given as an object), the zoo preset's budget:
    expect(presetTimesteps('ppo', 'CartPole-v1')).toBe(100_000);
    expect(presetTimesteps('ppo', 'CartPole-v1', null)).toBe(100_000);
    expect(presetTimesteps('ppo', 'CartPole-v1', { nSteps: 64 })).toBe(100_000);
    expect(presetTimesteps('ppo', 'Nowhere-v0')).toBeUndefined();
  });

  it('a budget given inside a preset object is refused, not silently ignored', () => {
    expect(() => new PPO({ preset: { timesteps: 1000 } })).toThrow(/unknown option 'timesteps'/);
  });
});
