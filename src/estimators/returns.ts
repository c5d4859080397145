/**
 * The policy-gradient estimators' building blocks: ∇J = E[Σ_t ∇log π(a_t|s_t) · Ψ_t] for each choice of Ψ_t.
 * Pure functions over typed arrays; they write into `out` and allocate nothing.
 *
 * Layout: a rollout of T steps from N envs is time-major, index t·N + i. `terminated[k]` / `truncated[k]`
 * are 1 when the episode ended at step k. A termination ends the return (the MDP stopped: no bootstrap). A
 * truncation (time limit) cut an episode that would have gone on: where a value function is available the return
 * is completed with γ·V(s_{t+1}) of the final observation, given in `nextValues`.
 *
 * `nextValues[k]` is V of the state that actually followed step k: V(s_{t+1}) inside an episode, V(final
 * observation) at a truncation, V(last observation) at the end of the rollout (ignored after a termination).
 * Build it with `successorValues`. Pass null to use 0 (pure Monte Carlo).
 */
import type { Floats } from '../nn/kernels.js';

export interface StepBatch {
  numEnvs: number;
  rewards: Floats;
  terminated: Uint8Array;
  truncated: Uint8Array;
}

function steps(batch: StepBatch): number {
  return batch.rewards.length / batch.numEnvs;
}

/**
 * V of each step's successor state (see the module comment): values[t+1] inside an episode, `finalValues[k]`
 * (V of the final observation) where the episode ended, and `lastValues[i]` after the last step of env i.
 */
export function successorValues<T extends Floats>(
  batch: StepBatch,
  values: Floats,
  finalValues: Floats,
  lastValues: Floats,
  out: T,
): T {
  const { numEnvs: N, terminated, truncated } = batch;
  const T = steps(batch);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < N; i++) {
      const k = t * N + i;
      if (terminated[k]) out[k] = 0;
      else if (truncated[k]) out[k] = finalValues[k];
      else out[k] = t + 1 < T ? values[k + N] : lastValues[i];
    }
  }
  return out;
}

/**
 * Total discounted return of the episode each step belongs to: Ψ_t = R(τ) = Σ_{k=0}^{L−1} γ^k r_k, the same
 * for every step of the episode (the seeds' first estimator). A truncated episode's return is completed with
 * γ^L·V(final observation) when `nextValues` is given.
 */
export function totalReturn<T extends Floats>(
  batch: StepBatch,
  gamma: number,
  nextValues: Floats | null,
  out: T,
): T {
  const { numEnvs: N, rewards, terminated, truncated } = batch;
  const T = steps(batch);
  for (let i = 0; i < N; i++) {
    let start = 0;
    let sum = 0;
    let discount = 1;
    for (let t = 0; t < T; t++) {
      const k = t * N + i;
      sum += discount * rewards[k];
      discount *= gamma;
      const ended = terminated[k] || truncated[k] || t + 1 === T;
      if (!ended) continue;
      if (!terminated[k] && nextValues !== null) sum += discount * nextValues[k];
      for (let s = start; s <= t; s++) out[s * N + i] = sum;
      start = t + 1;
      sum = 0;
      discount = 1;
    }
  }
  return out;
}

/**
 * Discounted reward-to-go: G_t = r_t + γ·G_{t+1} within an episode (only rewards from t on: causality), and at
 * the episode's last step G_t = r_t + γ·V(s_{t+1}) unless it terminated. Also the regression target for a
 * value baseline (Monte Carlo returns).
 */
export function rewardToGo<T extends Floats>(
  batch: StepBatch,
  gamma: number,
  nextValues: Floats | null,
  out: T,
): T {
  const { numEnvs: N, rewards, terminated, truncated } = batch;
  const T = steps(batch);
  for (let i = 0; i < N; i++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const ended = terminated[k] || truncated[k] || t + 1 === T;
      if (ended) next = terminated[k] || nextValues === null ? 0 : nextValues[k];
      next = rewards[k] + gamma * next;
      out[k] = next;
    }
  }
  return out;
}

/**
 * γ^t-weighted reward-to-go: Ψ_t = γ^t·G_t, t counted from the episode's first step. With γ < 1 the discounted
 * objective J_γ = E[Σ_t γ^t r_t] has ∇J_γ = E[Σ_t ∇log π(a_t|s_t)·γ^t·G_t] (Thomas 2014); the plain G_t drops the
 * γ^t and estimates a different vector (the one practical implementations follow). The batch must begin at an
 * episode's first step (whole episodes); γ = 1 gives `rewardToGo`.
 */
export function discountedRewardToGo<T extends Floats>(
  batch: StepBatch,
  gamma: number,
  nextValues: Floats | null,
  out: T,
): T {
  rewardToGo(batch, gamma, nextValues, out);
  const { numEnvs: N, terminated, truncated } = batch;
  const T = steps(batch);
  for (let i = 0; i < N; i++) {
    let discount = 1;
    for (let t = 0; t < T; t++) {
      const k = t * N + i;
      out[k] *= discount;
      discount = terminated[k] || truncated[k] ? 1 : discount * gamma;
    }
  }
  return out;
}

/**
 * n-step returns: G_t^(n) = Σ_{j=0}^{m−1} γ^j r_{t+j} + γ^m·V(s_{t+m}), with m = min(n, steps left in the
 * episode or the rollout); no bootstrap when the episode terminated within those m steps.
 */
export function nStepReturns(
  batch: StepBatch,
  gamma: number,
  n: number,
  nextValues: Floats,
  out: Floats,
): Floats {
  const { numEnvs: N, rewards, terminated, truncated } = batch;
  const T = steps(batch);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < T; t++) {
      let sum = 0;
      let discount = 1;
      for (let j = 0; j < n; j++) {
        const k = (t + j) * N + i;
        sum += discount * rewards[k];
        discount *= gamma;
        const ended = terminated[k] || truncated[k];
        if (ended || j + 1 === n || t + j + 1 === T) {
          if (!terminated[k]) sum += discount * nextValues[k];
          break;
        }
      }
      out[t * N + i] = sum;
    }
  }
  return out;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016):
 *   δ_t = r_t + γ·(1 − terminated_t)·V(s_{t+1}) − V(s_t),   Â_t = δ_t + γλ·(1 − done_t)·Â_{t+1}.
 * λ = 0 gives the one-step TD advantage δ_t; λ = 1 the Monte-Carlo advantage G_t − V(s_t). Writes the
 * advantages into `advantages` and, when given, the value targets Â_t + V(s_t) into `returns`.
 */
export function gae<T extends Floats>(
  batch: StepBatch,
  values: Floats,
  nextValues: Floats,
  gamma: number,
  lambda: number,
  advantages: T,
  returns: Floats | null = null,
): T {
  const { numEnvs: N, rewards, terminated, truncated } = batch;
  const T = steps(batch);
  for (let i = 0; i < N; i++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      if (terminated[k] || truncated[k]) next = 0; // the chain stops at an episode boundary
      const delta = rewards[k] + (terminated[k] ? 0 : gamma * nextValues[k]) - values[k];
      next = delta + gamma * lambda * next;
      advantages[k] = next;
      if (returns !== null) returns[k] = next + values[k];
    }
  }
  return advantages;
}

/**
 * Constant baseline b = the batch average of Ψ over all steps (for reward-to-go: the average return-to-go).
 * Subtracting a constant keeps the estimator unbiased only if b does not depend on the sample it multiplies;
 * in-batch it does, slightly (bias O(1/episodes)). `leaveOneOutMeanBaseline` removes that dependence.
 */
export function meanBaseline(values: Floats): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += values[k];
  return values.length === 0 ? 0 : sum / values.length;
}

/**
 * Leave-one-out batch average: for each step, the average of Ψ over the steps of *other* episodes, so the
 * baseline is independent of the episode whose gradient it multiplies (exactly unbiased). `episodeIds[k]`
 * identifies the episode of step k (0 … E−1). Writes b_k into `out`.
 */
export function leaveOneOutMeanBaseline(
  values: Floats,
  episodeIds: Int32Array,
  numEpisodes: number,
  out: Floats,
): Floats {
  const sums = new Float64Array(numEpisodes);
  const counts = new Float64Array(numEpisodes);
  let total = 0;
  for (let k = 0; k < values.length; k++) {
    sums[episodeIds[k]] += values[k];
    counts[episodeIds[k]] += 1;
    total += values[k];
  }
  for (let k = 0; k < values.length; k++) {
    const e = episodeIds[k];
    const others = values.length - counts[e];
    out[k] = others > 0 ? (total - sums[e]) / others : 0;
  }
  return out;
}

/** Episode index of every step (time-major layout): episodes are numbered env by env, in time order. */
export function episodeIds(batch: StepBatch, out: Int32Array): number {
  const { numEnvs: N, terminated, truncated } = batch;
  const T = steps(batch);
  let id = 0;
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < T; t++) {
      const k = t * N + i;
      out[k] = id;
      if (terminated[k] || truncated[k] || t + 1 === T) id++;
    }
  }
  return id;
}

/**
 * In place: Â ← (Â − mean) / (std + 1e-8), with the unbiased standard deviation (as SB3, CleanRL). Subtracting
 * the batch mean is an in-batch constant baseline (see `meanBaseline`): right for advantages that already have a
 * baseline V(s), a bias where the baseline was chosen to be none or leave-one-out (use `normalizeScale` there).
 */
export function normalize<T extends Floats>(values: T, epsilon = 1e-8): T {
  if (values.length < 2) return values;
  const mean = meanBaseline(values);
  const std = standardDeviation(values, mean);
  for (let k = 0; k < values.length; k++) values[k] = (values[k] - mean) / (std + epsilon);
  return values;
}

/** The unbiased sample standard deviation about `mean`. */
function standardDeviation(values: Floats, mean: number): number {
  let sq = 0;
  for (let k = 0; k < values.length; k++) sq += (values[k] - mean) ** 2;
  return Math.sqrt(sq / (values.length - 1));
}

/**
 * In place: Ψ ← Ψ / (std + 1e-8), the same standard deviation as `normalize` but no mean subtracted. One positive
 * factor for the whole batch: the batch's gradient keeps its direction, and no baseline is added to the one chosen.
 */
export function normalizeScale<T extends Floats>(values: T, epsilon = 1e-8): T {
  if (values.length < 2) return values;
  const std = standardDeviation(values, meanBaseline(values));
  for (let k = 0; k < values.length; k++) values[k] /= std + epsilon;
  return values;
}
