/**
 * Optimizers over one flat parameter vector, with PyTorch's update rules, plus global gradient-norm clipping
 * and learning-rate schedules. Each optimizer's state (moments, step count) is JSON for checkpoints: its buffers as
 * base64 of their bytes (bit-exact, half the size of JSON numbers and far faster to write and read); a state of
 * older checkpoints, with buffers as arrays of numbers, is read too.
 */
import { describeValue, PolicygradError } from '../errors.js';
import { type EncodedFloats, encodeFloatArray, readFloatArrayInto } from '../encoding.js';
import { defaultKernels } from './backend.js';
import type { DenseKernels, Floats } from './kernels.js';

export interface OptimizerState {
  kind: string;
  step: number;
  /** Written as `EncodedFloats`; plain arrays of numbers (checkpoint versions 1 and 2) are read too. */
  buffers: (EncodedFloats | number[])[];
}

export interface Optimizer {
  readonly kind: string;
  learningRate: number;
  /** θ ← update(θ, g), in place. */
  step(params: Floats, grads: Floats): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
}

/** `secondMoments`: the indices of buffers that hold squares (none may be negative). */
function checkState(
  kind: string,
  state: OptimizerState,
  buffers: (Float64Array | Float32Array)[],
  secondMoments: readonly number[] = [],
): void {
  const ok = state?.kind === kind && Array.isArray(state.buffers) && state.buffers.length === buffers.length;
  if (!ok) {
    throw new PolicygradError(
      `${kind}: invalid optimizer state (kind ${describeValue(state?.kind)}): expected a ${kind} state for ${buffers[0]?.length ?? 0} parameters`,
    );
  }
  if (!Number.isSafeInteger(state.step) || state.step < 0) {
    throw new PolicygradError(
      `${kind}: invalid optimizer state: step ${describeValue(state.step)}: expected a non-negative integer`,
    );
  }
  // Decoded into scratch copies first: an invalid buffer leaves the optimizer as it was.
  const decoded = buffers.map((buffer, i) => {
    const copy =
      buffer instanceof Float32Array ? new Float32Array(buffer.length) : new Float64Array(buffer.length);
    readFloatArrayInto(state.buffers[i], copy, `${kind}: invalid optimizer state: buffer ${i}`, {
      nonNegative: secondMoments.includes(i),
    });
    return copy;
  });
  decoded.forEach((copy, i) => buffers[i].set(copy));
}

function assertPositive(kind: string, name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new PolicygradError(`${kind}: invalid ${name} ${describeValue(value)}: expected a positive number`);
  }
}

/** θ ← θ − lr·v with v ← μ·v + g (plain SGD when momentum μ = 0). */
export class SGD implements Optimizer {
  readonly kind = 'SGD';
  private readonly velocity: Float64Array;
  private steps = 0;

  constructor(
    size: number,
    public learningRate: number,
    readonly momentum = 0,
  ) {
    assertPositive(this.kind, 'learningRate', learningRate);
    this.velocity = new Float64Array(size);
  }

  step(params: Floats, grads: Floats): void {
    const { velocity, momentum, learningRate } = this;
    for (let i = 0; i < velocity.length; i++) {
      velocity[i] = momentum * velocity[i] + grads[i];
      params[i] -= learningRate * velocity[i];
    }
    this.steps++;
  }

  getState(): OptimizerState {
    return { kind: this.kind, step: this.steps, buffers: [encodeFloatArray(this.velocity)] };
  }

  setState(state: OptimizerState): void {
    checkState(this.kind, state, [this.velocity]);
    this.steps = state.step;
  }
}

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  /** ε in the denominator: PyTorch's default 1e-8; PPO (SB3, CleanRL) uses 1e-5. */
  epsilon?: number;
  /** Kernels with an Adam step (the wasm kernels) run the update; default: `defaultKernels()`. */
  kernels?: DenseKernels;
}

/** Adam (Kingma & Ba 2015): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·m̂ / (√v̂ + ε). */
export class Adam implements Optimizer {
  readonly kind = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private readonly kernels: DenseKernels;
  private steps = 0;

  constructor(
    size: number,
    public learningRate: number,
    { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, kernels = defaultKernels() }: AdamOptions = {},
  ) {
    assertPositive(this.kind, 'learningRate', learningRate);
    assertPositive(this.kind, 'epsilon', epsilon);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.kernels = kernels;
    this.m = kernels.allocateFloat64?.(size) ?? new Float64Array(size);
    this.v = kernels.allocateFloat64?.(size) ?? new Float64Array(size);
  }

  step(params: Floats, grads: Floats): void {
    this.steps++;
    const { m, v, beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** this.steps;
    const correction2 = 1 - beta2 ** this.steps;
    const stepSize = this.learningRate / correction1;
    const sqrtCorrection2 = Math.sqrt(correction2);
    const { adamStep } = this.kernels;
    if (adamStep !== undefined && params instanceof Float32Array && grads instanceof Float32Array) {
      adamStep.call(this.kernels, params, grads, m, v, stepSize, beta1, beta2, sqrtCorrection2, epsilon);
      return;
    }
    for (let i = 0; i < m.length; i++) {
      const g = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtCorrection2 + epsilon);
    }
  }

  /** The float64 moments m and v (for a kernel that takes the step itself: `nextStepSizes`, then `countStep`). */
  get moments(): { readonly m: Float64Array; readonly v: Float64Array } {
    return { m: this.m, v: this.v };
  }

  /** stepSize and √(1 − β2ᵗ) of the next step, as `step` computes them, into out[at], out[at + 1]. */
  nextStepSizes(out: Float64Array, at: number): void {
    const t = this.steps + 1;
    out[at] = this.learningRate / (1 - this.beta1 ** t);
    out[at + 1] = Math.sqrt(1 - this.beta2 ** t);
  }

  /** Records a step a kernel took with `nextStepSizes`' numbers. */
  countStep(): void {
    this.steps++;
  }

  getState(): OptimizerState {
    return {
      kind: this.kind,
      step: this.steps,
      buffers: [encodeFloatArray(this.m), encodeFloatArray(this.v)],
    };
  }

  setState(state: OptimizerState): void {
    checkState(this.kind, state, [this.m, this.v], [1]);
    this.steps = state.step;
  }
}

export interface RMSpropOptions {
  /** Decay of the squared-gradient average. Default 0.99. */
  alpha?: number;
  epsilon?: number;
  /**
   * TensorFlow's variant, which SB3's A2C uses (`RMSpropTFLike`, ε = 1e-5): ε inside the square root, √(v + ε),
   * and the squared-gradient average initialised to ones (so the first steps are not inflated).
   * Default false: PyTorch's √v + ε with v starting at 0.
   */
  tensorflowStyle?: boolean;
  /**
   * The squared-gradient average to use, as it is (not reset): for statistics shared between threads, as A3C's
   * (Mnih et al. 2016: "RMSProp with shared statistics"), where every worker's optimizer updates the same
   * `Float32Array` over a SharedArrayBuffer without locks. Default: its own, initialised per `tensorflowStyle`.
   */
  squareAverages?: Float32Array;
}

/** RMSprop (Tieleman & Hinton 2012): v ← α·v + (1−α)·g², θ ← θ − lr·g / (√v + ε). */
export class RMSprop implements Optimizer {
  readonly kind = 'RMSprop';
  readonly alpha: number;
  readonly epsilon: number;
  readonly tensorflowStyle: boolean;
  private readonly v: Float64Array | Float32Array;
  private steps = 0;

  constructor(
    size: number,
    public learningRate: number,
    { alpha = 0.99, epsilon = 1e-8, tensorflowStyle = false, squareAverages }: RMSpropOptions = {},
  ) {
    assertPositive(this.kind, 'learningRate', learningRate);
    if (squareAverages !== undefined && squareAverages.length !== size) {
      throw new PolicygradError(
        `RMSprop: squareAverages holds ${squareAverages.length} values for ${size} parameters`,
      );
    }
    this.alpha = alpha;
    this.epsilon = epsilon;
    this.tensorflowStyle = tensorflowStyle;
    this.v = squareAverages ?? new Float64Array(size).fill(tensorflowStyle ? 1 : 0);
  }

  step(params: Floats, grads: Floats): void {
    const { v, alpha, epsilon, learningRate, tensorflowStyle } = this;
    for (let i = 0; i < v.length; i++) {
      const g = grads[i];
      // The new average, unrounded: a shared Float32Array stores it rounded (and may change under us).
      const average = alpha * v[i] + (1 - alpha) * g * g;
      v[i] = average;
      const denominator = tensorflowStyle ? Math.sqrt(average + epsilon) : Math.sqrt(average) + epsilon;
      params[i] -= (learningRate * g) / denominator;
    }
    this.steps++;
  }

  getState(): OptimizerState {
    return { kind: this.kind, step: this.steps, buffers: [encodeFloatArray(this.v)] };
  }

  setState(state: OptimizerState): void {
    checkState(this.kind, state, [this.v], [0]);
    this.steps = state.step;
  }
}

/** ‖g‖₂ of the whole vector. */
export function globalNorm(grads: Floats): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  return Math.sqrt(sum);
}

/** Scales `grads` in place so ‖g‖₂ ≤ maxNorm (PyTorch's clip_grad_norm_); returns the norm before clipping. */
export function clipGradNorm(grads: Floats, maxNorm: number): number {
  const norm = globalNorm(grads);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) for (let i = 0; i < grads.length; i++) grads[i] *= scale;
  return norm;
}

/** A value as a function of the remaining training progress, from 1 (start) to 0 (end), as SB3's schedules. */
export type Schedule = (progressRemaining: number) => number;

export function constantSchedule(value: number): Schedule {
  return () => value;
}

/** Linear from `start` (progress remaining 1) to `end` (progress remaining 0). */
export function linearSchedule(start: number, end = 0): Schedule {
  return (progressRemaining) => end + (start - end) * Math.min(1, Math.max(0, progressRemaining));
}
