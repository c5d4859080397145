/**
 * LunarLander-v3, as Gymnasium 1.3.0's `lunar_lander.LunarLander`, on the planck Box2D port (the README's Box2D
 * section says why planck, and how close it stays to pybox2d).
 *
 * A lander starts at the top centre with a random push and must come to rest on the pad between the flags. Every
 * reset builds a new world: 11-chunk terrain (12 uniform heights, the pad chunks flattened, 3-point smoothing),
 * the lander and two spring-loaded legs, the initial force, then one internal `step(noop)` whose observation is
 * returned. Every step draws two dispersion values, whatever the action, so the generator advances the same way
 * for every policy. Reward: the change of the shaping potential, minus fuel; −100 on a crash or leaving the
 * screen, +100 when Box2D puts the lander to sleep (that check comes second and wins).
 */
import type { Body, Vec2Value, World } from 'planck';
import { z } from 'zod';
import { EnvConfigError, ResetNeededError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import {
  assertBoxAction,
  assertDiscreteAction,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from '../env.js';
import { type Frame, RasterPainter, type RenderMode } from '../render.js';
import { Box, type BoxValue, Discrete } from '../spaces.js';
import {
  Box2DEnv,
  box2dPairOrder,
  clamp,
  ContactDetector,
  FPS,
  stepWorld,
  worldOutline,
} from './box2d-env.js';
import type { PlanckModule } from './engine.js';
import { drawLunarLander, type LunarLanderPicture } from './lunar-lander-scene.js';

/** Gymnasium's module constants (lunar_lander.py). */
export const LUNAR_LANDER = {
  FPS,
  SCALE: 30.0,
  MAIN_ENGINE_POWER: 13.0,
  SIDE_ENGINE_POWER: 0.6,
  INITIAL_RANDOM: 1000.0,
  LANDER_POLY: [
    [-14, 17],
    [-17, 0],
    [-17, -10],
    [17, -10],
    [17, 0],
    [14, 17],
  ],
  LEG_AWAY: 20,
  LEG_DOWN: 18,
  LEG_W: 2,
  LEG_H: 8,
  LEG_SPRING_TORQUE: 40,
  SIDE_ENGINE_HEIGHT: 14,
  SIDE_ENGINE_AWAY: 12,
  MAIN_ENGINE_Y_LOCATION: 4,
  VIEWPORT_W: 600,
  VIEWPORT_H: 400,
} as const;

const { SCALE, VIEWPORT_W, VIEWPORT_H, LEG_AWAY, LEG_DOWN } = LUNAR_LANDER;
const W = VIEWPORT_W / SCALE;
const H = VIEWPORT_H / SCALE;
const CHUNKS = 11;

export const lunarLanderOptionsSchema = z.strictObject({
  /** Box(2) throttles [main, lateral] instead of Discrete(4). */
  continuous: z.boolean().default(false),
  /** Gravity along y; Gymnasium requires −12 < gravity < 0. */
  gravity: z.number().gt(-12).lt(0).default(-10.0),
  /** Wind and turbulence while neither leg touches the ground. */
  enableWind: z.boolean().default(false),
  /** Maximum wind force (Gymnasium recommends 0–20). */
  windPower: z.number().finite().default(15.0),
  /** Maximum turbulence torque (Gymnasium recommends 0–2). */
  turbulencePower: z.number().finite().default(1.5),
});
export type LunarLanderOptions = z.input<typeof lunarLanderOptionsSchema>;
type LunarLanderConfig = z.output<typeof lunarLanderOptionsSchema>;

/** Discrete(4): noop, fire left engine, fire main engine, fire right engine. Continuous: [main, lateral]. */
export type LunarLanderAction = number | BoxValue | number[];

/** The random values one reset draws, in the order Gymnasium draws them (the fixtures record them). */
export interface LunarLanderResetDraws {
  terrainHeights: number[];
  initialForce: [number, number];
  windIdx: number | null;
  torqueIdx: number | null;
}

/** The Box2D bodies of one episode. */
interface LanderWorld {
  world: World;
  lander: Body;
  legs: [Body, Body];
  terrain: ReturnType<typeof lunarLanderTerrain>;
  helipadY: number;
  /** Gymnasium's contact listener: `gameOver` and the edge-triggered leg flags. */
  contacts: ContactDetector;
}

/** Writes the float64 observation [x, y, vx, vy, angle, ω, leg0, leg1] (Gymnasium's `state`) into `out`. */
function observeState(scene: LanderWorld, out: Float64Array): Float64Array {
  const pos = scene.lander.getPosition();
  const vel = scene.lander.getLinearVelocity();
  out[0] = (pos.x - W / 2) / (W / 2);
  out[1] = (pos.y - (scene.helipadY + LEG_DOWN / SCALE)) / (H / 2);
  out[2] = (vel.x * (W / 2)) / FPS;
  out[3] = (vel.y * (H / 2)) / FPS;
  out[4] = scene.lander.getAngle();
  out[5] = (20.0 * scene.lander.getAngularVelocity()) / FPS;
  out[6] = scene.contacts.legContact[0] ? 1.0 : 0.0;
  out[7] = scene.contacts.legContact[1] ? 1.0 : 0.0;
  return out;
}

/** The shaping potential of Gymnasium's reward (x·x, not x**2: the latter differs in the last bit in Python). */
export function lunarLanderShaping(s: ArrayLike<number>): number {
  return (
    -100 * Math.sqrt(s[0] * s[0] + s[1] * s[1]) -
    100 * Math.sqrt(s[2] * s[2] + s[3] * s[3]) -
    100 * Math.abs(s[4]) +
    10 * s[6] +
    10 * s[7]
  );
}

/** Gymnasium's wind profile tanh(sin(2k·i) + sin(π·k·i)), k = 0.01: never periodic. */
function windProfile(index: number): number {
  return Math.tanh(Math.sin(0.02 * index) + Math.sin(Math.PI * 0.01 * index));
}

export class LunarLanderEnv extends Box2DEnv<Float32Array, LunarLanderAction, LanderWorld> {
  readonly observationSpace = new Box<Float32Array>({
    low: [-2.5, -2.5, -10, -10, -2 * Math.PI, -10, -0, -0],
    high: [2.5, 2.5, 10, 10, 2 * Math.PI, 10, 1, 1],
  });
  readonly actionSpace: Discrete | Box;
  readonly continuous: boolean;
  readonly renderModes: readonly RenderMode[] = ['rgb_array'];
  renderMode: RenderMode | null = null;
  private readonly config: LunarLanderConfig;
  private prevShaping: number | null = null;
  private windIdx = 0;
  private torqueIdx = 0;
  // Scratch values of a step, reused so the step loop allocates only what it returns.
  private readonly state = new Float64Array(8);
  private readonly impulse = { x: 0, y: 0 };
  private readonly impulsePoint = { x: 0, y: 0 };
  private mainPower = 0.0;
  private sidePower = 0.0;
  private sideDirection = 0;

  constructor(options: LunarLanderOptions = {}) {
    super('LunarLander-v3');
    this.config = parseOptions(lunarLanderOptionsSchema, options, 'LunarLander', EnvConfigError);
    this.continuous = this.config.continuous;
    this.actionSpace = this.continuous ? new Box({ low: -1, high: 1, shape: [2] }) : new Discrete(4);
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    this.beginRecordedEpisode();
    return { observation: this.buildEpisode(this.drawReset()), info: {} };
  }

  /**
   * Resets to the world a given set of draws builds (the terrain heights, initial force and wind indices
   * Gymnasium's reset drew), then takes the internal no-op step, whose dispersion still comes from `this.rng`.
   * For reproducing a recorded reset; `reset()` draws them itself.
   */
  resetFromDraws(draws: LunarLanderResetDraws): ResetResult<Float32Array> {
    this.beginUnrecordedEpisode();
    return { observation: this.buildEpisode(draws), info: {} };
  }

  private drawReset(): LunarLanderResetDraws {
    const terrainHeights = Array.from({ length: CHUNKS + 1 }, () => this.rng.uniform(0, H / 2));
    const { INITIAL_RANDOM } = LUNAR_LANDER;
    const initialForce: [number, number] = [
      this.rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM),
      this.rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM),
    ];
    const wind = this.config.enableWind;
    const windIdx = wind ? this.rng.integer(-9999, 9999) : null;
    const torqueIdx = wind ? this.rng.integer(-9999, 9999) : null;
    return { terrainHeights, initialForce, windIdx, torqueIdx };
  }

  private buildEpisode(draws: LunarLanderResetDraws): Float32Array {
    this.scene = buildWorld(this.planck, this.config.gravity, draws);
    this.windIdx = draws.windIdx ?? 0;
    this.torqueIdx = draws.torqueIdx ?? 0;
    this.prevShaping = null;
    return this.advance(this.continuous ? [0, 0] : 0).observation;
  }

  step(action: LunarLanderAction): StepResult<Float32Array> {
    if (this.scene === null) {
      throw new ResetNeededError(`${this.name}: step() called before reset(); call env.reset() first`);
    }
    if (this.continuous) assertBoxAction(this.name, this.actionSpace as Box, action);
    else assertDiscreteAction(this.name, this.actionSpace as Discrete, action);
    this.recordAction(action);
    return this.advance(action);
  }

  /** The physics of one step (Gymnasium's `step`), also used for the internal step of reset. */
  private advance(action: LunarLanderAction): StepResult<Float32Array> {
    const scene = this.scene!;
    const { lander } = scene;
    if (this.config.enableWind && !(scene.contacts.legContact[0] || scene.contacts.legContact[1])) {
      const windMag = windProfile(this.windIdx) * this.config.windPower;
      this.windIdx += 1;
      this.impulse.x = windMag;
      this.impulse.y = 0.0;
      lander.applyForceToCenter(this.impulse, true);
      const torqueMag = windProfile(this.torqueIdx) * this.config.turbulencePower;
      this.torqueIdx += 1;
      lander.applyTorque(torqueMag, true);
    }
    this.fireEngines(lander, action);
    stepWorld(scene.world);

    const state = observeState(scene, this.state);
    const shaping = lunarLanderShaping(state);
    let reward = this.prevShaping === null ? 0 : shaping - this.prevShaping;
    this.prevShaping = shaping;
    reward -= this.mainPower * 0.3; // fuel: about −30 for a heuristic landing
    reward -= this.sidePower * 0.03;
    let terminated = false;
    if (scene.contacts.gameOver || Math.abs(state[0]) >= 1.0) {
      terminated = true;
      reward = -100;
    }
    if (!lander.isAwake()) {
      terminated = true;
      reward = +100;
    }
    return { observation: Float32Array.from(state), reward, terminated, truncated: false, info: {} };
  }

  /** Applies the main and side engine impulses of `action`; leaves their powers in mainPower / sidePower. */
  private fireEngines(lander: Body, action: LunarLanderAction): void {
    const { MAIN_ENGINE_POWER, SIDE_ENGINE_POWER, SIDE_ENGINE_AWAY, SIDE_ENGINE_HEIGHT } = LUNAR_LANDER;
    const angle = lander.getAngle();
    const tipX = Math.sin(angle);
    const tipY = Math.cos(angle);
    const sideX = -tipY;
    const sideY = tipX;
    // Drawn every step, whatever the action, before the engines.
    const dispersion0 = this.rng.uniform(-1.0, 1.0) / SCALE;
    const dispersion1 = this.rng.uniform(-1.0, 1.0) / SCALE;
    this.setThrottles(action);
    const position = lander.getPosition();

    if (this.mainPower > 0) {
      const power = MAIN_ENGINE_POWER * this.mainPower;
      const along = LUNAR_LANDER.MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion0;
      const ox = tipX * along + sideX * dispersion1;
      const oy = -tipY * along - sideY * dispersion1;
      this.applyImpulse(lander, -ox * power, -oy * power, position.x + ox, position.y + oy);
    }
    if (this.sidePower > 0) {
      const power = SIDE_ENGINE_POWER * this.sidePower;
      const across = 3 * dispersion1 + (this.sideDirection * SIDE_ENGINE_AWAY) / SCALE;
      const ox = tipX * dispersion0 + sideX * across;
      const oy = -tipY * dispersion0 - sideY * across;
      const px = position.x + ox - (tipX * 17) / SCALE;
      const py = position.y + oy + (tipY * SIDE_ENGINE_HEIGHT) / SCALE;
      this.applyImpulse(lander, -ox * power, -oy * power, px, py);
    }
  }

  private applyImpulse(body: Body, ix: number, iy: number, px: number, py: number): void {
    this.impulse.x = ix;
    this.impulse.y = iy;
    this.impulsePoint.x = px;
    this.impulsePoint.y = py;
    body.applyLinearImpulse(this.impulse, this.impulsePoint, true);
  }

  /**
   * Engine powers of an action (0: off). Discrete: 2 fires the main engine, 1 / 3 the left / right one, at full
   * power. Continuous, clipped to [−1, 1]: main off below 0, else 50%..100%; side off in [−0.5, 0.5], else
   * 50%..100% on the sign's side.
   */
  private setThrottles(action: LunarLanderAction): void {
    if (!this.continuous) {
      const a = action as number;
      this.mainPower = a === 2 ? 1.0 : 0.0;
      this.sidePower = a === 1 || a === 3 ? 1.0 : 0.0;
      this.sideDirection = a - 2;
      return;
    }
    const values = action as ArrayLike<number>;
    const main = clamp(values[0], -1, 1);
    const lateral = clamp(values[1], -1, 1);
    this.mainPower = main > 0.0 ? (clamp(main, 0.0, 1.0) + 1.0) * 0.5 : 0.0;
    this.sidePower = Math.abs(lateral) > 0.5 ? clamp(Math.abs(lateral), 0.5, 1.0) : 0.0;
    this.sideDirection = Math.sign(lateral);
  }

  /** Gymnasium's 600 × 400 picture of the current state, or null without a render mode or before reset. */
  render(): Frame | null {
    const picture = this.picture();
    if (this.renderMode !== 'rgb_array' || picture === null) return null;
    const painter = new RasterPainter(VIEWPORT_W, VIEWPORT_H);
    drawLunarLander(painter, picture);
    return painter.frame();
  }

  /**
   * What `render()` draws, as data: the terrain and the bodies' world polygons (null before reset). The training
   * page sends these from its worker and draws them with `drawLunarLander` on a canvas.
   */
  picture(): LunarLanderPicture | null {
    if (this.scene === null) return null;
    const { terrain, lander, legs } = this.scene;
    return {
      scale: SCALE,
      ...terrain,
      bodies: [worldOutline(lander, LANDER_VERTICES), ...legs.map((leg) => worldOutline(leg, LEG_VERTICES))],
    };
  }

  /**
   * The episode's Box2D world and bodies (planck objects), like `env.unwrapped.world` / `.lander` / `.legs` in
   * Gymnasium: for inspecting or constructing states. Null before the first reset.
   */
  get physics(): { world: World; lander: Body; legs: readonly [Body, Body] } | null {
    return this.scene;
  }
}

/** The terrain of Gymnasium's reset: chunk x positions and smoothed heights (float64, as Python computes them). */
export function lunarLanderTerrain(terrainHeights: readonly number[]): {
  chunkX: number[];
  smoothY: number[];
  helipadX1: number;
  helipadX2: number;
  helipadY: number;
} {
  const height = [...terrainHeights];
  const chunkX = Array.from({ length: CHUNKS }, (_, i) => (W / (CHUNKS - 1)) * i);
  const helipadY = H / 4;
  const middle = Math.floor(CHUNKS / 2);
  for (let i = middle - 2; i <= middle + 2; i++) height[i] = helipadY;
  // height[i − 1] at i = 0 is Python's height[−1], the last element.
  const smoothY = Array.from(
    { length: CHUNKS },
    (_, i) => 0.33 * (height[(i - 1 + height.length) % height.length] + height[i] + height[i + 1]),
  );
  return { chunkX, smoothY, helipadX1: chunkX[middle - 1], helipadX2: chunkX[middle + 1], helipadY };
}

const LANDER_VERTICES: Vec2Value[] = LUNAR_LANDER.LANDER_POLY.map(([x, y]) => ({
  x: x / SCALE,
  y: y / SCALE,
}));
const LANDER_DENSITY = 5.0;
const LEG_HALF_WIDTH = LUNAR_LANDER.LEG_W / SCALE;
const LEG_HALF_HEIGHT = LUNAR_LANDER.LEG_H / SCALE;
const LEG_VERTICES: Vec2Value[] = [
  { x: -LEG_HALF_WIDTH, y: -LEG_HALF_HEIGHT },
  { x: LEG_HALF_WIDTH, y: -LEG_HALF_HEIGHT },
  { x: LEG_HALF_WIDTH, y: LEG_HALF_HEIGHT },
  { x: -LEG_HALF_WIDTH, y: LEG_HALF_HEIGHT },
];

/** Builds the world of one episode, in Gymnasium's creation order: moon, lander (pushed), leg 0, joint 0, leg 1, joint 1. */
function buildWorld(planck: PlanckModule, gravity: number, draws: LunarLanderResetDraws): LanderWorld {
  const { World, Edge, Polygon, Box: BoxShape, RevoluteJoint, Vec2 } = planck;
  const world = box2dPairOrder(new World({ gravity: Vec2(0, gravity) }));
  const terrain = lunarLanderTerrain(draws.terrainHeights);
  const { chunkX, smoothY, helipadY } = terrain;
  const moon = world.createBody({ type: 'static' });
  moon.createFixture({ shape: new Edge(Vec2(0, 0), Vec2(W, 0)), density: 0, friction: 0.2 });
  for (let i = 0; i < CHUNKS - 1; i++) {
    const edge = new Edge(Vec2(chunkX[i], smoothY[i]), Vec2(chunkX[i + 1], smoothY[i + 1]));
    moon.createFixture({ shape: edge, density: 0, friction: 0.1 });
  }

  const initialY = VIEWPORT_H / SCALE;
  const lander = world.createBody({ type: 'dynamic', position: Vec2(W / 2, initialY), angle: 0.0 });
  lander.createFixture({
    shape: new Polygon(LANDER_VERTICES),
    density: LANDER_DENSITY,
    friction: 0.1,
    filterCategoryBits: 0x0010,
    filterMaskBits: 0x001, // collides only with the ground
    restitution: 0.0,
  });
  lander.applyForceToCenter(Vec2(draws.initialForce[0], draws.initialForce[1]), true);

  const legs: Body[] = [];
  for (const i of [-1, +1]) {
    const leg = world.createBody({
      type: 'dynamic',
      position: Vec2(W / 2 - (i * LEG_AWAY) / SCALE, initialY),
      angle: i * 0.05,
    });
    leg.createFixture({
      shape: new BoxShape(LEG_HALF_WIDTH, LEG_HALF_HEIGHT),
      density: 1.0,
      friction: 0.2,
      restitution: 0.0,
      filterCategoryBits: 0x0020,
      filterMaskBits: 0x001,
    });
    // The legs' angular freedom: [0.4, 0.9] for the +x leg, [−0.9, −0.4] for the other.
    const [lowerAngle, upperAngle] = i === -1 ? [0.9 - 0.5, 0.9] : [-0.9, -0.9 + 0.5];
    const joint = new RevoluteJoint({
      bodyA: lander,
      bodyB: leg,
      localAnchorA: Vec2(0, 0),
      localAnchorB: Vec2((i * LEG_AWAY) / SCALE, LEG_DOWN / SCALE),
      referenceAngle: leg.getAngle() - lander.getAngle(),
      enableMotor: true,
      enableLimit: true,
      maxMotorTorque: LUNAR_LANDER.LEG_SPRING_TORQUE,
      motorSpeed: +0.3 * i, // low enough not to jump back into the sky
      lowerAngle,
      upperAngle,
    });
    world.createJoint(joint);
    legs.push(leg);
  }

  return {
    world,
    lander,
    legs: legs as [Body, Body],
    terrain,
    helipadY,
    contacts: new ContactDetector(world, lander, legs),
  };
}
