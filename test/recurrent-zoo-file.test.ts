/**
 * rl-zoo's hyperparams/ppo_lstm.yml as a `--config` file for recurrent-ppo: its blocks (as rl-zoo has them at
 * commit 22e3ff2, trimmed to the four envs of our presets) translate key for key into our `zoo` presets, the
 * sb3-contrib policy keys included; an LSTM block for a feed-forward algorithm, or the reverse, is refused.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../src/internal.js';
import { configFromFile, ZOO_YAML_OPTIONS } from '../src/cli/zoo-config.js';

const PPO_LSTM_YML = `
# Tuned
PendulumNoVel-v1:
  normalize: True
  n_envs: 4
  n_timesteps: !!float 1e5
  policy: 'MlpLstmPolicy'
  n_steps: 1024
  gae_lambda: 0.95
  gamma: 0.9
  n_epochs: 10
  ent_coef: 0.0
  learning_rate: !!float 1e-3
  clip_range: 0.2
  use_sde: True
  sde_sample_freq: 4
  policy_kwargs: "dict(
                    ortho_init=False,
                    activation_fn=nn.ReLU,
                    lstm_hidden_size=64,
                    enable_critic_lstm=True,
                    net_arch=dict(pi=[64], vf=[64])
                  )"

# Tuned
CartPoleNoVel-v1:
  normalize: True
  n_envs: 8
  n_timesteps: !!float 1e5
  policy: 'MlpLstmPolicy'
  n_steps: 32
  batch_size: 256
  gae_lambda: 0.8
  gamma: 0.98
  n_epochs: 20
  ent_coef: 0.0
  learning_rate: lin_0.001
  clip_range: lin_0.2
  policy_kwargs: "dict(
                    ortho_init=False,
                    activation_fn=nn.ReLU,
                    lstm_hidden_size=64,
                    enable_critic_lstm=True,
                    net_arch=dict(pi=[64], vf=[64])
                  )"

# TO BE TUNED
MountainCarNoVel-v0:
  normalize: true
  n_envs: 16
  n_timesteps: !!float 1e6
  policy: 'MlpLstmPolicy'
  n_steps: 16
  gae_lambda: 0.98
  gamma: 0.99
  n_epochs: 4
  ent_coef: 0.0

Acrobot-v1:
  normalize: true
  n_envs: 16
  n_timesteps: !!float 1e6
  policy: 'MlpLstmPolicy'
  n_steps: 256
  gae_lambda: 0.94
  gamma: 0.99
  n_epochs: 4
  ent_coef: 0.0
`;

const file = parse(PPO_LSTM_YML, ZOO_YAML_OPTIONS) as Record<string, unknown>;
const read = (algo: string, env: string) => configFromFile(file, { path: 'ppo_lstm.yml', algo, env });

describe('rl-zoo ppo_lstm.yml', () => {
  it.each(['CartPoleNoVel-v1', 'PendulumNoVel-v1', 'MountainCarNoVel-v0', 'Acrobot-v1'])(
    '%s: the block is our recurrent-ppo zoo preset, key for key',
    (env) => {
      const { zooPreset, totalTimesteps } = read('recurrent-ppo', env);
      const { timesteps, ...preset } = PRESETS['recurrent-ppo'][env].zoo;
      expect(zooPreset).toEqual(preset);
      expect(totalTimesteps).toBe(timesteps);
      expect(timesteps).toBe(env.includes('NoVel-v1') ? 100_000 : 1_000_000);
    },
  );

  it('refuses an LSTM block for a feed-forward algorithm and a feed-forward one for recurrent-ppo', () => {
    expect(() => read('ppo', 'MountainCarNoVel-v0')).toThrow(
      "rl-zoo file ppo_lstm.yml, block MountainCarNoVel-v0: policy 'MlpLstmPolicy' is recurrent: use --algo recurrent-ppo (sb3-contrib's RecurrentPPO)",
    );
    const mlp = parse("CartPole-v1:\n  policy: 'MlpPolicy'\n  n_envs: 8\n", ZOO_YAML_OPTIONS);
    expect(() =>
      configFromFile(mlp as Record<string, unknown>, {
        path: 'ppo.yml',
        algo: 'recurrent-ppo',
        env: 'CartPole-v1',
      }),
    ).toThrow("policy 'MlpPolicy' is feed-forward: use --algo ppo (or another algorithm)");
    expect(() => read('ppo', 'CartPoleNoVel-v1')).toThrow(/MlpLstmPolicy' is recurrent/);
  });
});
