/**
 * Gymnasium's `lunar_lander.heuristic`: a hand-written controller that points the lander at the pad and brakes
 * its fall (about 235 mean return on LunarLander-v3, 281 on the continuous version). For tests and demos.
 */
import type { Env } from '../env.js';
import { LunarLanderEnv } from './lunar-lander.js';

/** The heuristic action for observation `s`: Discrete(4) index, or continuous [main, lateral] in [−1, 1]. */
export function lunarLanderHeuristic(s: ArrayLike<number>, continuous: false): number;
export function lunarLanderHeuristic(s: ArrayLike<number>, continuous: true): [number, number];
export function lunarLanderHeuristic(s: ArrayLike<number>, continuous: boolean): number | [number, number];
export function lunarLanderHeuristic(s: ArrayLike<number>, continuous: boolean): number | [number, number] {
  // Tilt towards the pad (at most 0.4 rad, ~22°); hover higher the further off-centre the lander is.
  const angleTarget = Math.min(Math.max(s[0] * 0.5 + s[2] * 1.0, -0.4), 0.4);
  const hoverTarget = 0.55 * Math.abs(s[0]);
  let angleTodo = (angleTarget - s[4]) * 0.5 - s[5] * 1.0;
  let hoverTodo = (hoverTarget - s[1]) * 0.5 - s[3] * 0.5;
  if (s[6] || s[7]) {
    // Legs down: only slow the fall.
    angleTodo = 0;
    hoverTodo = -s[3] * 0.5;
  }
  if (continuous) {
    const clip = (x: number): number => Math.min(Math.max(x, -1), 1);
    return [clip(hoverTodo * 20 - 1), clip(-angleTodo * 20)];
  }
  if (hoverTodo > Math.abs(angleTodo) && hoverTodo > 0.05) return 2;
  if (angleTodo < -0.05) return 3;
  if (angleTodo > 0.05) return 1;
  return 0;
}

/**
 * The hand-written controller Gymnasium ships for `env` (LunarLander's `heuristic`), as a function from observation
 * to action, or undefined when the env has none.
 */
export function heuristicPolicy(
  env: Env,
): ((observation: ArrayLike<number>) => number | number[]) | undefined {
  const base = env.unwrapped;
  if (base instanceof LunarLanderEnv)
    return (observation) => lunarLanderHeuristic(observation, base.continuous);
  return undefined;
}
