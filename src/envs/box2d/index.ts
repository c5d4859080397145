/** Registers the Box2D environments with Gymnasium 1.3.0's ids, episode limits and thresholds. */
import { register } from '../registry.js';
import { LunarLanderEnv, type LunarLanderOptions } from './lunar-lander.js';

export {
  LUNAR_LANDER,
  LunarLanderEnv,
  lunarLanderOptionsSchema,
  lunarLanderShaping,
  lunarLanderTerrain,
} from './lunar-lander.js';
export type { LunarLanderAction, LunarLanderOptions, LunarLanderResetDraws } from './lunar-lander.js';
export { heuristicPolicy, lunarLanderHeuristic } from './heuristic.js';

register({
  id: 'LunarLander-v3',
  entryPoint: (options) => new LunarLanderEnv(options as LunarLanderOptions),
  maxEpisodeSteps: 1000,
  rewardThreshold: 200,
  description: 'land a rocket on the pad (Discrete(4); continuous: true → Box(2)), Box2D via planck',
});
register({
  id: 'LunarLanderContinuous-v3',
  entryPoint: (options) => new LunarLanderEnv({ continuous: true, ...(options as LunarLanderOptions) }),
  maxEpisodeSteps: 1000,
  rewardThreshold: 200,
  description: 'LunarLander with continuous throttles [main, lateral] (Box(2))',
});
