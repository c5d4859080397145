/** Registers the classic-control environments with Gymnasium 1.3.0's ids, episode limits and thresholds. */
import { register } from '../registry.js';
import { AcrobotEnv, type AcrobotOptions } from './acrobot.js';
import { CartPoleEnv, type CartPoleOptions } from './cartpole.js';
import { MountainCarEnv, type MountainCarOptions } from './mountain-car.js';
import { MountainCarContinuousEnv, type MountainCarContinuousOptions } from './mountain-car-continuous.js';
import { PendulumEnv, type PendulumOptions } from './pendulum.js';

export { ClassicControlEnv } from './base.js';
export { angleNormalize } from './pendulum.js';
export type {
  AcrobotOptions,
  CartPoleOptions,
  MountainCarContinuousOptions,
  MountainCarOptions,
  PendulumOptions,
};
export { AcrobotEnv, CartPoleEnv, MountainCarContinuousEnv, MountainCarEnv, PendulumEnv };

register({
  id: 'CartPole-v1',
  entryPoint: (options) => new CartPoleEnv(options as CartPoleOptions),
  maxEpisodeSteps: 500,
  rewardThreshold: 475.0,
  description: 'balance a pole on a cart (Discrete(2))',
});
register({
  id: 'Acrobot-v1',
  entryPoint: (options) => new AcrobotEnv(options as AcrobotOptions),
  maxEpisodeSteps: 500,
  rewardThreshold: -100.0,
  description: 'swing a two-link arm up (Discrete(3))',
});
register({
  id: 'MountainCar-v0',
  entryPoint: (options) => new MountainCarEnv(options as MountainCarOptions),
  maxEpisodeSteps: 200,
  rewardThreshold: -110.0,
  description: 'drive an under-powered car up a hill (Discrete(3))',
});
register({
  id: 'MountainCarContinuous-v0',
  entryPoint: (options) => new MountainCarContinuousEnv(options as MountainCarContinuousOptions),
  maxEpisodeSteps: 999,
  rewardThreshold: 90.0,
  description: 'MountainCar with a continuous force (Box(1))',
});
register({
  id: 'Pendulum-v1',
  entryPoint: (options) => new PendulumEnv(options as PendulumOptions),
  maxEpisodeSteps: 200,
  description: 'swing a pendulum up and hold it (Box(1))',
});
