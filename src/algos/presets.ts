/**
 * Named hyperparameters per algorithm and env. A preset named after a reference reproduces it: `zoo` holds
 * rl-baselines3-zoo's published values where they exist (with gSDE where the zoo uses it), `cleanrl` CleanRL's
 * defaults (docs/parity.md compares them line by line); `tuned` is ours where we measured the reference's values
 * to fall short. Applied under the fields given explicitly (explicit fields win).
 */
import { z } from 'zod';
import { describeValue, PolicygradError } from '../errors.js';

export type Preset = Record<string, unknown>;

/**
 * A config's `preset`: the name of one of PRESETS' entries for the env ('zoo'), or the hyperparameters themselves
 * (a reference's whole block, e.g. an rl-zoo file's entry read by the CLI). Either is applied under the explicit
 * fields and recorded in the resolved config, so a saved run says where its values came from.
 */
export const presetField = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .nullable()
  .default(null);

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

/**
 * The zoo's CartPole values with the critic's Adam ε 1e-8 (PyTorch's default) instead of sb3-contrib's 1e-5: once
 * every episode lasts 500 steps the critic saturates fitting a constant target and, with ε 1e-5, stays saturated for
 * ~20 iterations after a bad policy step (docs/parity.md). Final evaluations ≥ 475, 100k steps: TRPO 10 of 10 on seeds
 * 1–10 and 8 of 10 on held-out seeds 11–20 (zoo values: 7 and 9); NPG 8 of 10 on seeds 1–10 (zoo values: 7).
 */
const TRPO_CARTPOLE_TUNED: Preset = { ...TRPO_CARTPOLE_ZOO, adamEpsilon: 1e-8 };

/** rl-baselines3-zoo hyperparams/trpo.yml, MountainCar-v0 (n_timesteps 1e5). */
const TRPO_MOUNTAINCAR_ZOO: Preset = { normalize: true, numEnvs: 2, nSteps: 1024, nCriticUpdates: 20 };

/**
 * rl-baselines3-zoo hyperparams/trpo.yml, MountainCarContinuous-v0 (n_timesteps 5e4), gSDE included. Measured
 * (10 seeds): TRPO at the zoo's 50k steps and NPG at 100k, 10 of 10 reach 90 (median 8,192 steps).
 */
const TRPO_MOUNTAINCAR_CONTINUOUS_ZOO: Preset = {
  normalize: true,
  numEnvs: 2,
  useSde: true,
  sdeSampleFreq: 4,
};

/**
 * rl-baselines3-zoo hyperparams/trpo.yml, Pendulum-v1 (n_timesteps 1e5), gSDE included. Measured (10 seeds): TRPO
 * at the zoo's 100k steps and NPG at 200k, 10 of 10 reach −250 (median 51,200 steps).
 */
const TRPO_PENDULUM_ZOO: Preset = {
  numEnvs: 2,
  nSteps: 1024,
  gamma: 0.9,
  nCriticUpdates: 15,
  useSde: true,
  sdeSampleFreq: 4,
};

/**
 * APPO on MuJoCo, made to fit two cores (issue 17: HalfCheetah-v5, 1M steps in ≤ 65 s with evaluation ≥ 1400). No
 * rl-zoo entry. Sample Factory's MuJoCo values (sf_examples/mujoco/mujoco_params.py): observations and returns
 * normalised, minibatches of 1024 over each 4096 transitions, Adam lr 2.95e-3 decayed linearly, value coefficient
 * 1.3, grad norm 3.5, clip 0.2, γ 0.99, λ 0.95, no entropy bonus, chunks of 64 steps (its KL loss left out); here on
 * V-trace advantages with ρ̄ = c̄ = 1, as RLlib's tuned APPO HalfCheetah (tuned_examples/appo/halfcheetah-appo.yaml:
 * V-trace, λ 0.95, clip 0.2, a mean/std observation filter), and 4 epochs instead of Sample Factory's 2.
 *
 * Why: on this machine an actor's MuJoCo step and act cost ≈ 40 µs of CPU per transition (the step is nearly all of
 * it), so 1M steps in 65 s on 2 cores leaves the learner ≈ 20 µs per transition. PPO's epochs (10 × 64) cost 57 µs,
 * 8 × 64 46 µs; 2 × 1024 costs 11 µs and 4 × 1024 20 µs (thread CPU time per transition, measured under load).
 * Measured, 1M steps, 2 actor threads × 8 envs, 10-episode deterministic evaluations with frozen statistics: 4 epochs
 * 1775, 1834, 1891, 1756 and 1768 (seeds 1, 2, 3, 4, 7; PPO's zoo ≈ 1800), 2 epochs 1572, 1425 and 1633 (seeds
 * 1–3); ≈ 62 CPU-seconds per run (learner 20, actors 41, the rest 1).
 */
const APPO_MUJOCO: Preset = {
  normalize: true,
  numActors: 2,
  numEnvs: 8,
  chunkLength: 64,
  trainBatchSize: 4096,
  nEpochs: 4,
  minibatchSize: 1024,
  learningRate: 'lin_0.00295',
  vfCoef: 1.3,
  maxGradNorm: 3.5,
  clipRange: 0.2,
  gamma: 0.99,
  vtraceLambda: 0.95,
  entCoef: 0,
  normalizeAdvantage: true,
};

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

/**
 * rl-baselines3-zoo hyperparams/ppo.yml, LunarLander-v2 (= v3 here) and LunarLanderContinuous-v3 (n_timesteps 1e6):
 * 16 envs × 1024 steps, minibatches of 64, 4 epochs.
 */
const PPO_LUNAR_LANDER_ZOO: Preset = {
  numEnvs: 16,
  nSteps: 1024,
  batchSize: 64,
  gaeLambda: 0.98,
  gamma: 0.999,
  nEpochs: 4,
  entCoef: 0.01,
};

/**
 * rl-baselines3-zoo hyperparams/a2c.yml, BipedalWalker-v3 (n_timesteps 5e6), gSDE included; the hardcore entry
 * (2e8) takes 32 envs, ent_coef 0.001 and lin_0.0008.
 */
const A2C_BIPEDAL_WALKER_ZOO: Preset = {
  normalize: true,
  numEnvs: 16,
  entCoef: 0.0,
  maxGradNorm: 0.5,
  nSteps: 8,
  gaeLambda: 0.9,
  vfCoef: 0.4,
  gamma: 0.99,
  optimizer: 'rmsprop',
  normalizeAdvantage: false,
  learningRate: 'lin_0.00096',
  useSde: true,
  logStdInit: -2,
  orthogonalInit: false,
};

/** rl-baselines3-zoo hyperparams/ppo.yml, CartPole-v1 (n_timesteps 1e5). */
const PPO_CARTPOLE_ZOO: Preset = {
  numEnvs: 8,
  nSteps: 32,
  batchSize: 256,
  gaeLambda: 0.8,
  gamma: 0.98,
  nEpochs: 20,
  entCoef: 0.0,
  learningRate: 'lin_0.001',
  clipRange: 'lin_0.2',
};

/** rl-baselines3-zoo hyperparams/ppo.yml, Acrobot-v1 (n_timesteps 1e6); ppo_lstm.yml has the same values. */
const PPO_ACROBOT_ZOO: Preset = {
  normalize: true,
  numEnvs: 16,
  nSteps: 256,
  gaeLambda: 0.94,
  gamma: 0.99,
  nEpochs: 4,
  entCoef: 0.0,
};

/** rl-baselines3-zoo hyperparams/ppo.yml, MountainCar-v0 (n_timesteps 1e6); ppo_lstm.yml's MountainCarNoVel-v0 too. */
const PPO_MOUNTAINCAR_ZOO: Preset = {
  normalize: true,
  numEnvs: 16,
  nSteps: 16,
  gaeLambda: 0.98,
  gamma: 0.99,
  nEpochs: 4,
  entCoef: 0.0,
};

/**
 * A named preset: its hyperparameters, and `timesteps`, the training budget it is meant for (rl-zoo's
 * n_timesteps where it has one). The budget is not a hyperparameter: `presetValues` leaves it out of the config,
 * and `presetTimesteps` is what the CLI and the web page train for when no budget is given.
 */
export type NamedPreset = Preset & { timesteps: number };

/** algo → env id → preset name → preset. */
export const PRESETS: Record<string, Record<string, Record<string, NamedPreset>>> = {
  'recurrent-ppo': {
    // rl-baselines3-zoo hyperparams/ppo_lstm.yml (tuned; n_timesteps 1e5): ppo.yml's CartPole values, normalised,
    // with an LSTM of 64 and the critic's own LSTM, pi/vf [64] with ReLU, PyTorch's default init.
    'CartPoleNoVel-v1': {
      zoo: {
        timesteps: 100_000,
        ...PPO_CARTPOLE_ZOO,
        normalize: true,
        orthogonalInit: false,
        activation: 'relu',
        hiddenSize: 64,
        enableCriticLstm: true,
        netArch: { pi: [64], vf: [64] },
      },
    },
    // rl-baselines3-zoo hyperparams/ppo_lstm.yml (tuned; n_timesteps 1e5), gSDE included; sb3-contrib's default
    // batch size (128).
    'PendulumNoVel-v1': {
      zoo: {
        timesteps: 100_000,
        normalize: true,
        numEnvs: 4,
        nSteps: 1024,
        gaeLambda: 0.95,
        gamma: 0.9,
        nEpochs: 10,
        entCoef: 0.0,
        learningRate: 1e-3,
        clipRange: 0.2,
        useSde: true,
        sdeSampleFreq: 4,
        orthogonalInit: false,
        activation: 'relu',
        hiddenSize: 64,
        enableCriticLstm: true,
        netArch: { pi: [64], vf: [64] },
      },
    },
    // rl-baselines3-zoo hyperparams/ppo_lstm.yml ("to be tuned"; n_timesteps 1e6): ppo.yml's MountainCar values
    // with sb3-contrib's default policy (LSTM 256, its own critic LSTM, [64, 64] tanh, orthogonal MLPs) and batch
    // size (128).
    'MountainCarNoVel-v0': { zoo: { timesteps: 1_000_000, ...PPO_MOUNTAINCAR_ZOO } },
    // rl-baselines3-zoo hyperparams/ppo_lstm.yml (n_timesteps 1e6): ppo.yml's values, sb3-contrib's defaults.
    'Acrobot-v1': { zoo: { timesteps: 1_000_000, ...PPO_ACROBOT_ZOO } },
  },
  ppo: {
    'CartPole-v1': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e5)
      zoo: { timesteps: 100_000, ...PPO_CARTPOLE_ZOO },
      // CleanRL ppo.py defaults (total 500k steps): 4 envs × 128 steps, 4 epochs × 4 minibatches, CleanRL's value
      // loss ½·max((V − R)², (V_clip − R)²) with V clipped to V_old ± 0.2, and time-limit truncations ended like
      // terminations (ppo.py: next_done = terminations | truncations). docs/parity.md compares it line by line.
      cleanrl: {
        timesteps: 500_000, // CleanRL ppo.py's total_timesteps
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
      zoo: { timesteps: 1_000_000, ...PPO_ACROBOT_ZOO },
    },
    'MountainCar-v0': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e6)
      zoo: { timesteps: 1_000_000, ...PPO_MOUNTAINCAR_ZOO },
    },
    'MountainCarContinuous-v0': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 2e4), gSDE included; batch_size 256 > the rollout's 8
      // steps, so each minibatch is the whole rollout (as SB3 does). Measured (10 seeds, the zoo's 20k steps): 10
      // of 10 reach 90 (median 2,000 steps); 6 of 10 end at 90 or more (rl-zoo's own agent: 88.3 ± 2.6).
      zoo: {
        timesteps: 20_000,
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
      },
    },
    'LunarLander-v3': { zoo: { timesteps: 1_000_000, ...PPO_LUNAR_LANDER_ZOO } },
    'LunarLanderContinuous-v3': { zoo: { timesteps: 1_000_000, ...PPO_LUNAR_LANDER_ZOO } },
    'BipedalWalker-v3': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 5e6)
      zoo: {
        timesteps: 5_000_000,
        normalize: true,
        numEnvs: 32,
        nSteps: 2048,
        batchSize: 64,
        gaeLambda: 0.95,
        gamma: 0.999,
        nEpochs: 10,
        entCoef: 0.0,
        learningRate: 3e-4,
        clipRange: 0.18,
      },
    },
    'BipedalWalkerHardcore-v3': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e8)
      zoo: {
        timesteps: 100_000_000,
        normalize: true,
        numEnvs: 16,
        nSteps: 2048,
        batchSize: 64,
        gaeLambda: 0.95,
        gamma: 0.99,
        nEpochs: 10,
        entCoef: 0.001,
        learningRate: 'lin_2.5e-4',
        clipRange: 'lin_0.2',
      },
    },
    'HalfCheetah-v5': { zoo: { timesteps: 1_000_000, ...PPO_MUJOCO_CLEANRL } },
    'Hopper-v5': { zoo: { timesteps: 1_000_000, ...PPO_MUJOCO_CLEANRL } },
    'Walker2d-v5': { zoo: { timesteps: 1_000_000, ...PPO_MUJOCO_CLEANRL } },
    'Pendulum-v1': {
      // rl-baselines3-zoo hyperparams/ppo.yml (n_timesteps 1e5), gSDE included. Measured (10 seeds, the zoo's 100k
      // steps): 10 of 10 reach −250 (median 20,480 steps) and end there; at 200k two seeds fell back (−255, −323).
      zoo: {
        timesteps: 100_000,
        numEnvs: 4,
        nSteps: 1024,
        gaeLambda: 0.95,
        gamma: 0.9,
        nEpochs: 10,
        entCoef: 0.0,
        learningRate: 1e-3,
        clipRange: 0.2,
        useSde: true,
        sdeSampleFreq: 4,
      },
    },
  },
  a2c: {
    'CartPole-v1': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 5e5); the rest are SB3's A2C defaults
      zoo: { timesteps: 500_000, numEnvs: 8, entCoef: 0.0 },
    },
    'LunarLander-v3': {
      // rl-baselines3-zoo hyperparams/a2c.yml, LunarLander-v2 (n_timesteps 2e5)
      zoo: {
        timesteps: 200_000,
        numEnvs: 8,
        gamma: 0.995,
        nSteps: 5,
        learningRate: 'lin_0.00083',
        entCoef: 0.00001,
      },
    },
    'LunarLanderContinuous-v3': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 5e6), gSDE included
      zoo: {
        timesteps: 5_000_000,
        normalize: true,
        numEnvs: 4,
        entCoef: 0.0,
        maxGradNorm: 0.5,
        nSteps: 8,
        gaeLambda: 0.9,
        vfCoef: 0.4,
        gamma: 0.99,
        optimizer: 'rmsprop',
        normalizeAdvantage: false,
        learningRate: 'lin_7e-4',
        useSde: true,
        logStdInit: -2,
        orthogonalInit: false,
      },
    },
    'BipedalWalker-v3': { zoo: { timesteps: 5_000_000, ...A2C_BIPEDAL_WALKER_ZOO } },
    'BipedalWalkerHardcore-v3': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 2e8)
      zoo: {
        timesteps: 200_000_000,
        ...A2C_BIPEDAL_WALKER_ZOO,
        numEnvs: 32,
        entCoef: 0.001,
        learningRate: 'lin_0.0008',
      },
    },
    'Acrobot-v1': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 5e5)
      zoo: { timesteps: 500_000, normalize: true, numEnvs: 16, entCoef: 0.0 },
    },
    'MountainCar-v0': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 1e6).
      zoo: { timesteps: 1_000_000, normalize: true, numEnvs: 16, entCoef: 0.0 },
      // The zoo's values with entCoef 0.02 instead of 0: with 0, 1 of 5 seeds reached −115 in 1M steps here (final
      // evaluations −107 … −142); with 0.02, evaluations reach −106 … −110 (bench/results/learning.md measures this one).
      tuned: { timesteps: 1_000_000, normalize: true, numEnvs: 16, entCoef: 0.02 },
    },
    'MountainCarContinuous-v0': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 1e5), gSDE included; SB3's A2C defaults otherwise.
      // Measured (10 seeds, the zoo's 100k steps, SB3's PyTorch-style RMSprop): 10 of 10 reach 90 (median 5,200).
      zoo: {
        timesteps: 100_000,
        normalize: true,
        numEnvs: 4,
        nSteps: 100,
        entCoef: 0.0,
        useSde: true,
        sdeSampleFreq: 16,
        logStdInit: 0.0,
        orthogonalInit: false,
      },
    },
    'Pendulum-v1': {
      // rl-baselines3-zoo hyperparams/a2c.yml (n_timesteps 1e6), gSDE included. Measured (10 seeds, 1M steps):
      // 10 of 10 reach −250 (median 300,032 steps), finals −142 … −197.
      zoo: {
        timesteps: 1_000_000,
        normalize: true,
        numEnvs: 8,
        nSteps: 8,
        entCoef: 0.0,
        maxGradNorm: 0.5,
        gaeLambda: 0.9,
        vfCoef: 0.4,
        gamma: 0.9,
        optimizer: 'rmsprop',
        normalizeAdvantage: false,
        learningRate: 'lin_7e-4',
        useSde: true,
        logStdInit: -2,
        orthogonalInit: false,
      },
    },
  },
  trpo: {
    'CartPole-v1': {
      zoo: { timesteps: 100_000, ...TRPO_CARTPOLE_ZOO },
      tuned: { timesteps: 100_000, ...TRPO_CARTPOLE_TUNED },
    },
    // rl-baselines3-zoo hyperparams/trpo.yml, LunarLander-v2 (n_timesteps 2e5)
    'LunarLander-v3': {
      zoo: {
        timesteps: 200_000,
        numEnvs: 2,
        nSteps: 512,
        cgDamping: 0.01,
        gaeLambda: 0.98,
        gamma: 0.99,
        learningRate: 1e-3,
        nCriticUpdates: 15,
      },
    },
    // rl-baselines3-zoo hyperparams/trpo.yml, LunarLanderContinuous-v2 (n_timesteps 1e5)
    'LunarLanderContinuous-v3': {
      zoo: { timesteps: 100_000, normalize: true, numEnvs: 2, nSteps: 1024, nCriticUpdates: 20 },
    },
    // rl-baselines3-zoo hyperparams/trpo.yml: the MuJoCo defaults (n_timesteps 1e6; hardcore 1e7)
    'BipedalWalker-v3': { zoo: { timesteps: 1_000_000, ...TRPO_MUJOCO_ZOO } },
    'BipedalWalkerHardcore-v3': { zoo: { timesteps: 10_000_000, ...TRPO_MUJOCO_ZOO } },
    'Acrobot-v1': { zoo: { timesteps: 100_000, ...TRPO_ACROBOT_ZOO } },
    'MountainCar-v0': { zoo: { timesteps: 100_000, ...TRPO_MOUNTAINCAR_ZOO } },
    'MountainCarContinuous-v0': { zoo: { timesteps: 50_000, ...TRPO_MOUNTAINCAR_CONTINUOUS_ZOO } },
    'Pendulum-v1': { zoo: { timesteps: 100_000, ...TRPO_PENDULUM_ZOO } },
    'HalfCheetah-v5': { zoo: { timesteps: 1_000_000, ...TRPO_MUJOCO_ZOO, maxKl: 0.04 } },
    'Hopper-v5': { zoo: { timesteps: 1_000_000, ...TRPO_MUJOCO_ZOO } },
    'Walker2d-v5': { zoo: { timesteps: 1_000_000, ...TRPO_MUJOCO_ZOO } },
  },
  npg: {
    // No rl-zoo entry: TRPO's tuned values, without the line search.
    'CartPole-v1': {
      zoo: { timesteps: 100_000, ...TRPO_CARTPOLE_ZOO },
      tuned: { timesteps: 100_000, ...TRPO_CARTPOLE_TUNED },
    },
    'Acrobot-v1': { zoo: { timesteps: 200_000, ...TRPO_ACROBOT_ZOO } },
    'MountainCar-v0': { zoo: { timesteps: 200_000, ...TRPO_MOUNTAINCAR_ZOO } },
    'MountainCarContinuous-v0': { zoo: { timesteps: 100_000, ...TRPO_MOUNTAINCAR_CONTINUOUS_ZOO } },
    'Pendulum-v1': { zoo: { timesteps: 200_000, ...TRPO_PENDULUM_ZOO } },
  },
  a3c: {
    'CartPole-v1': {
      // No rl-zoo entry: tuned here (2 workers × 4 envs solve it in 250k steps on 5/5 seeds, ≈ 2 s).
      zoo: { timesteps: 250_000, numWorkers: 2, numEnvs: 4, entCoef: 0.0 },
    },
  },
  impala: {
    'CartPole-v1': {
      // No rl-zoo entry: tuned here. Adam with lr lin_1e-3 and grad norm 0.5 (the paper's RMSprop at 5e-4 reached
      // ≈ 110 in 300k steps); 2 actor threads × 8 envs, chunks of 50, batches of 500+. A 20-episode evaluation
      // every 25k steps reached 475 within 500k steps on 4 of seeds 1–5 (at 150k, 150k, 200k, 75k; 3–15 s of
      // training on this 2-core machine); evaluations at 500k: 371, 415, 477, 426, 491.
      zoo: { timesteps: 500_000, optimizer: 'adam', learningRate: 'lin_0.001', maxGradNorm: 0.5 },
    },
  },
  appo: {
    'CartPole-v1': {
      // No rl-zoo entry: tuned here, PPO-zoo-like (normalised advantages, clip 0.2, lr lin_1e-3, grad norm 0.5) on
      // V-trace advantages; 2 actor threads × 8 envs, chunks of 50. A 20-episode evaluation every 10k steps reached
      // 475 within 200k steps on seeds 1–5 (at 90k, 50k, 20k, 100k, 110k; 3–16 s of training on this 2-core
      // machine); evaluations at 200k: 120, 482, 319, 500, 416.
      zoo: {
        timesteps: 200_000,
        nEpochs: 4,
        minibatchSize: 200,
        normalizeAdvantage: true,
        maxGradNorm: 0.5,
        learningRate: 'lin_0.001',
        clipRange: 0.2,
      },
    },
    'HalfCheetah-v5': { zoo: { timesteps: 1_000_000, ...APPO_MUJOCO } },
    // The same values; measured at 1M steps (seeds 1–3): evaluations 2263, 2630, 1314 (PPO's zoo: 2403 ± 466, its
    // benchmark target 2000); ≈ 110 CPU-seconds per run (Hopper's step costs the actors twice HalfCheetah's).
    'Hopper-v5': { zoo: { timesteps: 1_000_000, ...APPO_MUJOCO } },
  },
  reinforce: {
    'CartPole-v1': {
      // No rl-zoo entry: tuned here (bench/reinforce-cartpole.mjs solves 5/5 seeds in < 200k steps).
      zoo: {
        timesteps: 500_000,
        returns: 'reward-to-go',
        baseline: 'value',
        numEnvs: 8,
        nSteps: 256,
        gamma: 0.99,
        learningRate: 1e-3,
        valueLearningRate: 1e-3,
        nCriticUpdates: 10,
        valueMinibatchSize: 256,
      },
    },
  },
};

/** Names of the presets for an algorithm and env. */
export function listPresets(algo: string, env: string): string[] {
  return Object.keys(PRESETS[algo]?.[env] ?? {});
}

/** The hyperparameters `config.preset` stands for: a named preset's, the given ones, or none. */
export function presetValues(
  algo: string,
  config: { preset?: string | Preset | null; env?: string },
  defaultEnv: string,
): Preset {
  const { preset: choice } = config;
  if (choice === undefined || choice === null) return {};
  if (typeof choice === 'object') {
    const misplaced = ['env', 'preset'].filter((key) => Object.hasOwn(choice, key));
    if (misplaced.length > 0) {
      throw new PolicygradError(
        `${algo.toUpperCase()}: a preset given as hyperparameters cannot set ${misplaced.join(' or ')} (set it next to the preset)`,
      );
    }
    return choice;
  }
  const env = config.env ?? defaultEnv;
  const preset = PRESETS[algo]?.[env]?.[choice];
  if (preset === undefined) {
    const available = listPresets(algo, env);
    throw new PolicygradError(
      `${algo.toUpperCase()}: no preset ${describeValue(choice)} for ${env}; available: ${available.length > 0 ? available.join(', ') : '(none)'}`,
    );
  }
  const { timesteps: _budget, ...values } = preset;
  return values;
}

/**
 * The training budget of `algo`'s preset `name` for `env`; without a named preset (none, or hyperparameters
 * given as an object), the `zoo` preset's. Undefined when the env has no such preset.
 */
export function presetTimesteps(algo: string, env: string, name: unknown = 'zoo'): number | undefined {
  const presets = PRESETS[algo]?.[env];
  return (typeof name === 'string' ? presets?.[name] : undefined)?.timesteps ?? presets?.zoo?.timesteps;
}

/** `config` with its preset's values filled in under it (explicit fields win). */
export function applyPreset<T extends { preset?: string | Preset | null; env?: string }>(
  algo: string,
  config: T,
  defaultEnv: string,
): T {
  return { ...presetValues(algo, config, defaultEnv), ...config };
}
