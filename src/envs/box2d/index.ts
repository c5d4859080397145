/**
 * Registers the Box2D environments with Gymnasium 1.3.0's ids, episode limits and thresholds. Their engine, planck,
 * is an optional peer dependency loaded by `loadEnvEngine(id)` (`engine: 'box2d'`).
 */
import { register } from '../registry.js';
import { BipedalWalkerEnv, type BipedalWalkerOptions } from './bipedal-walker.js';
import { LunarLanderEnv, type LunarLanderOptions } from './lunar-lander.js';

export {
  LUNAR_LANDER,
  LunarLanderEnv,
  lunarLanderOptionsSchema,
  lunarLanderShaping,
  lunarLanderTerrain,
} from './lunar-lander.js';
export type { LunarLanderAction, LunarLanderOptions, LunarLanderResetDraws } from './lunar-lander.js';
export {
  BIPEDAL_WALKER,
  BipedalWalkerEnv,
  bipedalWalkerClouds,
  bipedalWalkerOptionsSchema,
  bipedalWalkerTerrain,
} from './bipedal-walker.js';
export type {
  BipedalWalkerObstacle,
  BipedalWalkerOptions,
  BipedalWalkerTerrain,
  ResetDrawSource,
} from './bipedal-walker.js';
export { BipedalWalkerHeuristics, heuristicPolicy, lunarLanderHeuristic } from './heuristic.js';
export { loadPlanck } from './engine.js';
export { type BipedalWalkerPicture, drawBipedalWalker } from './bipedal-walker-scene.js';
export { drawLunarLander, type LunarLanderPicture } from './lunar-lander-scene.js';

register({
  id: 'LunarLander-v3',
  entryPoint: (options) => new LunarLanderEnv(options as LunarLanderOptions),
  maxEpisodeSteps: 1000,
  rewardThreshold: 200,
  description: 'land a rocket on the pad (Discrete(4); continuous: true → Box(2)), Box2D via planck',
  engine: 'box2d',
});
register({
  id: 'LunarLanderContinuous-v3',
  entryPoint: (options) => new LunarLanderEnv({ continuous: true, ...(options as LunarLanderOptions) }),
  maxEpisodeSteps: 1000,
  rewardThreshold: 200,
  description: 'LunarLander with continuous throttles [main, lateral] (Box(2))',
  engine: 'box2d',
});
register({
  id: 'BipedalWalker-v3',
  entryPoint: (options) => new BipedalWalkerEnv(options as BipedalWalkerOptions),
  maxEpisodeSteps: 1600,
  rewardThreshold: 300,
  description:
    'walk a two-legged robot over rough terrain (Box(4) motor commands; hardcore: true → obstacles)',
  engine: 'box2d',
});
register({
  id: 'BipedalWalkerHardcore-v3',
  entryPoint: (options) => new BipedalWalkerEnv({ hardcore: true, ...(options as BipedalWalkerOptions) }),
  maxEpisodeSteps: 2000,
  rewardThreshold: 300,
  description: 'BipedalWalker with stumps, stairs and pits, 2000 steps',
  engine: 'box2d',
});
