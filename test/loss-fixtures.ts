/** Small policies and random batches for the loss-term tests (test/loss-terms.test.ts, test/loss-loop.test.ts). */
import { ActorCriticPolicy, Box, Discrete, type Minibatch, MultiDiscrete, Rng } from '../src/internal.js';
import type { DenseKernels } from '../src/nn/kernels.js';

export type PolicyKind =
  | 'discrete'
  | 'masked'
  | 'multi-discrete'
  | 'gaussian'
  | 'state-dependent-std'
  | 'squashed'
  | 'gsde'
  | 'shared-trunk';

export const POLICY_KINDS: PolicyKind[] = [
  'discrete',
  'masked',
  'multi-discrete',
  'gaussian',
  'state-dependent-std',
  'squashed',
  'gsde',
  'shared-trunk',
];

const OBS_DIM = 3;

/** A small policy of the kind (3 observations, one hidden layer of 8), its parameters jittered off the init. */
export function makePolicy(kind: PolicyKind, seed: number, kernels?: DenseKernels): ActorCriticPolicy {
  const observationSpace = new Box({ low: -5, high: 5, shape: [OBS_DIM] });
  const box = new Box({ low: -1, high: 1, shape: [2] });
  const actionSpace =
    kind === 'discrete' || kind === 'masked' || kind === 'shared-trunk'
      ? new Discrete(4)
      : kind === 'multi-discrete'
        ? new MultiDiscrete([3, 2])
        : box;
  const policy = new ActorCriticPolicy(
    {
      observationSpace,
      actionSpace,
      netArch: [8],
      sharedTrunk: kind === 'shared-trunk',
      stateDependentStd: kind === 'state-dependent-std',
      squashOutput: kind === 'squashed',
      useSde: kind === 'gsde',
      logStdInit: -0.5,
      kernels,
    },
    Rng.fromSeed(seed),
  );
  const rng = Rng.fromSeed(seed + 100);
  for (let i = 0; i < policy.numParams; i++) policy.params[i] += rng.normal(0, 0.3);
  return policy;
}

/**
 * B random rows for the policy: observations, actions (allowed ones under the random masks of 'masked'),
 * advantages, returns, and an old policy that is the current one with the actor perturbed by `actorNoise` and
 * the critic by `criticNoise` (its distribution inputs, log-probabilities and values).
 */
export function makeRows(
  policy: ActorCriticPolicy,
  kind: PolicyKind,
  B: number,
  seed: number,
  { actorNoise = 0.3, criticNoise = 0.1 }: { actorNoise?: number; criticNoise?: number } = {},
): Minibatch {
  const rng = Rng.fromSeed(seed);
  const { dist } = policy;
  const observations = Float32Array.from({ length: B * OBS_DIM }, () => rng.normal());
  let masks: Uint8Array | null = null;
  if (kind === 'masked') {
    masks = Uint8Array.from({ length: B * dist.inputSize }, () => (rng.uniform() < 0.7 ? 1 : 0));
    for (let b = 0; b < B; b++) masks[b * dist.inputSize + rng.integer(0, dist.inputSize)] = 1;
  }
  const actions = new Float32Array(B * dist.actionSize);
  if (kind === 'discrete' || kind === 'masked' || kind === 'shared-trunk') {
    for (let b = 0; b < B; b++) {
      let a = rng.integer(0, dist.inputSize);
      while (masks !== null && masks[b * dist.inputSize + a] === 0) a = rng.integer(0, dist.inputSize);
      actions[b] = a;
    }
  } else if (kind === 'multi-discrete') {
    for (let b = 0; b < B; b++) {
      actions[b * 2] = rng.integer(0, 3);
      actions[b * 2 + 1] = rng.integer(0, 2);
    }
  } else {
    for (let k = 0; k < actions.length; k++) {
      actions[k] = kind === 'squashed' ? Math.tanh(rng.normal()) : rng.normal(0, 0.8);
    }
  }

  const saved = policy.params.slice();
  for (let i = 0; i < policy.actorParamCount; i++) policy.params[i] += rng.normal(0, actorNoise);
  for (let i = policy.criticOffset; i < policy.numParams; i++) policy.params[i] += rng.normal(0, criticNoise);
  const oldDistInputs = Float32Array.from(policy.distInputs(observations, B, masks ?? undefined));
  const oldLogProbs = new Float64Array(B);
  dist.logProb(oldDistInputs, actions, B, oldLogProbs);
  const oldValues = Float64Array.from(policy.values(observations, B));
  policy.params.set(saved);
  return {
    size: B,
    observations,
    actions,
    oldLogProbs,
    oldValues,
    advantages: Float64Array.from({ length: B }, () => rng.normal()),
    returns: Float64Array.from({ length: B }, () => rng.normal()),
    oldDistInputs,
    masks,
  };
}

/** The bits of a float array (strict equality: signs of zero and NaN payloads included). */
export function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}
