/**
 * What the Box2D envs share: Gymnasium's contact listener, the world step, planck's classes, snapshots by
 * rebuild-and-replay, and the body outlines the pictures draw.
 */
import type { Body, Contact, Vec2Value, World } from 'planck';
import { PolicygradError } from '../../errors.js';
import type { RngState } from '../../rng.js';
import { BaseEnv } from '../env.js';
import { type PlanckModule, planckEngine } from './engine.js';

/** Both envs run at 50 frames per second with 6·30 velocity and 2·30 position iterations per Box2D step. */
export const FPS = 50;
const VELOCITY_ITERATIONS = 180;
const POSITION_ITERATIONS = 60;

/** planck's broad phase, as far as `box2dPairOrder` touches it (private fields of planck 1.5). */
interface PlanckBroadPhase {
  m_moveBuffer: (number | null)[];
  m_tree: {
    getFatAABB(id: number): unknown;
    query(aabb: unknown, callback: (id: number) => boolean): void;
    getUserData(id: number): unknown;
  };
  updatePairs(addPair: (a: unknown, b: unknown) => void): void;
}

/** Proxy pairs are encoded as a·2^26 + b (planck's proxy ids grow by a few per step; a world lives one episode). */
const PAIR_BASE = 2 ** 26;

/**
 * Makes `world` create new contacts in Box2D 2.3's order. Box2D collects the overlapping proxy pairs of the moved
 * proxies, sorts them by (smaller id, larger id), drops duplicates and then creates the contacts; planck creates
 * each contact as its tree query finds it, moved proxies last-in first-out, so its contacts (and the order the
 * solver visits them in) differ. The order decides which constraint the iterative solver meets first: with
 * planck's, BipedalWalker's knees differ from pybox2d by 1e-2 rad after one step; with Box2D's, by float32 rounding.
 * Leaf ids are allocated in the same order by both trees, so sorting by id gives Box2D's order.
 */
export function box2dPairOrder(world: World): World {
  const broadPhase = (world as unknown as { m_broadPhase?: PlanckBroadPhase }).m_broadPhase;
  if (!Array.isArray(broadPhase?.m_moveBuffer) || typeof broadPhase.m_tree?.query !== 'function') {
    // A planck whose private broad phase changed: refuse rather than step in an order pybox2d does not.
    throw new PolicygradError(
      'the installed planck has another broad phase than planck 1.5, which the Box2D envs are tested with: npm install planck@1.5',
    );
  }
  const pairs: number[] = [];
  let queryId = -1;
  const collect = (id: number): boolean => {
    if (id !== queryId) pairs.push(Math.min(id, queryId) * PAIR_BASE + Math.max(id, queryId));
    return true;
  };
  broadPhase.updatePairs = (addPair) => {
    const tree = broadPhase.m_tree;
    pairs.length = 0;
    for (const id of broadPhase.m_moveBuffer) {
      if (id === null) continue;
      queryId = id;
      tree.query(tree.getFatAABB(id), collect);
    }
    broadPhase.m_moveBuffer.length = 0;
    pairs.sort((x, y) => x - y);
    for (let i = 0; i < pairs.length; i++) {
      if (i > 0 && pairs[i] === pairs[i - 1]) continue;
      const a = Math.floor(pairs[i] / PAIR_BASE);
      addPair(tree.getUserData(a), tree.getUserData(pairs[i] - a * PAIR_BASE));
    }
  };
  return world;
}

/** One Box2D step of the envs' world. */
export function stepWorld(world: World): void {
  world.step(1.0 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);
}

/**
 * Gymnasium's `ContactDetector`: a begin-contact touching the main body (lander, hull) sets `gameOver`; a begin /
 * end contact of a leg sets / clears its flag. The flags are edge-triggered: a leg sliding from one ground edge
 * onto the next is cleared by the old edge's end-contact although it still touches the new one, as in Gymnasium.
 */
export class ContactDetector {
  gameOver = false;
  readonly legContact: boolean[];

  constructor(
    world: World,
    private readonly main: Body,
    private readonly legs: readonly Body[],
  ) {
    this.legContact = legs.map(() => false);
    world.on('begin-contact', (contact) => this.touch(contact, true));
    world.on('end-contact', (contact) => this.touch(contact, false));
  }

  private touch(contact: Contact, touching: boolean): void {
    const a = contact.getFixtureA().getBody();
    const b = contact.getFixtureB().getBody();
    if (touching && (a === this.main || b === this.main)) this.gameOver = true;
    for (let k = 0; k < this.legs.length; k++) {
      if (a === this.legs[k] || b === this.legs[k]) this.legContact[k] = touching;
    }
  }
}

/** The world-space polygon [x0, y0, x1, y1, …] of `vertices` given in `body`'s frame. */
export function worldOutline(body: Body, vertices: readonly Vec2Value[]): number[] {
  return vertices.flatMap((v) => {
    const p = body.getWorldPoint(v);
    return [p.x, p.y];
  });
}

export function clamp(x: number, low: number, high: number): number {
  return Math.min(Math.max(x, low), high);
}

/**
 * Base of the Box2D envs. planck's classes come from `planckEngine` (the engine must have been loaded). Box2D's
 * contact cache, warm-start impulses and sleep timers are not plain data, so a snapshot holds the generator's state
 * at the episode's reset and the actions since: restoring rebuilds the world and replays them, which is exact
 * because every step is deterministic.
 */
export abstract class Box2DEnv<O, A, Scene extends { contacts: ContactDetector }> extends BaseEnv<O, A> {
  protected readonly planck: PlanckModule;
  /** The episode's world and bodies; null before the first reset. */
  protected scene: Scene | null = null;
  /** The generator's state when the episode's reset began, or null for an episode built from given draws. */
  private episodeStart: RngState | null = null;
  private episodeActions: unknown[] = [];

  constructor(id: string) {
    super();
    this.planck = planckEngine(id);
  }

  /** Called by `reset` before it draws anything: the episode can be snapshotted. */
  protected beginRecordedEpisode(): void {
    this.episodeStart = this.rng.getState();
    this.episodeActions = [];
  }

  /** Called when an episode is built from given draws: it cannot be snapshotted. */
  protected beginUnrecordedEpisode(): void {
    this.episodeStart = null;
    this.episodeActions = [];
  }

  /**
   * Remembers a valid action of a recorded episode (arrays copied: the caller may reuse its buffer; a Float32Array
   * stays one, as BipedalWalker rounds its reward to float32 for float32 actions, as NumPy does).
   */
  protected recordAction(action: A): void {
    if (this.episodeStart === null) return;
    if (typeof action === 'number') this.episodeActions.push(action);
    else if (action instanceof Float32Array) this.episodeActions.push({ float32: Array.from(action) });
    else this.episodeActions.push(Array.from(action as ArrayLike<number>));
  }

  /** Leg contact flags as the observation reports them (edge-triggered, as Gymnasium's contact listener). */
  get legContact(): readonly boolean[] {
    return this.scene?.contacts.legContact ?? [false, false];
  }

  /** True once the main body (lander, hull) touched the ground this episode (Gymnasium's `game_over`). */
  get gameOver(): boolean {
    return this.scene?.contacts.gameOver ?? false;
  }

  override close(): void {
    this.scene = null;
  }

  protected override snapshotFields(): Record<string, unknown> {
    if (this.scene !== null && this.episodeStart === null) {
      throw new PolicygradError(
        `${this.name}: cannot snapshot an episode started by resetFromDraws(); start it with reset()`,
      );
    }
    return { episodeStart: this.episodeStart, actions: this.episodeActions };
  }

  protected override restoreFields(fields: Record<string, unknown>): void {
    const start = fields.episodeStart as RngState | null | undefined;
    const actions = fields.actions;
    if (start === undefined || !Array.isArray(actions)) {
      throw new PolicygradError(`${this.name}: invalid snapshot: expected { episodeStart, actions }`);
    }
    if (start === null) {
      this.scene = null;
      this.beginUnrecordedEpisode();
      return;
    }
    const current = this.rng.getState();
    this.rng.setState(start);
    this.reset();
    for (const action of actions) this.step(replayedAction(action) as A);
    if (JSON.stringify(this.rng.getState()) !== JSON.stringify(current)) {
      throw new PolicygradError(
        `${this.name}: invalid snapshot: replaying its actions does not reach its generator state`,
      );
    }
  }
}

function replayedAction(action: unknown): unknown {
  const float32 = (action as { float32?: unknown } | null)?.float32;
  return Array.isArray(float32) ? Float32Array.from(float32 as number[]) : action;
}
