/**
 * V-trace (Espeholt et al. 2018, "IMPALA", section 4.1): value targets and policy-gradient advantages for data an
 * actor collected with a behaviour policy μ that lags the learner's policy π. Per step, with the importance ratio
 * e^{logRatios[k]} = π(a_k|s_k) / μ(a_k|s_k), truncated twice (eq. 1):
 *
 *   ρ_k = min(ρ̄, π/μ),   c_k = λ·min(c̄, π/μ),   δ_k = ρ_k·(r_k + γ·V(s_{k+1}) − V(s_k)),
 *   vs_k = V(s_k) + δ_k + γ·c_k·(vs_{k+1} − V(s_{k+1}))   (the recursive form of eq. 1; λ as in the paper's
 *                                                          remark on mixing in λ-returns, section 4.2),
 *   advantage_k = ρ_k·(r_k + γ·vs_{k+1} − V(s_k))         (the policy-gradient term, section 4.2).
 *
 * ρ̄ sets the fixed point: the value of π_ρ̄(a|s) ∝ min(ρ̄·μ(a|s), π(a|s)), which is π itself when ρ̄ = ∞
 * (Theorem 1). c̄ only sets how fast the operator contracts; the products c_s…c_{t−1} bound how much a later TD
 * error moves vs_s (remark 1). On-policy with ρ̄, c̄ ≥ 1 every weight is 1 (times λ) and vs is the GAE(λ) value
 * target; with λ = 1 the bootstrapped n-step return to the end of the episode or the batch.
 *
 * Episode boundaries follow the other estimators (see returns.ts): the recursion stops where the episode ended
 * or the batch does; there vs_{k+1} is replaced by `nextValues[k]` (V of the final observation at a truncation,
 * of the last observation at the batch end) and the bootstrap is 0 after a termination (`nextValues` ignored).
 */
import type { Floats } from '../nn/kernels.js';
import { PolicygradError } from '../errors.js';
import type { StepBatch } from './returns.js';

export interface VtraceOptions {
  /** ρ̄: truncation of the importance weight in δ and in the advantage (default 1; Infinity for none). */
  rhoBar?: number;
  /** c̄: truncation of the trace coefficients (default 1; Infinity for none). */
  cBar?: number;
  /** λ: multiplies every trace coefficient (default 1). */
  lambda?: number;
}

export interface VtraceOutput {
  /** The V-trace value targets vs_k (regress V(s_k) onto these). */
  vs: Floats;
  /** ρ_k·(r_k + γ·vs_{k+1} − V(s_k)), the advantages of the policy-gradient term. */
  advantages: Floats;
}

/**
 * Writes V-trace's value targets and advantages into `out` (time-major, index t·N + i, like every estimator);
 * `logRatios[k] = log π(a_k|s_k) − log μ(a_k|s_k)`; `nextValues` as `successorValues` builds it. Allocates
 * nothing.
 */
export function vtrace<O extends VtraceOutput>(
  batch: StepBatch,
  logRatios: Floats,
  values: Floats,
  nextValues: Floats,
  gamma: number,
  options: VtraceOptions,
  out: O,
): O {
  const rhoBar = options.rhoBar ?? 1;
  const cBar = options.cBar ?? 1;
  const lambda = options.lambda ?? 1;
  checkTruncation('rhoBar', rhoBar);
  checkTruncation('cBar', cBar);
  if (!(lambda >= 0 && lambda <= 1)) {
    throw new PolicygradError(`vtrace: lambda must be in [0, 1], got ${lambda}`);
  }
  const { numEnvs: N, rewards, terminated, truncated } = batch;
  const T = rewards.length / N;
  const { vs, advantages } = out;
  for (let i = 0; i < N; i++) {
    // vs_{k+N} − V(s_{k+N}) of the same env's next step, kept in double precision (as `gae` keeps its Â).
    let nextCorrection = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      const ended = terminated[k] || truncated[k] || t + 1 === T;
      const ratio = Math.exp(logRatios[k]);
      const rho = Math.min(rhoBar, ratio);
      const c = lambda * Math.min(cBar, ratio);
      const bootstrap = terminated[k] ? 0 : gamma * nextValues[k];
      const delta = rho * (rewards[k] + bootstrap - values[k]);
      if (ended) {
        advantages[k] = delta;
        nextCorrection = delta;
      } else {
        // vs_{k+N} = nextCorrection + V(s_{k+N}): the advantage bootstraps from the next step's V-trace target.
        advantages[k] = rho * (rewards[k] + gamma * (nextCorrection + values[k + N]) - values[k]);
        nextCorrection = delta + gamma * c * nextCorrection;
      }
      vs[k] = nextCorrection + values[k];
    }
  }
  return out;
}

function checkTruncation(name: string, value: number): void {
  if (!(value > 0)) {
    throw new PolicygradError(`vtrace: ${name} must be a positive number or Infinity, got ${value}`);
  }
}
