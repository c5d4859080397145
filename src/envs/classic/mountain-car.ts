/**
 * MountainCar-v0 (Moore 1990), as Gymnasium 1.3.0's `MountainCarEnv`.
 *
 * An under-powered car in a valley must rock back and forth to reach the flag on the right hill. Actions push
 * left (0), not at all (1) or right (2). State [position, velocity]. Terminates when position ≥ 0.5 and
 * velocity ≥ goalVelocity. Reward −1 per step. All arithmetic is float64.
 */
import { z } from 'zod';
import { EnvConfigError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { assertDiscreteAction, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Box, Discrete } from '../spaces.js';
import type { Painter } from '../render.js';
import { ClassicControlEnv, clip } from './base.js';
import { drawMountainCar } from './scenes.js';

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;

export const mountainCarOptionsSchema = z.strictObject({
  /** Minimum velocity at the goal for the episode to terminate. */
  goalVelocity: z.number().finite().default(0),
});
export type MountainCarOptions = z.input<typeof mountainCarOptionsSchema>;

export class MountainCarEnv extends ClassicControlEnv<number> {
  readonly observationSpace = new Box<Float32Array>({
    low: [MIN_POSITION, -MAX_SPEED],
    high: [MAX_POSITION, MAX_SPEED],
  });
  readonly actionSpace = new Discrete(3);
  readonly stateLayout = ['position', 'velocity'] as const;
  private readonly goalVelocity: number;

  constructor(options: MountainCarOptions = {}) {
    super();
    this.goalVelocity = parseOptions(
      mountainCarOptionsSchema,
      options,
      'MountainCar',
      EnvConfigError,
    ).goalVelocity;
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    const [low, high] = this.resetBounds(options.options, -0.6, -0.4);
    this.s = Float64Array.of(this.rng.uniform(low, high), 0);
    this.stateDtype = 'float64';
    return this.resetResult();
  }

  step(action: number): StepResult<Float32Array> {
    assertDiscreteAction(this.name, this.actionSpace, action);
    const s = this.requireState();
    let [position, velocity] = s;
    velocity += (action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY;
    velocity = clip(velocity, -MAX_SPEED, MAX_SPEED);
    position += velocity;
    position = clip(position, MIN_POSITION, MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0; // inelastic left wall
    s[0] = position;
    s[1] = velocity;
    this.stateDtype = 'float64';
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    return { observation: this.observe(), reward: -1.0, terminated, truncated: false, info: {} };
  }

  protected drawScene(painter: Painter, state: Float64Array): void {
    drawMountainCar(painter, state[0], GOAL_POSITION);
  }

  observe(): Float32Array {
    return Float32Array.from(this.requireState());
  }
}
