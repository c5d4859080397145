/**
 * The actor-critic loss of A2C and PPO on one minibatch, with its gradient carried into the policy:
 *
 *   L = L_π + c_H·L_H + c_V·L_V
 *   L_π  = −(1/B) Σ s(r_b, Â_b) + β·(1/B) Σ KL(π_old ‖ π)(s_b)   (KL term only for the KL objectives)
 *   L_H  = −(1/B) Σ H(π(·|s_b))                                    (entropy bonus)
 *   L_V  = (1/B) Σ (V_clip(s_b) − R_b)²                            (valueLoss 'sb3', SB3's PPO and A2C)
 *   L_V  = ½·(1/B) Σ max((V(s_b) − R_b)², (V_clip(s_b) − R_b)²)     (valueLoss 'cleanrl', CleanRL's ppo*.py)
 *   with V_clip = V_old + clip(V − V_old, −ε_V, ε_V) when clipRangeVf = ε_V is set, else V_clip = V.
 *
 * with the ratio r = π(a|s)/π_old(a|s) = exp(log π − log π_old) and the surrogate s by objective:
 *   'none'       s = r·Â                                  (at r = 1 its gradient is Â·∇log π: A2C's loss)
 *   'clip'       s = min(r·Â, clip(r, 1 − ε, 1 + ε)·Â)      (PPO-clip)
 *   'kl-penalty' s = r·Â, plus the β-weighted KL           (PPO with the adaptive KL penalty)
 *   'clip+kl'    both.
 * ∂s/∂log π = r·Â where the unclipped term is the minimum, and 0 where the clipped term is (the ratio has left
 * the trust region in the direction that would help, so the sample stops pushing).
 *
 * The two value losses differ twice: CleanRL's carries a ½ (half SB3's gradient at the same c_V), and where V has
 * left V_old ± ε_V it keeps the unclipped error's gradient whenever that error is the larger one (a pessimistic
 * bound, like the policy's), where SB3's clamped prediction has none.
 */
import { normalize } from '../estimators/returns.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import { surrogateTerm } from './loss/surrogate.js';
import { clippedValue, type ValueLossForm } from './loss/value-loss.js';

export { surrogateTerm } from './loss/surrogate.js';
export { adaptKlBeta } from './loss/kl-penalty.js';
export type { ValueLossForm } from './loss/value-loss.js';

export type SurrogateObjective = 'clip' | 'kl-penalty' | 'clip+kl' | 'none';

export interface SurrogateOptions {
  objective: SurrogateObjective;
  /** ε of the clipped objectives, and the bound of `clipFraction`; default ∞ (the plain surrogate never clips). */
  clipRange?: number;
  /** β of the KL penalty (ignored by 'clip' and 'none'). */
  klBeta?: number;
  entCoef: number;
  vfCoef: number;
  /** Clip V(s) to V_old ± this before the squared error (SB3's clip_range_vf); null (default) for no clipping. */
  clipRangeVf?: number | null;
  /** The value loss's form; 'sb3' when omitted. */
  valueLoss?: ValueLossForm;
  /** Normalise the advantages within the minibatch. */
  normalizeAdvantage: boolean;
}

/** A minibatch gathered from the rollout (row-major, B rows). */
export interface Minibatch {
  size: number;
  observations: Float32Array;
  actions: Float32Array;
  oldLogProbs: Float64Array;
  oldValues: Float64Array;
  advantages: Float64Array;
  returns: Float64Array;
  /** The old policy's distribution inputs (needed by the KL objectives), [B × inputSize]. */
  oldDistInputs: Float32Array | null;
  /** Action masks [B × logits] when the env reports them (the loss is of the same masked distribution). */
  masks?: Uint8Array | null;
}

export interface SurrogateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** mean((r − 1) − log r): a low-variance, non-negative estimate of KL(π_old ‖ π) (SB3's approx_kl). */
  approxKl: number;
  /** Fraction of samples with |r − 1| > ε. */
  clipFraction: number;
  /** Exact mean KL(π_old ‖ π) when the old distribution inputs are given, else null. */
  kl: number | null;
}

/** Per-sample scratch, reused across calls. */
export class SurrogateScratch {
  logProbs = new Float64Array(0);
  entropies = new Float64Array(0);
  kls = new Float64Array(0);
  weights = new Float64Array(0);
  constants = new Float64Array(0);
  advantages = new Float64Array(0);
  gradInputs = new Float32Array(0);
  gradValues = new Float32Array(0);
  readonly derivative = new Float64Array(1);

  ensure(batch: number, inputSize: number): void {
    if (this.logProbs.length >= batch) return;
    this.logProbs = new Float64Array(batch);
    this.entropies = new Float64Array(batch);
    this.kls = new Float64Array(batch);
    this.weights = new Float64Array(batch);
    this.constants = new Float64Array(batch);
    this.advantages = new Float64Array(batch);
    this.gradInputs = new Float32Array(batch * inputSize);
    this.gradValues = new Float32Array(batch);
  }
}

/** Adds ∂L/∂θ for the minibatch into `policy.grads` (zero them first) and returns the loss terms. */
export function accumulateSurrogateGradient(
  policy: ActorCriticPolicy,
  mb: Minibatch,
  options: SurrogateOptions,
  scratch: SurrogateScratch,
): SurrogateStats {
  const { dist } = policy;
  const B = mb.size;
  scratch.ensure(B, dist.inputSize);
  const { logProbs, entropies, kls, weights, constants, advantages, gradInputs, gradValues } = scratch;
  const { objective, clipRange: eps = Number.POSITIVE_INFINITY, klBeta = 0 } = options;
  const clipped = objective === 'clip' || objective === 'clip+kl';
  const penalised = objective === 'kl-penalty' || objective === 'clip+kl';

  advantages.set(mb.advantages.subarray(0, B));
  if (options.normalizeAdvantage && B > 1) normalize(advantages.subarray(0, B));

  const inputs = policy.distInputs(mb.observations, B, mb.masks ?? undefined);
  dist.logProb(inputs, mb.actions, B, logProbs);
  dist.entropy(inputs, B, entropies);

  let surrogate = 0;
  let entropy = 0;
  let approxKl = 0;
  let clipCount = 0;
  const derivative = scratch.derivative;
  for (let b = 0; b < B; b++) {
    const logRatio = logProbs[b] - mb.oldLogProbs[b];
    const r = Math.exp(logRatio);
    surrogate += surrogateTerm(r, advantages[b], clipped ? eps : null, derivative);
    weights[b] = -derivative[0] / B; // ∂L_π/∂log π_b
    entropy += entropies[b];
    approxKl += r - 1 - logRatio;
    if (Math.abs(r - 1) > eps) clipCount++;
  }

  gradInputs.fill(0, 0, B * dist.inputSize);
  dist.gradLogProb(inputs, mb.actions, B, weights, gradInputs);
  if (options.entCoef !== 0) {
    constants.fill(-options.entCoef / B, 0, B); // ∂(c_H·L_H)/∂H_b
    dist.gradEntropy(inputs, B, constants, gradInputs);
  }
  let kl: number | null = null;
  if (mb.oldDistInputs !== null) {
    dist.kl(mb.oldDistInputs, inputs, B, kls);
    kl = 0;
    for (let b = 0; b < B; b++) kl += kls[b];
    kl /= B;
    if (penalised) {
      constants.fill(klBeta / B, 0, B); // ∂(β·mean KL)/∂KL_b
      dist.gradKl(mb.oldDistInputs, inputs, B, constants, gradInputs);
    }
  }
  policy.backwardActor(gradInputs, B);

  const values = policy.values(mb.observations, B);
  const valueLoss = valueLossAndGradient(values, mb, options, gradValues);
  policy.backwardCritic(gradValues, B);

  const policyLoss = -surrogate / B + (penalised && kl !== null ? klBeta * kl : 0);
  return {
    policyLoss,
    valueLoss,
    entropy: entropy / B,
    approxKl: approxKl / B,
    clipFraction: clipCount / B,
    kl,
  };
}

/**
 * L_V of the minibatch in the chosen form, with ∂(c_V·L_V)/∂V_b written into `gradValues`:
 *  - SB3: (1/B) Σ (V_clip − R)²; ∂/∂V is 0 where the clamp is flat (V outside V_old ± ε_V);
 *  - CleanRL: ½·(1/B) Σ max((V − R)², (V_clip − R)²); ∂/∂V follows the larger term (½·MSE without clipping).
 */
function valueLossAndGradient(
  values: ArrayLike<number>,
  mb: Minibatch,
  options: SurrogateOptions,
  gradValues: Float32Array,
): number {
  const B = mb.size;
  const cleanrl = options.valueLoss === 'cleanrl';
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const v = values[b];
    const vClip = clippedValue(v, mb.oldValues[b], options.clipRangeVf ?? null);
    const err = v - mb.returns[b];
    const errClip = vClip - mb.returns[b];
    const flowsThroughClip = vClip === v ? 1 : 0;
    if (!cleanrl) {
      loss += errClip * errClip;
      gradValues[b] = (options.vfCoef * 2 * errClip * flowsThroughClip) / B;
    } else if (err * err >= errClip * errClip) {
      loss += 0.5 * err * err;
      gradValues[b] = (options.vfCoef * err) / B; // ∂(c_V·½·err²/B)/∂V
    } else {
      loss += 0.5 * errClip * errClip;
      gradValues[b] = (options.vfCoef * errClip * flowsThroughClip) / B;
    }
  }
  return loss / B;
}
