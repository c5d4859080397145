// The networks both fused-kernel benchmarks time (bench/fused-update.mjs, bench/fused-act.mjs): CartPole's 64×64
// policy and a HalfCheetah-sized one at two widths, built on the same seed so both scripts measure the same weights.
import { ActorCriticPolicy, Box, Discrete, Rng } from '../../dist/internal.js';

const box = (size) => new Box({ low: -1, high: 1, shape: [size] });

export const FUSED_CASES = [
  { name: 'CartPole-v1 (4 obs, Discrete(2)), 64×64', obs: 4, action: new Discrete(2), netArch: [64, 64] },
  { name: 'HalfCheetah-sized (17 obs, Box(6)), 64×64', obs: 17, action: box(6), netArch: [64, 64] },
  { name: 'HalfCheetah-sized (17 obs, Box(6)), 256×256', obs: 17, action: box(6), netArch: [256, 256] },
];

/** The case's actor-critic on `kernels`, its weights from seed 3. */
export function casePolicy(c, kernels) {
  return new ActorCriticPolicy(
    {
      observationSpace: new Box({ low: -5, high: 5, shape: [c.obs] }),
      actionSpace: c.action,
      netArch: c.netArch,
      kernels,
    },
    Rng.fromSeed(3),
  );
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
