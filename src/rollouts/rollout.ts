/**
 * Rollouts: step a `VectorEnv` with a policy and fill a `RolloutBuffer`.
 *
 * - `collectSteps(T)`: T steps from each of the N envs, time-major (index t·N + i). Episodes carry over between
 *   calls; the values of the observations after the last step (`lastValues`) let the estimators bootstrap the
 *   unfinished episodes.
 * - `collectEpisodes(K)`: K complete episodes. Each env gets a fixed quota (⌊K/N⌋, plus one for the first K mod N
 *   envs) and collects its first episodes after a reset, so short episodes are not over-represented. Episodes are
 *   concatenated into one stream (numEnvs = 1 in the buffer), each ending with its `terminated`/`truncated` flag.
 * - `collectWholeEpisodes(T)`: complete episodes until each env has at least T steps (same single stream), for
 *   estimators that cannot bootstrap an episode cut at the batch end.
 *
 * Action masks: an env that reports `info.action_mask` (Gymnasium's name: one 0/1 entry per action, per
 * component for MultiDiscrete) after reset and after every step gets actions only from the allowed ones; the
 * masks are stored in the buffer (`masks`) so every later log-probability, entropy and KL is of the same masked
 * distribution. Envs without masks cost nothing.
 *
 * In both modes a truncated episode stores V(final observation) in `finalValues` for bootstrapping. Buffers store
 * the policy's raw actions (Categorical indices, unclipped Gaussian samples, squashed actions in (−1, 1)); the env
 * receives Discrete indices shifted by the space's start and Box actions clipped to the bounds, or, from a
 * squashed policy, rescaled from (−1, 1) to them (SB3's `unscale_action`).
 *
 * gSDE (a policy with `useSde`): the exploration matrices are redrawn at the start of every `collectSteps` /
 * `collectEpisodes` call and every `sdeSampleFreq` steps when that is positive (−1 or 0: only at the start), as
 * SB3's `collect_rollouts` does.
 */
import { Box, Discrete, MultiDiscrete } from '../envs/spaces.js';
import { PolicygradError } from '../errors.js';
import { type EncodedFloats, encodeFloatArray, readFloatArrayInto } from '../encoding.js';
import type { Info } from '../envs/env.js';
import type { VectorEnv } from '../envs/vector.js';
import type { StepBatch } from '../estimators/returns.js';
import type { ActResult } from '../policies/actor-critic.js';
import type { Distribution } from '../policies/distributions.js';
import type { StateDependentNoise } from '../policies/gsde.js';
import type { Rng } from '../rng.js';

/** Float arrays of either precision (nn's `Floats`). */
type Floats = Float32Array | Float64Array;

/**
 * What the collector acts with: an `ActorCriticPolicy`, or a policy with memory (`RecurrentActor`,
 * recurrent.ts), which carries a state per env through the steps and so needs to hear about them (the optional
 * hooks; a feed-forward policy has none).
 */
export interface RolloutActor {
  readonly dist: Distribution;
  readonly squashOutput: boolean;
  readonly sde: StateDependentNoise | null;
  resetNoise(count: number, rng: Rng): void;
  act(
    observations: Floats,
    batch: number,
    rng: Rng,
    out: ActResult,
    deterministic?: boolean,
    mask?: ArrayLike<number>,
  ): void;
  /** V of the observations (each env's, after a rollout's last step). */
  values(observations: Floats, batch: number): Floats;
  /** V of env `env`'s final observation of a truncated episode; default: `values(observation, 1)[0]`. */
  finalValue?(observation: Float32Array, env: number): number;
  /** Before step `t` of `collectSteps` is taken (a recurrent policy stores its state and episode starts). */
  recordStep?(buffer: RolloutBuffer, t: number): void;
  /** After each vector step, with which envs' episodes ended. */
  endStep?(terminated: ArrayLike<number>, truncated: ArrayLike<number>): void;
  /** When every env was reset. */
  onReset?(): void;
  /** The state to keep in a checkpoint, and its restoration. */
  snapshot?(): unknown;
  restore?(snapshot: unknown): void;
}

export class RolloutBuffer implements StepBatch {
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** V(final observation) at truncated steps (0 elsewhere). */
  readonly finalValues: Float32Array;
  /** V of each env's observation after the last step. */
  readonly lastValues: Float32Array;
  /** Action masks [n × logits] (1 allowed) when the env reports `info.action_mask`, else null. */
  masks: Uint8Array | null = null;
  /**
   * When set ([n × obsDim]), `collectSteps` keeps here the final observation of each step truncated and not
   * terminated (untouched elsewhere): for a learner that values them with its own, newer critic (IMPALA/APPO).
   */
  finalObservations: Float32Array | null = null;

  constructor(
    readonly steps: number,
    readonly numEnvs: number,
    readonly obsDim: number,
    readonly actionDim: number,
  ) {
    const n = steps * numEnvs;
    this.observations = new Float32Array(n * obsDim);
    this.actions = new Float32Array(n * actionDim);
    this.logProbs = new Float32Array(n);
    this.values = new Float32Array(n);
    this.rewards = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.finalValues = new Float32Array(n);
    this.lastValues = new Float32Array(numEnvs);
  }

  /** Number of transitions (steps × envs). */
  get size(): number {
    return this.steps * this.numEnvs;
  }
}

export interface EvaluationResult {
  returns: number[];
  lengths: number[];
}

export interface CompletedEpisode {
  return: number;
  length: number;
}

export interface CollectorSnapshot {
  /** Base64 from checkpoint format 3; arrays of numbers before (both are read). */
  observations: EncodedFloats | number[];
  episodeReturns: EncodedFloats | number[];
  episodeLengths: number[];
  needsReset: boolean;
  totalSteps: number;
  completed: CompletedEpisode[];
  /** The current observations' action masks, when the env reports them. */
  masks?: number[] | null;
  /** A recurrent policy's state per env (`RolloutActor.snapshot`). */
  memory?: unknown;
}

export class RolloutCollector {
  /** Episodes finished since the last `drainEpisodes()`. */
  private completed: CompletedEpisode[] = [];
  private readonly observations: Float32Array;
  private readonly episodeReturns: Float64Array;
  private readonly episodeLengths: Int32Array;
  private readonly act: ActResult;
  private readonly envActions: Float32Array | Int32Array;
  private needsReset = true;
  /** The action masks of the current observations [N × logits], once the env has reported one. */
  private masks: Uint8Array | null = null;
  /** Total environment steps taken (all envs). */
  totalSteps = 0;
  /** gSDE: redraw the exploration matrices every this many steps (−1 or 0: only at the start of a rollout). */
  sdeSampleFreq = -1;

  constructor(
    readonly env: VectorEnv,
    readonly policy: RolloutActor,
    private readonly rng: Rng,
    private readonly seed?: number,
  ) {
    const N = env.numEnvs;
    const A = policy.dist.actionSize;
    this.observations = new Float32Array(N * env.obsDim);
    this.episodeReturns = new Float64Array(N);
    this.episodeLengths = new Int32Array(N);
    this.act = {
      actions: new Float32Array(N * A),
      logProbs: new Float32Array(N),
      values: new Float32Array(N),
    };
    this.envActions = env.singleActionSpace instanceof Box ? new Float32Array(N * A) : new Int32Array(N * A);
  }

  /** The collector's state between iterations (running episodes, counters), for checkpoints. */
  snapshot(): CollectorSnapshot {
    return {
      observations: encodeFloatArray(this.observations),
      episodeReturns: encodeFloatArray(this.episodeReturns),
      episodeLengths: Array.from(this.episodeLengths),
      needsReset: this.needsReset,
      totalSteps: this.totalSteps,
      completed: this.completed.map((e) => ({ ...e })),
      masks: this.masks === null ? null : Array.from(this.masks),
      ...(this.policy.snapshot === undefined ? {} : { memory: this.policy.snapshot() }),
    };
  }

  restore(snapshot: CollectorSnapshot): void {
    const fit = `RolloutCollector.restore: the snapshot does not fit ${this.env.numEnvs} envs × ${this.env.obsDim} observations`;
    readFloatArrayInto(snapshot?.observations, this.observations, `${fit}: observations`);
    readFloatArrayInto(snapshot.episodeReturns, this.episodeReturns, `${fit}: episodeReturns`);
    this.episodeLengths.set(snapshot.episodeLengths);
    this.needsReset = snapshot.needsReset;
    this.totalSteps = snapshot.totalSteps;
    this.completed = snapshot.completed.map((e) => ({ ...e }));
    this.masks = snapshot.masks ? Uint8Array.from(snapshot.masks) : null;
    this.policy.restore?.(snapshot.memory);
  }

  /** Reads each env's `info.action_mask` (for the observation the info came with) into `this.masks`. */
  private readMasks(infos: readonly (Info | null | undefined)[]): void {
    const width = this.policy.dist.inputSize;
    for (let i = 0; i < infos.length; i++) {
      const mask = infos[i]?.action_mask as ArrayLike<number> | undefined;
      if (mask === undefined || mask === null) {
        this.masks?.fill(1, i * width, (i + 1) * width);
        continue;
      }
      if (this.masks === null) {
        if (this.env.singleActionSpace instanceof Box) {
          throw new PolicygradError(
            'info.action_mask: action masks need a Discrete or MultiDiscrete action space',
          );
        }
        this.masks = new Uint8Array(infos.length * width).fill(1);
      }
      if (typeof mask.length !== 'number' || mask.length !== width) {
        throw new PolicygradError(
          `info.action_mask of env ${i} has ${String(mask.length)} entries; expected ${width} (one 0/1 per action)`,
        );
      }
      for (let k = 0; k < width; k++) this.masks[i * width + k] = mask[k] ? 1 : 0;
    }
  }

  /** The masks as the policy takes them (undefined when the env reports none). */
  private get currentMasks(): Uint8Array | undefined {
    return this.masks ?? undefined;
  }

  private reset(): void {
    const { observations, infos } = this.env.reset({
      seed: this.needsReset && this.seed !== undefined ? this.seed : undefined,
    });
    this.observations.set(observations);
    this.readMasks(infos);
    this.episodeReturns.fill(0);
    this.episodeLengths.fill(0);
    this.needsReset = false;
    this.policy.onReset?.();
  }

  /** The action the env receives for the policy's raw action (index shift, clipping). */
  private toEnvActions(actions: Float32Array): Float32Array | Int32Array {
    const space = this.env.singleActionSpace;
    const out = this.envActions;
    const A = this.policy.dist.actionSize;
    for (let k = 0; k < actions.length; k++) {
      if (space instanceof Discrete) out[k] = actions[k] + space.start;
      else if (space instanceof MultiDiscrete) out[k] = actions[k] + space.start[k % A];
      else if (space instanceof Box && this.policy.squashOutput) {
        const low = space.low[k % A];
        out[k] = low + 0.5 * (actions[k] + 1) * (space.high[k % A] - low);
      } else if (space instanceof Box)
        out[k] = Math.min(Math.max(actions[k], space.low[k % A]), space.high[k % A]);
    }
    return out;
  }

  /** gSDE: new exploration matrices at a rollout's step `t` = 0 and every `sdeSampleFreq` steps. */
  private maybeResetNoise(t: number): void {
    if (this.policy.sde === null) return;
    if (t === 0 || (this.sdeSampleFreq > 0 && t % this.sdeSampleFreq === 0)) {
      this.policy.resetNoise(this.env.numEnvs, this.rng);
    }
  }

  /** One vector step; calls `record(i, ...)` for each env, then updates the running observations. */
  private stepOnce(
    record: (
      i: number,
      reward: number,
      terminated: boolean,
      truncated: boolean,
      finalValue: number,
      finalObservation: Float32Array | null,
    ) => void,
  ): void {
    const N = this.env.numEnvs;
    this.policy.act(this.observations, N, this.rng, this.act, false, this.currentMasks);
    const result = this.env.step(this.toEnvActions(this.act.actions));
    for (let i = 0; i < N; i++) {
      const terminated = result.terminated[i] === 1;
      const truncated = result.truncated[i] === 1;
      this.episodeReturns[i] += (result.rawRewards ?? result.rewards)[i]; // in the env's own units
      this.episodeLengths[i] += 1;
      let finalValue = 0;
      const finalObservation = result.info.finalObservation[i];
      const cut = truncated && !terminated && finalObservation !== null;
      if (cut) {
        finalValue =
          this.policy.finalValue?.(finalObservation, i) ?? this.policy.values(finalObservation, 1)[0];
      }
      record(i, result.rewards[i], terminated, truncated, finalValue, cut ? finalObservation : null);
      if (terminated || truncated) {
        this.completed.push({ return: this.episodeReturns[i], length: this.episodeLengths[i] });
        this.episodeReturns[i] = 0;
        this.episodeLengths[i] = 0;
      }
    }
    this.policy.endStep?.(result.terminated, result.truncated);
    this.observations.set(result.observations);
    this.readMasks(result.info.envInfos);
    this.totalSteps += N;
  }

  /** Fills `buffer` (numEnvs = env.numEnvs) with buffer.steps steps from every env. */
  collectSteps(buffer: RolloutBuffer): RolloutBuffer {
    if (this.needsReset) this.reset();
    const N = this.env.numEnvs;
    const { obsDim } = this.env;
    const A = this.policy.dist.actionSize;
    const width = this.policy.dist.inputSize;
    for (let t = 0; t < buffer.steps; t++) {
      this.maybeResetNoise(t);
      this.policy.recordStep?.(buffer, t);
      buffer.observations.set(this.observations, t * N * obsDim);
      if (this.masks !== null) {
        buffer.masks ??= new Uint8Array(buffer.size * width).fill(1);
        buffer.masks.set(this.masks, t * N * width);
      }
      this.stepOnce((i, reward, terminated, truncated, finalValue, finalObservation) => {
        const k = t * N + i;
        if (finalObservation !== null) buffer.finalObservations?.set(finalObservation, k * obsDim);
        for (let d = 0; d < A; d++) buffer.actions[k * A + d] = this.act.actions[i * A + d];
        buffer.logProbs[k] = this.act.logProbs[i];
        buffer.values[k] = this.act.values[i];
        buffer.rewards[k] = reward;
        buffer.terminated[k] = terminated ? 1 : 0;
        buffer.truncated[k] = truncated ? 1 : 0;
        buffer.finalValues[k] = finalValue;
      });
    }
    buffer.lastValues.set(this.policy.values(this.observations, N));
    return buffer;
  }

  /** Collects `numEpisodes` complete episodes into a new single-stream buffer (see the module comment). */
  collectEpisodes(numEpisodes: number): RolloutBuffer {
    const N = this.env.numEnvs;
    const quota = Array.from(
      { length: N },
      (_, i) => Math.floor(numEpisodes / N) + (i < numEpisodes % N ? 1 : 0),
    );
    return this.collectComplete(
      quota.map((q) => q > 0),
      (i, _steps, episodes) => episodes < quota[i],
    );
  }

  /**
   * Complete episodes, at least `minStepsPerEnv` steps of them from each env: every env plays episodes from a
   * reset and stops at the end of the first episode that brings it to `minStepsPerEnv` steps (RLlib's
   * batch_mode 'complete_episodes'). The decision to play another episode depends only on the episodes already
   * played, so each episode's gradient term keeps its expectation (Wald's identity). Single-stream buffer.
   */
  collectWholeEpisodes(minStepsPerEnv: number): RolloutBuffer {
    return this.collectComplete(
      new Array<boolean>(this.env.numEnvs).fill(true),
      (_i, steps) => steps < minStepsPerEnv,
    );
  }

  /**
   * Steps every env from a reset; env i records steps while it is active, and at the end of each of its
   * episodes stays active while `wantsMore(i, steps recorded, episodes recorded)`.
   */
  private collectComplete(
    active: boolean[],
    wantsMore: (env: number, steps: number, episodes: number) => boolean,
  ): RolloutBuffer {
    this.reset();
    const N = this.env.numEnvs;
    const { obsDim } = this.env;
    const A = this.policy.dist.actionSize;
    const episodes = new Array<number>(N).fill(0);
    const perEnv = Array.from({ length: N }, () => ({
      obs: [] as number[],
      actions: [] as number[],
      logProbs: [] as number[],
      values: [] as number[],
      rewards: [] as number[],
      terminated: [] as number[],
      truncated: [] as number[],
      finalValues: [] as number[],
      masks: [] as (Uint8Array | null)[], // per step; null: every action allowed
    }));
    const width = this.policy.dist.inputSize;
    for (let t = 0; active.some((a) => a); t++) {
      this.maybeResetNoise(t);
      const obsBefore = this.observations.slice();
      const masksBefore = this.masks?.slice() ?? null;
      this.stepOnce((i, reward, terminated, truncated, finalValue) => {
        if (!active[i]) return;
        const rec = perEnv[i];
        for (let d = 0; d < obsDim; d++) rec.obs.push(obsBefore[i * obsDim + d]);
        for (let d = 0; d < A; d++) rec.actions.push(this.act.actions[i * A + d]);
        rec.logProbs.push(this.act.logProbs[i]);
        rec.values.push(this.act.values[i]);
        rec.rewards.push(reward);
        rec.terminated.push(terminated ? 1 : 0);
        rec.truncated.push(truncated ? 1 : 0);
        rec.finalValues.push(finalValue);
        rec.masks.push(masksBefore === null ? null : masksBefore.subarray(i * width, (i + 1) * width));
        if (terminated || truncated) {
          episodes[i] += 1;
          active[i] = wantsMore(i, rec.rewards.length, episodes[i]);
        }
      });
    }
    this.needsReset = false;
    const total = perEnv.reduce((n, rec) => n + rec.rewards.length, 0);
    const buffer = new RolloutBuffer(total, 1, obsDim, A);
    if (perEnv.some((rec) => rec.masks.some((m) => m !== null))) {
      buffer.masks = new Uint8Array(total * width).fill(1);
    }
    let offset = 0;
    for (const rec of perEnv) {
      buffer.observations.set(rec.obs, offset * obsDim);
      buffer.actions.set(rec.actions, offset * A);
      buffer.logProbs.set(rec.logProbs, offset);
      buffer.values.set(rec.values, offset);
      buffer.rewards.set(rec.rewards, offset);
      buffer.terminated.set(rec.terminated, offset);
      buffer.truncated.set(rec.truncated, offset);
      buffer.finalValues.set(rec.finalValues, offset);
      if (buffer.masks !== null) {
        rec.masks.forEach((m, k) => m !== null && buffer.masks?.set(m, (offset + k) * width));
      }
      offset += rec.rewards.length;
    }
    // Every recorded episode is complete, so nothing is bootstrapped past the end.
    this.reset();
    return buffer;
  }

  /** Each env's current observation [N × obsDim] (after the last step): read-only, overwritten by the next step. */
  get currentObservations(): Float32Array {
    return this.observations;
  }

  /** Returns and clears the episodes completed since the last call. */
  drainEpisodes(): CompletedEpisode[] {
    const done = this.completed;
    this.completed = [];
    return done;
  }

  /**
   * Plays `episodes` full episodes with the policy (deterministic by default); returns each episode's return
   * (in the env's own units) and length. Every env plays a fixed quota of episodes, so short episodes are not
   * over-represented.
   */
  static evaluate(
    env: VectorEnv,
    policy: RolloutActor,
    episodes: number,
    { deterministic = true, rng, seed }: { deterministic?: boolean; rng: Rng; seed?: number },
  ): EvaluationResult {
    const collector = new RolloutCollector(env, policy, rng, seed);
    collector.reset();
    const N = env.numEnvs;
    const quota = Array.from({ length: N }, (_, i) => Math.floor(episodes / N) + (i < episodes % N ? 1 : 0));
    const returns: number[] = [];
    const lengths: number[] = [];
    if (!deterministic) policy.resetNoise(N, rng);
    while (quota.some((q) => q > 0)) {
      policy.act(collector.observations, N, rng, collector.act, deterministic, collector.currentMasks);
      const result = env.step(collector.toEnvActions(collector.act.actions));
      policy.endStep?.(result.terminated, result.truncated);
      for (let i = 0; i < N; i++) {
        collector.episodeReturns[i] += (result.rawRewards ?? result.rewards)[i];
        collector.episodeLengths[i] += 1;
        if (result.terminated[i] || result.truncated[i]) {
          if (quota[i] > 0) {
            returns.push(collector.episodeReturns[i]);
            lengths.push(collector.episodeLengths[i]);
          }
          quota[i] = Math.max(0, quota[i] - 1);
          collector.episodeReturns[i] = 0;
          collector.episodeLengths[i] = 0;
        }
      }
      collector.observations.set(result.observations);
      collector.readMasks(result.info.envInfos);
    }
    return { returns, lengths };
  }
}
