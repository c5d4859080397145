/**
 * The LunarLander and BipedalWalker `zoo` presets are rl-baselines3-zoo's entries, key for key: the YAML below holds
 * the zoo's hyperparams/ppo.yml, a2c.yml and trpo.yml entries for them (its discrete LunarLander entries are still
 * named LunarLander-v2; Gymnasium 1.x only has v3, the same task), read through the `--config` translator.
 */
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { A2C, loadEnvEngine, PPO, PRESETS, TRPO } from '../src/internal.js';

beforeAll(() => loadEnvEngine('LunarLander-v3'));
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

/** rl-zoo's BipedalWalker entries (trpo.yml's are its MuJoCo defaults, `<<: *mujoco-defaults`, written out). */
const TRPO_BIPEDAL_WALKER = (timesteps: string): string => `
normalize: true
n_envs: 2
n_timesteps: !!float ${timesteps}
policy: 'MlpPolicy'
batch_size: 128
n_steps: 1024
gamma: 0.99
gae_lambda: 0.95
sub_sampling_factor: 1
cg_max_steps: 25
cg_damping: 0.1
n_critic_updates: 20
learning_rate: !!float 1e-3`;
const A2C_BIPEDAL_WALKER = (envs: number, timesteps: string, entCoef: string, lr: string): string => `
normalize: true
n_envs: ${envs}
n_timesteps: !!float ${timesteps}
policy: 'MlpPolicy'
ent_coef: ${entCoef}
max_grad_norm: 0.5
n_steps: 8
gae_lambda: 0.9
vf_coef: 0.4
gamma: 0.99
use_rms_prop: True
normalize_advantage: False
learning_rate: ${lr}
use_sde: True
policy_kwargs: "dict(log_std_init=-2, ortho_init=False)"`;
const WALKER_ZOO: Record<string, Record<string, string>> = {
  ppo: {
    'BipedalWalker-v3': `
normalize: true
n_envs: 32
n_timesteps: !!float 5e6
policy: 'MlpPolicy'
n_steps: 2048
batch_size: 64
gae_lambda: 0.95
gamma: 0.999
n_epochs: 10
ent_coef: 0.0
learning_rate: !!float 3e-4
clip_range: 0.18`,
    'BipedalWalkerHardcore-v3': `
normalize: true
n_envs: 16
n_timesteps: !!float 10e7
policy: 'MlpPolicy'
n_steps: 2048
batch_size: 64
gae_lambda: 0.95
gamma: 0.99
n_epochs: 10
ent_coef: 0.001
learning_rate: lin_2.5e-4
clip_range: lin_0.2`,
  },
  a2c: {
    'BipedalWalker-v3': A2C_BIPEDAL_WALKER(16, '5e6', '0.0', 'lin_0.00096'),
    'BipedalWalkerHardcore-v3': A2C_BIPEDAL_WALKER(32, '20e7', '0.001', 'lin_0.0008'),
  },
  trpo: {
    'BipedalWalker-v3': TRPO_BIPEDAL_WALKER('1e6'),
    'BipedalWalkerHardcore-v3': TRPO_BIPEDAL_WALKER('1e7'),
  },
};

describe('BipedalWalker zoo presets', () => {
  for (const [algo, entries] of Object.entries(WALKER_ZOO)) {
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

describe('training on the Box2D envs with the zoo presets (smoke: a few rollouts, small)', () => {
  it.each([
    ['ppo', 'LunarLander-v3'],
    ['a2c', 'LunarLanderContinuous-v3'],
    ['trpo', 'LunarLander-v3'],
    ['ppo', 'BipedalWalker-v3'],
    ['a2c', 'BipedalWalkerHardcore-v3'],
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
