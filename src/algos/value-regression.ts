/**
 * Fitting the critic by regression: minimise (1/n) Σ_t (V(s_t) − target_t)² with minibatch Adam for k epochs
 * (the value-baseline refit of vanilla policy gradient, and the critic step of TRPO/NPG).
 */
import type { Optimizer } from '../nn/optim.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import type { Rng } from '../rng.js';

export interface RegressionOptions {
  epochs: number;
  minibatchSize: number;
}

/** The arrays of one regression over n samples: allocate once when n is the same every call (TRPO's rollout). */
export interface RegressionScratch {
  order: Int32Array;
  obs: Float32Array;
  gradValues: Float32Array;
}

export function allocateRegression(
  policy: ActorCriticPolicy,
  n: number,
  minibatchSize: number,
): RegressionScratch {
  const mb = Math.min(minibatchSize, n);
  return {
    order: new Int32Array(n),
    obs: new Float32Array(mb * policy.obsDim),
    gradValues: new Float32Array(mb),
  };
}

/** Returns the mean squared error of the last epoch. `observations` is [n × obsDim]. */
export function regressValues(
  policy: ActorCriticPolicy,
  optimizer: Optimizer,
  observations: Float32Array,
  targets: ArrayLike<number>,
  n: number,
  { epochs, minibatchSize }: RegressionOptions,
  rng: Rng,
  { order, obs, gradValues }: RegressionScratch = allocateRegression(policy, n, minibatchSize),
): number {
  const mb = Math.min(minibatchSize, n);
  for (let k = 0; k < n; k++) order[k] = k; // the shuffles start from the identity every call
  const criticParams = policy.params.subarray(policy.criticOffset);
  const criticGrads = policy.grads.subarray(policy.criticOffset);
  let lastLoss = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, rng);
    let epochLoss = 0;
    for (let start = 0; start < n; start += mb) {
      const size = Math.min(mb, n - start);
      for (let b = 0; b < size; b++) {
        const k = order[start + b];
        obs.set(observations.subarray(k * policy.obsDim, (k + 1) * policy.obsDim), b * policy.obsDim);
      }
      const values = policy.values(obs, size);
      for (let b = 0; b < size; b++) {
        const err = values[b] - targets[order[start + b]];
        epochLoss += err * err;
        gradValues[b] = (2 * err) / size; // ∂/∂V of the minibatch mean of (V − target)²
      }
      criticGrads.fill(0);
      policy.backwardCritic(gradValues, size);
      optimizer.step(criticParams, criticGrads);
    }
    lastLoss = epochLoss / n;
  }
  return lastLoss;
}

/** Fisher–Yates shuffle in place. */
export function shuffle(order: Int32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.integer(0, i + 1);
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
}
