/**
 * BipedalWalker-v3, as Gymnasium 1.3.0's `bipedal_walker.BipedalWalker`, on the planck Box2D port.
 *
 * A hull on two two-segment legs must walk right over 200 terrain steps. Actions are four motor commands in
 * [−1, 1] (hip 0, knee 0, hip 1, knee 1): the sign picks the motor speed (±4 hips, ±6 knees), the magnitude the
 * torque (up to 80). The observation holds the hull's angle and velocities, each joint's angle and speed, the lower
 * legs' contact flags and ten lidar fractions (no position). Reward: the change of the shaping potential
 * 130·x/SCALE − 5·|angle| minus 0.028·Σ|a_i| for torque; −100 and the end when the hull touches the ground or the
 * walker leaves the left edge; the end (reward kept) past terrain step 190. `hardcore: true` adds stumps, stairs
 * and pits to the terrain.
 *
 * Every reset draws from the env's generator in Gymnasium's order: the whole terrain loop, the clouds (10 × 11
 * uniform draws; only drawn), then the initial push of the hull. Then one internal step with a zero action, whose
 * observation reset returns.
 */
import type { Body, Fixture, RevoluteJoint, Vec2Value, World } from 'planck';
import { z } from 'zod';
import { EnvConfigError, ResetNeededError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { assertBoxAction, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { type Frame, RasterPainter, type RenderMode } from '../render.js';
import { Box, type BoxValue } from '../spaces.js';
import { type BipedalWalkerPicture, drawBipedalWalker } from './bipedal-walker-scene.js';
import {
  Box2DEnv,
  box2dPairOrder,
  clamp,
  ContactDetector,
  FPS,
  stepWorld,
  worldOutline,
} from './box2d-env.js';

/** Gymnasium's module constants (bipedal_walker.py). */
export const BIPEDAL_WALKER = {
  FPS,
  SCALE: 30.0,
  MOTORS_TORQUE: 80,
  SPEED_HIP: 4,
  SPEED_KNEE: 6,
  LIDAR_RANGE: 160 / 30.0,
  INITIAL_RANDOM: 5,
  HULL_POLY: [
    [-30, +9],
    [+6, +9],
    [+34, +1],
    [+34, -8],
    [-30, -8],
  ],
  LEG_DOWN: -8 / 30.0,
  LEG_W: 8 / 30.0,
  LEG_H: 34 / 30.0,
  VIEWPORT_W: 600,
  VIEWPORT_H: 400,
  TERRAIN_STEP: 14 / 30.0,
  TERRAIN_LENGTH: 200,
  TERRAIN_HEIGHT: 400 / 30.0 / 4,
  TERRAIN_GRASS: 10,
  TERRAIN_STARTPAD: 20,
  FRICTION: 2.5,
} as const;

const { SCALE, MOTORS_TORQUE, SPEED_HIP, SPEED_KNEE, LIDAR_RANGE, LEG_DOWN, LEG_W, LEG_H } = BIPEDAL_WALKER;
const { TERRAIN_STEP, TERRAIN_LENGTH, TERRAIN_HEIGHT, TERRAIN_GRASS, TERRAIN_STARTPAD, FRICTION } =
  BIPEDAL_WALKER;
const VIEWPORT_W = BIPEDAL_WALKER.VIEWPORT_W;
const VIEWPORT_H = BIPEDAL_WALKER.VIEWPORT_H;
const LIDAR_RAYS = 10;
/** The walker is done once its hull passes this x (terrain step 190 of 200). */
const FINISH_X = (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP;

export const bipedalWalkerOptionsSchema = z.strictObject({
  /** Stumps, stairs and pits in the terrain (BipedalWalkerHardcore-v3). */
  hardcore: z.boolean().default(false),
});
export type BipedalWalkerOptions = z.input<typeof bipedalWalkerOptionsSchema>;

/**
 * Where a reset's random values come from: the env's `Rng`, or in tests a replay of the values Gymnasium drew.
 * `uniform()` without bounds is NumPy's `random()`; `integer(low, high)` excludes `high`, as NumPy's `integers`.
 */
export interface ResetDrawSource {
  uniform(low?: number, high?: number): number;
  integer(low: number, high: number): number;
}

export interface BipedalWalkerObstacle {
  kind: 'pit' | 'stump' | 'stairs';
  /** Which polygon of the obstacle: the two walls of a pit, the steps of a staircase. */
  part: number;
  /** The terrain step where the obstacle begins. */
  terrainIndex: number;
  /** Corners in world coordinates, as Gymnasium lists them (Box2D reorders them into its convex hull). */
  vertices: [number, number][];
}

export interface BipedalWalkerTerrain {
  terrainX: number[];
  terrainY: number[];
  obstacles: BipedalWalkerObstacle[];
}

const GRASS = 0;
const STUMP = 1;
const STAIRS = 2;
const PIT = 3;
const STATES = 4;

/**
 * Gymnasium's `_generate_terrain`: a random walk of grass heights (mean-reverting to TERRAIN_HEIGHT after the
 * start pad), and in hardcore mode, after each grass stretch, a stump, a staircase or a pit. Float64 arithmetic in
 * Python's operation order, so the heights equal Gymnasium's bit for bit given the same draws.
 */
export function bipedalWalkerTerrain(rng: ResetDrawSource, hardcore: boolean): BipedalWalkerTerrain {
  const terrainX: number[] = [];
  const terrainY: number[] = [];
  const obstacles: BipedalWalkerObstacle[] = [];
  let state = GRASS;
  let velocity = 0.0;
  let y = TERRAIN_HEIGHT;
  let counter: number = TERRAIN_STARTPAD;
  let oneshot = false;
  let stairSteps = 0;
  let stairWidth = 0;
  let stairHeight = 0;
  let originalY = 0;
  for (let i = 0; i < TERRAIN_LENGTH; i++) {
    const x = i * TERRAIN_STEP;
    terrainX.push(x);
    if (state === GRASS && !oneshot) {
      velocity = 0.8 * velocity + 0.01 * Math.sign(TERRAIN_HEIGHT - y);
      if (i > TERRAIN_STARTPAD) velocity += rng.uniform(-1, 1) / SCALE;
      y += velocity;
    } else if (state === PIT && oneshot) {
      counter = rng.integer(3, 5);
      const wall: [number, number][] = [
        [x, y],
        [x + TERRAIN_STEP, y],
        [x + TERRAIN_STEP, y - 4 * TERRAIN_STEP],
        [x, y - 4 * TERRAIN_STEP],
      ];
      obstacles.push({ kind: 'pit', part: 0, terrainIndex: i, vertices: wall });
      const far = wall.map(([px, py]): [number, number] => [px + TERRAIN_STEP * counter, py]);
      obstacles.push({ kind: 'pit', part: 1, terrainIndex: i + counter, vertices: far });
      counter += 2;
      originalY = y;
    } else if (state === PIT && !oneshot) {
      y = originalY;
      if (counter > 1) y -= 4 * TERRAIN_STEP;
    } else if (state === STUMP && oneshot) {
      counter = rng.integer(1, 3);
      const size = counter * TERRAIN_STEP;
      const stump: [number, number][] = [
        [x, y],
        [x + size, y],
        [x + size, y + size],
        [x, y + size],
      ];
      obstacles.push({ kind: 'stump', part: 0, terrainIndex: i, vertices: stump });
    } else if (state === STAIRS && oneshot) {
      stairHeight = rng.uniform() > 0.5 ? +1 : -1;
      stairWidth = rng.integer(4, 5);
      stairSteps = rng.integer(3, 5);
      originalY = y;
      for (let s = 0; s < stairSteps; s++) {
        const left = x + s * stairWidth * TERRAIN_STEP;
        const right = x + (1 + s) * stairWidth * TERRAIN_STEP;
        const top = y + s * stairHeight * TERRAIN_STEP;
        const bottom = y + (-1 + s * stairHeight) * TERRAIN_STEP;
        obstacles.push({
          kind: 'stairs',
          part: s,
          terrainIndex: i + s * stairWidth,
          vertices: [
            [left, top],
            [right, top],
            [right, bottom],
            [left, bottom],
          ],
        });
      }
      counter = stairSteps * stairWidth;
    } else if (state === STAIRS && !oneshot) {
      const s = stairSteps * stairWidth - counter - stairHeight;
      const n = s / stairWidth;
      y = originalY + n * stairHeight * TERRAIN_STEP;
    }
    oneshot = false;
    terrainY.push(y);
    counter -= 1;
    if (counter === 0) {
      counter = rng.integer(TERRAIN_GRASS / 2, TERRAIN_GRASS);
      state = state === GRASS && hardcore ? rng.integer(1, STATES) : GRASS;
      oneshot = true;
    }
  }
  return { terrainX, terrainY, obstacles };
}

/** Gymnasium's `_generate_clouds`: 10 five-point clouds (only drawn; their 110 draws keep the generator in step). */
export function bipedalWalkerClouds(rng: ResetDrawSource): number[][] {
  const clouds: number[][] = [];
  for (let k = 0; k < TERRAIN_LENGTH / 20; k++) {
    const x = rng.uniform(0, TERRAIN_LENGTH) * TERRAIN_STEP;
    const y = ((VIEWPORT_H / SCALE) * 3) / 4;
    const polygon: number[] = [];
    for (let a = 0; a < 5; a++) {
      const px = x + 15 * TERRAIN_STEP * Math.sin((3.14 * 2 * a) / 5) + rng.uniform(0, 5 * TERRAIN_STEP);
      const py = y + 5 * TERRAIN_STEP * Math.cos((3.14 * 2 * a) / 5) + rng.uniform(0, 5 * TERRAIN_STEP);
      polygon.push(px, py);
    }
    clouds.push(polygon);
  }
  return clouds;
}

/** The Box2D bodies of one episode. */
interface WalkerWorld {
  world: World;
  hull: Body;
  /** Upper leg 0, lower leg 0, upper leg 1, lower leg 1 (Gymnasium's `legs`). */
  legs: [Body, Body, Body, Body];
  /** Hip 0, knee 0, hip 1, knee 1. */
  joints: [RevoluteJoint, RevoluteJoint, RevoluteJoint, RevoluteJoint];
  terrain: BipedalWalkerTerrain;
  clouds: number[][];
  /** The obstacles' corners flattened [x0, y0, x1, y1, …], for the pictures. */
  obstaclePolygons: number[][];
  contacts: ContactDetector;
}

const HULL_VERTICES: Vec2Value[] = BIPEDAL_WALKER.HULL_POLY.map(([x, y]) => ({ x: x / SCALE, y: y / SCALE }));
const boxVertices = (hx: number, hy: number): Vec2Value[] => [
  { x: -hx, y: -hy },
  { x: hx, y: -hy },
  { x: hx, y: hy },
  { x: -hx, y: hy },
];
const UPPER_LEG_VERTICES = boxVertices(LEG_W / 2, LEG_H / 2);
const LOWER_LEG_VERTICES = boxVertices((0.8 * LEG_W) / 2, LEG_H / 2);
const LEG_FILTER = { filterCategoryBits: 0x0020, filterMaskBits: 0x001 }; // collide only with the ground

export class BipedalWalkerEnv extends Box2DEnv<Float32Array, BoxValue | number[], WalkerWorld> {
  readonly observationSpace = new Box<Float32Array>({
    low: [
      -Math.PI,
      -5,
      -5,
      -5,
      -Math.PI,
      -5,
      -Math.PI,
      -5,
      -0,
      -Math.PI,
      -5,
      -Math.PI,
      -5,
      -0,
      ...Array<number>(LIDAR_RAYS).fill(-1),
    ],
    high: [
      Math.PI,
      5,
      5,
      5,
      Math.PI,
      5,
      Math.PI,
      5,
      5,
      Math.PI,
      5,
      Math.PI,
      5,
      5,
      ...Array<number>(LIDAR_RAYS).fill(1),
    ],
  });
  readonly actionSpace = new Box({ low: -1, high: 1, shape: [4] });
  readonly hardcore: boolean;
  readonly renderModes: readonly RenderMode[] = ['rgb_array'];
  renderMode: RenderMode | null = null;
  private prevShaping: number | null = null;
  private readonly state = new Float64Array(24);
  private readonly lidarEnd = { x: 0, y: 0 };
  private lidarFraction = 1.0;
  private readonly lidarCallback = (
    fixture: Fixture,
    _p: Vec2Value,
    _n: Vec2Value,
    fraction: number,
  ): number => {
    // Only the ground (category 1) stops a ray; the closest hit wins because returning the fraction clips the ray.
    if ((fixture.getFilterCategoryBits() & 1) === 0) return -1;
    this.lidarFraction = fraction;
    return fraction;
  };
  private static readonly ZERO_ACTION = [0, 0, 0, 0];

  constructor(options: BipedalWalkerOptions = {}) {
    super('BipedalWalker-v3');
    this.hardcore = parseOptions(
      bipedalWalkerOptionsSchema,
      options,
      'BipedalWalker',
      EnvConfigError,
    ).hardcore;
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    this.beginRecordedEpisode();
    return { observation: this.buildEpisode(this.rng), info: {} };
  }

  /**
   * Resets with every random value of the reset taken from `draws` instead of the env's generator, in Gymnasium's
   * order (terrain, clouds, initial force). For rebuilding a recorded reset; such an episode cannot be snapshotted.
   */
  resetFromDraws(draws: ResetDrawSource): ResetResult<Float32Array> {
    this.beginUnrecordedEpisode();
    return { observation: this.buildEpisode(draws), info: {} };
  }

  private buildEpisode(draws: ResetDrawSource): Float32Array {
    const terrain = bipedalWalkerTerrain(draws, this.hardcore);
    const clouds = bipedalWalkerClouds(draws);
    const { INITIAL_RANDOM } = BIPEDAL_WALKER;
    const forceX = draws.uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
    this.scene = this.buildWorld(terrain, clouds, forceX);
    this.prevShaping = null;
    return this.advance(BipedalWalkerEnv.ZERO_ACTION).observation;
  }

  step(action: BoxValue | number[]): StepResult<Float32Array> {
    if (this.scene === null) {
      throw new ResetNeededError(`${this.name}: step() called before reset(); call env.reset() first`);
    }
    assertBoxAction(this.name, this.actionSpace, action);
    this.recordAction(action);
    return this.advance(action);
  }

  /** The physics of one step (Gymnasium's `step`), also used for the internal step of reset. */
  private advance(action: ArrayLike<number>): StepResult<Float32Array> {
    const scene = this.scene!;
    const { hull, joints } = scene;
    for (let k = 0; k < 4; k++) {
      const joint = joints[k];
      joint.setMotorSpeed((k % 2 === 0 ? SPEED_HIP : SPEED_KNEE) * Math.sign(action[k]));
      joint.setMaxMotorTorque(MOTORS_TORQUE * clamp(Math.abs(action[k]), 0, 1));
      // Box2D 2.3 wakes both bodies on every motor call; planck only when the value changes.
      wake(joint.getBodyA());
      wake(joint.getBodyB());
    }
    stepWorld(scene.world);

    const pos = hull.getPosition();
    const vel = hull.getLinearVelocity();
    const s = this.state;
    s[0] = hull.getAngle();
    s[1] = (2.0 * hull.getAngularVelocity()) / FPS;
    s[2] = (0.3 * vel.x * (VIEWPORT_W / SCALE)) / FPS; // scaled to about −1..1
    s[3] = (0.3 * vel.y * (VIEWPORT_H / SCALE)) / FPS;
    for (let leg = 0; leg < 2; leg++) {
      const hip = joints[2 * leg];
      const knee = joints[2 * leg + 1];
      const base = 4 + 5 * leg;
      s[base] = hip.getJointAngle();
      s[base + 1] = hip.getJointSpeed() / SPEED_HIP;
      s[base + 2] = knee.getJointAngle() + 1.0;
      s[base + 3] = knee.getJointSpeed() / SPEED_KNEE;
      s[base + 4] = scene.contacts.legContact[leg] ? 1.0 : 0.0;
    }
    for (let i = 0; i < LIDAR_RAYS; i++) {
      this.lidarFraction = 1.0;
      this.lidarEnd.x = pos.x + Math.sin((1.5 * i) / 10.0) * LIDAR_RANGE;
      this.lidarEnd.y = pos.y - Math.cos((1.5 * i) / 10.0) * LIDAR_RANGE;
      scene.world.rayCast(pos, this.lidarEnd, this.lidarCallback);
      s[14 + i] = this.lidarFraction;
    }

    // Moving forward earns about 300 over the course; keep the head straight.
    const shaping = (130 * pos.x) / SCALE - 5.0 * Math.abs(s[0]);
    let reward = this.prevShaping === null ? 0 : shaping - this.prevShaping;
    this.prevShaping = shaping;
    reward = torqueCost(reward, action);
    let terminated = false;
    if (scene.contacts.gameOver || pos.x < 0) {
      reward = -100;
      terminated = true;
    }
    if (pos.x > FINISH_X) terminated = true;
    return { observation: Float32Array.from(s), reward, terminated, truncated: false, info: {} };
  }

  private buildWorld(terrain: BipedalWalkerTerrain, clouds: number[][], forceX: number): WalkerWorld {
    const { World, Polygon, Edge, RevoluteJoint } = this.planck;
    const world = box2dPairOrder(new World({ gravity: { x: 0, y: -10 } }));
    // Gymnasium's creation order: obstacles as the terrain loop meets them, then the 199 edges, each its own body.
    for (const obstacle of terrain.obstacles) {
      const vertices = obstacle.vertices.map(([x, y]) => ({ x, y }));
      world.createBody().createFixture({ shape: new Polygon(vertices), friction: FRICTION });
    }
    const { terrainX, terrainY } = terrain;
    for (let i = 0; i < TERRAIN_LENGTH - 1; i++) {
      const edge = new Edge({ x: terrainX[i], y: terrainY[i] }, { x: terrainX[i + 1], y: terrainY[i + 1] });
      world.createBody().createFixture({ shape: edge, friction: FRICTION, filterCategoryBits: 0x0001 });
    }

    const initX = (TERRAIN_STEP * TERRAIN_STARTPAD) / 2;
    const initY = TERRAIN_HEIGHT + 2 * LEG_H;
    const hull = world.createBody({ type: 'dynamic', position: { x: initX, y: initY } });
    hull.createFixture({
      shape: new Polygon(HULL_VERTICES),
      density: 5.0,
      friction: 0.1,
      restitution: 0.0,
      ...LEG_FILTER,
    });
    hull.applyForceToCenter({ x: forceX, y: 0 }, true);

    const legs: Body[] = [];
    const joints: RevoluteJoint[] = [];
    for (const i of [-1, +1]) {
      const upper = world.createBody({
        type: 'dynamic',
        position: { x: initX, y: initY - LEG_H / 2 - LEG_DOWN },
        angle: i * 0.05,
      });
      upper.createFixture({
        shape: new Polygon(UPPER_LEG_VERTICES),
        density: 1.0,
        restitution: 0.0,
        ...LEG_FILTER,
      });
      const hip = new RevoluteJoint({
        bodyA: hull,
        bodyB: upper,
        localAnchorA: { x: 0, y: LEG_DOWN },
        localAnchorB: { x: 0, y: LEG_H / 2 },
        referenceAngle: upper.getAngle() - hull.getAngle(),
        enableMotor: true,
        enableLimit: true,
        maxMotorTorque: MOTORS_TORQUE,
        motorSpeed: i,
        lowerAngle: -0.8,
        upperAngle: 1.1,
      });
      legs.push(upper);
      joints.push(world.createJoint(hip) as RevoluteJoint);
      const lower = world.createBody({
        type: 'dynamic',
        position: { x: initX, y: initY - (LEG_H * 3) / 2 - LEG_DOWN },
        angle: i * 0.05,
      });
      lower.createFixture({
        shape: new Polygon(LOWER_LEG_VERTICES),
        density: 1.0,
        restitution: 0.0,
        ...LEG_FILTER,
      });
      const knee = new RevoluteJoint({
        bodyA: upper,
        bodyB: lower,
        localAnchorA: { x: 0, y: -LEG_H / 2 },
        localAnchorB: { x: 0, y: LEG_H / 2 },
        referenceAngle: lower.getAngle() - upper.getAngle(),
        enableMotor: true,
        enableLimit: true,
        maxMotorTorque: MOTORS_TORQUE,
        motorSpeed: 1,
        lowerAngle: -1.6,
        upperAngle: -0.1,
      });
      legs.push(lower);
      joints.push(world.createJoint(knee) as RevoluteJoint);
    }
    return {
      world,
      hull,
      legs: legs as WalkerWorld['legs'],
      joints: joints as WalkerWorld['joints'],
      terrain,
      clouds,
      obstaclePolygons: terrain.obstacles.map((o) => o.vertices.flat()),
      contacts: new ContactDetector(world, hull, [legs[1], legs[3]]),
    };
  }

  /** Gymnasium's picture: 600 × 400 window following the hull (scroll = x − 4 m), sky, clouds, terrain, walker. */
  render(): Frame | null {
    const picture = this.picture();
    if (this.renderMode !== 'rgb_array' || picture === null) return null;
    const painter = new RasterPainter(VIEWPORT_W, VIEWPORT_H);
    drawBipedalWalker(painter, picture);
    return painter.frame();
  }

  /**
   * What `render()` draws, as data (null before reset): the episode's terrain, obstacles and clouds (the same
   * arrays for every step of an episode) and the walker's world polygons. The training page sends these from its
   * worker and draws them with `drawBipedalWalker` on a canvas.
   */
  picture(): BipedalWalkerPicture | null {
    if (this.scene === null) return null;
    const { hull, legs, terrain, clouds, obstaclePolygons } = this.scene;
    return {
      scale: SCALE,
      scroll: hull.getPosition().x - VIEWPORT_W / SCALE / 5,
      terrainX: terrain.terrainX,
      terrainY: terrain.terrainY,
      obstacles: obstaclePolygons,
      clouds,
      flagX: TERRAIN_STEP * 3,
      flagY: TERRAIN_HEIGHT,
      legs: legs.map((leg, k) => ({
        polygon: worldOutline(leg, k % 2 === 0 ? UPPER_LEG_VERTICES : LOWER_LEG_VERTICES),
        side: k < 2 ? -1 : +1,
      })),
      hull: worldOutline(hull, HULL_VERTICES),
    };
  }

  /**
   * The episode's Box2D world and bodies (planck objects), like `env.unwrapped.world` / `.hull` / `.legs` /
   * `.joints` in Gymnasium: for inspecting or constructing states. Null before the first reset.
   */
  get physics(): {
    world: World;
    hull: Body;
    legs: readonly Body[];
    joints: readonly RevoluteJoint[];
    terrain: BipedalWalkerTerrain;
  } | null {
    return this.scene;
  }
}

function wake(body: Body): void {
  if (!body.isAwake()) body.setAwake(true);
}

/**
 * The torque cost 0.00035·80·min(|a_i|, 1) per joint. Gymnasium under NumPy 2 computes it in float32 when the
 * action is float32 (the reward becomes a float32), in float64 otherwise: a Float32Array action gets the first.
 */
function torqueCost(reward: number, action: ArrayLike<number>): number {
  const perUnit = 0.00035 * MOTORS_TORQUE;
  if (action instanceof Float32Array) {
    const unit32 = Math.fround(perUnit);
    let r = Math.fround(reward);
    for (let i = 0; i < action.length; i++) {
      r = Math.fround(r - Math.fround(unit32 * Math.min(Math.abs(action[i]), 1)));
    }
    return r;
  }
  let r = reward;
  for (let i = 0; i < action.length; i++) r -= perUnit * clamp(Math.abs(action[i]), 0, 1);
  return r;
}
