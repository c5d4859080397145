/**
 * Importance sampling for reusing data collected by an older policy π_β (the seeds' off-policy policy gradient),
 * the per-decision estimator of Precup, Sutton & Singh (2000):
 *
 *   ∇J(θ) ≈ Σ_t w_t · ∇log π_θ(a_t|s_t) · (Ψ_t − b(s_t)),   w_t = ρ_{0:t} = Π_{k = start}^{t} ρ_k,
 *   ρ_k = π_θ(a_k|s_k) / π_β(a_k|s_k),   Ψ_t = r_t + γ·ρ_{t+1}·Ψ_{t+1}   (importance-sampled reward-to-go).
 *
 * w_t corrects the distribution of (s_t, a_t); Ψ_t corrects the rewards that followed, each reward r_k weighted
 * by the ratios up to its own action (w_t·Ψ_t = Σ_{k≥t} γ^{k−t} ρ_{0:k} r_k). Weighting the plain reward-to-go
 * by w_t instead leaves the rewards after t distributed as under π_β: biased. Both w_t and Ψ_t need the episode
 * from its first step, so data reused this way must hold whole episodes.
 *
 * The products' variance grows exponentially with the episode length, which the effective sample size shows;
 * truncating each weight w_t at c̄ bounds it at the price of a bias (measured exactly in
 * test/exact-expectations.test.ts: on its 3-state MDP |E ĝ − ∇J|/|∇J| = 2.00, 1.34, 0.43 at c̄ = 1, 2, 5; see the
 * README's REINFORCE section).
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

/**
 * The importance-sampled reward-to-go Ψ_k = r_k + γ·ρ_{k+N}·Ψ_{k+N} (time-major: k + N is the same env's next
 * step), with `logRatios[k] = log π(a_k|s_k) − log π_β(a_k|s_k)`. The recursion stops at an episode's end: after
 * a termination the rest is 0; after a truncation or at the end of the batch it is `nextValues[k]` (V of the
 * successor state, see `successorValues`), or 0 when `nextValues` is null — exactly as `rewardToGo`, which this
 * equals when every log-ratio is 0.
 */
export function importanceSampledRewardToGo<T extends Floats>(
  batch: StepBatch,
  logRatios: Floats,
  gamma: number,
  nextValues: Floats | null,
  out: T,
): T {
  const { numEnvs: N, rewards, terminated, truncated } = batch;
  const T = rewards.length / N;
  for (let i = 0; i < N; i++) {
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const ended = terminated[k] || truncated[k] || t + 1 === T;
      // What follows r_k: ρ_{k+N}·Ψ_{k+N} inside the episode, else the bootstrap value (0 after a termination).
      const rest = !ended
        ? Math.exp(logRatios[k + N]) * out[k + N]
        : terminated[k] || nextValues === null
          ? 0
          : nextValues[k];
      out[k] = rewards[k] + gamma * rest;
    }
  }
  return out;
}

/**
 * The total-return counterpart: Ψ_t = Σ_{k<t} γ^k r_k + γ^t·Ψ^IS_t with Ψ^IS the importance-sampled
 * reward-to-go, i.e. the rewards before t as they are (a_t cannot change them; w_t already corrects their
 * distribution) and those from t on corrected per decision. Equals `totalReturn` when every log-ratio is 0. The
 * prefix restarts at each episode start, so the batch must begin at one (whole episodes).
 */
export function importanceSampledTotalReturn<T extends Floats>(
  batch: StepBatch,
  logRatios: Floats,
  gamma: number,
  nextValues: Floats | null,
  out: T,
): T {
  importanceSampledRewardToGo(batch, logRatios, gamma, nextValues, out);
  const { numEnvs: N, rewards, terminated, truncated } = batch;
  const T = rewards.length / N;
  for (let i = 0; i < N; i++) {
    let prefix = 0;
    let discount = 1;
    for (let t = 0; t < T; t++) {
      const k = t * N + i;
      out[k] = prefix + discount * out[k];
      prefix += discount * rewards[k];
      discount *= gamma;
      if (terminated[k] || truncated[k]) {
        prefix = 0;
        discount = 1;
      }
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
