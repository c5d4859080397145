/**
 * The hand-written controllers Gymnasium ships with its Box2D envs, for tests and demos: `lunar_lander.heuristic`
 * points the lander at the pad and brakes its fall (about 235 mean return on LunarLander-v3, 281 on the continuous
 * version); `BipedalWalkerHeuristics` walks with a three-phase gait (about 104 on BipedalWalker-v3; it often falls).
 */
import type { Env } from '../env.js';
import { BipedalWalkerEnv } from './bipedal-walker.js';
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

const STAY_ON_ONE_LEG = 1;
const PUT_OTHER_DOWN = 2;
const PUSH_OFF = 3;
/** Faster than this forward speed (observation 2) the walker falls forward. */
const SPEED = 0.29;
const SUPPORT_KNEE_ANGLE = +0.1;

/**
 * Gymnasium's `BipedalWalkerHeuristics`: a state machine over the gait phases (stand on one leg while swinging the
 * other forward, put it down, push off), with PD targets for the hips and knees, a PD term keeping the hull level
 * and a knee term damping vertical speed. One instance per episode: it keeps the phase, the moving leg and the
 * supporting knee angle between calls.
 *
 * The observation is float32, and under NumPy 2 a Python float meeting a float32 is cast to float32, so Gymnasium
 * computes the joint commands in float32 (`f32` below) and stores them in a float64 array; the supporting knee
 * angle is a Python float until it is set from the observation. Reproduced here, so the actions equal Gymnasium's
 * bit for bit given the same observations.
 */
export class BipedalWalkerHeuristics {
  private phase = STAY_ON_ONE_LEG;
  private movingLeg = 0;
  private supportingLeg = 1;
  private supportingKneeAngle = SUPPORT_KNEE_ANGLE;
  /** True once the supporting knee angle came from the observation (a NumPy float32 from then on). */
  private kneeAngleIsFloat32 = false;

  /** The action for observation `s` (Gymnasium's `step_heuristic`), float64 values in [−1, 1]. */
  step(s: ArrayLike<number>): number[] {
    const f32 = Math.fround;
    const movingBase = 4 + 5 * this.movingLeg;
    const supportingBase = 4 + 5 * this.supportingLeg;
    // null: no target for that joint (Python's None); a target of exactly 0 is skipped too, as Python's `if`.
    const hipTarget: (number | null)[] = [null, null]; // −0.8 .. +1.1
    const kneeTarget: (number | null)[] = [null, null]; // −0.6 .. +0.9
    if (this.phase === STAY_ON_ONE_LEG) {
      hipTarget[this.movingLeg] = 1.1;
      kneeTarget[this.movingLeg] = -0.6;
      this.addToKneeAngle(0.03);
      if (s[2] > f32(SPEED)) this.addToKneeAngle(0.03);
      this.keepKneeAngleAtMost(SUPPORT_KNEE_ANGLE);
      kneeTarget[this.supportingLeg] = this.supportingKneeAngle;
      if (s[supportingBase] < f32(0.1)) this.phase = PUT_OTHER_DOWN; // the supporting leg is behind
    }
    if (this.phase === PUT_OTHER_DOWN) {
      hipTarget[this.movingLeg] = +0.1;
      kneeTarget[this.movingLeg] = SUPPORT_KNEE_ANGLE;
      kneeTarget[this.supportingLeg] = this.supportingKneeAngle;
      if (s[movingBase + 4]) {
        this.phase = PUSH_OFF;
        // Python's min(s[k], 0.1): the observation (float32) unless 0.1 is smaller.
        const observed = s[movingBase + 2];
        this.supportingKneeAngle = SUPPORT_KNEE_ANGLE < observed ? SUPPORT_KNEE_ANGLE : observed;
        this.kneeAngleIsFloat32 = !(SUPPORT_KNEE_ANGLE < observed);
      }
    }
    if (this.phase === PUSH_OFF) {
      kneeTarget[this.movingLeg] = this.supportingKneeAngle;
      kneeTarget[this.supportingLeg] = +1.0;
      if (s[supportingBase + 2] > f32(0.88) || s[2] > f32(1.2 * SPEED)) {
        this.phase = STAY_ON_ONE_LEG;
        this.movingLeg = 1 - this.movingLeg;
        this.supportingLeg = 1 - this.movingLeg;
      }
    }
    const action = [0, 0, 0, 0];
    for (let leg = 0; leg < 2; leg++) {
      const o = 5 * leg;
      const hip = hipTarget[leg];
      const knee = kneeTarget[leg];
      let hipTodo = 0.0;
      let kneeTodo = 0.0;
      if (hip) hipTodo = f32(f32(f32(0.9) * f32(f32(hip) - s[4 + o])) - f32(0.25 * s[5 + o]));
      if (knee) kneeTodo = f32(f32(4.0 * f32(f32(knee) - s[6 + o])) - f32(0.25 * s[7 + o]));
      hipTodo = f32(hipTodo - f32(f32(f32(0.9) * -s[0]) - f32(1.5 * s[1]))); // PD keeping the hull level
      kneeTodo = f32(kneeTodo - f32(15.0 * s[3])); // damps vertical oscillation
      action[2 * leg] = Math.min(Math.max(0.5 * hipTodo, -1.0), 1.0);
      action[2 * leg + 1] = Math.min(Math.max(0.5 * kneeTodo, -1.0), 1.0);
    }
    return action;
  }

  private addToKneeAngle(delta: number): void {
    const sum = this.supportingKneeAngle + (this.kneeAngleIsFloat32 ? Math.fround(delta) : delta);
    this.supportingKneeAngle = this.kneeAngleIsFloat32 ? Math.fround(sum) : sum;
  }

  /** Python's min(angle, limit): keeps the angle (and its type) unless the limit is smaller. */
  private keepKneeAngleAtMost(limit: number): void {
    if (limit < this.supportingKneeAngle) {
      this.supportingKneeAngle = limit;
      this.kneeAngleIsFloat32 = false;
    }
  }
}

/**
 * The hand-written controller Gymnasium ships for `env`, for one episode, as a function from observation to
 * action, or undefined when the env has none. Make a new one per episode: BipedalWalker's is stateful and, as in
 * Gymnasium's `__main__`, answers its first call (the reset observation) with the zero action.
 */
export function heuristicPolicy(
  env: Env,
): ((observation: ArrayLike<number>) => number | number[]) | undefined {
  const base = env.unwrapped;
  if (base instanceof LunarLanderEnv)
    return (observation) => lunarLanderHeuristic(observation, base.continuous);
  if (base instanceof BipedalWalkerEnv) {
    const controller = new BipedalWalkerHeuristics();
    let first = true;
    return (observation) => {
      if (!first) return controller.step(observation);
      first = false;
      return [0, 0, 0, 0];
    };
  }
  return undefined;
}
