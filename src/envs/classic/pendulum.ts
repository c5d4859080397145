/**
 * Pendulum-v1, as Gymnasium 1.3.0's `PendulumEnv`.
 *
 * A pendulum on a frictionless pivot, starting at a random angle, to be swung up and held upright. The action
 * is a torque, clipped to [−2, 2]. State [θ, θ̇] (θ never wrapped); observation [cos θ, sin θ, θ̇]. The reward
 * −(normalize(θ)² + 0.1·θ̇² + 0.001·u²) is computed from the state before the step. Never terminates.
 */
import { z } from 'zod';
import { describeValue, EnvConfigError, PolicygradError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { assertBoxAction, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Box, type BoxValue } from '../spaces.js';
import type { Painter } from '../render.js';
import { ClassicControlEnv, clip } from './base.js';
import { drawPendulum } from './scenes.js';

const f32 = Math.fround;
const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const MASS = 1.0;
const LENGTH = 1.0;
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;

export const pendulumOptionsSchema = z.strictObject({
  /** Gravitational acceleration (m/s²). */
  g: z.number().finite().default(10.0),
});
export type PendulumOptions = z.input<typeof pendulumOptionsSchema>;

export class PendulumEnv extends ClassicControlEnv<BoxValue | number[]> {
  readonly observationSpace = new Box<Float32Array>({ low: [-1, -1, -MAX_SPEED], high: [1, 1, MAX_SPEED] });
  readonly actionSpace = new Box({ low: -MAX_TORQUE, high: MAX_TORQUE, shape: [1] });
  readonly stateLayout = ['theta', 'theta_dot'] as const;
  private readonly g: number;

  constructor(options: PendulumOptions = {}) {
    super();
    this.g = parseOptions(pendulumOptionsSchema, options, 'Pendulum', EnvConfigError).g;
  }

  /** Reset options `{ xInit, yInit }` set the half-widths of the uniform reset of θ and θ̇ (default π and 1). */
  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    const xInit = options.options?.xInit ?? DEFAULT_X;
    const yInit = options.options?.yInit ?? DEFAULT_Y;
    for (const [name, v] of [
      ['xInit', xInit],
      ['yInit', yInit],
    ] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new PolicygradError(
          `${this.name}: invalid reset option ${name}=${describeValue(v)}: expected a finite number`,
        );
      }
    }
    const x = xInit as number;
    const y = yInit as number;
    this.s = Float64Array.of(this.rng.uniform(-x, x), this.rng.uniform(-y, y));
    this.stateDtype = 'float64';
    return this.resetResult();
  }

  step(action: BoxValue | number[]): StepResult<Float32Array> {
    assertBoxAction(this.name, this.actionSpace, action);
    const s = this.requireState();
    const [th, thdot] = s;
    // u stays float32 in Gymnasium: 3·u and 0.001·u² are float32 products.
    const u = f32(clip(action[0], -MAX_TORQUE, MAX_TORQUE));
    const costs = angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + f32(f32(0.001) * f32(u * u));

    let newThdot =
      thdot + (((3 * this.g) / (2 * LENGTH)) * Math.sin(th) + f32((3.0 / (MASS * LENGTH ** 2)) * u)) * DT;
    newThdot = clip(newThdot, -MAX_SPEED, MAX_SPEED);
    const newTh = th + newThdot * DT; // semi-implicit Euler: θ advances with the new velocity
    s[0] = newTh;
    s[1] = newThdot;
    this.stateDtype = 'float64';
    return { observation: this.observe(), reward: -costs, terminated: false, truncated: false, info: {} };
  }

  protected drawScene(painter: Painter, state: Float64Array): void {
    drawPendulum(painter, state[0]);
  }

  observe(): Float32Array {
    const [th, thdot] = this.requireState();
    return Float32Array.of(Math.cos(th), Math.sin(th), thdot);
  }
}

/** ((x + π) mod 2π) − π with a floored modulo (Python's `%`), unlike JavaScript's truncated `%`. */
export function angleNormalize(x: number): number {
  const m = 2 * Math.PI;
  let r = (x + Math.PI) % m;
  if (r !== 0 && r < 0 !== m < 0) r += m;
  return r - Math.PI;
}
