/**
 * rl-baselines3-zoo hyperparameter files (issue 13, item 13): `--config hyperparams/ppo.yml` takes the block for
 * `--env` and maps every key; a key policygrad does not support is refused by name. The YAML below copies real
 * entries of rl-zoo's hyperparams/ppo.yml, a2c.yml and trpo.yml at commit 22e3ff2 of DLR-RM/rl-baselines3-zoo (including its anchors, merge keys, `!!float`
 * tags and Python-dict strings).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { a2cConfigSchema, presetValues } from '../src/internal.js';
import { parsePythonLiteral, PythonName } from '../src/cli/python-literal.js';
import { configFromFile, translateZooBlock, ZOO_YAML_OPTIONS } from '../src/cli/zoo-config.js';

const PPO_YML = `# Default hyperparameters for environments not explicitly listed
default:
  n_timesteps: !!float 1e6
  policy: 'MlpPolicy'

# Tuned
Pendulum-v1:
  n_envs: 4
  n_timesteps: !!float 1e5
  policy: 'MlpPolicy'
  n_steps: 1024
  gae_lambda: 0.95
  gamma: 0.9
  n_epochs: 10
  ent_coef: 0.0
  learning_rate: !!float 1e-3
  clip_range: 0.2
  use_sde: True
  sde_sample_freq: 4

# Tuned
CartPole-v1:
  n_envs: 8
  n_timesteps: !!float 1e5
  policy: 'MlpPolicy'
  n_steps: 32
  batch_size: 256
  gae_lambda: 0.8
  gamma: 0.98
  n_epochs: 20
  ent_coef: 0.0
  learning_rate: lin_0.001
  clip_range: lin_0.2

# Tuned
MountainCarContinuous-v0:
  normalize: true
  n_envs: 1
  n_timesteps: !!float 20000
  policy: 'MlpPolicy'
  batch_size: 256
  n_steps: 8
  gamma: 0.9999
  learning_rate: !!float 7.77e-05
  ent_coef: 0.00429
  clip_range: 0.1
  n_epochs: 10
  gae_lambda: 0.9
  max_grad_norm: 5
  vf_coef: 0.19
  use_sde: True
  policy_kwargs: "dict(log_std_init=-3.29, ortho_init=False)"

HalfCheetahBulletEnv-v0: &pybullet-defaults
  normalize: true
  n_envs: 16
  n_timesteps: !!float 2e6
  policy: 'MlpPolicy'
  batch_size: 128
  n_steps: 512
  gamma: 0.99
  gae_lambda: 0.9
  n_epochs: 20
  ent_coef: 0.0
  sde_sample_freq: 4
  max_grad_norm: 0.5
  vf_coef: 0.5
  learning_rate: !!float 3e-5
  use_sde: True
  clip_range: 0.4
  policy_kwargs: "dict(log_std_init=-2,
                       ortho_init=False,
                       activation_fn=nn.ReLU,
                       net_arch=dict(pi=[256, 256], vf=[256, 256])
                       )"

AntBulletEnv-v0:
  <<: *pybullet-defaults
  learning_rate: !!float 3e-5
  policy_kwargs: "dict(log_std_init=-1,
                       ortho_init=False,
                       activation_fn=nn.ReLU,
                       net_arch=dict(pi=[256, 256], vf=[256, 256])
                       )"

CarRacing-v3:
  normalize: "{'norm_obs': False, 'norm_reward': True}"
  n_envs: 8
  frame_stack: 2

Hopper-v4:
  normalize: true
  n_envs: 1
  policy: 'MlpPolicy'
  n_timesteps: !!float 1e6
  batch_size: 32
  n_steps: 512
  gamma: 0.999
  learning_rate: 9.80828e-05
  ent_coef: 0.00229519
  clip_range: 0.2
  n_epochs: 5
  gae_lambda: 0.99
  max_grad_norm: 0.7
  vf_coef: 0.835671
  policy_kwargs: "dict(
                    log_std_init=-2,
                    ortho_init=False,
                    activation_fn=nn.ReLU,
                    net_arch=dict(pi=[256, 256], vf=[256, 256])
                  )"
`;

/** rl-zoo a2c.yml, Pendulum-v1 and MountainCarContinuous-v0 (tuned). */
const A2C_YML = `Pendulum-v1:
  normalize: True
  n_envs: 8
  n_timesteps: !!float 1e6
  policy: 'MlpPolicy'
  ent_coef: 0.0
  max_grad_norm: 0.5
  n_steps: 8
  gae_lambda: 0.9
  vf_coef: 0.4
  gamma: 0.9
  use_rms_prop: True
  normalize_advantage: False
  learning_rate: lin_7e-4
  use_sde: True
  policy_kwargs: "dict(log_std_init=-2, ortho_init=False)"

MountainCarContinuous-v0:
  normalize: true
  n_envs: 4
  n_steps: 100
  n_timesteps: !!float 1e5
  policy: 'MlpPolicy'
  ent_coef: 0.0
  use_sde: True
  sde_sample_freq: 16
  policy_kwargs: "dict(log_std_init=0.0, ortho_init=False)"
`;

/** rl-zoo trpo.yml, CartPole-v1, Pendulum-v1 and MountainCarContinuous-v0 (tuned). */
const TRPO_YML = `CartPole-v1:
  n_envs: 2
  n_timesteps: !!float 1e5
  policy: 'MlpPolicy'
  n_steps: 512
  batch_size: 512
  cg_damping: !!float 1e-3
  gae_lambda: 0.98
  gamma: 0.99
  learning_rate: !!float 1e-3
  n_critic_updates: 20

Pendulum-v1:
  n_envs: 2
  n_timesteps: !!float 1e5
  policy: 'MlpPolicy'
  n_steps: 1024
  gamma: 0.9
  n_critic_updates: 15
  use_sde: True
  sde_sample_freq: 4

MountainCarContinuous-v0:
  normalize: True
  n_envs: 2
  n_timesteps: 50000
  policy: 'MlpPolicy'
  use_sde: True
  sde_sample_freq: 4
`;

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-zoo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'ppo.yml'), PPO_YML);

/** The hyperparameters of `algo`'s zoo preset for `env` (its budget, `timesteps`, is not one). */
const zooValues = (algo: string, env: string) => presetValues(algo, { preset: 'zoo', env }, env);
const yaml = (text: string) => parse(text, ZOO_YAML_OPTIONS) as Record<string, unknown>;
const zoo = yaml(PPO_YML);
const block = (name: string) => zoo[name] as Record<string, unknown>;
const mapped = (text: Record<string, unknown>, where = 'test') =>
  Object.fromEntries(translateZooBlock(text, where).entries.map((e) => [e.to, e.value]));
/** The hyperparameters configFromFile takes from the block for `env` of an rl-zoo file for `algo`. */
const zooPreset = (text: string, algo: string, env: string) =>
  configFromFile(yaml(text), { path: `${algo}.yml`, algo, env }).zooPreset;

function cli(args: string[]) {
  const run = spawnSync('node', [join(root, 'dist', 'cli', 'main.js'), ...args], {
    cwd: work,
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('rl-zoo hyperparameter files', () => {
  it("reads the zoo's Python dict strings as literals, never as code", () => {
    expect(
      parsePythonLiteral(`dict(log_std_init=-2,
                       ortho_init=False,
                       activation_fn=nn.ReLU,
                       net_arch=dict(pi=[256, 256], vf=[64]),
                       )`),
    ).toEqual({
      log_std_init: -2,
      ortho_init: false,
      activation_fn: new PythonName('nn.ReLU'),
      net_arch: { pi: [256, 256], vf: [64] },
    });
    expect(
      parsePythonLiteral(`{'norm_obs': True, "norm_reward": False, 'x': None, 'y': (1, 2.5e-3)}`),
    ).toEqual({
      norm_obs: true,
      norm_reward: false,
      x: null,
      y: [1, 2.5e-3],
    });
    expect(() => parsePythonLiteral('dict(a=__import__("os"))')).toThrow(/__import__\(\.\.\.\) is code/);
    expect(() => parsePythonLiteral('dict(a=1')).toThrow(/expected '\)' at character 9, found the end/);
  });

  it('maps the real CartPole-v1, Pendulum-v1 and MountainCarContinuous-v0 PPO entries key by key', () => {
    // rl-zoo's CartPole-v1 entry is our own 'zoo' preset, key for key.
    expect(mapped(block('CartPole-v1'))).toEqual(zooValues('ppo', 'CartPole-v1'));
    expect(translateZooBlock(block('CartPole-v1'), 'test').totalTimesteps).toBe(100_000);
    // Where rl-zoo uses gSDE, its entries are our 'zoo' presets, key for key (see zoo-gsde-presets.test.ts):
    expect(mapped(block('Pendulum-v1'))).toEqual(zooValues('ppo', 'Pendulum-v1'));
    expect(mapped(block('MountainCarContinuous-v0'))).toEqual(zooValues('ppo', 'MountainCarContinuous-v0'));
    expect(translateZooBlock(block('MountainCarContinuous-v0'), 'test').totalTimesteps).toBe(20_000); // !!float 20000
    // A merge key (<<: *pybullet-defaults) and a multi-line policy_kwargs string:
    expect(mapped(block('AntBulletEnv-v0'))).toMatchObject({
      numEnvs: 16,
      nEpochs: 20,
      logStdInit: -1,
      orthogonalInit: false,
      activation: 'relu',
      netArch: { pi: [256, 256], vf: [256, 256] },
    });
  });

  it('maps the a2c (use_rms_prop, normalize_advantage) and trpo entries; normalize strings pick obs or reward', () => {
    const trpo = configFromFile(yaml(TRPO_YML), { path: 'trpo.yml', algo: 'trpo', env: 'CartPole-v1' });
    expect(trpo).toEqual({
      config: {},
      zooPreset: zooValues('trpo', 'CartPole-v1'),
      totalTimesteps: 100_000,
      note: 'hyperparameters: rl-zoo file trpo.yml, block CartPole-v1',
    });
    expect(mapped({ normalize: "{'norm_obs': False, 'norm_reward': True}" })).toEqual({
      normalize: { observation: false, reward: true },
    });
    // policy_kwargs written as a YAML mapping rather than the zoo's string:
    expect(mapped({ policy_kwargs: { activation_fn: 'nn.ReLU', net_arch: { pi: [8], vf: [8] } } })).toEqual({
      activation: 'relu',
      netArch: { pi: [8], vf: [8] },
    });
    expect(mapped({ normalize: 'dict(norm_obs=True, norm_reward=False)' })).toEqual({
      normalize: { observation: true, reward: false },
    });
    // The a2c schema takes what the a2c entry maps to:
    const a2c = mapped(yaml(A2C_YML)['Pendulum-v1'] as Record<string, unknown>);
    expect(a2cConfigSchema.safeParse({ env: 'Pendulum-v1', ...a2c }).success).toBe(true);
  });

  it.each([
    ['ppo', 'Pendulum-v1', PPO_YML],
    ['ppo', 'MountainCarContinuous-v0', PPO_YML],
    ['a2c', 'Pendulum-v1', A2C_YML],
    ['a2c', 'MountainCarContinuous-v0', A2C_YML],
    ['trpo', 'Pendulum-v1', TRPO_YML],
    ['trpo', 'MountainCarContinuous-v0', TRPO_YML],
  ])("%s %s (gSDE): the file's block is our 'zoo' preset, key for key", (algo, env, text) => {
    expect(zooPreset(text, algo, env)).toEqual(zooValues(algo, env));
  });

  it("maps a MuJoCo entry's policy_kwargs (PPO Hopper-v4: ReLU, separate pi/vf sizes)", () => {
    expect(mapped(block('Hopper-v4'))).toEqual({
      normalize: true,
      numEnvs: 1,
      batchSize: 32,
      nSteps: 512,
      gamma: 0.999,
      learningRate: 9.80828e-5,
      entCoef: 0.00229519,
      clipRange: 0.2,
      nEpochs: 5,
      gaeLambda: 0.99,
      maxGradNorm: 0.7,
      vfCoef: 0.835671,
      logStdInit: -2,
      orthogonalInit: false,
      activation: 'relu',
      netArch: { pi: [256, 256], vf: [256, 256] },
    });
  });

  it('refuses, by name, every key it does not map', () => {
    const refuse = (text: Record<string, unknown>) => () =>
      translateZooBlock(text, 'rl-zoo file ppo.yml, block X');
    expect(refuse(block('CarRacing-v3'))).toThrow(
      /^rl-zoo file ppo\.yml, block X: key 'frame_stack' is not supported by policygrad \(supported: n_timesteps, /,
    );
    expect(refuse({ policy: 'CnnPolicy' })).toThrow(/policy "CnnPolicy" is not supported/);
    expect(refuse({ normalize: "{'norm_obs': True, 'clip_obs': 5.0}" })).toThrow(
      /key 'normalize': 'clip_obs' is not supported \(only norm_obs and norm_reward\)/,
    );
    expect(refuse({ policy_kwargs: 'dict(optimizer_class=RMSpropTFLike)' })).toThrow(
      /key 'policy_kwargs\.optimizer_class' is not supported by policygrad/,
    );
    expect(refuse({ policy_kwargs: 'dict(activation_fn=nn.LeakyReLU)' })).toThrow(
      /activation_fn nn\.LeakyReLU is not supported \(nn\.Tanh, nn\.ReLU, nn\.ELU or nn\.GELU\)/,
    );
    expect(refuse({ policy_kwargs: 'dict(net_arch=[64, dict(pi=[64], vf=[64])])' })).toThrow(
      /net_arch .* is not supported: expected \[sizes…\] or dict\(pi=\[sizes…\], vf=\[sizes…\]\)/,
    );
    expect(refuse({ sub_sampling_factor: 2 })).toThrow(/sub_sampling_factor 2 is not supported \(only 1/);
    expect(refuse({ n_timesteps: 'lots' })).toThrow(
      /invalid n_timesteps "lots": expected a positive integer/,
    );
    // A key of another algorithm, caught against the algorithm's own schema:
    const file = { 'CartPole-v1': { n_epochs: 4 } };
    expect(() => configFromFile(file, { path: 'a2c.yml', algo: 'a2c', env: 'CartPole-v1' })).toThrow(
      /^rl-zoo file a2c\.yml, block CartPole-v1: key 'n_epochs' \(nEpochs\) is not a hyperparameter of a2c \(a file for another algorithm\? check --algo\)$/,
    );
  });

  describe('policy_kwargs and gSDE keys pass straight through to the config', () => {
    const kwargs = (policyKwargs: string) =>
      zooPreset(`Pendulum-v1:\n  policy_kwargs: "${policyKwargs}"\n`, 'ppo', 'Pendulum-v1');
    it.each([
      ['dict(net_arch=dict(pi=[64], vf=[256, 256]))', { netArch: { pi: [64], vf: [256, 256] } }],
      ['dict(net_arch=[dict(pi=[32], vf=[16])])', { netArch: { pi: [32], vf: [16] } }], // SB3 < 1.8
      ['dict(net_arch=[128, 128])', { netArch: [128, 128] }],
      ['dict(net_arch=dict(pi=[32], vf=[32]))', { netArch: { pi: [32], vf: [32] } }],
      ['dict(activation_fn=nn.Tanh)', { activation: 'tanh' }],
      ['dict(activation_fn=nn.ReLU)', { activation: 'relu' }],
      ['dict(activation_fn=th.nn.ELU)', { activation: 'elu' }],
      ['dict(activation_fn=nn.GELU)', { activation: 'gelu' }],
      ['dict(log_std_init=-1.5, ortho_init=False)', { logStdInit: -1.5, orthogonalInit: false }],
      ['dict(full_std=False)', { fullStd: false }],
      ['dict(use_expln=True)', { useExpln: true }],
      ['dict(squash_output=True)', { squashOutput: true }],
    ])('%s', (policyKwargs, expected) => {
      expect(kwargs(policyKwargs)).toEqual(expected);
    });
    it('use_sde and sde_sample_freq', () => {
      const text = 'Pendulum-v1:\n  use_sde: True\n  sde_sample_freq: 8\n';
      expect(zooPreset(text, 'trpo', 'Pendulum-v1')).toEqual({ useSde: true, sdeSampleFreq: 8 });
    });
  });

  it(
    'policygrad train --config ppo.yml (rl-zoo format) trains with the block for --env (built CLI)',
    { tags: ['slow'] },
    () => {
      const out = join(work, 'cartpole');
      const train = cli([
        'train',
        '--config',
        'ppo.yml',
        '--env',
        'CartPole-v1',
        '--timesteps',
        '512',
        '--out',
        out,
      ]);
      expect(train.stderr).toBe('');
      expect(train.stdout).toMatch(
        /^hyperparameters: rl-zoo file ppo\.yml, block CartPole-v1\nppo on CartPole-v1 /,
      );
      const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(saved.totalTimesteps).toBe(512); // --timesteps wins over n_timesteps
      // the zoo block as the preset, on the defaults as rl-zoo does (not on our own preset):
      const block = zooValues('ppo', 'CartPole-v1');
      expect(saved.config).toMatchObject({ preset: block, ...block });

      // n_timesteps is the budget when --timesteps is not given
      writeFileSync(
        join(work, 'short.yml'),
        'Acrobot-v1:\n  n_timesteps: !!float 256\n  n_steps: 128\n  n_envs: 2\n',
      );
      const short = cli([
        'train',
        '--config',
        'short.yml',
        '--env',
        'Acrobot-v1',
        '--out',
        join(work, 'short'),
      ]);
      expect(short.stderr).toBe('');
      expect(JSON.parse(readFileSync(join(work, 'short', 'config.json'), 'utf8')).totalTimesteps).toBe(256);
    },
  );

  it(
    "trains the gSDE entries as SB3 does: PPO MountainCarContinuous-v0's batch_size 256 over 1 × 8 steps (built CLI)",
    { tags: ['slow'] },
    () => {
      const out = join(work, 'mountaincar');
      const args = ['train', '--config', 'ppo.yml', '--env', 'MountainCarContinuous-v0'];
      const train = cli([...args, '--timesteps', '64', '--out', out]);
      expect(train.stderr).toBe('');
      expect(train.status).toBe(0);
      const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(saved.config).toMatchObject({ batchSize: 256, numEnvs: 1, nSteps: 8, useSde: true });
      // the saved run resumes: its config repeats the block's combination
      const resumed = cli(['train', '--resume', out, '--timesteps', '80']);
      expect(resumed.stderr).toBe('');
      expect(resumed.status).toBe(0);
      const pendulum = cli([
        'train',
        '--config',
        'ppo.yml',
        '--env',
        'Pendulum-v1',
        '--timesteps',
        '256',
        '--set',
        'nSteps=64',
        '--out',
        join(work, 'pendulum'),
      ]);
      expect(pendulum.stderr).toBe('');
      expect(pendulum.status).toBe(0);
    },
  );

  it(
    "refuses the file's batch_size once the user changes its rollout: --n-envs 2 (one line, exit 2)",
    { tags: ['slow'] },
    () => {
      const args = ['train', '--config', 'ppo.yml', '--env', 'MountainCarContinuous-v0', '--timesteps', '64'];
      const refused = cli([...args, '--n-envs', '2', '--out', join(work, 'refused')]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toBe(
        'policygrad: PPO config: batchSize 256 (from the preset: set batchSize) is larger than the rollout (numEnvs × nSteps = 2 × 8 = 16); expected at most 16\n',
      );
      const withPreset = cli([...args, '--preset', 'zoo']);
      expect(withPreset.status).toBe(2);
      expect(withPreset.stderr).toBe(
        'policygrad: --config ppo.yml is an rl-zoo file, whose block for MountainCarContinuous-v0 is the preset: drop preset "zoo" (override single values with --set)\n',
      );
    },
  );

  it(
    'refuses through the CLI in one line with exit code 2: unsupported keys, missing blocks, mixed formats',
    { tags: ['slow'] },
    () => {
      const racing = cli(['train', '--config', 'ppo.yml', '--env', 'CarRacing-v3']);
      expect(racing.status).toBe(2);
      expect(racing.stderr).toMatch(
        /^policygrad: rl-zoo file ppo\.yml, block CarRacing-v3: key 'frame_stack' is not/,
      );
      expect(racing.stderr.trim().split('\n')).toHaveLength(1);

      writeFileSync(join(work, 'only.yml'), 'Pendulum-v1:\n  n_envs: 2\nHopper-v5:\n  n_envs: 1\n');
      const missing = cli(['train', '--config', 'only.yml', '--env', 'CartPole-v1']);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toBe(
        "policygrad: rl-zoo file only.yml has no block for CartPole-v1 (nor 'default'); its blocks: Pendulum-v1, Hopper-v5 (choose one with --env)\n",
      );
      writeFileSync(join(work, 'mixed.yml'), 'CartPole-v1:\n  n_envs: 2\ngamma: 0.9\n');
      const mixed = cli(['train', '--config', 'mixed.yml']);
      expect(mixed.status).toBe(2);
      expect(mixed.stderr).toBe(
        'policygrad: config file mixed.yml mixes rl-zoo env blocks (CartPole-v1) with options (gamma): use one format\n',
      );
    },
  );
});
