/**
 * MountainCarContinuous-v0 (Moore 1990), as Gymnasium 1.3.0's `Continuous_MountainCarEnv`.
 *
 * The car of MountainCar-v0 driven by a continuous force in [−1, 1] (out-of-range actions are clipped).
 * Terminates at position ≥ 0.45 with velocity ≥ goalVelocity. Reward: +100 on reaching the goal, minus
 * 0.1·a² per step with the unclipped action a.
 *
 * Gymnasium stores this env's state as float32 after every step, and under NumPy 2 every scalar operation that
 * mixes a float32 with a Python float runs in float32. Those roundings are reproduced below so that whole
 * episodes agree bit for bit, not just single steps.
 */
import { z } from 'zod';
import { EnvConfigError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { assertBoxAction, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Box, type BoxValue } from '../spaces.js';
import type { Painter } from '../render.js';
import { ClassicControlEnv } from './base.js';
import { drawMountainCar } from './scenes.js';

const f32 = Math.fround;
const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const POWER = 0.0015;
const GRAVITY_COEF = 0.0025;

export const mountainCarContinuousOptionsSchema = z.strictObject({
  /** Minimum velocity at the goal for the episode to terminate. */
  goalVelocity: z.number().finite().default(0),
});
export type MountainCarContinuousOptions = z.input<typeof mountainCarContinuousOptionsSchema>;

export class MountainCarContinuousEnv extends ClassicControlEnv<BoxValue | number[]> {
  readonly observationSpace = new Box<Float32Array>({
    low: [MIN_POSITION, -MAX_SPEED],
    high: [MAX_POSITION, MAX_SPEED],
  });
  readonly actionSpace = new Box({ low: MIN_ACTION, high: MAX_ACTION, shape: [1] });
  readonly stateLayout = ['position', 'velocity'] as const;
  private readonly goalVelocity: number;

  constructor(options: MountainCarContinuousOptions = {}) {
    super();
    const parsed = parseOptions(
      mountainCarContinuousOptionsSchema,
      options,
      'MountainCarContinuous',
      EnvConfigError,
    );
    this.goalVelocity = parsed.goalVelocity;
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    const [low, high] = this.resetBounds(options.options, -0.6, -0.4);
    this.s = Float64Array.of(this.rng.uniform(low, high), 0);
    this.stateDtype = 'float64';
    return this.resetResult();
  }

  step(action: BoxValue | number[]): StepResult<Float32Array> {
    assertBoxAction(this.name, this.actionSpace, action);
    const s = this.requireState();
    const a = f32(action[0]); // the action space is float32
    const float32State = this.stateDtype === 'float32';
    let [position, velocity] = s;

    // velocity += force·power − 0.0025·cos(3·position), force = clip(a, −1, 1). Inside the bounds the force is
    // the float32 action and the products are float32; outside, it is the Python float ±1 and they are float64.
    const gravityTerm = GRAVITY_COEF * Math.cos(float32State ? f32(3 * position) : 3 * position);
    let dv: number;
    if (a < MIN_ACTION || a > MAX_ACTION) {
      dv = Math.sign(a) * POWER - gravityTerm;
    } else {
      dv = f32(f32(a * f32(POWER)) - f32(gravityTerm));
    }

    let terminated: boolean;
    if (float32State) {
      // float32 state: every update is rounded to float32 and compared against float32 thresholds.
      velocity = f32(velocity + f32(dv));
      if (velocity > f32(MAX_SPEED)) velocity = f32(MAX_SPEED);
      if (velocity < f32(-MAX_SPEED)) velocity = f32(-MAX_SPEED);
      position = f32(position + velocity);
      if (position > f32(MAX_POSITION)) position = f32(MAX_POSITION);
      if (position < f32(MIN_POSITION)) position = f32(MIN_POSITION);
      if (position === f32(MIN_POSITION) && velocity < 0) velocity = 0;
      terminated = position >= f32(GOAL_POSITION) && velocity >= f32(this.goalVelocity);
    } else {
      // float64 state (the first step after reset): float64 arithmetic, then stored as float32.
      velocity = velocity + dv;
      if (velocity > MAX_SPEED) velocity = MAX_SPEED;
      if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
      position = position + velocity;
      if (position > MAX_POSITION) position = MAX_POSITION;
      if (position < MIN_POSITION) position = MIN_POSITION;
      if (position === MIN_POSITION && velocity < 0) velocity = 0;
      terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    }
    s[0] = f32(position);
    s[1] = f32(velocity);
    this.stateDtype = 'float32';

    const reward = (terminated ? 100.0 : 0) - a * a * 0.1; // uses the unclipped action
    return { observation: this.observe(), reward, terminated, truncated: false, info: {} };
  }

  protected drawScene(painter: Painter, state: Float64Array): void {
    drawMountainCar(painter, state[0], GOAL_POSITION);
  }

  observe(): Float32Array {
    return Float32Array.from(this.requireState());
  }
}
