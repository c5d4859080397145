/** Small environments for tests: fully controllable, so expected values can be computed by hand. */
import { expect } from 'vitest';
import {
  type ActorCriticPolicy,
  accumulateSurrogateGradient,
  BaseEnv,
  Box,
  Discrete,
  type Minibatch,
  type ResetOptions,
  type ResetResult,
  type Reinforce,
  type RolloutBuffer,
  type Rng,
  type StepResult,
  type SurrogateOptions,
  SurrogateScratch,
} from '../src/internal.js';

/**
 * L = L_π − c_H·H + c_V·L_V of a minibatch, as a function of the policy's current parameters; each call leaves
 * ∂L/∂θ in `policy.grads` (for finite-difference checks of `accumulateSurrogateGradient`).
 */
export function actorCriticLoss(
  policy: ActorCriticPolicy,
  mb: Minibatch,
  options: SurrogateOptions,
): () => number {
  const scratch = new SurrogateScratch();
  return () => {
    policy.zeroGrad();
    const s = accumulateSurrogateGradient(policy, mb, options, scratch);
    return s.policyLoss - options.entCoef * s.entropy + options.vfCoef * s.valueLoss;
  };
}

/**
 * Observation [t, action], reward = action + 1, terminates after `length` steps; reset draws nothing unless
 * `noisyReset`, which adds a seeded uniform to the first observation.
 */
export class CounterEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>({ low: -100, high: 100, shape: [2] });
  readonly actionSpace = new Discrete(3);
  t = 0;

  constructor(
    private readonly length = 3,
    private readonly noisyReset = false,
  ) {
    super();
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    this.t = 0;
    const noise = this.noisyReset ? this.rng.uniform() : 0;
    return { observation: Float32Array.of(noise, 0), info: { reset: true } };
  }

  step(action: number): StepResult<Float32Array> {
    this.t += 1;
    return {
      observation: Float32Array.of(this.t, action),
      reward: action + 1,
      terminated: this.t >= this.length,
      truncated: false,
      info: { t: this.t },
    };
  }
}

/** A Box-action env that records the last action it received. */
export class EchoActionEnv extends BaseEnv<Float32Array, Float32Array> {
  readonly observationSpace = new Box<Float32Array>({ low: -10, high: 10, shape: [2] });
  readonly actionSpace = new Box<Float32Array>({ low: [-2, 0], high: [2, 10] });
  lastAction: number[] = [];

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    return { observation: new Float32Array(2), info: {} };
  }

  step(action: Float32Array): StepResult<Float32Array> {
    this.lastAction = Array.from(action);
    return {
      observation: Float32Array.from(action),
      reward: 0,
      terminated: false,
      truncated: false,
      info: {},
    };
  }
}

/**
 * Checks `grads[i]` against the central difference (loss(θ + h e_i) − loss(θ − h e_i)) / 2h for each index, on
 * float32 parameters: |analytic − numeric| < tolerance · max(floor, |numeric|).
 */
export function expectFiniteDifferences(
  params: Float32Array,
  grads: ArrayLike<number>,
  indices: readonly number[],
  loss: () => number,
  { h = 1e-2, tolerance = 2e-2, floor = 1 }: { h?: number; tolerance?: number; floor?: number } = {},
): void {
  for (const i of indices) {
    const saved = params[i];
    params[i] = saved + h;
    const up = loss();
    params[i] = saved - h;
    const down = loss();
    params[i] = saved;
    const numeric = (up - down) / (2 * h);
    expect(Math.abs(grads[i] - numeric), `param ${i}`).toBeLessThan(
      tolerance * Math.max(floor, Math.abs(numeric)),
    );
  }
}

/** An index drawn from a discrete distribution (probabilities summing to 1) with the seeded generator. */
export function sampleIndex(probs: number[], rng: Rng): number {
  let u = rng.uniform();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i];
    if (u < 0) return i;
  }
  return probs.length - 1;
}

/** Runs `iterations` REINFORCE iterations and returns each batch it estimated Ψ on, with that Ψ. */
export function recordEstimates(
  algo: Reinforce,
  iterations = 1,
): { buffer: RolloutBuffer; psi: Float64Array; step: number }[] {
  const seen: { buffer: RolloutBuffer; psi: Float64Array; step: number }[] = [];
  const estimate = algo.estimate.bind(algo);
  algo.estimate = (buffer) => {
    const out = estimate(buffer);
    seen.push({ buffer, psi: out.psi, step: 0 });
    return out;
  };
  algo.learn({
    totalTimesteps: 1e9,
    callback: (m) => {
      seen[seen.length - 1].step = m.step;
      return m.iteration < iterations;
    },
  });
  return seen;
}
