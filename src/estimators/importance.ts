/**
 * Importance sampling for reusing data collected by an older policy π_β (the seeds' off-policy policy gradient):
 *
 *   ∇J(θ) ≈ (1/N) Σ_t w_t · ∇log π_θ(a_t|s_t) · Ψ_t,   w_t = Π_{k = start}^{t} π_θ(a_k|s_k) / π_β(a_k|s_k)
 *
 * The per-decision weight multiplies the ratios of the episode's steps up to t (later actions cannot affect
 * earlier rewards). The product's variance grows exponentially with t, which the effective sample size shows;
 * truncating each weight at c̄ trades a little bias for bounded variance.
 */
import type { Floats } from '../nn/kernels.js';
import type { StepBatch } from './returns.js';

/**
 * w_t from the per-step log-ratios log π_θ − log π_β, time-major like every estimator; the product restarts at
 * each episode start (and at the first step of the batch). With `clip` each weight is min(w_t, c̄) (the running
 * product itself is not clipped).
 */
export function perDecisionWeights<T extends Floats>(
  batch: StepBatch,
  logRatios: Floats,
  clip: number | null,
  out: T,
): T {
  const { numEnvs: N, terminated, truncated } = batch;
  const T = batch.rewards.length / N;
  for (let i = 0; i < N; i++) {
    let logProduct = 0;
    for (let t = 0; t < T; t++) {
      const k = t * N + i;
      logProduct += logRatios[k];
      const w = Math.exp(logProduct);
      out[k] = clip === null ? w : Math.min(w, clip);
      if (terminated[k] || truncated[k]) logProduct = 0;
    }
  }
  return out;
}

/** Kish's effective sample size (Σ w)² / Σ w²: n for equal weights, near 1 when one weight dominates. */
export function effectiveSampleSize(weights: ArrayLike<number>): number {
  let sum = 0;
  let squares = 0;
  for (let k = 0; k < weights.length; k++) {
    sum += weights[k];
    squares += weights[k] * weights[k];
  }
  return squares === 0 ? 0 : (sum * sum) / squares;
}
