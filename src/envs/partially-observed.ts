/**
 * Partially observed classic-control tasks, exactly as rl-zoo 2.3 defines them (`rl_zoo3/wrappers.py`
 * `MaskVelocityWrapper`, registered by `rl_zoo3/import_envs.py` as `<Name>NoVel-v<N>`): the observation is
 * multiplied elementwise by a mask that is 0 at the velocity components and 1 elsewhere, so the shape and the
 * observation space stay those of the full task. The episode limit is the full task's (rl-zoo wraps
 * `gym.make(env_id)`, TimeLimit included); rl-zoo registers no reward threshold for them, and neither do we.
 */
import type { Env, ResetOptions, ResetResult, StepResult } from './env.js';
import { Wrapper } from './env.js';
import { type EnvRegistration, register } from './registry.js';
import {
  CartPoleEnv,
  type CartPoleOptions,
  MountainCarContinuousEnv,
  type MountainCarContinuousOptions,
  MountainCarEnv,
  type MountainCarOptions,
  PendulumEnv,
  type PendulumOptions,
} from './classic/index.js';
import { LunarLanderEnv, type LunarLanderOptions } from './box2d/lunar-lander.js';
import type { Box } from './spaces.js';

/** rl-zoo's `MaskVelocityWrapper.velocity_indices`, for the tasks we have. */
export const VELOCITY_INDICES: Readonly<Record<string, readonly number[]>> = {
  'CartPole-v1': [1, 3], // [x, ẋ, θ, θ̇]
  'MountainCar-v0': [1], // [position, velocity]
  'MountainCarContinuous-v0': [1],
  'Pendulum-v1': [2], // [cos θ, sin θ, θ̇]
  'LunarLander-v3': [2, 3, 5], // [x, y, ẋ, ẏ, angle, angular velocity, leg 1, leg 2] (rl-zoo: the v2 ids)
  'LunarLanderContinuous-v3': [2, 3, 5],
};

/** Multiplies the velocity components of each observation by 0 (as NumPy does: a negative velocity gives −0). */
export class MaskVelocity<A> extends Wrapper<Float32Array, A> {
  private readonly mask: Float32Array;

  constructor(env: Env<Float32Array, A>, velocityIndices: readonly number[]) {
    super(env);
    const { size } = env.observationSpace as Box<Float32Array>;
    this.mask = new Float32Array(size).fill(1);
    for (const index of velocityIndices) this.mask[index] = 0;
  }

  override reset(options?: ResetOptions): ResetResult<Float32Array> {
    const { observation, info } = this.env.reset(options);
    return { observation: this.observation(observation), info };
  }

  override step(action: A): StepResult<Float32Array> {
    const result = this.env.step(action);
    return { ...result, observation: this.observation(result.observation) };
  }

  private observation(observation: Float32Array): Float32Array {
    const out = new Float32Array(observation.length);
    for (let i = 0; i < out.length; i++) out[i] = observation[i] * this.mask[i];
    return out;
  }
}

function registerNoVel<A>(
  fullId: string,
  makeBase: (options: Record<string, unknown>) => Env<Float32Array, A>,
  maxEpisodeSteps: number,
  description: string,
  engine?: EnvRegistration['engine'],
): void {
  const [name, version] = fullId.split('-v');
  register({
    id: `${name}NoVel-v${version}`,
    entryPoint: (options) => new MaskVelocity(makeBase(options), VELOCITY_INDICES[fullId]) as Env,
    maxEpisodeSteps,
    description,
    engine,
  });
}

registerNoVel(
  'CartPole-v1',
  (options) => new CartPoleEnv(options as CartPoleOptions),
  500,
  'CartPole-v1 without velocities: [x, 0, θ, 0] (rl-zoo MaskVelocityWrapper)',
);
registerNoVel(
  'MountainCar-v0',
  (options) => new MountainCarEnv(options as MountainCarOptions),
  200,
  'MountainCar-v0 without velocity: [position, 0] (rl-zoo MaskVelocityWrapper)',
);
registerNoVel(
  'MountainCarContinuous-v0',
  (options) => new MountainCarContinuousEnv(options as MountainCarContinuousOptions),
  999,
  'MountainCarContinuous-v0 without velocity: [position, 0] (rl-zoo MaskVelocityWrapper)',
);
registerNoVel(
  'Pendulum-v1',
  (options) => new PendulumEnv(options as PendulumOptions),
  200,
  'Pendulum-v1 without angular velocity: [cos θ, sin θ, 0] (rl-zoo MaskVelocityWrapper)',
);
registerNoVel(
  'LunarLander-v3',
  (options) => new LunarLanderEnv(options as LunarLanderOptions),
  1000,
  'LunarLander-v3 without velocities: [x, y, 0, 0, angle, 0, legs] (rl-zoo MaskVelocityWrapper)',
  'box2d',
);
registerNoVel(
  'LunarLanderContinuous-v3',
  (options) => new LunarLanderEnv({ continuous: true, ...(options as LunarLanderOptions) }),
  1000,
  'LunarLanderContinuous-v3 without velocities: [x, y, 0, 0, angle, 0, legs] (rl-zoo MaskVelocityWrapper)',
  'box2d',
);
