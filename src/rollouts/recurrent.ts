/**
 * Rollouts with memory: a recurrent policy acting in N envs (`RecurrentActor`, what `RolloutCollector` acts with)
 * and the buffer that keeps what training needs to replay the exact sequences (`RecurrentRolloutBuffer`).
 *
 * As sb3-contrib's `RecurrentPPO.collect_rollouts`: each env's state is carried from step to step and across
 * rollouts; the episode-start flag of an env is 1 on the first step after a reset or after its episode ended
 * (terminated or truncated), and the policy zeroes that env's state before the step. The buffer stores, for every
 * step, the state the env entered it with (before the reset) and the flag, so any run of consecutive steps of one
 * env can be replayed from its first step's stored state (sb3-contrib's `RecurrentRolloutBuffer` stores the same).
 * A truncated episode's final observation is valued from the env's state after the step, with no reset.
 */
import { PolicygradError } from '../errors.js';
import { type EncodedFloats, encodeFloatArray, readFloatArrayInto } from '../encoding.js';
import type { ActResult } from '../policies/actor-critic.js';
import type { RecurrentActorCriticPolicy, RecurrentState } from '../policies/recurrent-actor-critic.js';
import type { Rng } from '../rng.js';
import { RolloutBuffer, type RolloutActor } from './rollout.js';

/** Float arrays of either precision (nn's `Floats`). */
type Floats = Float32Array | Float64Array;

export class RecurrentRolloutBuffer extends RolloutBuffer {
  /** [steps·numEnvs] 1 where the env's state was reset before the step (time-major, like every row). */
  readonly episodeStarts: Uint8Array;
  /** [steps × stateSize]: at step t, the envs' state entering it (a `RecurrentState`'s data). */
  readonly states: Float32Array;

  constructor(
    steps: number,
    numEnvs: number,
    obsDim: number,
    actionDim: number,
    /** Planes and width of the policy's state (`RecurrentState`). */
    readonly statePlanes: number,
    readonly hiddenSize: number,
  ) {
    super(steps, numEnvs, obsDim, actionDim);
    this.episodeStarts = new Uint8Array(steps * numEnvs);
    this.states = new Float32Array(steps * statePlanes * numEnvs * hiddenSize);
  }

  /** Numbers of one step's state (planes × numEnvs × hiddenSize). */
  get stateSize(): number {
    return this.statePlanes * this.numEnvs * this.hiddenSize;
  }

  /** Copies env `env`'s stored state at step `t` into row `row` of `target`. */
  copyStateInto(t: number, env: number, target: RecurrentState, row: number): void {
    const H = this.hiddenSize;
    const N = this.numEnvs;
    const base = t * this.stateSize;
    for (let p = 0; p < this.statePlanes; p++) {
      const plane = target.plane(p);
      const from = base + (p * N + env) * H;
      for (let j = 0; j < H; j++) plane[row * H + j] = this.states[from + j];
    }
  }
}

/** A recurrent policy acting in `numEnvs` envs: their states and episode-start flags. */
export class RecurrentActor implements RolloutActor {
  readonly state: RecurrentState;
  /** 1 where the env's next step starts an episode (all at first: nothing to remember yet). */
  readonly episodeStarts: Uint8Array;
  readonly squashOutput = false;

  constructor(
    readonly policy: RecurrentActorCriticPolicy,
    readonly numEnvs: number,
  ) {
    this.state = policy.initialState(numEnvs);
    this.episodeStarts = new Uint8Array(numEnvs).fill(1);
  }

  get dist() {
    return this.policy.dist;
  }

  get sde() {
    return this.policy.sde;
  }

  resetNoise(count: number, rng: Rng): void {
    this.policy.resetNoise(count, rng);
  }

  act(
    observations: Floats,
    batch: number,
    rng: Rng,
    out: ActResult,
    deterministic = false,
    mask?: ArrayLike<number>,
  ): void {
    this.policy.act(observations, batch, rng, out, deterministic, this.state, this.episodeStarts, mask);
  }

  values(observations: Floats, batch: number): Floats {
    return this.policy.values(observations, batch, this.state, this.episodeStarts);
  }

  finalValue(observation: Float32Array, env: number): number {
    return this.policy.values(observation, 1, this.state, null, env)[0];
  }

  recordStep(buffer: RolloutBuffer, t: number): void {
    if (!(buffer instanceof RecurrentRolloutBuffer)) {
      throw new PolicygradError('a recurrent policy collects into a RecurrentRolloutBuffer');
    }
    buffer.states.set(this.state.data, t * buffer.stateSize);
    buffer.episodeStarts.set(this.episodeStarts, t * this.numEnvs);
  }

  endStep(terminated: ArrayLike<number>, truncated: ArrayLike<number>): void {
    for (let i = 0; i < this.numEnvs; i++) this.episodeStarts[i] = terminated[i] || truncated[i] ? 1 : 0;
  }

  onReset(): void {
    this.episodeStarts.fill(1);
  }

  /** The hidden state in base64 (checkpoint format 3; arrays of numbers before, read too). */
  snapshot(): { state: EncodedFloats; episodeStarts: number[] } {
    return { state: encodeFloatArray(this.state.data), episodeStarts: Array.from(this.episodeStarts) };
  }

  restore(snapshot: unknown): void {
    const s = snapshot as { state?: unknown; episodeStarts?: unknown } | null | undefined;
    const fits = (value: unknown, n: number) =>
      Array.isArray(value) && value.length === n && value.every((x) => typeof x === 'number');
    const problem = `checkpoint's recurrent state does not fit ${this.numEnvs} envs × ${this.state.planes} planes × ${this.state.hiddenSize}`;
    if (!fits(s?.episodeStarts, this.numEnvs)) throw new PolicygradError(problem);
    const state = new Float32Array(this.state.data.length);
    readFloatArrayInto(s?.state, state, problem);
    this.state.data.set(state);
    this.episodeStarts.set((s as { episodeStarts: number[] }).episodeStarts);
  }
}
