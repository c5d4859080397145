/**
 * The weighted log-likelihood gradient, the heart of every policy-gradient method:
 *   g = Σ_k w_k · ∇_θ log π_θ(a_k | s_k)
 * With w_k = Ψ_k / E it is the policy-gradient estimate; with w_k = −Ψ_k / n it is the gradient of the
 * pseudo-loss L(θ) = −(1/n) Σ_k log π_θ(a_k|s_k) Ψ_k.
 */
import type { ActorCriticPolicy } from '../policies/actor-critic.js';

const CHUNK = 1024; // samples per forward/backward pass

/** Rows [start, start + size) of action masks [n × width] (undefined when there are none). */
export function maskRows(
  masks: Uint8Array | null | undefined,
  width: number,
  start: number,
  size: number,
): Uint8Array | undefined {
  return masks ? masks.subarray(start * width, (start + size) * width) : undefined;
}

export interface LogLikelihoodStats {
  /** Σ_k w_k · log π(a_k|s_k). */
  weightedLogProb: number;
  /** Σ_k H(π(·|s_k)). */
  entropySum: number;
}

/**
 * Adds g = Σ_k w_k ∇log π(a_k|s_k) into `policy.grads` (actor part) for the n samples of `observations`
 * [n × obsDim] and `actions` [n × actionSize] (with the env's action masks [n × logits], if any). Does not
 * zero the gradients first.
 */
export function accumulateLogLikelihoodGradient(
  policy: ActorCriticPolicy,
  observations: Float32Array,
  actions: Float32Array,
  weights: ArrayLike<number>,
  n: number,
  masks: Uint8Array | null = null,
): LogLikelihoodStats {
  const { dist, obsDim } = policy;
  const logProbs = new Float64Array(CHUNK);
  const entropies = new Float64Array(CHUNK);
  const chunkWeights = new Float64Array(CHUNK);
  const gradInputs = new Float32Array(CHUNK * dist.inputSize);
  let weightedLogProb = 0;
  let entropySum = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const size = Math.min(CHUNK, n - start);
    const obs = observations.subarray(start * obsDim, (start + size) * obsDim);
    const acts = actions.subarray(start * dist.actionSize, (start + size) * dist.actionSize);
    const inputs = policy.distInputs(obs, size, maskRows(masks, dist.inputSize, start, size));
    dist.logProb(inputs, acts, size, logProbs);
    dist.entropy(inputs, size, entropies);
    for (let b = 0; b < size; b++) {
      chunkWeights[b] = weights[start + b];
      weightedLogProb += chunkWeights[b] * logProbs[b];
      entropySum += entropies[b];
    }
    gradInputs.fill(0, 0, size * dist.inputSize);
    dist.gradLogProb(inputs, acts, size, chunkWeights, gradInputs);
    policy.backwardActor(gradInputs, size);
  }
  return { weightedLogProb, entropySum };
}
