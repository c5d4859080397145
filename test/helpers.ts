/** Small environments for tests: fully controllable, so expected values can be computed by hand. */
import { expect } from 'vitest';
import {
  type ActorCriticPolicy,
  type Algorithm,
  accumulateLoss,
  LossScratch,
  type LossTerm,
  normalize,
  ppoLoss,
  type ValueLossForm,
  BaseEnv,
  Box,
  Discrete,
  type Minibatch,
  type ResetOptions,
  type ResetResult,
  estimateScores,
  type ReinforceConfig,
  reinforceDefinition,
  Trainer,
  type RolloutBuffer,
  type Rng,
  type StepResult,
} from '../src/internal.js';

/** PPO's objectives (its config's `objective`). */
export type PPOObjective = 'clip' | 'kl-penalty' | 'clip+kl' | 'none';

/** What PPO's loss is made of, as its config says it: the tests' description of a composition. */
export interface PPOLossOptions {
  objective: PPOObjective;
  /** ε of the clipped objectives, and the bound of `clipFraction` (∞ when omitted). */
  clipRange?: number;
  /** β of the KL penalty (ignored by 'clip' and 'none'). */
  klBeta?: number;
  entCoef: number;
  vfCoef: number;
  clipRangeVf?: number | null;
  valueLoss?: ValueLossForm;
  /** Normalise the advantages within the minibatch (a step of the rule, before the loop). */
  normalizeAdvantage: boolean;
}

/** PPO's terms for the options: `ppoLoss` (what `createPPOUpdate` composes) at ε = clipRange and β = klBeta. */
export function ppoTerms(o: PPOLossOptions): LossTerm[] {
  const { loss, policySurrogate } = ppoLoss({
    objective: o.objective,
    entCoef: o.entCoef,
    vfCoef: o.vfCoef,
    klBetaInit: o.klBeta ?? 0,
    valueLoss: o.valueLoss ?? 'sb3',
    clipRangeVf: o.clipRangeVf ?? null,
  });
  policySurrogate.clipRange = o.clipRange ?? Number.POSITIVE_INFINITY;
  return loss;
}

/** The minibatch as the rule hands it to the loop: its advantages normalised per minibatch when asked. */
export function ppoRows(mb: Minibatch, normalizeAdvantage: boolean): Minibatch {
  const advantages = mb.advantages.slice(0, mb.size);
  if (normalizeAdvantage && mb.size > 1) normalize(advantages);
  return { ...mb, advantages };
}

/** PPO's loss L on a minibatch through the terms (`ppoTerms`): adds ∂L/∂θ to `policy.grads`; L and the metrics (kl: null unless penalised). */
export function minibatchLoss(
  policy: ActorCriticPolicy,
  mb: Minibatch,
  options: PPOLossOptions,
  scratch = new LossScratch(),
): {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  kl: number | null;
} {
  const { loss, metrics: m } = accumulateLoss(
    policy,
    ppoRows(mb, options.normalizeAdvantage),
    ppoTerms(options),
    scratch,
  );
  return {
    loss,
    policyLoss: m.policyLoss,
    valueLoss: m.valueLoss,
    entropy: m.entropy,
    approxKl: m.approxKl,
    clipFraction: m.clipFraction,
    kl: m.kl ?? null,
  };
}

/**
 * L = L_π − c_H·H + c_V·L_V of a minibatch, as a function of the policy's current parameters; each call leaves
 * ∂L/∂θ in `policy.grads` (for finite-difference checks of PPO's composition of the loss terms).
 */
export function actorCriticLoss(
  policy: ActorCriticPolicy,
  mb: Minibatch,
  options: PPOLossOptions,
): () => number {
  const scratch = new LossScratch();
  return () => {
    policy.zeroGrad();
    return minibatchLoss(policy, mb, options, scratch).loss;
  };
}

/**
 * The reference for REINFORCE's and TRPO's gradient, in one pass over all n rows: adds Σ_k w_k ∇log π(a_k|s_k)
 * (w_k = ∂L/∂log π_k) into `policy.grads`, written with the distribution's primitives alone (no loss term, no
 * chunks).
 */
export function addLogLikelihoodGradient(
  policy: ActorCriticPolicy,
  observations: Float32Array,
  actions: Float32Array,
  weights: ArrayLike<number>,
  masks?: Uint8Array,
): void {
  const n = weights.length;
  const inputs = policy.distInputs(observations, n, masks);
  const gradInputs = new Float32Array(n * policy.dist.inputSize);
  policy.dist.gradLogProb(inputs, actions, n, Float64Array.from(weights), gradInputs);
  policy.backwardActor(gradInputs, n);
}

/**
 * Runs `run` with the typed-array constructors counting: returns the length of every Float32Array, Float64Array
 * or Int32Array constructed whose length is in `watched` (the sizes an update's per-row workspaces would have), or
 * for which `watched` returns true.
 */
export function allocationsDuring(
  watched: Set<number> | ((length: number) => boolean),
  run: () => void,
): number[] {
  const counts = typeof watched === 'function' ? watched : (length: number) => watched.has(length);
  const allocated: number[] = [];
  const names = ['Float32Array', 'Float64Array', 'Int32Array'] as const;
  const originals = { Float32Array, Float64Array, Int32Array };
  for (const name of names) {
    const counting = new Proxy(originals[name], {
      construct(target, args, newTarget) {
        const size = typeof args[0] === 'number' ? args[0] : (args[0] as ArrayLike<number>)?.length;
        if (counts(size)) allocated.push(size);
        return Reflect.construct(target, args, newTarget);
      },
    });
    Reflect.set(globalThis, name, counting);
  }
  // Copies made by the arrays' own methods go through their species constructor, not the global name.
  const typedArrayPrototype = Object.getPrototypeOf(Float32Array.prototype) as Record<string, unknown>;
  const copying = ['slice', 'map', 'filter'] as const;
  const originalMethods = copying.map((method) => typedArrayPrototype[method] as () => ArrayLike<number>);
  copying.forEach((method, i) => {
    typedArrayPrototype[method] = function (this: unknown, ...args: unknown[]) {
      const copy = Reflect.apply(originalMethods[i], this, args) as ArrayLike<number>;
      if (counts(copy.length)) allocated.push(copy.length);
      return copy;
    };
  });
  try {
    run();
  } finally {
    for (const name of names) Reflect.set(globalThis, name, originals[name]);
    copying.forEach((method, i) => (typedArrayPrototype[method] = originalMethods[i]));
  }
  return allocated;
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

/**
 * Runs `iterations` REINFORCE iterations of `config` and returns each batch it estimated Ψ on, with that Ψ: the
 * run is REINFORCE's definition with a `collect` that records what it returns.
 */
export function recordEstimates(
  config: ReinforceConfig,
  iterations = 1,
): { buffer: RolloutBuffer; psi: Float64Array; step: number }[] {
  const seen: { buffer: RolloutBuffer; psi: Float64Array; step: number }[] = [];
  const collect = reinforceDefinition.collect as NonNullable<typeof reinforceDefinition.collect>;
  const algo = new Trainer(
    {
      ...reinforceDefinition,
      collect(parts, c) {
        const buffer = collect(parts, c);
        seen.push({ buffer, psi: estimateScores(buffer, c).psi, step: 0 });
        return buffer;
      },
    },
    config,
  );
  algo.learn({
    totalTimesteps: 1e9,
    callback: (m) => {
      seen[seen.length - 1].step = m.step;
      return m.iteration < iterations;
    },
  });
  return seen;
}

/** Metrics rows without their wall-clock columns, to compare two runs. */
export const withoutTimes = (rows: object[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'sps' && k !== 'timeSeconds')));

/**
 * A recurrent run checkpointed after its second iteration (through JSON: what a file holds), restored into a fresh
 * model and run to `total` gives the uninterrupted run's rows; the checkpoint holds the envs' (non-zero) states.
 */
export function expectExactRecurrentResume(create: () => Algorithm, total: number): void {
  const expected = create().learn({ totalTimesteps: total });
  expect(expected.length).toBeGreaterThan(3);
  const first = create();
  const head = first.learn({ totalTimesteps: total, callback: (m) => m.iteration < 2 });
  const saved = JSON.parse(JSON.stringify(first.checkpoint()));
  // The hidden states, in base64 (checkpoint format 3): not all zero bytes.
  expect(saved.collector.memory.state.dtype).toBe('float32');
  expect(Buffer.from(saved.collector.memory.state.data, 'base64').some((x) => x !== 0)).toBe(true);
  const resumed = create();
  resumed.restoreCheckpoint(saved);
  const tail = resumed.learn({ totalTimesteps: total - resumed.numTimesteps, resetProgress: false });
  expect(withoutTimes([...head, ...tail])).toEqual(withoutTimes(expected));
}
