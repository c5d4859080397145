/**
 * The environment API, following Gymnasium 1.x:
 *
 * - `reset({ seed?, options? })` → `{ observation, info }`. A seed reseeds the env's generator; without one the
 *   generator continues (or is seeded from entropy on the very first reset).
 * - `step(action)` → `{ observation, reward, terminated, truncated, info }`. `terminated`: the MDP reached a
 *   terminal state (do not bootstrap). `truncated`: the episode was cut short, e.g. by a time limit (bootstrap
 *   from the value of the final observation).
 * - `observationSpace`, `actionSpace`, `unwrapped` (the innermost env), `close()`.
 */
import { describeValue, InvalidActionError, PolicygradError } from '../errors.js';
import { Rng, type RngState } from '../rng.js';
import type { Frame, RenderMode } from './render.js';
import type { Box, BoxValue, Discrete, Space } from './spaces.js';

export type Info = Record<string, unknown>;

export interface ResetOptions {
  /** Reseeds the environment's generator (a non-negative integer). */
  seed?: number;
  /** Environment-specific reset options (for example `{ low, high }` for the classic-control envs). */
  options?: Record<string, unknown>;
}

export interface ResetResult<O> {
  observation: O;
  info: Info;
}

export interface StepResult<O> {
  observation: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

/** What `make` knows about a registered environment. */
export interface EnvSpec {
  id: string;
  /** Episode length limit applied by `make` through `TimeLimit` (undefined: no limit). */
  maxEpisodeSteps?: number;
  /** Mean return at which the task counts as solved (Gymnasium's `reward_threshold`). */
  rewardThreshold?: number;
  /** Options the env was made with (after defaults). */
  kwargs: Record<string, unknown>;
}

export interface Env<O = unknown, A = unknown> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  /** Set by `make`; undefined for an env constructed directly. */
  spec?: EnvSpec;
  /** The innermost environment, under all wrappers. */
  readonly unwrapped: Env;
  reset(options?: ResetOptions): ResetResult<O>;
  step(action: A): StepResult<O>;
  close(): void;
  /**
   * Everything that decides the env's future (internal state, generator, counters) as plain JSON, for checkpoints
   * that resume exactly. Optional: built-in envs and wrappers have it; `restore` puts a snapshot back.
   */
  snapshot?(): EnvSnapshot;
  restore?(snapshot: EnvSnapshot): void;
  /** The render modes the env supports (Gymnasium's `metadata["render_modes"]`). */
  readonly renderModes?: readonly RenderMode[];
  /** Set by `make(id, { renderMode })`; null: `render()` returns null. */
  renderMode?: RenderMode | null;
  /** The current state as an RGB frame when the render mode is 'rgb_array' (else null). */
  render?(): Frame | null;
}

/** A JSON value from `Env.snapshot()`. */
export type EnvSnapshot = { [key: string]: unknown };

/** The snapshot of `env`, or a clear error if it cannot take one. */
export function snapshotOf(env: Env): EnvSnapshot {
  if (typeof env.snapshot !== 'function') {
    throw new PolicygradError(
      `${envName(env)} cannot be checkpointed: it has no snapshot()/restore() (extend BaseEnv and override snapshotFields/restoreFields)`,
    );
  }
  return env.snapshot();
}

/** Puts a snapshot back into `env` (the inverse of `snapshotOf`). */
export function restoreInto(env: Env, snapshot: EnvSnapshot): void {
  if (typeof env.restore !== 'function') {
    throw new PolicygradError(`${envName(env)} cannot be restored from a checkpoint: it has no restore()`);
  }
  env.restore(snapshot);
}

function envName(env: Env): string {
  return env.spec?.id ?? env.constructor.name;
}

/**
 * Base class for environments: owns the seeded generator (`this.rng`), as Gymnasium's `Env.np_random`.
 * Subclasses call `this.reseed(options.seed)` at the start of `reset`.
 */
export abstract class BaseEnv<O, A> implements Env<O, A> {
  abstract readonly observationSpace: Space<O>;
  abstract readonly actionSpace: Space<A>;
  spec?: EnvSpec;
  private generator: Rng | null = null;

  abstract reset(options?: ResetOptions): ResetResult<O>;
  abstract step(action: A): StepResult<O>;

  /** The environment's generator: seeded by `reset({ seed })`, or from entropy if no seed was ever given. */
  get rng(): Rng {
    if (this.generator === null) this.generator = Rng.fromEntropy();
    return this.generator;
  }

  protected reseed(seed: number | undefined): void {
    if (seed !== undefined) this.generator = Rng.fromSeed(seed);
  }

  snapshot(): EnvSnapshot {
    return { rng: this.generator?.getState() ?? null, fields: this.snapshotFields() };
  }

  restore(snapshot: EnvSnapshot): void {
    const rng = snapshot?.rng as RngState | null | undefined;
    if (rng === undefined || snapshot.fields === undefined) {
      throw new PolicygradError(`${this.name}: invalid snapshot: expected { rng, fields }`);
    }
    this.generator = rng === null ? null : Rng.fromState(rng);
    this.restoreFields(snapshot.fields as Record<string, unknown>);
  }

  /** A subclass's own mutable fields for `snapshot()` (plain JSON). */
  protected snapshotFields(): Record<string, unknown> {
    return {};
  }

  protected restoreFields(_fields: Record<string, unknown>): void {}

  get unwrapped(): Env {
    return this;
  }

  /** A readable name for messages: the registered id when made by `make`, else the class name. */
  get name(): string {
    return this.spec?.id ?? this.constructor.name;
  }

  /** Gymnasium's form: `<CartPoleEnv<CartPole-v1>>`, or `<MyEnv instance>` when not made by `make`. */
  toString(): string {
    const kind = this.constructor.name;
    return this.spec === undefined ? `<${kind} instance>` : `<${kind}<${this.spec.id}>>`;
  }

  close(): void {}
}

/**
 * Base class for wrappers: forwards everything to the wrapped env. Override `reset`/`step` (and the spaces,
 * when the wrapper changes them). `InnerO`/`InnerA` are the wrapped env's types when they differ.
 */
export class Wrapper<O = unknown, A = unknown, InnerO = O, InnerA = A> implements Env<O, A> {
  constructor(readonly env: Env<InnerO, InnerA>) {}

  get observationSpace(): Space<O> {
    return this.env.observationSpace as unknown as Space<O>;
  }

  get actionSpace(): Space<A> {
    return this.env.actionSpace as unknown as Space<A>;
  }

  get spec(): EnvSpec | undefined {
    return this.env.spec;
  }

  get unwrapped(): Env {
    return this.env.unwrapped;
  }

  get renderMode(): RenderMode | null {
    return this.env.renderMode ?? null;
  }

  render(): Frame | null {
    return this.env.render?.() ?? null;
  }

  reset(options?: ResetOptions): ResetResult<O> {
    return this.env.reset(options) as unknown as ResetResult<O>;
  }

  step(action: A): StepResult<O> {
    return this.env.step(action as unknown as InnerA) as unknown as StepResult<O>;
  }

  close(): void {
    this.env.close();
  }

  snapshot(): EnvSnapshot {
    return { env: snapshotOf(this.env as Env), own: this.ownSnapshot() };
  }

  restore(snapshot: EnvSnapshot): void {
    restoreInto(this.env as Env, snapshot?.env as EnvSnapshot);
    this.restoreOwn(snapshot.own);
  }

  /** A wrapper's own mutable state for `snapshot()` (plain JSON; undefined when it has none). */
  protected ownSnapshot(): unknown {
    return undefined;
  }

  protected restoreOwn(_own: unknown): void {}

  /** The first wrapper of the given class in this chain (including this one), if any. */
  findWrapper<W>(cls: abstract new (...args: never[]) => W): W | undefined {
    if (this instanceof cls) return this as W;
    return this.env instanceof Wrapper ? (this.env.findWrapper(cls) as W | undefined) : undefined;
  }

  /** Gymnasium's form: `<TimeLimit<OrderEnforcing<CartPoleEnv<CartPole-v1>>>>`. */
  toString(): string {
    return `<${this.constructor.name}${String(this.env)}>`;
  }
}

/** Throws a clear error unless `action` is an integer in the Discrete space. */
export function assertDiscreteAction(
  envName: string,
  space: Discrete,
  action: unknown,
): asserts action is number {
  if (!space.contains(action)) {
    const last = space.start + space.n - 1;
    throw new InvalidActionError(
      `${envName}: invalid action ${describeValue(action)}: expected an integer in [${space.start}, ${last}] for ${space.toString()}`,
    );
  }
}

/**
 * Throws a clear error unless `action` is an array of `space.size` numbers, none of them NaN. Out-of-bounds
 * values are allowed: each env treats them as Gymnasium does (most clip).
 */
export function assertBoxAction(
  envName: string,
  space: Box,
  action: unknown,
): asserts action is BoxValue | number[] {
  const isArrayLike = Array.isArray(action) || (ArrayBuffer.isView(action) && !(action instanceof DataView));
  const values = action as ArrayLike<unknown>;
  if (!isArrayLike || values.length !== space.size) {
    throw new InvalidActionError(
      `${envName}: invalid action ${describeValue(action)}: expected an array of ${space.size} number(s) for ${space.toString()}`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new InvalidActionError(
        `${envName}: invalid action ${describeValue(action)}: element ${i} is ${describeValue(v)}; expected a number (not NaN)`,
      );
    }
  }
}
