/**
 * rl-baselines3-zoo hyperparameter files (issue 13, item 13): `--config hyperparams/ppo.yml` takes the block for
 * `--env` and maps every key; a key policygrad does not support is refused by name. The YAML below copies real
 * entries of rl-zoo's hyperparams/ppo.yml, a2c.yml and trpo.yml (including its anchors, merge keys, `!!float`
 * tags and Python-dict strings).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { a2cConfigSchema, ppoConfigSchema, PRESETS } from '../src/index.js';
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
`;

/** rl-zoo a2c.yml, Pendulum-v1 (tuned). */
const A2C_PENDULUM = `Pendulum-v1:
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
`;

/** rl-zoo trpo.yml, CartPole-v1 (tuned). */
const TRPO_CARTPOLE = `CartPole-v1:
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
`;

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-zoo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'ppo.yml'), PPO_YML);

const yaml = (text: string) => parse(text, ZOO_YAML_OPTIONS) as Record<string, unknown>;
const zoo = yaml(PPO_YML);
const block = (name: string) => zoo[name] as Record<string, unknown>;
const mapped = (text: Record<string, unknown>, where = 'test') =>
  Object.fromEntries(translateZooBlock(text, where).entries.map((e) => [e.to, e.value]));
/** Whether the schemas on this branch have the keys other work adds. */
const has = (key: string) => key in ppoConfigSchema.shape;

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
    expect(mapped(block('CartPole-v1'))).toEqual(PRESETS.ppo['CartPole-v1'].zoo);
    expect(translateZooBlock(block('CartPole-v1'), 'test').totalTimesteps).toBe(100_000);
    expect(mapped(block('Pendulum-v1'))).toEqual({
      numEnvs: 4,
      nSteps: 1024,
      gaeLambda: 0.95,
      gamma: 0.9,
      nEpochs: 10,
      entCoef: 0,
      learningRate: 1e-3,
      clipRange: 0.2,
      useSde: true,
      sdeSampleFreq: 4,
    });
    expect(mapped(block('MountainCarContinuous-v0'))).toEqual({
      normalize: true,
      numEnvs: 1,
      batchSize: 256,
      nSteps: 8,
      gamma: 0.9999,
      learningRate: 7.77e-5,
      entCoef: 0.00429,
      clipRange: 0.1,
      nEpochs: 10,
      gaeLambda: 0.9,
      maxGradNorm: 5,
      vfCoef: 0.19,
      useSde: true,
      logStdInit: -3.29,
      orthogonalInit: false,
    });
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
    expect(mapped(yaml(A2C_PENDULUM)['Pendulum-v1'] as Record<string, unknown>)).toEqual({
      normalize: true,
      numEnvs: 8,
      entCoef: 0,
      maxGradNorm: 0.5,
      nSteps: 8,
      gaeLambda: 0.9,
      vfCoef: 0.4,
      gamma: 0.9,
      optimizer: 'rmsprop',
      normalizeAdvantage: false,
      learningRate: 'lin_7e-4',
      useSde: true,
      logStdInit: -2,
      orthogonalInit: false,
    });
    const trpo = configFromFile(yaml(TRPO_CARTPOLE), { path: 'trpo.yml', algo: 'trpo', env: 'CartPole-v1' });
    expect(trpo).toEqual({
      config: PRESETS.trpo['CartPole-v1'].zoo,
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
    // The a2c schema takes what the a2c entry maps to (useSde aside, which is not in every branch yet):
    const { useSde: _, ...a2c } = mapped(yaml(A2C_PENDULUM)['Pendulum-v1'] as Record<string, unknown>);
    expect(a2cConfigSchema.safeParse({ env: 'Pendulum-v1', ...a2c }).success).toBe(true);
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

  it('keys being added elsewhere (netArch, activations, gSDE) pass through once the schema has them', () => {
    const check = (policyKwargs: string, key: string, value: unknown, supported: boolean) => {
      const file = { 'Pendulum-v1': { policy_kwargs: policyKwargs } };
      const run = () => configFromFile(file, { path: 'ppo.yml', algo: 'ppo', env: 'Pendulum-v1' }).config;
      if (supported) expect(run()).toEqual({ [key]: value });
      else expect(run).toThrow(/^rl-zoo file ppo\.yml, block Pendulum-v1: .*not supported yet/);
    };
    check(
      'dict(net_arch=dict(pi=[64], vf=[256, 256]))',
      'netArch',
      { pi: [64], vf: [256, 256] },
      has('netArch'),
    );
    const gelu = ppoConfigSchema.shape.activation.safeParse('gelu').success;
    check('dict(activation_fn=nn.GELU)', 'activation', 'gelu', gelu);
    const file = { 'Pendulum-v1': block('Pendulum-v1') };
    const run = () => configFromFile(file, { path: 'ppo.yml', algo: 'ppo', env: 'Pendulum-v1' });
    if (has('useSde')) expect(run().config).toMatchObject({ useSde: true, sdeSampleFreq: 4 });
    else expect(run).toThrow(/key 'use_sde' \(useSde\) is not supported yet by ppo/);
    // Equal actor and critic sizes are our hiddenSizes while netArch is not in the schema:
    const same = { 'Pendulum-v1': { policy_kwargs: 'dict(net_arch=dict(pi=[32], vf=[32]))' } };
    expect(configFromFile(same, { path: 'ppo.yml', algo: 'ppo', env: 'Pendulum-v1' }).config).toEqual(
      has('netArch') ? { netArch: { pi: [32], vf: [32] } } : { hiddenSizes: [32] },
    );
  });

  it('policygrad train --config ppo.yml (rl-zoo format) trains with the block for --env (built CLI)', () => {
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
    // the zoo block on the defaults, as rl-zoo does, not on our own preset:
    expect(saved.config).toMatchObject({ preset: null, ...PRESETS.ppo['CartPole-v1'].zoo });

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
  });

  it('refuses through the CLI in one line with exit code 2: unsupported keys, missing blocks, mixed formats', () => {
    const pendulum = cli(['train', '--config', 'ppo.yml', '--env', 'Pendulum-v1', '--timesteps', '256']);
    if (has('useSde')) expect(pendulum.status).toBe(0);
    else {
      expect(pendulum.status).toBe(2);
      expect(pendulum.stderr).toBe(
        "policygrad: rl-zoo file ppo.yml, block Pendulum-v1: key 'use_sde' (useSde) is not supported yet by ppo: remove it to train without it\n",
      );
    }
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
  });
});
