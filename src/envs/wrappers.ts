/**
 * Wrappers with Gymnasium's semantics. Each changes one thing about the env it wraps and forwards the rest.
 */
import { describeValue, PolicygradError, ResetNeededError } from '../errors.js';
import { type Env, type ResetOptions, type ResetResult, type StepResult, Wrapper } from './env.js';
import { flatdim, flattenInto, flattenSpace } from './flatten.js';
import { RunningMeanStd, type RunningMeanStdState } from './running-mean-std.js';
import { Box, type BoxValue, type Space } from './spaces.js';

/** Refuses `step()` before the first `reset()` with a clear error (applied by `make`). */
export class OrderEnforcing<O, A> extends Wrapper<O, A> {
  private hasReset = false;

  protected override ownSnapshot(): unknown {
    return this.hasReset;
  }

  protected override restoreOwn(own: unknown): void {
    this.hasReset = own === true;
  }

  override reset(options?: ResetOptions): ResetResult<O> {
    this.hasReset = true;
    return this.env.reset(options);
  }

  override step(action: A): StepResult<O> {
    if (!this.hasReset) {
      const id = this.spec?.id ?? String(this.env);
      throw new ResetNeededError(`${id}: step() called before reset(); call env.reset() first`);
    }
    return this.env.step(action);
  }
}

/** Truncates the episode after `maxEpisodeSteps` steps: `truncated` becomes true on that step. */
export class TimeLimit<O, A> extends Wrapper<O, A> {
  private elapsedSteps = 0;

  protected override ownSnapshot(): unknown {
    return this.elapsedSteps;
  }

  protected override restoreOwn(own: unknown): void {
    this.elapsedSteps = Number(own);
  }

  constructor(
    env: Env<O, A>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new PolicygradError(
        `TimeLimit: invalid maxEpisodeSteps ${describeValue(maxEpisodeSteps)}: expected a positive integer`,
      );
    }
  }

  /** Steps taken in the current episode. */
  get elapsed(): number {
    return this.elapsedSteps;
  }

  override reset(options?: ResetOptions): ResetResult<O> {
    this.elapsedSteps = 0;
    return this.env.reset(options);
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.elapsedSteps += 1;
    if (this.elapsedSteps >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }
}

/** The statistics of one finished episode, put in `info.episode` on its last step: return, length, seconds. */
export interface EpisodeStatistics {
  r: number;
  l: number;
  t: number;
}

/**
 * Tracks each episode's return and length; at the end of an episode (terminated or truncated) adds
 * `info.episode = { r, l, t }`. The last `bufferLength` episodes are kept in `returnQueue` / `lengthQueue`.
 */
export class RecordEpisodeStatistics<O, A> extends Wrapper<O, A> {
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeStart = 0;

  constructor(
    env: Env<O, A>,
    readonly bufferLength = 100,
  ) {
    super(env);
  }

  override reset(options?: ResetOptions): ResetResult<O> {
    const result = this.env.reset(options);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.episodeStart = performance.now();
    return result;
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength += 1;
    if (result.terminated || result.truncated) {
      if ('episode' in result.info) {
        throw new PolicygradError(
          'RecordEpisodeStatistics: info already has an "episode" key; is the wrapper applied twice?',
        );
      }
      const seconds = Math.round(performance.now() - this.episodeStart) / 1000;
      const episode: EpisodeStatistics = { r: this.episodeReturn, l: this.episodeLength, t: seconds };
      result.info = { ...result.info, episode };
      this.push(this.returnQueue, episode.r);
      this.push(this.lengthQueue, episode.l);
      this.push(this.timeQueue, episode.t);
      this.episodeCount += 1;
    }
    return result;
  }

  protected override ownSnapshot(): unknown {
    return {
      returnQueue: [...this.returnQueue],
      lengthQueue: [...this.lengthQueue],
      timeQueue: [...this.timeQueue],
      episodeCount: this.episodeCount,
      episodeReturn: this.episodeReturn,
      episodeLength: this.episodeLength,
    };
  }

  protected override restoreOwn(own: unknown): void {
    const o = own as ReturnType<RecordEpisodeStatistics<O, A>['ownSnapshot']> & Record<string, never>;
    for (const [queue, saved] of [
      [this.returnQueue, o.returnQueue],
      [this.lengthQueue, o.lengthQueue],
      [this.timeQueue, o.timeQueue],
    ] as [number[], number[]][]) {
      queue.length = 0;
      queue.push(...saved);
    }
    this.episodeCount = o.episodeCount;
    this.episodeReturn = o.episodeReturn;
    this.episodeLength = o.episodeLength;
    this.episodeStart = performance.now();
  }

  private push(queue: number[], value: number): void {
    queue.push(value);
    if (queue.length > this.bufferLength) queue.shift();
  }
}

function requireBox(space: Space, wrapper: string, what: string): Box {
  if (!(space instanceof Box)) {
    throw new PolicygradError(`${wrapper}: needs a Box ${what} space, got ${space.toString()}`);
  }
  return space;
}

export interface NormalizeObservationState {
  obsRms: RunningMeanStdState;
}

/**
 * Normalises observations to zero mean and unit variance with running statistics:
 * o' = (o − μ) / √(σ² + ε). Set `updateRunningMean = false` to freeze the statistics (evaluation).
 * `getState()` / `setState()` save and restore them (they belong in every checkpoint).
 */
export class NormalizeObservation<A> extends Wrapper<Float32Array, A, BoxValue, A> {
  readonly obsRms: RunningMeanStd;
  updateRunningMean = true;
  private readonly space: Box<Float32Array>;

  constructor(
    env: Env<BoxValue, A>,
    readonly epsilon = 1e-8,
  ) {
    super(env);
    const inner = requireBox(env.observationSpace, 'NormalizeObservation', 'observation');
    this.obsRms = new RunningMeanStd(inner.size);
    this.space = new Box<Float32Array>({
      low: -Infinity,
      high: Infinity,
      shape: inner.shape,
      dtype: 'float32',
    });
  }

  override get observationSpace(): Box<Float32Array> {
    return this.space;
  }

  override reset(options?: ResetOptions): ResetResult<Float32Array> {
    const { observation, info } = this.env.reset(options);
    return { observation: this.normalize(observation), info };
  }

  override step(action: A): StepResult<Float32Array> {
    const result = this.env.step(action);
    return { ...result, observation: this.normalize(result.observation) };
  }

  private normalize(observation: BoxValue): Float32Array {
    if (this.updateRunningMean) this.obsRms.updateOne(observation);
    const { mean, var: variance } = this.obsRms;
    const out = new Float32Array(observation.length);
    for (let i = 0; i < out.length; i++)
      out[i] = (observation[i] - mean[i]) / Math.sqrt(variance[i] + this.epsilon);
    return out;
  }

  getState(): NormalizeObservationState {
    return { obsRms: this.obsRms.getState() };
  }

  setState(state: NormalizeObservationState): void {
    this.obsRms.setState(state?.obsRms);
  }

  protected override ownSnapshot(): unknown {
    return { obsRms: this.obsRms.snapshot(), updateRunningMean: this.updateRunningMean };
  }

  protected override restoreOwn(own: unknown): void {
    this.setState(own as NormalizeObservationState);
    this.updateRunningMean = (own as { updateRunningMean?: boolean }).updateRunningMean !== false;
  }
}

export interface NormalizeRewardState {
  returnRms: RunningMeanStdState;
  discountedReturn: number;
}

/**
 * Scales rewards by the running standard deviation of the discounted return: G ← γ·G + r, r' = r / √(σ²_G + ε).
 * The running return restarts at every `reset()` and after a termination. Set `updateRunningMean = false` to
 * freeze the statistics (evaluation); `getState()` / `setState()` save and restore them.
 */
export class NormalizeReward<O, A> extends Wrapper<O, A> {
  readonly returnRms = new RunningMeanStd(1);
  updateRunningMean = true;
  private discountedReturn = 0;
  private readonly scratch = new Float64Array(1);

  constructor(
    env: Env<O, A>,
    readonly gamma = 0.99,
    readonly epsilon = 1e-8,
  ) {
    super(env);
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new PolicygradError(
        `NormalizeReward: invalid gamma ${describeValue(gamma)}: expected a number in [0, 1]`,
      );
    }
  }

  override reset(options?: ResetOptions): ResetResult<O> {
    this.discountedReturn = 0;
    return this.env.reset(options);
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.discountedReturn = this.discountedReturn * this.gamma + result.reward;
    if (this.updateRunningMean) {
      this.scratch[0] = this.discountedReturn;
      this.returnRms.updateOne(this.scratch);
    }
    if (result.terminated) this.discountedReturn = 0;
    return { ...result, reward: result.reward / Math.sqrt(this.returnRms.var[0] + this.epsilon) };
  }

  getState(): NormalizeRewardState {
    return { returnRms: this.returnRms.getState(), discountedReturn: this.discountedReturn };
  }

  setState(state: NormalizeRewardState): void {
    this.returnRms.setState(state?.returnRms);
    this.discountedReturn = typeof state.discountedReturn === 'number' ? state.discountedReturn : 0;
  }

  protected override ownSnapshot(): unknown {
    return {
      returnRms: this.returnRms.snapshot(),
      discountedReturn: this.discountedReturn,
      updateRunningMean: this.updateRunningMean,
    };
  }

  protected override restoreOwn(own: unknown): void {
    this.setState(own as NormalizeRewardState);
    this.updateRunningMean = (own as { updateRunningMean?: boolean }).updateRunningMean !== false;
  }
}

type BoxAction = BoxValue | number[];

/** Clips each action element into the wrapped env's Box bounds; the wrapper accepts any real numbers. */
export class ClipAction<O> extends Wrapper<O, BoxAction> {
  private readonly inner: Box;
  private readonly space: Box;

  constructor(env: Env<O, BoxAction>) {
    super(env);
    this.inner = requireBox(env.actionSpace, 'ClipAction', 'action');
    this.space = new Box({
      low: -Infinity,
      high: Infinity,
      shape: this.inner.shape,
      dtype: this.inner.dtype,
    });
  }

  override get actionSpace(): Box {
    return this.space;
  }

  override step(action: BoxAction): StepResult<O> {
    const { low, high } = this.inner;
    const clipped = this.inner.zeros();
    for (let i = 0; i < clipped.length; i++) clipped[i] = Math.min(Math.max(action[i], low[i]), high[i]);
    return this.env.step(clipped);
  }
}

/**
 * Accepts actions in [minAction, maxAction] and maps them affinely onto the wrapped env's Box bounds
 * [low, high]: a' = low + (high − low)·(a − min)/(max − min).
 */
export class RescaleAction<O> extends Wrapper<O, BoxAction> {
  private readonly inner: Box;
  private readonly space: Box;

  constructor(
    env: Env<O, BoxAction>,
    minAction: number | ArrayLike<number>,
    maxAction: number | ArrayLike<number>,
  ) {
    super(env);
    this.inner = requireBox(env.actionSpace, 'RescaleAction', 'action');
    if (!this.inner.isBounded()) {
      throw new PolicygradError(
        `RescaleAction: the wrapped action space ${this.inner.toString()} must be bounded`,
      );
    }
    this.space = new Box({
      low: minAction,
      high: maxAction,
      shape: this.inner.shape,
      dtype: this.inner.dtype,
    });
    for (let i = 0; i < this.space.size; i++) {
      if (
        !(this.space.low[i] < this.space.high[i]) ||
        !Number.isFinite(this.space.high[i] - this.space.low[i])
      ) {
        throw new PolicygradError(
          `RescaleAction: invalid range at index ${i}: min=${this.space.low[i]}, max=${this.space.high[i]}; expected finite min < max`,
        );
      }
    }
  }

  override get actionSpace(): Box {
    return this.space;
  }

  override step(action: BoxAction): StepResult<O> {
    const { low, high } = this.inner;
    const { low: min, high: max } = this.space;
    const scaled = this.inner.zeros();
    for (let i = 0; i < scaled.length; i++) {
      scaled[i] = low[i] + (high[i] - low[i]) * ((action[i] - min[i]) / (max[i] - min[i]));
    }
    return this.env.step(scaled);
  }
}

/** Flattens observations of any space into a float32 vector (Discrete → one-hot, Dict → concatenation). */
export class FlattenObservation<A> extends Wrapper<Float32Array, A, unknown, A> {
  private readonly space: Box<Float32Array>;
  private readonly dim: number;

  constructor(env: Env<unknown, A>) {
    super(env);
    this.space = flattenSpace(env.observationSpace);
    this.dim = flatdim(env.observationSpace);
  }

  override get observationSpace(): Box<Float32Array> {
    return this.space;
  }

  override reset(options?: ResetOptions): ResetResult<Float32Array> {
    const { observation, info } = this.env.reset(options);
    return { observation: this.flatten(observation), info };
  }

  override step(action: A): StepResult<Float32Array> {
    const result = this.env.step(action);
    return { ...result, observation: this.flatten(result.observation) };
  }

  private flatten(observation: unknown): Float32Array {
    const out = new Float32Array(this.dim);
    flattenInto(this.env.observationSpace, observation, out);
    return out;
  }
}
