/**
 * CartPole-v1 (Barto, Sutton & Anderson 1983), as Gymnasium 1.3.0's `CartPoleEnv`.
 *
 * A pole hinged on a cart moving along a frictionless track; the action pushes the cart left (0) or right (1)
 * with a fixed force. State [x, ẋ, θ, θ̇]; explicit Euler with τ = 0.02 s. The episode terminates when
 * |x| > 2.4 or |θ| > 12°. Reward +1 on every step, the terminating one included.
 */
import { z } from 'zod';
import { EnvConfigError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { assertDiscreteAction, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Box, Discrete } from '../spaces.js';
import type { Painter } from '../render.js';
import { ClassicControlEnv } from './base.js';
import { drawCartPole } from './scenes.js';

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
const LENGTH = 0.5; // half the pole's length
const POLEMASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

export const cartPoleOptionsSchema = z.strictObject({
  /** Sutton & Barto's reward: 0 per step and −1 on termination, instead of +1 per step. */
  suttonBartoReward: z.boolean().default(false),
});
export type CartPoleOptions = z.input<typeof cartPoleOptionsSchema>;

export class CartPoleEnv extends ClassicControlEnv<number> {
  readonly observationSpace = new Box<Float32Array>({
    low: [-X_THRESHOLD * 2, -Infinity, -THETA_THRESHOLD_RADIANS * 2, -Infinity],
    high: [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD_RADIANS * 2, Infinity],
  });
  readonly actionSpace = new Discrete(2);
  readonly stateLayout = ['x', 'x_dot', 'theta', 'theta_dot'] as const;
  private readonly suttonBartoReward: boolean;
  /** Steps taken after the episode terminated (null while it has not): such steps earn no reward. */
  private stepsBeyondTerminated: number | null = null;

  protected override snapshotFields(): Record<string, unknown> {
    return { ...super.snapshotFields(), stepsBeyondTerminated: this.stepsBeyondTerminated };
  }

  protected override restoreFields(fields: Record<string, unknown>): void {
    super.restoreFields(fields);
    this.stepsBeyondTerminated = fields.stepsBeyondTerminated as number | null;
  }

  constructor(options: CartPoleOptions = {}) {
    super();
    this.suttonBartoReward = parseOptions(
      cartPoleOptionsSchema,
      options,
      'CartPole',
      EnvConfigError,
    ).suttonBartoReward;
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    const [low, high] = this.resetBounds(options.options, -0.05, 0.05);
    this.s = Float64Array.from({ length: 4 }, () => this.rng.uniform(low, high));
    this.stateDtype = 'float64';
    this.stepsBeyondTerminated = null;
    return this.resetResult();
  }

  step(action: number): StepResult<Float32Array> {
    assertDiscreteAction(this.name, this.actionSpace, action);
    const s = this.requireState();
    let [x, xDot, theta, thetaDot] = s;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cosTheta = Math.cos(theta);
    const sinTheta = Math.sin(theta);

    // Equations of motion (Florian 2007, with Gymnasium's operation order).
    const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sinTheta) / TOTAL_MASS;
    const thetaAcc =
      (GRAVITY * sinTheta - cosTheta * temp) /
      (LENGTH * (4.0 / 3.0 - (MASS_POLE * (cosTheta * cosTheta)) / TOTAL_MASS));
    const xAcc = temp - (POLEMASS_LENGTH * thetaAcc * cosTheta) / TOTAL_MASS;

    // Explicit Euler: positions advance with the velocities from before the step.
    x = x + TAU * xDot;
    xDot = xDot + TAU * xAcc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaAcc;
    s[0] = x;
    s[1] = xDot;
    s[2] = theta;
    s[3] = thetaDot;
    this.stateDtype = 'float64';

    const terminated =
      x < -X_THRESHOLD ||
      x > X_THRESHOLD ||
      theta < -THETA_THRESHOLD_RADIANS ||
      theta > THETA_THRESHOLD_RADIANS;

    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated === null) {
      this.stepsBeyondTerminated = 0; // the pole just fell
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      this.stepsBeyondTerminated += 1; // stepping a terminated episode: Gymnasium warns and gives no reward
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    return { observation: this.observe(), reward, terminated, truncated: false, info: {} };
  }

  protected drawScene(painter: Painter, state: Float64Array): void {
    drawCartPole(painter, state[0], state[2]);
  }

  observe(): Float32Array {
    return Float32Array.from(this.requireState());
  }
}
