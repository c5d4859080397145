/**
 * The LunarLander `zoo` presets are rl-baselines3-zoo's entries, key for key: the YAML below holds the zoo's
 * hyperparams/ppo.yml, a2c.yml and trpo.yml entries for LunarLander (its discrete entries are still named
 * LunarLander-v2; Gymnasium 1.x only has v3, the same task), read through the `--config` translator.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { A2C, PPO, PRESETS, TRPO } from '../src/internal.js';
import { translateZooBlock, ZOO_YAML_OPTIONS } from '../src/cli/zoo-config.js';

/** rl-zoo's ppo.yml has the same entry for LunarLander-v2 and LunarLanderContinuous-v3. */
const PPO_LUNAR_LANDER = `
n_envs: 16
n_timesteps: !!float 1e6
policy: 'MlpPolicy'
n_steps: 1024
batch_size: 64
gae_lambda: 0.98
gamma: 0.999
n_epochs: 4
ent_coef: 0.01`;

const ZOO: Record<string, Record<string, string>> = {
  ppo: {
    'LunarLander-v3': PPO_LUNAR_LANDER,
    'LunarLanderContinuous-v3': PPO_LUNAR_LANDER,
  },
  a2c: {
    'LunarLander-v3': `
n_envs: 8
n_timesteps: !!float 2e5
policy: 'MlpPolicy'
gamma: 0.995
n_steps: 5
learning_rate: lin_0.00083
ent_coef: 0.00001`,
    'LunarLanderContinuous-v3': `
normalize: true
n_envs: 4
n_timesteps: !!float 5e6
policy: 'MlpPolicy'
ent_coef: 0.0
max_grad_norm: 0.5
n_steps: 8
gae_lambda: 0.9
vf_coef: 0.4
gamma: 0.99
use_rms_prop: True
normalize_advantage: False
learning_rate: lin_7e-4
use_sde: True
policy_kwargs: "dict(log_std_init=-2, ortho_init=False)"`,
  },
  trpo: {
    'LunarLander-v3': `
n_envs: 2
n_timesteps: !!float 2e5
policy: 'MlpPolicy'
n_steps: 512
cg_damping: 0.01
gae_lambda: 0.98
gamma: 0.99
learning_rate: !!float 1e-3
n_critic_updates: 15`,
    'LunarLanderContinuous-v3': `
normalize: true
n_envs: 2
n_timesteps: !!float 1e5
policy: 'MlpPolicy'
n_steps: 1024
n_critic_updates: 20`,
  },
};

describe('LunarLander zoo presets', () => {
  for (const [algo, entries] of Object.entries(ZOO)) {
    it.each(Object.entries(entries))(`${algo} %s is rl-zoo's entry, with its n_timesteps`, (env, text) => {
      const translated = translateZooBlock(
        parse(text, ZOO_YAML_OPTIONS) as Record<string, unknown>,
        env,
        algo,
      );
      const values = Object.fromEntries(translated.entries.map((e) => [e.to, e.value]));
      expect(PRESETS[algo][env].zoo).toEqual({ timesteps: translated.totalTimesteps, ...values });
    });
  }
});

describe('training on LunarLander with the zoo presets (smoke: a few rollouts, small)', () => {
  it.each([
    ['ppo', 'LunarLander-v3'],
    ['a2c', 'LunarLanderContinuous-v3'],
    ['trpo', 'LunarLander-v3'],
  ] as const)('%s on %s learns for 256 steps and evaluates finitely', (algo, env) => {
    const small = { env, preset: 'zoo', numEnvs: 2, nSteps: 64, seed: 3 };
    const model =
      algo === 'ppo'
        ? new PPO({ ...small, batchSize: 64 })
        : algo === 'a2c'
          ? new A2C(small)
          : new TRPO({ ...small, batchSize: 64 });
    model.learn({ totalTimesteps: 256 });
    const returns = model.evaluate(1, { seed: 0 });
    expect(returns).toHaveLength(1);
    expect(Number.isFinite(returns[0])).toBe(true);
  });
});
