/**
 * Running mean and variance of a vector stream, merged batch by batch with the parallel algorithm of Chan et
 * al. (1979), as Gymnasium's and SB3's `RunningMeanStd`:
 *   δ = μ_B − μ,  n' = n + n_B,  μ' = μ + δ·n_B/n',  σ²' = (σ²·n + σ²_B·n_B + δ²·n·n_B/n') / n'.
 * It starts from mean 0, variance 1 and a tiny pseudo-count (1e-4) so the first update dominates.
 */
import { describeValue, PolicygradError } from '../errors.js';
import { type EncodedFloats, encodeFloatArray, readFloatArrayInto } from '../encoding.js';

/** The statistics as plain numbers (a policy file's normalisation, `getState()`). */
export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

/** The statistics in a checkpoint (format version 3): the arrays in base64, bit-exact. */
export interface RunningMeanStdSnapshot {
  mean: EncodedFloats;
  var: EncodedFloats;
  count: number;
}

export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(
    readonly size: number,
    epsilon = 1e-4,
  ) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = epsilon;
  }

  /** Merges one sample. */
  updateOne(x: ArrayLike<number>): void {
    const total = this.count + 1;
    for (let i = 0; i < this.size; i++) {
      const delta = x[i] - this.mean[i];
      this.mean[i] += delta / total;
      this.var[i] = (this.var[i] * this.count + (delta * delta * this.count) / total) / total;
    }
    this.count = total;
  }

  /** Merges a batch of `batchSize` samples stored row-major in `batch`. */
  update(batch: ArrayLike<number>, batchSize: number): void {
    if (batchSize <= 0) return;
    const total = this.count + batchSize;
    for (let i = 0; i < this.size; i++) {
      let sum = 0;
      for (let b = 0; b < batchSize; b++) sum += batch[b * this.size + i];
      const batchMean = sum / batchSize;
      let sq = 0;
      for (let b = 0; b < batchSize; b++) {
        const d = batch[b * this.size + i] - batchMean;
        sq += d * d;
      }
      const batchVar = sq / batchSize;
      const delta = batchMean - this.mean[i];
      this.mean[i] += (delta * batchSize) / total;
      const m2 =
        this.var[i] * this.count + batchVar * batchSize + (delta * delta * this.count * batchSize) / total;
      this.var[i] = m2 / total;
    }
    this.count = total;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  /** For checkpoints: `getState()` with the arrays in base64 (setState reads both forms). */
  snapshot(): RunningMeanStdSnapshot {
    return { mean: encodeFloatArray(this.mean), var: encodeFloatArray(this.var), count: this.count };
  }

  setState(state: RunningMeanStdState | RunningMeanStdSnapshot): void {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      typeof state.count === 'number' &&
      state.count > 0 &&
      state.mean !== undefined &&
      state.var !== undefined;
    if (!ok) {
      throw new PolicygradError(
        `invalid running mean/std state ${describeValue(state)}: expected { mean: [${this.size} numbers], var: [${this.size} numbers], count > 0 }`,
      );
    }
    // Read into copies first: an invalid state leaves the statistics as they were.
    const mean = new Float64Array(this.size);
    const variance = new Float64Array(this.size);
    readFloatArrayInto(state.mean, mean, 'invalid running mean/std state: mean');
    readFloatArrayInto(state.var, variance, 'invalid running mean/std state: var', { nonNegative: true });
    this.mean.set(mean);
    this.var.set(variance);
    this.count = state.count;
  }
}
