/**
 * What the five classic-control environments share: a float64 internal `state` in Gymnasium's layout (readable
 * and writable, like `env.unwrapped.state` in Python), float32 observations built from it, and checks that
 * `step` is not called before `reset`.
 */
import { describeValue, PolicygradError, ResetNeededError } from '../../errors.js';
import { encodeFloatArray, readFloatArrayInto } from '../../encoding.js';
import { BaseEnv, type ResetOptions, type ResetResult } from '../env.js';
import { type Frame, type Painter, RasterPainter, type RenderMode } from '../render.js';
import type { Box, Space } from '../spaces.js';

export abstract class ClassicControlEnv<A> extends BaseEnv<Float32Array, A> {
  abstract override readonly observationSpace: Box<Float32Array>;
  abstract override readonly actionSpace: Space<A>;
  /** Names of the state components, in Gymnasium's order. */
  abstract readonly stateLayout: readonly string[];
  readonly renderModes: readonly RenderMode[] = ['rgb_array'];
  renderMode: RenderMode | null = null;

  /** Draws the state (see scenes.ts). */
  protected abstract drawScene(painter: Painter, state: Float64Array): void;

  /** A 600 × 400 RGB picture of the current state (Gymnasium's size), or null without a render mode or state. */
  render(): Frame | null {
    if (this.renderMode !== 'rgb_array' || this.s === null) return null;
    const painter = new RasterPainter(600, 400);
    this.drawScene(painter, this.s);
    return painter.frame();
  }

  /** The internal state (float64), or null before the first reset. */
  protected s: Float64Array | null = null;
  /**
   * NumPy dtype of the state in Gymnasium. It matters only where Gymnasium's arithmetic depends on it
   * (MountainCarContinuous stores its state as float32 after every step). Setting `state` from a `Float32Array`
   * marks it float32; from anything else, float64.
   */
  protected stateDtype: 'float32' | 'float64' = 'float64';

  /** The internal state in Gymnasium's layout (a copy), or null before the first reset. */
  get state(): number[] | null {
    return this.s === null ? null : Array.from(this.s);
  }

  set state(value: ArrayLike<number>) {
    const n = this.stateLayout.length;
    const isArrayLike = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
    if (!isArrayLike || value.length !== n || !Array.from(value).every((v) => typeof v === 'number')) {
      throw new PolicygradError(
        `${this.name}: invalid state ${describeValue(value)}: expected ${n} numbers [${this.stateLayout.join(', ')}]`,
      );
    }
    this.s = Float64Array.from(value);
    this.stateDtype = value instanceof Float32Array ? 'float32' : 'float64';
  }

  protected override snapshotFields(): Record<string, unknown> {
    return { s: this.s === null ? null : encodeFloatArray(this.s), stateDtype: this.stateDtype };
  }

  protected override restoreFields(fields: Record<string, unknown>): void {
    if (fields.s === null) this.s = null;
    else {
      const s = new Float64Array(this.stateLayout.length);
      readFloatArrayInto(fields.s, s, `${this.name} snapshot: state`);
      this.s = s;
    }
    this.stateDtype = fields.stateDtype === 'float32' ? 'float32' : 'float64';
  }

  /** The observation for the current state (Gymnasium's `_get_obs`). */
  abstract observe(): Float32Array;

  /** The state, or a clear error if the env was never reset. */
  protected requireState(): Float64Array {
    if (this.s === null) {
      throw new ResetNeededError(`${this.name}: step() called before reset(); call env.reset() first`);
    }
    return this.s;
  }

  protected resetResult(): ResetResult<Float32Array> {
    return { observation: this.observe(), info: {} };
  }

  /**
   * Gymnasium's `maybe_parse_reset_bounds`: reset options `{ low, high }` override the default uniform bounds
   * of the reset state.
   */
  protected resetBounds(options: ResetOptions['options'], low: number, high: number): [number, number] {
    const lo = options?.low ?? low;
    const hi = options?.high ?? high;
    if (
      typeof lo !== 'number' ||
      typeof hi !== 'number' ||
      !Number.isFinite(lo) ||
      !Number.isFinite(hi) ||
      lo > hi
    ) {
      throw new PolicygradError(
        `${this.name}: invalid reset bounds low=${describeValue(lo)}, high=${describeValue(hi)}: expected finite numbers with low <= high`,
      );
    }
    return [lo, hi];
  }
}

/** Clamps x into [low, high]. */
export function clip(x: number, low: number, high: number): number {
  return Math.min(Math.max(x, low), high);
}
