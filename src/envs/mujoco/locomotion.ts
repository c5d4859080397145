/**
 * Gymnasium's eight MuJoCo v5 environments with their default kwargs (the documented ones are options, in
 * camelCase, validated). Definitions follow Gymnasium 1.3.0; test/fixtures/mujoco/README.md states each one and
 * the replay tests hold every recorded step to |a − b| ≤ 1e-5·(1 + |b|).
 */
import { z } from 'zod';
import { EnvConfigError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import type { Info, StepResult } from '../env.js';
import { register } from '../registry.js';
import { clipValue, controlCost, MujocoEnv } from './mujoco-env.js';

const range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, 'expected [low, high] with low ≤ high');
const weight = z.number().min(0);

function options<S extends z.ZodRawShape>(id: string, shape: S, input: unknown) {
  return parseOptions(z.strictObject(shape), input ?? {}, `${id} options`, EnvConfigError);
}

function step(
  observation: Float64Array,
  reward: number,
  terminated: boolean,
  info: Info,
): StepResult<Float64Array> {
  return { observation, reward, terminated, truncated: false, info };
}

// ------------------------------------------------------------------------------------------------ HalfCheetah
const halfCheetahShape = {
  forwardRewardWeight: weight.default(1),
  ctrlCostWeight: weight.default(0.1),
  resetNoiseScale: weight.default(0.1),
  excludeCurrentPositionsFromObservation: z.boolean().default(true),
};
export type HalfCheetahOptions = z.input<z.ZodObject<typeof halfCheetahShape>>;

export class HalfCheetahEnv extends MujocoEnv {
  readonly options: z.output<z.ZodObject<typeof halfCheetahShape>>;
  constructor(input: HalfCheetahOptions = {}) {
    const o = options('HalfCheetah-v5', halfCheetahShape, input);
    super('HalfCheetah-v5', 'half_cheetah.xml', 5, o.excludeCurrentPositionsFromObservation ? 17 : 18);
    this.options = o;
  }
  protected resetState() {
    const s = this.options.resetNoiseScale;
    return { qpos: this.uniformNoise(this.initQpos, s), qvel: this.normalNoise(this.initQvel, s) };
  }
  protected observe(): Float64Array {
    const { qpos, qvel } = this.data;
    const skip = this.options.excludeCurrentPositionsFromObservation ? 1 : 0;
    return Float64Array.from([...qpos.subarray(skip), ...qvel]);
  }
  protected outcome(action: ArrayLike<number>, before: number[]) {
    const x = this.data.qpos[0];
    const xVelocity = (x - before[0]) / this.dt;
    const forward = this.options.forwardRewardWeight * xVelocity;
    const ctrl = controlCost(action, this.options.ctrlCostWeight);
    return step(this.observe(), forward - ctrl, false, {
      x_position: x,
      x_velocity: xVelocity,
      reward_forward: forward,
      reward_ctrl: -ctrl,
    });
  }
}

// ------------------------------------------------------------------------------------------ Hopper and Walker2d
const hopperShape = {
  forwardRewardWeight: weight.default(1),
  ctrlCostWeight: weight.default(0.001),
  healthyReward: z.number().default(1),
  terminateWhenUnhealthy: z.boolean().default(true),
  healthyStateRange: range.default([-100, 100]),
  healthyZRange: range.default([0.7, Infinity]),
  healthyAngleRange: range.default([-0.2, 0.2]),
  resetNoiseScale: weight.default(0.005),
  excludeCurrentPositionsFromObservation: z.boolean().default(true),
};
export type HopperOptions = z.input<z.ZodObject<typeof hopperShape>>;
const { healthyStateRange: _stateRange, ...hopperWithoutStateRange } = hopperShape;
const walkerShape = {
  ...hopperWithoutStateRange,
  healthyZRange: range.default([0.8, 2]),
  healthyAngleRange: range.default([-1, 1]),
};
export type Walker2dOptions = z.input<z.ZodObject<typeof walkerShape>>;
type WalkerSettings = z.output<z.ZodObject<typeof walkerShape>> & { healthyStateRange?: [number, number] };

/** Planar walkers: obs = [qpos[1:], clip(qvel, ±10)], reward = forward + survive − ctrl. */
abstract class PlanarWalker extends MujocoEnv {
  abstract readonly options: WalkerSettings;

  get isHealthy(): boolean {
    const { qpos, qvel } = this.data;
    const o = this.options;
    const z = qpos[1];
    const angle = qpos[2];
    const inside = (v: number, [lo, hi]: readonly [number, number]) => lo < v && v < hi;
    const stateRange = o.healthyStateRange;
    if (stateRange !== undefined) {
      const state = [...qpos.subarray(2), ...qvel];
      if (!state.every((v) => inside(v, stateRange))) return false;
    }
    return inside(z, o.healthyZRange) && inside(angle, o.healthyAngleRange);
  }

  protected resetState() {
    const s = this.options.resetNoiseScale;
    return { qpos: this.uniformNoise(this.initQpos, s), qvel: this.uniformNoise(this.initQvel, s) };
  }
  protected observe(): Float64Array {
    const { qpos, qvel } = this.data;
    const skip = this.options.excludeCurrentPositionsFromObservation ? 1 : 0;
    return Float64Array.from([...qpos.subarray(skip), ...Array.from(qvel, (v) => clipValue(v, -10, 10))]);
  }
  protected outcome(action: ArrayLike<number>, before: number[]) {
    const o = this.options;
    const x = this.data.qpos[0];
    const xVelocity = (x - before[0]) / this.dt;
    const forward = o.forwardRewardWeight * xVelocity;
    const healthy = this.isHealthy;
    const survive = healthy || !o.terminateWhenUnhealthy ? o.healthyReward : 0;
    const ctrl = controlCost(action, o.ctrlCostWeight);
    return step(this.observe(), forward + survive - ctrl, o.terminateWhenUnhealthy && !healthy, {
      x_position: x,
      z_distance_from_origin: this.data.qpos[1] - this.initQpos[1],
      x_velocity: xVelocity,
      reward_forward: forward,
      reward_ctrl: -ctrl,
      reward_survive: survive,
    });
  }
}

export class HopperEnv extends PlanarWalker {
  readonly options: z.output<z.ZodObject<typeof hopperShape>>;
  constructor(input: HopperOptions = {}) {
    const o = options('Hopper-v5', hopperShape, input);
    super('Hopper-v5', 'hopper.xml', 4, o.excludeCurrentPositionsFromObservation ? 11 : 12);
    this.options = o;
  }
}

export class Walker2dEnv extends PlanarWalker {
  readonly options: WalkerSettings;
  constructor(input: Walker2dOptions = {}) {
    const o = options('Walker2d-v5', walkerShape, input);
    super('Walker2d-v5', 'walker2d_v5.xml', 4, o.excludeCurrentPositionsFromObservation ? 17 : 18);
    this.options = o;
  }
}

// -------------------------------------------------------------------------------------------------------- Ant
const antShape = {
  forwardRewardWeight: weight.default(1),
  ctrlCostWeight: weight.default(0.5),
  contactCostWeight: weight.default(5e-4),
  healthyReward: z.number().default(1),
  terminateWhenUnhealthy: z.boolean().default(true),
  healthyZRange: range.default([0.2, 1]),
  contactForceRange: range.default([-1, 1]),
  resetNoiseScale: weight.default(0.1),
  excludeCurrentPositionsFromObservation: z.boolean().default(true),
  includeCfrcExtInObservation: z.boolean().default(true),
};
export type AntOptions = z.input<z.ZodObject<typeof antShape>>;
const TORSO = 1;

export class AntEnv extends MujocoEnv {
  readonly options: z.output<z.ZodObject<typeof antShape>>;
  constructor(input: AntOptions = {}) {
    const o = options('Ant-v5', antShape, input);
    const size =
      (o.excludeCurrentPositionsFromObservation ? 13 : 15) + 14 + (o.includeCfrcExtInObservation ? 78 : 0);
    super('Ant-v5', 'ant.xml', 5, size);
    this.options = o;
  }
  get isHealthy(): boolean {
    const { qpos, qvel } = this.data;
    const [lo, hi] = this.options.healthyZRange;
    return [...qpos, ...qvel].every(Number.isFinite) && lo <= qpos[2] && qpos[2] <= hi;
  }
  /** clip(cfrc_ext, contactForceRange) for every body, body 0 (the world) included. */
  private contactForces(): number[] {
    const [lo, hi] = this.options.contactForceRange;
    return Array.from(this.data.cfrc_ext, (v) => clipValue(v, lo, hi));
  }
  protected resetState() {
    const s = this.options.resetNoiseScale;
    return { qpos: this.uniformNoise(this.initQpos, s), qvel: this.normalNoise(this.initQvel, s) };
  }
  protected observe(): Float64Array {
    const { qpos, qvel } = this.data;
    const skip = this.options.excludeCurrentPositionsFromObservation ? 2 : 0;
    const forces = this.options.includeCfrcExtInObservation ? this.contactForces().slice(6) : [];
    return Float64Array.from([...qpos.subarray(skip), ...qvel, ...forces]);
  }
  /** The torso's body position (xpos) before the step: Gymnasium's "main body" velocity uses it, not qpos. */
  protected override positionBefore(): number[] {
    return [this.data.xpos[3 * TORSO], this.data.xpos[3 * TORSO + 1]];
  }
  protected outcome(action: ArrayLike<number>, before: number[]) {
    const o = this.options;
    const { qpos, xpos } = this.data;
    const xVelocity = (xpos[3 * TORSO] - before[0]) / this.dt;
    const yVelocity = (xpos[3 * TORSO + 1] - before[1]) / this.dt;
    const forward = o.forwardRewardWeight * xVelocity;
    const healthy = this.isHealthy;
    const survive = healthy || !o.terminateWhenUnhealthy ? o.healthyReward : 0;
    const ctrl = controlCost(action, o.ctrlCostWeight);
    const contact = o.contactCostWeight * this.contactForces().reduce((a, v) => a + v * v, 0);
    return step(this.observe(), forward + survive - ctrl - contact, o.terminateWhenUnhealthy && !healthy, {
      x_position: qpos[0],
      y_position: qpos[1],
      distance_from_origin: Math.hypot(qpos[0] - this.initQpos[0], qpos[1] - this.initQpos[1]),
      x_velocity: xVelocity,
      y_velocity: yVelocity,
      reward_forward: forward,
      reward_ctrl: -ctrl,
      reward_contact: -contact,
      reward_survive: survive,
    });
  }
  /** For replaying recorded steps: the torso position "before" a step, as Gymnasium saw it. */
  setTorsoPositionBefore(x: number, y: number): void {
    this.data.xpos[3 * TORSO] = x;
    this.data.xpos[3 * TORSO + 1] = y;
  }
}

// ------------------------------------------------------------------------------------------- the two pendulums
const pendulumShape = { resetNoiseScale: weight.default(0.01) };
export type InvertedPendulumOptions = z.input<z.ZodObject<typeof pendulumShape>>;

export class InvertedPendulumEnv extends MujocoEnv {
  readonly options: z.output<z.ZodObject<typeof pendulumShape>>;
  constructor(input: InvertedPendulumOptions = {}) {
    const o = options('InvertedPendulum-v5', pendulumShape, input);
    super('InvertedPendulum-v5', 'inverted_pendulum.xml', 2, 4);
    this.options = o;
  }
  protected resetState() {
    const s = this.options.resetNoiseScale;
    return { qpos: this.uniformNoise(this.initQpos, s), qvel: this.uniformNoise(this.initQvel, s) };
  }
  protected observe(): Float64Array {
    return Float64Array.from([...this.data.qpos, ...this.data.qvel]);
  }
  protected outcome() {
    const observation = this.observe();
    const terminated = !observation.every(Number.isFinite) || Math.abs(observation[1]) > 0.2;
    const reward = terminated ? 0 : 1;
    return step(observation, reward, terminated, { reward_survive: reward });
  }
}

const doublePendulumShape = { healthyReward: z.number().default(10), resetNoiseScale: weight.default(0.1) };
export type InvertedDoublePendulumOptions = z.input<z.ZodObject<typeof doublePendulumShape>>;

export class InvertedDoublePendulumEnv extends MujocoEnv {
  readonly options: z.output<z.ZodObject<typeof doublePendulumShape>>;
  constructor(input: InvertedDoublePendulumOptions = {}) {
    const o = options('InvertedDoublePendulum-v5', doublePendulumShape, input);
    super('InvertedDoublePendulum-v5', 'inverted_double_pendulum.xml', 5, 9);
    this.options = o;
  }
  protected resetState() {
    const s = this.options.resetNoiseScale;
    return { qpos: this.uniformNoise(this.initQpos, s), qvel: this.normalNoise(this.initQvel, s) };
  }
  protected observe(): Float64Array {
    const { qpos, qvel, qfrc_constraint } = this.data;
    return Float64Array.from([
      qpos[0],
      Math.sin(qpos[1]),
      Math.sin(qpos[2]),
      Math.cos(qpos[1]),
      Math.cos(qpos[2]),
      ...Array.from(qvel, (v) => clipValue(v, -10, 10)),
      clipValue(qfrc_constraint[0], -10, 10),
    ]);
  }
  protected outcome() {
    const { site_xpos, qvel } = this.data;
    const x = site_xpos[0];
    const y = site_xpos[2];
    const distance = 0.01 * x * x + (y - 2) ** 2;
    const velocity = 1e-3 * qvel[1] ** 2 + 5e-3 * qvel[2] ** 2;
    const terminated = y <= 1;
    const survive = terminated ? 0 : this.options.healthyReward;
    return step(this.observe(), survive - distance - velocity, terminated, {
      reward_survive: survive,
      distance_penalty: -distance,
      velocity_penalty: -velocity,
    });
  }
}

// ---------------------------------------------------------------------------------------------------- Swimmer
const swimmerShape = {
  forwardRewardWeight: weight.default(1),
  ctrlCostWeight: weight.default(1e-4),
  resetNoiseScale: weight.default(0.1),
  excludeCurrentPositionsFromObservation: z.boolean().default(true),
};
export type SwimmerOptions = z.input<z.ZodObject<typeof swimmerShape>>;

export class SwimmerEnv extends MujocoEnv {
  readonly options: z.output<z.ZodObject<typeof swimmerShape>>;
  constructor(input: SwimmerOptions = {}) {
    const o = options('Swimmer-v5', swimmerShape, input);
    super('Swimmer-v5', 'swimmer.xml', 4, o.excludeCurrentPositionsFromObservation ? 8 : 10);
    this.options = o;
  }
  protected resetState() {
    const s = this.options.resetNoiseScale;
    return { qpos: this.uniformNoise(this.initQpos, s), qvel: this.uniformNoise(this.initQvel, s) };
  }
  protected observe(): Float64Array {
    const skip = this.options.excludeCurrentPositionsFromObservation ? 2 : 0;
    return Float64Array.from([...this.data.qpos.subarray(skip), ...this.data.qvel]);
  }
  protected outcome(action: ArrayLike<number>, before: number[]) {
    const { qpos } = this.data;
    const xVelocity = (qpos[0] - before[0]) / this.dt;
    const yVelocity = (qpos[1] - before[1]) / this.dt;
    const forward = this.options.forwardRewardWeight * xVelocity;
    const ctrl = controlCost(action, this.options.ctrlCostWeight);
    return step(this.observe(), forward - ctrl, false, {
      x_position: qpos[0],
      y_position: qpos[1],
      distance_from_origin: Math.hypot(qpos[0] - this.initQpos[0], qpos[1] - this.initQpos[1]),
      x_velocity: xVelocity,
      y_velocity: yVelocity,
      reward_forward: forward,
      reward_ctrl: -ctrl,
    });
  }
}

// ---------------------------------------------------------------------------------------------------- Reacher
const reacherShape = { rewardDistWeight: weight.default(1), rewardControlWeight: weight.default(1) };
export type ReacherOptions = z.input<z.ZodObject<typeof reacherShape>>;
const FINGERTIP = 3;
const TARGET = 4;

export class ReacherEnv extends MujocoEnv {
  readonly options: z.output<z.ZodObject<typeof reacherShape>>;
  constructor(input: ReacherOptions = {}) {
    const o = options('Reacher-v5', reacherShape, input);
    super('Reacher-v5', 'reacher.xml', 2, 10);
    this.options = o;
  }
  protected resetState() {
    const qpos = this.uniformNoise(this.initQpos, 0.1);
    let gx: number;
    let gy: number;
    do {
      gx = this.rng.uniform(-0.2, 0.2);
      gy = this.rng.uniform(-0.2, 0.2);
    } while (Math.hypot(gx, gy) >= 0.2);
    qpos[2] = gx;
    qpos[3] = gy;
    const qvel = this.uniformNoise(this.initQvel, 0.005);
    qvel[2] = 0;
    qvel[3] = 0;
    return { qpos, qvel };
  }
  private fingertipToTarget(): [number, number, number] {
    const { xpos } = this.data;
    return [0, 1, 2].map((k) => xpos[3 * FINGERTIP + k] - xpos[3 * TARGET + k]) as [number, number, number];
  }
  protected observe(): Float64Array {
    const { qpos, qvel } = this.data;
    const d = this.fingertipToTarget();
    return Float64Array.from([
      Math.cos(qpos[0]),
      Math.cos(qpos[1]),
      Math.sin(qpos[0]),
      Math.sin(qpos[1]),
      qpos[2],
      qpos[3],
      qvel[0],
      qvel[1],
      d[0],
      d[1],
    ]);
  }
  protected outcome(action: ArrayLike<number>) {
    const d = this.fingertipToTarget();
    const dist = -Math.hypot(d[0], d[1], d[2]) * this.options.rewardDistWeight;
    const ctrl = -controlCost(action, this.options.rewardControlWeight);
    return step(this.observe(), dist + ctrl, false, { reward_dist: dist, reward_ctrl: ctrl });
  }
}

// ----------------------------------------------------------------------------------------------- registration
const LOCOMOTION = [
  [
    'HalfCheetah-v5',
    (o: unknown) => new HalfCheetahEnv(o as HalfCheetahOptions),
    1000,
    4800,
    'run a planar cheetah forward (Box(6))',
  ],
  [
    'Hopper-v5',
    (o: unknown) => new HopperEnv(o as HopperOptions),
    1000,
    3800,
    'hop a one-legged robot forward (Box(3))',
  ],
  [
    'Walker2d-v5',
    (o: unknown) => new Walker2dEnv(o as Walker2dOptions),
    1000,
    undefined,
    'walk a planar biped forward (Box(6))',
  ],
  ['Ant-v5', (o: unknown) => new AntEnv(o as AntOptions), 1000, 6000, 'walk a quadruped forward (Box(8))'],
  [
    'InvertedPendulum-v5',
    (o: unknown) => new InvertedPendulumEnv(o as InvertedPendulumOptions),
    1000,
    950,
    'balance a pole on a cart (MuJoCo, Box(1))',
  ],
  [
    'InvertedDoublePendulum-v5',
    (o: unknown) => new InvertedDoublePendulumEnv(o as InvertedDoublePendulumOptions),
    1000,
    9100,
    'balance two linked poles on a cart (Box(1))',
  ],
  [
    'Swimmer-v5',
    (o: unknown) => new SwimmerEnv(o as SwimmerOptions),
    1000,
    360,
    'swim a three-link snake forward (Box(2))',
  ],
  [
    'Reacher-v5',
    (o: unknown) => new ReacherEnv(o as ReacherOptions),
    50,
    -3.75,
    'reach a target with a two-joint arm (Box(2))',
  ],
] as const;

for (const [id, entryPoint, maxEpisodeSteps, rewardThreshold, description] of LOCOMOTION) {
  register({
    id,
    entryPoint,
    maxEpisodeSteps,
    ...(rewardThreshold === undefined ? {} : { rewardThreshold }),
    description: `${description}; needs \`await loadEnvEngine(id)\``,
    engine: 'mujoco',
  });
}
