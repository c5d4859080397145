/**
 * The `zoo` presets where rl-baselines3-zoo uses gSDE hold exactly the zoo's values (hyperparams/ppo.yml, a2c.yml
 * and trpo.yml at commit 22e3ff2 of DLR-RM/rl-baselines3-zoo, written here in SB3's names, policy_kwargs
 * flattened), translated with the names the algorithms' configs use. rl-zoo's MuJoCo entries (PPO, A2C and TRPO
 * on HalfCheetah/Hopper/Walker2d-v4) do not use gSDE, so none is listed.
 */
import { describe, expect, it } from 'vitest';
import { A2C, PPO, TRPO } from '../src/index.js';

const SB3_NAMES: Record<string, string> = {
  n_envs: 'numEnvs',
  n_steps: 'nSteps',
  batch_size: 'batchSize',
  n_epochs: 'nEpochs',
  gamma: 'gamma',
  gae_lambda: 'gaeLambda',
  learning_rate: 'learningRate',
  ent_coef: 'entCoef',
  vf_coef: 'vfCoef',
  clip_range: 'clipRange',
  max_grad_norm: 'maxGradNorm',
  normalize: 'normalize',
  normalize_advantage: 'normalizeAdvantage',
  n_critic_updates: 'nCriticUpdates',
  use_sde: 'useSde',
  sde_sample_freq: 'sdeSampleFreq',
  log_std_init: 'logStdInit',
  ortho_init: 'orthogonalInit',
};

const ZOO = [
  [
    'ppo',
    'Pendulum-v1',
    {
      n_envs: 4,
      n_steps: 1024,
      gae_lambda: 0.95,
      gamma: 0.9,
      n_epochs: 10,
      ent_coef: 0.0,
      learning_rate: 1e-3,
      clip_range: 0.2,
      use_sde: true,
      sde_sample_freq: 4,
    },
  ],
  [
    'ppo',
    'MountainCarContinuous-v0',
    {
      normalize: true,
      n_envs: 1,
      batch_size: 256,
      n_steps: 8,
      gamma: 0.9999,
      learning_rate: 7.77e-5,
      ent_coef: 0.00429,
      clip_range: 0.1,
      n_epochs: 10,
      gae_lambda: 0.9,
      max_grad_norm: 5,
      vf_coef: 0.19,
      use_sde: true,
      log_std_init: -3.29,
      ortho_init: false,
    },
  ],
  [
    'a2c',
    'Pendulum-v1',
    {
      normalize: true,
      n_envs: 8,
      ent_coef: 0.0,
      max_grad_norm: 0.5,
      n_steps: 8,
      gae_lambda: 0.9,
      vf_coef: 0.4,
      gamma: 0.9,
      use_rms_prop: true,
      normalize_advantage: false,
      learning_rate: 'lin_7e-4',
      use_sde: true,
      log_std_init: -2,
      ortho_init: false,
    },
  ],
  [
    'a2c',
    'MountainCarContinuous-v0',
    {
      normalize: true,
      n_envs: 4,
      n_steps: 100,
      ent_coef: 0.0,
      use_sde: true,
      sde_sample_freq: 16,
      log_std_init: 0.0,
      ortho_init: false,
    },
  ],
  [
    'trpo',
    'Pendulum-v1',
    { n_envs: 2, n_steps: 1024, gamma: 0.9, n_critic_updates: 15, use_sde: true, sde_sample_freq: 4 },
  ],
  ['trpo', 'MountainCarContinuous-v0', { normalize: true, n_envs: 2, use_sde: true, sde_sample_freq: 4 }],
] as const;

const ALGOS = { ppo: PPO, a2c: A2C, trpo: TRPO };

describe('zoo presets where rl-zoo uses gSDE', () => {
  it.each(ZOO)('%s %s: the resolved config holds the zoo values', (algo, env, zoo) => {
    const config = new ALGOS[algo]({ env, preset: 'zoo' }).config as Record<string, unknown>;
    for (const [name, value] of Object.entries(zoo)) {
      if (name === 'use_rms_prop') {
        expect(config.optimizer, name).toBe(value ? 'rmsprop' : 'adam');
      } else if (name === 'learning_rate' && typeof value === 'string') {
        expect(Number((config.learningRate as string).slice(4)), name).toBe(Number(value.slice(4)));
      } else {
        expect(config[SB3_NAMES[name]], name).toBe(value);
      }
    }
  });
});
