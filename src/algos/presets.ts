/**
 * Named hyperparameters per algorithm and env. A preset named after a reference reproduces it: `zoo` holds
 * rl-baselines3-zoo's published values where they exist, `cleanrl` CleanRL's defaults (docs/parity.md compares
 * them line by line); `tuned` is ours where we measured the reference's values to fall short. Applied under the
 * fields given explicitly (explicit fields win).
 */
import { describeValue, PolicygradError } from '../errors.js';

type Preset = Record<string, unknown>;

/** rl-baselines3-zoo hyperparams/trpo.yml, Acrobot-v1 (n_timesteps 1e5). */
const TRPO_ACROBOT_ZOO: Preset = { normalize: true, numEnvs: 2, nSteps: 1024 };

/** rl-baselines3-zoo hyperparams/trpo.yml, CartPole-v1 (n_timesteps 1e5). */
const TRPO_CARTPOLE_ZOO: Preset = {
  numEnvs: 2,
  nSteps: 512,
  batchSize: 512,
  cgDamping: 1e-3,
  gaeLambda: 0.98,
  gamma: 0.99,
  learningRate: 1e-3,
  nCriticUpdates: 20,
};

/** rl-baselines3-zoo hyperparams/trpo.yml, MountainCar-v0 (n_timesteps 1e5). */
const TRPO_MOUNTAINCAR_ZOO: Preset = { normalize: true, numEnvs: 2, nSteps: 1024, nCriticUpdates: 20 };

/**
 * rl-baselines3-zoo hyperparams/trpo.yml, MountainCarContinuous-v0 (n_timesteps 5e4), with a plain Gaussian
 * instead of gSDE and γ = 0.9999 (as the zoo's PPO preset for this env): with the default γ = 0.99, 2 of 5 seeds
 * settle on standing still (return 0); with 0.9999, 5 of 5 reach 93–99 (TRPO and NPG) within 100k steps.
 */
const TRPO_MOUNTAINCAR_CONTINUOUS_ZOO: Preset = { normalize: true, numEnvs: 2, gamma: 0.9999 };

/** rl-baselines3-zoo hyperparams/trpo.yml, Pendulum-v1 (n_timesteps 1e5), without gSDE. */
const TRPO_PENDULUM_ZOO: Preset = { numEnvs: 2, nSteps: 1024, gamma: 0.9, nCriticUpdates: 15 };

/**
 * CleanRL's ppo_continuous_action.py defaults (1 env × 2048 steps, 10 epochs × 32 minibatches, lr 3e-4 annealed,
 * γ 0.99, λ 0.95, clip 0.2, value clipping, observation and reward normalisation with clipping, ent 0, grad clip 0.5).
 */
const PPO_MUJOCO_CLEANRL: Preset = {
  normalize: true,
  numEnvs: 1,
  nSteps: 2048,
  batchSize: 64,
  nEpochs: 10,
  learningRate: 'lin_0.0003',
  gamma: 0.99,
  gaeLambda: 0.95,
  clipRange: 0.2,
  clipRangeVf: 0.2,
  entCoef: 0.0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantage: true,
};

/** rl-baselines3-zoo hyperparams/trpo.yml, MuJoCo defaults (HalfCheetah adds target_kl 0.04). */
const TRPO_MUJOCO_ZOO: Preset = {
  normalize: true,
  numEnvs: 2,
  batchSize: 128,
  nSteps: 1024,
  gamma: 0.99,
  gaeLambda: 0.95,
  cgMaxSteps: 25,
  cgDamping: 0.1,
  nCriticUpdates: 20,
  learningRate: 1e-3,
};

export const PRESETS: Record<string, Record<string, Record<string, Preset>>> = {
  ppo: {
    'CartPole-v1': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e5)
      zoo: {
        numEnvs: 8,
        nSteps: 32,
        batchSize: 256,
        gaeLambda: 0.8,
        gamma: 0.98,
        nEpochs: 20,
        entCoef: 0.0,
        learningRate: 'lin_0.001',
        clipRange: 'lin_0.2',
      },
      // CleanRL ppo.py defaults (total 500k steps): 4 envs × 128 steps, 4 epochs × 4 minibatches, CleanRL's value
      // loss ½·max((V − R)², (V_clip − R)²) with V clipped to V_old ± 0.2, and time-limit truncations ended like
      // terminations (ppo.py: next_done = terminations | truncations). docs/parity.md compares it line by line.
      cleanrl: {
        numEnvs: 4,
        nSteps: 128,
        batchSize: 128,
        nEpochs: 4,
        learningRate: 'lin_0.00025',
        gamma: 0.99,
        gaeLambda: 0.95,
        clipRange: 0.2,
        clipRangeVf: 0.2,
        valueLoss: 'cleanrl',
        truncation: 'terminate',
        entCoef: 0.01,
        vfCoef: 0.5,
        maxGradNorm: 0.5,
        normalizeAdvantage: true,
      },
    },
    'Acrobot-v1': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e6)
      zoo: {
        normalize: true,
        numEnvs: 16,
        nSteps: 256,
        gaeLambda: 0.94,
        gamma: 0.99,
        nEpochs: 4,
        entCoef: 0.0,
      },
    },
    'MountainCar-v0': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e6)
      zoo: {
        normalize: true,
        numEnvs: 16,
        nSteps: 16,
        gaeLambda: 0.98,
        gamma: 0.99,
        nEpochs: 4,
        entCoef: 0.0,
      },
    },
    'MountainCarContinuous-v0': {
      // rl-baselines3-zoo's values (1 env × 8 steps, 10 epochs, lr 7.77e-5, clip 0.1, gSDE with log σ −3.29) with a
      // plain Gaussian reached 90 on 4 of 5 seeds but kept flipping between reaching the flag and standing still
      // (final 20-episode evaluations 90.9, −24.3, 94.7, 92.6, −0.1). Retuned here: 4 envs × 256 steps, minibatches
      // of 64, lr 3e-4, clip 0.2, log σ 0 (σ = 1: the car's random walk finds the flag), GAE 0.95, SB3's other
      // defaults; γ 0.9999 and normalisation kept: 5 of 5 seeds at ≥ 90 from the first evaluation (5k steps) on,
      // finals 95.1–95.6.
      zoo: {
        normalize: true,
        numEnvs: 4,
        nSteps: 256,
        batchSize: 64,
        nEpochs: 10,
        gamma: 0.9999,
        gaeLambda: 0.95,
        learningRate: 3e-4,
        clipRange: 0.2,
        entCoef: 0,
        logStdInit: 0,
      },
    },
    'HalfCheetah-v5': { zoo: PPO_MUJOCO_CLEANRL },
    'Hopper-v5': { zoo: PPO_MUJOCO_CLEANRL },
    'Walker2d-v5': { zoo: PPO_MUJOCO_CLEANRL },
    'Pendulum-v1': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e5) with a plain Gaussian instead of gSDE, and the
      // learning rate decayed linearly from the zoo's 1e-3: at a constant 1e-3 one seed of five fell back after
      // reaching −250 (finals −195, −183, −597, −213, −181); decayed, finals −187, −181, −182, −138, −184.
      zoo: {
        numEnvs: 4,
        nSteps: 1024,
        gaeLambda: 0.95,
        gamma: 0.9,
        nEpochs: 10,
        entCoef: 0.0,
        learningRate: 'lin_0.001',
        clipRange: 0.2,
      },
    },
  },
  a2c: {
    'CartPole-v1': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 5e5); the rest are SB3's A2C defaults
      zoo: { numEnvs: 8, entCoef: 0.0 },
    },
    'Acrobot-v1': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 5e5)
      zoo: { normalize: true, numEnvs: 16, entCoef: 0.0 },
    },
    'MountainCar-v0': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 1e6).
      zoo: { normalize: true, numEnvs: 16, entCoef: 0.0 },
      // The zoo's values with entCoef 0.02 instead of 0: with 0, 1 of 5 seeds reached −115 in 1M steps here (final
      // evaluations −107 … −142); with 0.02, evaluations reach −106 … −110 (benchmarks/learning.md measures this one).
      tuned: { normalize: true, numEnvs: 16, entCoef: 0.02 },
    },
    'MountainCarContinuous-v0': {
      // The zoo's values (4 envs × 100 steps, RMSprop, gSDE) with a plain Gaussian reached 90 on 2 of 5 seeds (the
      // rest stand still). Retuned here: larger batches (8 × 256), Adam 3e-4, GAE 0.95, normalised advantages and
      // γ = 0.9999 reach 94–99 on 5 of 5 seeds within 300k steps. Still A2C: one gradient step per rollout.
      zoo: {
        normalize: true,
        numEnvs: 8,
        nSteps: 256,
        entCoef: 0.0,
        gamma: 0.9999,
        gaeLambda: 0.95,
        optimizer: 'adam',
        learningRate: 3e-4,
        normalizeAdvantage: true,
      },
    },
    'Pendulum-v1': {
      // The zoo's Pendulum-v0 values (8 × 8 steps, RMSprop, gSDE, log σ −2) with a plain Gaussian stayed near −1200
      // on 5 of 5 seeds. Retuned here (observation normalisation off, reward normalisation on, Adam with a linear
      // decay from 3e-3, 16 envs × 32 steps, γ = 0.9, GAE 0.95, normalised advantages): 4 of 5 tuning seeds reach
      // −250 within 1M steps. Still A2C: one gradient step per rollout.
      zoo: {
        normalize: { observation: false, reward: true },
        numEnvs: 16,
        nSteps: 32,
        entCoef: 0.0,
        gamma: 0.9,
        gaeLambda: 0.95,
        optimizer: 'adam',
        learningRate: 'lin_0.003',
        normalizeAdvantage: true,
      },
    },
  },
  trpo: {
    'CartPole-v1': { zoo: TRPO_CARTPOLE_ZOO },
    'Acrobot-v1': { zoo: TRPO_ACROBOT_ZOO },
    'MountainCar-v0': { zoo: TRPO_MOUNTAINCAR_ZOO },
    'MountainCarContinuous-v0': { zoo: TRPO_MOUNTAINCAR_CONTINUOUS_ZOO },
    'Pendulum-v1': { zoo: TRPO_PENDULUM_ZOO },
    'HalfCheetah-v5': { zoo: { ...TRPO_MUJOCO_ZOO, targetKl: 0.04 } },
    'Hopper-v5': { zoo: TRPO_MUJOCO_ZOO },
    'Walker2d-v5': { zoo: TRPO_MUJOCO_ZOO },
  },
  npg: {
    // No rl-zoo entry: TRPO's tuned values, without the line search.
    'CartPole-v1': { zoo: TRPO_CARTPOLE_ZOO },
    'Acrobot-v1': { zoo: TRPO_ACROBOT_ZOO },
    'MountainCar-v0': { zoo: TRPO_MOUNTAINCAR_ZOO },
    'MountainCarContinuous-v0': { zoo: TRPO_MOUNTAINCAR_CONTINUOUS_ZOO },
    'Pendulum-v1': { zoo: TRPO_PENDULUM_ZOO },
  },
  a3c: {
    'CartPole-v1': {
      // No rl-zoo entry: tuned here (2 workers × 4 envs solve it in 250k steps on 5/5 seeds, ≈ 2 s).
      zoo: { numWorkers: 2, numEnvs: 4, entCoef: 0.0 },
    },
  },
  reinforce: {
    'CartPole-v1': {
      // No rl-zoo entry: tuned here (bench/reinforce-cartpole.mjs solves 5/5 seeds in < 200k steps).
      zoo: {
        returns: 'reward-to-go',
        baseline: 'value',
        numEnvs: 8,
        batchSteps: 256,
        gamma: 0.99,
        learningRate: 1e-3,
        valueLearningRate: 1e-3,
        valueEpochs: 10,
        valueMinibatchSize: 256,
      },
    },
  },
};

/** Names of the presets for an algorithm and env. */
export function listPresets(algo: string, env: string): string[] {
  return Object.keys(PRESETS[algo]?.[env] ?? {});
}

/** `config` with the named preset's values filled in under it (explicit fields win). */
export function applyPreset<T extends { preset?: string | null; env?: string }>(
  algo: string,
  config: T,
  defaultEnv: string,
): T {
  if (config.preset === undefined || config.preset === null) return config;
  const env = config.env ?? defaultEnv;
  const preset = PRESETS[algo]?.[env]?.[config.preset];
  if (preset === undefined) {
    const available = listPresets(algo, env);
    throw new PolicygradError(
      `${algo.toUpperCase()}: no preset ${describeValue(config.preset)} for ${env}; available: ${available.length > 0 ? available.join(', ') : '(none)'}`,
    );
  }
  return { ...preset, ...config };
}
