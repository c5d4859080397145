/**
 * Observation and reward normalisation over a whole vector env (Stable-Baselines3's VecNormalize), with one set
 * of running statistics shared by all sub-envs:
 *   o' = clip((o − μ_o) / √(σ²_o + ε), ±clipObs)
 *   r' = clip(r / √(σ²_G + ε), ±clipReward),  G ← γ·G + r per sub-env, restarted when its episode ends.
 * Final observations are normalised too, so a critic bootstraps truncated episodes from what it was trained on.
 * The raw rewards stay available in `rawRewards` (episode returns are reported in the env's own units).
 * Set `training = false` to freeze the statistics (evaluation); `getState()`/`setState()` save and restore them.
 */
import { describeValue, PolicygradError } from '../errors.js';
import { encodeFloatArray, readFloatArrayInto } from '../encoding.js';
import { RunningMeanStd, type RunningMeanStdState } from './running-mean-std.js';
import type { Box, Space } from './spaces.js';
import type { EnvSnapshot, ResetOptions } from './env.js';
import type { VectorEnv, VectorResetResult, VectorStepResult } from './vector.js';

export interface VecNormalizeOptions {
  observation?: boolean;
  reward?: boolean;
  gamma?: number;
  clipObservation?: number;
  clipReward?: number;
  epsilon?: number;
  /**
   * As `SyncVectorEnvOptions.copy`: when true (default) every result holds fresh arrays; when false the normalised
   * observations and raw rewards are buffers overwritten by the next `step`/`reset` (no allocation per step).
   */
  copy?: boolean;
}

export interface VecNormalizeState {
  obsRms: RunningMeanStdState;
  returnRms: RunningMeanStdState;
}

export class VecNormalize implements VectorEnv {
  readonly obsRms: RunningMeanStd;
  readonly returnRms = new RunningMeanStd(1);
  /** Update the statistics (true while training). */
  training = true;
  private readonly returns: Float64Array;
  private readonly options: Required<VecNormalizeOptions>;
  private readonly scratch = new Float64Array(1);
  /** Reused result buffers when `copy` is false. */
  private readonly observationsOut: Float32Array;
  private readonly rawRewardsOut: Float64Array;

  constructor(
    readonly venv: VectorEnv,
    options: VecNormalizeOptions = {},
  ) {
    this.options = {
      observation: true,
      reward: true,
      gamma: 0.99,
      clipObservation: 10,
      clipReward: 10,
      epsilon: 1e-8,
      copy: true,
      ...options,
    };
    const { gamma } = this.options;
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new PolicygradError(
        `VecNormalize: invalid gamma ${describeValue(gamma)}: expected a number in [0, 1]`,
      );
    }
    for (const key of ['clipObservation', 'clipReward', 'epsilon'] as const) {
      const value = this.options[key];
      if (!(value > 0) || !Number.isFinite(value)) {
        throw new PolicygradError(
          `VecNormalize: invalid ${key} ${describeValue(value)}: expected a finite number > 0 (${key === 'epsilon' ? 'x/√(σ² + ε) divides by 0 for a constant feature when ε = 0' : 'clipping to ±c with c ≤ 0 maps every value to one constant'})`,
        );
      }
    }
    this.obsRms = new RunningMeanStd(venv.obsDim);
    this.returns = new Float64Array(venv.numEnvs);
    this.observationsOut = new Float32Array(venv.numEnvs * venv.obsDim);
    this.rawRewardsOut = new Float64Array(venv.numEnvs);
  }

  get numEnvs(): number {
    return this.venv.numEnvs;
  }
  get obsDim(): number {
    return this.venv.obsDim;
  }
  get singleObservationSpace(): Box {
    return this.venv.singleObservationSpace;
  }
  get singleActionSpace(): Space {
    return this.venv.singleActionSpace;
  }

  reset(options: ResetOptions = {}): VectorResetResult {
    const result = this.venv.reset(options);
    this.returns.fill(0);
    if (this.options.observation && this.training) this.obsRms.update(result.observations, this.numEnvs);
    return { ...result, observations: this.normalizeObservations(result.observations, this.stepBuffer()) };
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    const result = this.venv.step(actions);
    const { observation, reward, gamma, clipReward, epsilon } = this.options;
    if (observation && this.training) this.obsRms.update(result.observations, this.numEnvs);
    const rawRewards = this.options.copy ? result.rewards.slice() : this.rawRewardsOut;
    if (!this.options.copy) rawRewards.set(result.rewards);
    const rewards = result.rewards;
    for (let i = 0; i < this.numEnvs; i++) {
      if (reward) {
        this.returns[i] = this.returns[i] * gamma + rawRewards[i];
        if (this.training) {
          this.scratch[0] = this.returns[i];
          this.returnRms.updateOne(this.scratch);
        }
      }
      if (result.terminated[i] || result.truncated[i]) this.returns[i] = 0;
    }
    if (reward) {
      const scale = Math.sqrt(this.returnRms.var[0] + epsilon);
      for (let i = 0; i < this.numEnvs; i++) rewards[i] = clip(rawRewards[i] / scale, clipReward);
    }
    const finalObservation = result.info.finalObservation.map((o) =>
      o === null ? null : this.normalizeObservations(o),
    );
    return {
      ...result,
      observations: this.normalizeObservations(result.observations, this.stepBuffer()),
      rewards,
      rawRewards,
      info: { ...result.info, finalObservation },
    };
  }

  /** Where this step's normalised observations go: a fresh array, or the reused buffer when `copy` is false. */
  private stepBuffer(): Float32Array | undefined {
    return this.options.copy ? undefined : this.observationsOut;
  }

  /** Normalises a batch of observations (row-major) with the current statistics, into `out` or a new array. */
  normalizeObservations(
    observations: Float32Array,
    out: Float32Array = new Float32Array(observations.length),
  ): Float32Array {
    if (!this.options.observation) {
      out.set(observations);
      return out;
    }
    const { mean, var: variance } = this.obsRms;
    const D = this.obsDim;
    for (let k = 0; k < out.length; k++) {
      const d = k % D;
      out[k] = clip(
        (observations[k] - mean[d]) / Math.sqrt(variance[d] + this.options.epsilon),
        this.options.clipObservation,
      );
    }
    return out;
  }

  close(): void {
    this.venv.close();
  }

  getState(): VecNormalizeState {
    return { obsRms: this.obsRms.getState(), returnRms: this.returnRms.getState() };
  }

  setState(state: VecNormalizeState): void {
    this.obsRms.setState(state?.obsRms);
    this.returnRms.setState(state?.returnRms);
  }
  /** The inner vector env's snapshot with the statistics and running returns (checkpoints). */
  snapshot(): EnvSnapshot {
    if (typeof this.venv.snapshot !== 'function') {
      throw new PolicygradError('VecNormalize: the wrapped vector env cannot be checkpointed');
    }
    return {
      venv: this.venv.snapshot(),
      // The statistics and returns in base64 (checkpoint format 3); `getState()` stays numbers (policy files).
      stats: { obsRms: this.obsRms.snapshot(), returnRms: this.returnRms.snapshot() },
      returns: encodeFloatArray(this.returns),
      training: this.training,
    };
  }

  restore(snapshot: EnvSnapshot): void {
    if (typeof this.venv.restore !== 'function') {
      throw new PolicygradError('VecNormalize: the wrapped vector env cannot be restored');
    }
    this.venv.restore(snapshot?.venv as EnvSnapshot);
    this.setState(snapshot.stats as VecNormalizeState);
    readFloatArrayInto(snapshot.returns, this.returns, 'VecNormalize snapshot: returns');
    this.training = snapshot.training !== false;
  }
}

function clip(x: number, bound: number): number {
  return Math.min(Math.max(x, -bound), bound);
}
