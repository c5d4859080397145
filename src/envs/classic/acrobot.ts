/**
 * Acrobot-v1 (Sutton 1996; dynamics from Sutton & Barto's book), as Gymnasium 1.3.0's `AcrobotEnv`.
 *
 * Two links joined in a chain, the joint between them actuated with torque −1, 0 or +1 (actions 0, 1, 2).
 * State [θ1, θ2, θ̇1, θ̇2]; one RK4 step of dt = 0.2 per action, then the angles are wrapped into [−π, π] and the
 * velocities clipped to ±4π and ±9π. Terminates when the free end rises one link above the base:
 * −cos θ1 − cos(θ1 + θ2) > 1. Reward −1 per step, 0 on the terminating step.
 */
import { z } from 'zod';
import { EnvConfigError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { assertDiscreteAction, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Box, Discrete } from '../spaces.js';
import type { Painter } from '../render.js';
import { ClassicControlEnv, clip } from './base.js';
import { drawAcrobot } from './scenes.js';

const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1.0];
const G = 9.8;

export const acrobotOptionsSchema = z.strictObject({});
export type AcrobotOptions = z.input<typeof acrobotOptionsSchema>;

export class AcrobotEnv extends ClassicControlEnv<number> {
  readonly observationSpace = new Box<Float32Array>({
    low: [-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2],
    high: [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2],
  });
  readonly actionSpace = new Discrete(3);
  readonly stateLayout = ['theta1', 'theta2', 'dtheta1', 'dtheta2'] as const;
  // RK4 scratch over the augmented state [θ1, θ2, θ̇1, θ̇2, torque]; reused so a step allocates nothing.
  private readonly y0 = new Float64Array(5);
  private readonly yt = new Float64Array(5);
  private readonly k1 = new Float64Array(5);
  private readonly k2 = new Float64Array(5);
  private readonly k3 = new Float64Array(5);
  private readonly k4 = new Float64Array(5);

  constructor(options: AcrobotOptions = {}) {
    super();
    parseOptions(acrobotOptionsSchema, options, 'Acrobot', EnvConfigError);
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    const [low, high] = this.resetBounds(options.options, -0.1, 0.1);
    // Gymnasium casts the sampled reset state to float32.
    this.s = Float64Array.from({ length: 4 }, () => Math.fround(this.rng.uniform(low, high)));
    this.stateDtype = 'float32';
    return this.resetResult();
  }

  step(action: number): StepResult<Float32Array> {
    assertDiscreteAction(this.name, this.actionSpace, action);
    const s = this.requireState();
    const { y0, yt, k1, k2, k3, k4 } = this;
    y0.set(s);
    y0[4] = AVAIL_TORQUE[action];

    // Classic RK4 over one step of length dt: y1 = y0 + dt/6 · (k1 + 2k2 + 2k3 + k4).
    const half = DT / 2.0;
    dsdt(y0, k1);
    for (let i = 0; i < 5; i++) yt[i] = y0[i] + half * k1[i];
    dsdt(yt, k2);
    for (let i = 0; i < 5; i++) yt[i] = y0[i] + half * k2[i];
    dsdt(yt, k3);
    for (let i = 0; i < 5; i++) yt[i] = y0[i] + DT * k3[i];
    dsdt(yt, k4);
    for (let i = 0; i < 4; i++) s[i] = y0[i] + (DT / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);

    s[0] = wrap(s[0], -Math.PI, Math.PI);
    s[1] = wrap(s[1], -Math.PI, Math.PI);
    s[2] = clip(s[2], -MAX_VEL_1, MAX_VEL_1);
    s[3] = clip(s[3], -MAX_VEL_2, MAX_VEL_2);
    this.stateDtype = 'float64';

    const terminated = -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;
    return {
      observation: this.observe(),
      reward: terminated ? 0.0 : -1.0,
      terminated,
      truncated: false,
      info: {},
    };
  }

  protected drawScene(painter: Painter, state: Float64Array): void {
    drawAcrobot(painter, state[0], state[1]);
  }

  observe(): Float32Array {
    const s = this.requireState();
    return Float32Array.of(Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]);
  }
}

/** Time derivative of the augmented state (the book's dynamics); writes into `out`. */
function dsdt(y: Float64Array, out: Float64Array): void {
  const m1 = LINK_MASS_1;
  const m2 = LINK_MASS_2;
  const l1 = LINK_LENGTH_1;
  const lc1 = LINK_COM_POS_1;
  const lc2 = LINK_COM_POS_2;
  const I1 = LINK_MOI;
  const I2 = LINK_MOI;
  const [theta1, theta2, dtheta1, dtheta2, a] = y;
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
  const phi2 = m2 * lc2 * G * Math.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
    (m1 * lc1 + m2 * l1) * G * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  const ddtheta2 =
    (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) /
    (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
  out[4] = 0.0;
}

/** Wraps x into [low, high] by repeatedly adding or subtracting the range (Gymnasium's `wrap`). */
function wrap(x: number, low: number, high: number): number {
  const range = high - low;
  let v = x;
  while (v > high) v -= range;
  while (v < low) v += range;
  return v;
}
