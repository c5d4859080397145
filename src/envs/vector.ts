/**
 * Vector environments: N copies of an env stepped in lock-step over batched typed arrays.
 *
 * **Autoreset is "same step"** (Gymnasium 0.29 / Stable-Baselines3 semantics), and this is the one place it is
 * defined: when sub-env i terminates or is truncated during `step`, it is reset at once, so
 * `observations` row i already holds the *first* observation of its next episode, while
 * `info.finalObservation[i]` holds the *last* observation of the episode that ended and `info.finalInfo[i]`
 * that step's info. An algorithm bootstraps a truncated episode from `finalObservation[i]`, never from
 * `observations` row i. For sub-envs that did not end this step both entries are null.
 */
import { describeValue, InvalidActionError, PolicygradError, ResetNeededError } from '../errors.js';
import { type Env, type EnvSnapshot, type Info, type ResetOptions, restoreInto, snapshotOf } from './env.js';
import { type MakeOptions, make } from './registry.js';
import { Box, type BoxValue, Discrete, type Space } from './spaces.js';

export interface VectorInfo {
  /** Per sub-env: the last observation of the episode that ended on this step, else null. */
  finalObservation: (Float32Array | null)[];
  /** Per sub-env: the info of the step that ended an episode, else null. */
  finalInfo: (Info | null)[];
  /** Per sub-env: the info of this step (for a sub-env that was reset: its reset info). */
  envInfos: Info[];
}

export interface VectorResetResult {
  /** N × obsDim, row-major. */
  observations: Float32Array;
  infos: Info[];
}

export interface VectorStepResult {
  /** N × obsDim, row-major; rows of ended sub-envs hold the first observation of their next episode. */
  observations: Float32Array;
  rewards: Float64Array;
  /** 1 where the sub-env's episode terminated on this step. */
  terminated: Uint8Array;
  /** 1 where the sub-env's episode was truncated on this step. */
  truncated: Uint8Array;
  info: VectorInfo;
  /** The env's own rewards when a wrapper (VecNormalize) has rescaled `rewards`. */
  rawRewards?: Float64Array;
}

/** What rollouts need of a vector env: SyncVectorEnv, or a vector wrapper such as VecNormalize. */
export interface VectorEnv {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  reset(options?: ResetOptions): VectorResetResult;
  step(actions: VectorActions): VectorStepResult;
  close(): void;
  /** Every sub-env's snapshot (see `Env.snapshot`), for checkpoints; optional. */
  snapshot?(): EnvSnapshot;
  restore?(snapshot: EnvSnapshot): void;
}

/** Batched actions: one number per sub-env (Discrete), or N × actionDim row-major (Box and other arrays). */
export type VectorActions = ArrayLike<number>;

export interface SyncVectorEnvOptions {
  /**
   * When true (default) every result holds fresh arrays. When false the same buffers are reused and
   * overwritten by the next `step`/`reset` (no allocation per step; for rollout loops that copy what they keep).
   */
  copy?: boolean;
}

type SubEnv = Env<BoxValue, unknown>;

export class SyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly envs: readonly SubEnv[];
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  /** Elements of one observation. */
  readonly obsDim: number;
  /** Elements of one action (1 for Discrete). */
  readonly actionDim: number;
  private readonly copy: boolean;
  private readonly observations: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private hasReset = false;

  constructor(envFns: readonly (() => Env)[], { copy = true }: SyncVectorEnvOptions = {}) {
    if (!Array.isArray(envFns) || envFns.length === 0) {
      throw new PolicygradError(
        'SyncVectorEnv: needs a non-empty array of functions that each create an env',
      );
    }
    this.envs = envFns.map((fn) => fn() as SubEnv);
    this.numEnvs = this.envs.length;
    const first = this.envs[0];
    if (!(first.observationSpace instanceof Box)) {
      throw new PolicygradError(
        `SyncVectorEnv: observations must be a Box, got ${first.observationSpace.toString()}; wrap the env in FlattenObservation`,
      );
    }
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    for (const [i, env] of this.envs.entries()) {
      const same =
        JSON.stringify(env.observationSpace.toJSON()) === JSON.stringify(first.observationSpace.toJSON()) &&
        JSON.stringify(env.actionSpace.toJSON()) === JSON.stringify(first.actionSpace.toJSON());
      if (!same) throw new PolicygradError(`SyncVectorEnv: sub-env ${i} has different spaces from sub-env 0`);
    }
    this.obsDim = this.singleObservationSpace.size;
    this.actionDim =
      this.singleActionSpace instanceof Discrete
        ? 1
        : this.singleActionSpace.shape.reduce((a, b) => a * b, 1);
    this.copy = copy;
    this.observations = new Float32Array(this.numEnvs * this.obsDim);
    this.rewards = new Float64Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
  }

  /** Resets every sub-env; with a seed, sub-env i is seeded with `seed + i` (Gymnasium's convention). */
  reset(options: ResetOptions = {}): VectorResetResult {
    const { seed } = options;
    if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) {
      throw new PolicygradError(
        `SyncVectorEnv.reset: invalid seed ${describeValue(seed)}: expected a non-negative integer`,
      );
    }
    const infos: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const { observation, info } = this.envs[i].reset({
        seed: seed === undefined ? undefined : seed + i,
        options: options.options,
      });
      this.observations.set(observation, i * this.obsDim);
      infos.push(info);
    }
    this.hasReset = true;
    return { observations: this.out(this.observations), infos };
  }

  /** Steps every sub-env with its action; sub-envs whose episode ends are reset in the same call. */
  step(actions: VectorActions): VectorStepResult {
    if (!this.hasReset)
      throw new ResetNeededError('SyncVectorEnv: step() called before reset(); call reset() first');
    const expected = this.numEnvs * this.actionDim;
    if (actions === null || typeof actions !== 'object' || actions.length !== expected) {
      throw new InvalidActionError(
        `SyncVectorEnv: invalid actions ${describeValue(actions)}: expected ${expected} numbers (${this.numEnvs} envs × ${this.actionDim})`,
      );
    }
    const finalObservation: (Float32Array | null)[] = new Array(this.numEnvs).fill(null);
    const finalInfo: (Info | null)[] = new Array(this.numEnvs).fill(null);
    const envInfos: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      const result = env.step(this.actionFor(actions, i));
      this.rewards[i] = result.reward;
      this.terminated[i] = result.terminated ? 1 : 0;
      this.truncated[i] = result.truncated ? 1 : 0;
      let observation = result.observation;
      let info = result.info;
      if (result.terminated || result.truncated) {
        finalObservation[i] = Float32Array.from(result.observation);
        finalInfo[i] = result.info;
        ({ observation, info } = env.reset());
      }
      this.observations.set(observation, i * this.obsDim);
      envInfos.push(info);
    }
    return {
      observations: this.out(this.observations),
      rewards: this.out(this.rewards),
      terminated: this.out(this.terminated),
      truncated: this.out(this.truncated),
      info: { finalObservation, finalInfo, envInfos },
    };
  }

  close(): void {
    for (const env of this.envs) env.close();
  }

  snapshot(): EnvSnapshot {
    return { envs: this.envs.map((env) => snapshotOf(env)), hasReset: this.hasReset };
  }

  restore(snapshot: EnvSnapshot): void {
    const envs = snapshot?.envs;
    if (!Array.isArray(envs) || envs.length !== this.numEnvs) {
      throw new PolicygradError(
        `SyncVectorEnv.restore: the snapshot holds ${Array.isArray(envs) ? envs.length : 'no'} sub-envs, expected ${this.numEnvs}`,
      );
    }
    envs.forEach((s, i) => restoreInto(this.envs[i], s as EnvSnapshot));
    this.hasReset = snapshot.hasReset === true;
  }

  private actionFor(actions: VectorActions, i: number): unknown {
    if (this.singleActionSpace instanceof Discrete) return actions[i];
    const start = i * this.actionDim;
    if (ArrayBuffer.isView(actions)) {
      return (actions as unknown as Float32Array).subarray(start, start + this.actionDim);
    }
    return Array.prototype.slice.call(actions, start, start + this.actionDim);
  }

  private out<T extends Float32Array | Float64Array | Uint8Array>(buffer: T): T {
    return this.copy ? (buffer.slice() as T) : buffer;
  }
}

/** `numEnvs` copies of a registered env in a `SyncVectorEnv` (each made with `make(id, options)`). */
export function makeVec(
  id: string,
  numEnvs: number,
  options: MakeOptions = {},
  vectorOptions: SyncVectorEnvOptions = {},
): SyncVectorEnv {
  if (!Number.isSafeInteger(numEnvs) || numEnvs <= 0) {
    throw new PolicygradError(
      `makeVec: invalid numEnvs ${describeValue(numEnvs)}: expected a positive integer`,
    );
  }
  return new SyncVectorEnv(
    Array.from({ length: numEnvs }, () => () => make(id, options)),
    vectorOptions,
  );
}

/** Builds an `AsyncVectorEnv` (worker threads): the `asyncVectorEnv` port, which the Node entry's `nodePorts` has. */
export type AsyncVectorEnvFactory = (
  id: string,
  numEnvs: number,
  options: MakeOptions,
  workerOptions: { envModules: readonly string[] },
) => VectorEnv;

/**
 * `numEnvs` copies of `id` stepped in this thread ('sync') or on worker threads ('async', built by `asyncFactory`,
 * which the core cannot provide: Node's `nodePorts.asyncVectorEnv`).
 */
export function makeVectorEnv(
  kind: 'sync' | 'async',
  id: string,
  numEnvs: number,
  options: MakeOptions = {},
  {
    envModules = [],
    ...vectorOptions
  }: SyncVectorEnvOptions & {
    /** Modules each worker thread imports first ('async': register custom envs there). */
    envModules?: readonly string[];
  } = {},
  asyncFactory?: AsyncVectorEnvFactory,
): VectorEnv {
  if (kind === 'sync') return makeVec(id, numEnvs, options, vectorOptions);
  if (asyncFactory === undefined) {
    throw new PolicygradError(
      "vectorEnv 'async' needs worker threads: no asyncVectorEnv port was given; use the classes of policygrad's Node entry ('policygrad' in Node) or pass its nodePorts, or use 'sync'",
    );
  }
  return asyncFactory(id, numEnvs, options, { envModules });
}
