/**
 * What the eight MuJoCo locomotion envs share (Gymnasium's `MujocoEnv`, v5 semantics): a shared compiled model
 * and an own `MjData`; `step(a)` writes the raw action into `ctrl` (MuJoCo clamps it to `ctrlrange`), runs
 * `mj_step` frameSkip times, then `mj_rnePostConstraint`; `reset` does `mj_resetData`, adds the env's reset noise
 * and calls `mj_forward` (Gymnasium's `set_state`). `unwrapped.qpos` / `qvel` read copies and write through
 * `mj_forward`, as `set_state` does.
 */
import { describeValue, PolicygradError } from '../../errors.js';
import {
  assertBoxAction,
  BaseEnv,
  type Info,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from '../env.js';
import { Box } from '../spaces.js';
import { type MjDataHandle, type MjModelHandle, type MujocoModule, mujoco, sharedModel } from './engine.js';

export abstract class MujocoEnv extends BaseEnv<Float64Array, Float32Array> {
  readonly observationSpace: Box<Float64Array>;
  readonly actionSpace: Box<Float32Array>;
  /** Seconds per env step: timestep × frameSkip. */
  readonly dt: number;
  readonly initQpos: Float64Array;
  readonly initQvel: Float64Array;
  protected readonly engine: MujocoModule;
  protected readonly model: MjModelHandle;
  private handle: MjDataHandle | null;
  private hasReset = false;

  constructor(
    readonly id: string,
    file: string,
    readonly frameSkip: number,
    observationSize: number,
  ) {
    super();
    this.engine = mujoco(id);
    this.model = sharedModel(file);
    this.handle = new this.engine.MjData(this.model);
    this.dt = this.model.opt.timestep * frameSkip;
    this.initQpos = Float64Array.from((this.model as unknown as { qpos0: Float64Array }).qpos0);
    this.initQvel = new Float64Array(this.model.nv);
    const range = (this.model as unknown as { actuator_ctrlrange: Float64Array }).actuator_ctrlrange;
    const low = Array.from({ length: this.model.nu }, (_, i) => range[2 * i]);
    const high = Array.from({ length: this.model.nu }, (_, i) => range[2 * i + 1]);
    this.actionSpace = new Box<Float32Array>({ low, high, shape: [this.model.nu], dtype: 'float32' });
    this.observationSpace = new Box<Float64Array>({
      low: -Infinity,
      high: Infinity,
      shape: [observationSize],
      dtype: 'float64',
    });
  }

  /** The env's MjData (an error after close). Its arrays are views: read them afresh each time. */
  protected get data(): MjDataHandle {
    if (this.handle === null) throw new PolicygradError(`${this.id}: the env is closed`);
    return this.handle;
  }

  /** Generalised positions (a copy). Setting them runs mj_forward, as Gymnasium's set_state. */
  get qpos(): Float64Array {
    return Float64Array.from(this.data.qpos);
  }

  set qpos(value: ArrayLike<number>) {
    this.setState(value, this.data.qvel);
  }

  get qvel(): Float64Array {
    return Float64Array.from(this.data.qvel);
  }

  set qvel(value: ArrayLike<number>) {
    this.setState(this.data.qpos, value);
  }

  /** qpos and qvel together, then mj_forward (Gymnasium's `set_state`). */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    const { nq, nv } = this.model;
    if (qpos.length !== nq || qvel.length !== nv) {
      throw new PolicygradError(
        `${this.id}: invalid state: expected qpos of ${nq} and qvel of ${nv} numbers, got ${qpos.length} and ${qvel.length}`,
      );
    }
    const p = Float64Array.from(qpos);
    const v = Float64Array.from(qvel);
    this.data.qpos.set(p);
    this.data.qvel.set(v);
    this.engine.mj_forward(this.model, this.data);
    this.hasReset = true;
  }

  reset(options: ResetOptions = {}): ResetResult<Float64Array> {
    this.reseed(options.seed);
    this.engine.mj_resetData(this.model, this.data);
    const { qpos, qvel } = this.resetState();
    this.setState(qpos, qvel);
    return { observation: this.observe(), info: this.resetInfo() };
  }

  step(action: Float32Array): StepResult<Float64Array> {
    if (!this.hasReset)
      throw new PolicygradError(`${this.id}: step() called before reset(); call reset() first`);
    assertBoxAction(this.id, this.actionSpace, action);
    const before = this.positionBefore();
    this.data.ctrl.set(Float64Array.from(action as ArrayLike<number>));
    for (let k = 0; k < this.frameSkip; k++) this.engine.mj_step(this.model, this.data);
    this.engine.mj_rnePostConstraint(this.model, this.data);
    return this.outcome(action as ArrayLike<number>, before);
  }

  /** Frees the env's MjData (the shared model stays); further use is an error. */
  override close(): void {
    this.handle?.delete();
    this.handle = null;
  }

  /** qpos/qvel after `mj_resetData`, with the env's reset noise (Gymnasium's `reset_model`). */
  protected abstract resetState(): { qpos: ArrayLike<number>; qvel: ArrayLike<number> };
  protected abstract observe(): Float64Array;
  /** What `step` needs from before the physics: qpos[0] (or the torso position for Ant). */
  protected positionBefore(): number[] {
    return [this.data.qpos[0], this.data.qpos[1]];
  }
  protected abstract outcome(action: ArrayLike<number>, before: number[]): StepResult<Float64Array>;
  protected resetInfo(): Info {
    return {};
  }

  protected uniformNoise(base: ArrayLike<number>, scale: number): Float64Array {
    return Float64Array.from(base, (v) => v + this.rng.uniform(-scale, scale));
  }

  protected normalNoise(base: ArrayLike<number>, scale: number): Float64Array {
    return Float64Array.from(base, (v) => v + scale * this.rng.normal());
  }
}

/**
 * Σ a² in float32, as Gymnasium computes it with NumPy 2 on a float32 action (see test/fixtures/mujoco/README.md):
 * squares rounded to float32, a sequential float32 sum (pairwise for 8 elements, NumPy's tree), times the
 * weight in float32.
 */
export function controlCost(action: ArrayLike<number>, weight: number): number {
  const f = Math.fround;
  const q = Array.from(action, (a) => f(f(a) * f(a)));
  let sum: number;
  if (q.length === 8) {
    sum = f(f(f(q[0] + q[1]) + f(q[2] + q[3])) + f(f(q[4] + q[5]) + f(q[6] + q[7])));
  } else {
    sum = 0;
    for (const v of q) sum = f(sum + v);
  }
  return f(f(weight) * sum);
}

export function clipValue(v: number, low: number, high: number): number {
  return v < low ? low : v > high ? high : v;
}

export function assertRange(id: string, name: string, range: readonly [number, number]): void {
  if (!(range[0] <= range[1])) {
    throw new PolicygradError(
      `${id}: invalid ${name} ${describeValue(range)}: expected [low, high] with low ≤ high`,
    );
  }
}
