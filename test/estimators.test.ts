/** Hand-computed returns, reward-to-go, n-step and GAE on small arrays, with terminations and truncations. */
import { describe, expect, it } from 'vitest';
import {
  effectiveSampleSize,
  episodeIds,
  gae,
  importanceSampledRewardToGo,
  importanceSampledTotalReturn,
  leaveOneOutMeanBaseline,
  meanBaseline,
  normalize,
  normalizeScale,
  nStepReturns,
  perDecisionWeights,
  rewardToGo,
  type StepBatch,
  successorValues,
  totalReturn,
} from '../src/internal.js';

const f = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);
const close = (actual: ArrayLike<number>, expected: number[]) =>
  expected.forEach((e, k) => expect(actual[k], `index ${k}`).toBeCloseTo(e, 12));

// One env, 5 steps: an episode of 2 steps that terminates, then one of 3 steps still running at the end.
const single: StepBatch = {
  numEnvs: 1,
  rewards: f([1, 2, 3, 4, 5]),
  terminated: u8([0, 1, 0, 0, 0]),
  truncated: u8([0, 0, 0, 0, 0]),
};
const g = 0.5;

describe('returns', () => {
  it('total return: every step of an episode gets the whole discounted return', () => {
    // Episode 1: 1 + 0.5·2 = 2; episode 2 (unfinished): 3 + 0.5·4 + 0.25·5 = 6.25.
    close(totalReturn(single, g, null, new Float64Array(5)), [2, 2, 6.25, 6.25, 6.25]);
  });

  it('reward-to-go: only later rewards count, and the episode boundary stops the sum', () => {
    close(rewardToGo(single, g, null, new Float64Array(5)), [
      1 + 0.5 * 2,
      2,
      3 + 0.5 * 4 + 0.25 * 5,
      4 + 0.5 * 5,
      5,
    ]);
  });

  it('reward-to-go bootstraps from V(last observation) for the unfinished episode', () => {
    const next = f([99, 99, 99, 99, 10]); // only the last entry is used: step 1 terminated
    close(rewardToGo(single, g, next, new Float64Array(5)), [
      2,
      2,
      3 + 0.5 * 4 + 0.25 * (5 + 0.5 * 10),
      4 + 0.5 * (5 + 5),
      5 + 5,
    ]);
  });
});

describe('truncation versus termination in a vector rollout', () => {
  // Two envs, 3 steps. Env 0 is truncated at t = 1 (time limit); env 1 terminates at t = 1.
  const batch: StepBatch = {
    numEnvs: 2,
    rewards: f([1, 1, 1, 1, 1, 1]),
    terminated: u8([0, 0, 0, 1, 0, 0]),
    truncated: u8([0, 0, 1, 0, 0, 0]),
  };
  const values = f([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  const finalValues = f([0, 0, 8, 7, 0, 0]); // V(final obs): env 0's truncated state is worth 8
  const lastValues = f([3, 4]);
  const next = successorValues(batch, values, finalValues, lastValues, new Float64Array(6));

  it('successorValues picks V(s_{t+1}), V(final observation) or 0', () => {
    close(next, [0.5, 0.5, 8, 0, 3, 4]);
  });

  it('reward-to-go bootstraps the truncated episode and not the terminated one', () => {
    const out = rewardToGo(batch, 0.9, next, new Float64Array(6));
    close(out, [1 + 0.9 * (1 + 0.9 * 8), 1 + 0.9 * 1, 1 + 0.9 * 8, 1, 1 + 0.9 * 3, 1 + 0.9 * 4]);
  });

  it('GAE: λ = 0 is the TD error, λ = 1 the Monte-Carlo advantage', () => {
    const td = gae(batch, values, next, 0.9, 0, new Float64Array(6));
    close(td, [
      1 + 0.9 * 0.5 - 0.5,
      1 + 0.9 * 0.5 - 0.5,
      1 + 0.9 * 8 - 0.5,
      1 - 0.5,
      1 + 0.9 * 3 - 0.5,
      1 + 0.9 * 4 - 0.5,
    ]);
    const mc = gae(batch, values, next, 0.9, 1, new Float64Array(6));
    const rtg = rewardToGo(batch, 0.9, next, new Float64Array(6));
    close(
      mc,
      Array.from(rtg, (r, k) => r - values[k]),
    );
  });

  it('GAE with 0 < λ < 1 by hand, and returns = advantages + values', () => {
    const adv = new Float64Array(6);
    const ret = new Float64Array(6);
    gae(batch, values, next, 0.9, 0.5, adv, ret);
    const d = [1 + 0.45 - 0.5, 1 + 0.45 - 0.5, 1 + 7.2 - 0.5, 0.5, 1 + 2.7 - 0.5, 1 + 3.6 - 0.5];
    close(adv, [d[0] + 0.45 * d[2], d[1] + 0.45 * d[3], d[2], d[3], d[4], d[5]]);
    close(
      ret,
      Array.from(adv, (a, k) => a + values[k]),
    );
  });

  it('n-step returns stop at episode ends and bootstrap otherwise', () => {
    const out = nStepReturns(batch, 0.9, 2, next, new Float64Array(6));
    // env 0: t0 → r0 + γ r1 + γ²·V(final)=8 (truncated at t1); t1 → r1 + γ·8; t2 → r2 + γ·3 (rollout end)
    // env 1: t0 → r0 + γ r1 (terminated at t1); t1 → r1; t2 → r2 + γ·4
    close(out, [1 + 0.9 + 0.81 * 8, 1 + 0.9, 1 + 0.9 * 8, 1, 1 + 0.9 * 3, 1 + 0.9 * 4]);
    const one = nStepReturns(batch, 0.9, 1, next, new Float64Array(6));
    close(one, [1 + 0.9 * 0.5, 1 + 0.9 * 0.5, 1 + 0.9 * 8, 1, 1 + 0.9 * 3, 1 + 0.9 * 4]);
  });

  it('total return completes the truncated episode with γ^L·V(final observation)', () => {
    const out = totalReturn(batch, 0.9, next, new Float64Array(6));
    close(out, [1 + 0.9 + 0.81 * 8, 1 + 0.9, 1 + 0.9 + 0.81 * 8, 1 + 0.9, 1 + 0.9 * 3, 1 + 0.9 * 4]);
  });
});

describe('baselines and normalisation', () => {
  it('episode ids, mean and leave-one-out baselines', () => {
    const ids = new Int32Array(5);
    expect(episodeIds(single, ids)).toBe(2);
    expect(Array.from(ids)).toEqual([0, 0, 1, 1, 1]);
    const values = f([1, 3, 10, 20, 30]);
    expect(meanBaseline(values)).toBe(64 / 5);
    close(leaveOneOutMeanBaseline(values, ids, 2, new Float64Array(5)), [20, 20, 2, 2, 2]);
  });

  it('normalizeScale divides by the unbiased std and keeps the mean direction (no baseline added)', () => {
    const v = normalizeScale(f([1, 2, 3, 6]));
    const sd = Math.sqrt([1, 2, 3, 6].reduce((a, x) => a + (x - 3) ** 2, 0) / 3);
    close(
      v,
      [1 / sd, 2 / sd, 3 / sd, 6 / sd].map((x) => x * (sd / (sd + 1e-8))),
    );
  });

  it('normalize gives mean 0 and unbiased std 1', () => {
    const v = normalize(f([1, 2, 3, 4]));
    expect(meanBaseline(v)).toBeCloseTo(0, 12);
    const sd = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / 3);
    expect(sd).toBeCloseTo(1, 6);
  });
});

describe('importance sampling', () => {
  // One env, 4 steps, the episode ends at step 1.
  const batch: StepBatch = {
    numEnvs: 1,
    rewards: f([0, 0, 0, 0]),
    terminated: u8([0, 1, 0, 0]),
    truncated: u8([0, 0, 0, 0]),
  };
  const logRatios = f([Math.log(2), Math.log(3), Math.log(0.5), Math.log(4)]);

  it('per-decision weights multiply the ratios since the episode start', () => {
    close(perDecisionWeights(batch, logRatios, null, new Float64Array(4)), [2, 6, 0.5, 2]);
  });

  it('truncation caps each weight at c̄ but not the running product', () => {
    close(perDecisionWeights(batch, logRatios, 2.5, new Float64Array(4)), [2, 2.5, 0.5, 2]);
  });

  it('importance-sampled reward-to-go: Ψ_t = r_t + γ·ρ_{t+1}·Ψ_{t+1}, cut at the episode end, bootstrapped at the batch end', () => {
    const withRewards = { ...batch, rewards: f([1, 2, 3, 4]) };
    const next = f([0, 0, 0, 10]); // V(last observation) = 10
    // Ψ3 = 4 + ½·10 = 9; Ψ2 = 3 + ½·(4·9) = 21; Ψ1 = 2 (terminated); Ψ0 = 1 + ½·(3·2) = 4.
    close(importanceSampledRewardToGo(withRewards, logRatios, 0.5, next, new Float64Array(4)), [4, 2, 21, 9]);
    close(importanceSampledRewardToGo(withRewards, logRatios, 0.5, null, new Float64Array(4)), [4, 2, 11, 4]);
  });

  it('importance-sampled reward-to-go is time-major and bootstraps a truncation without its successor ratio', () => {
    // 2 envs × 2 steps; env 1 is truncated at t = 0 (V(final observation) = 6).
    const two: StepBatch = {
      numEnvs: 2,
      rewards: f([1, 3, 2, 4]),
      terminated: u8([0, 0, 0, 0]),
      truncated: u8([0, 1, 0, 0]),
    };
    const next = f([0, 6, 5, 7]);
    const ratios = f([0, 0, Math.log(2), Math.log(3)]);
    // env 0: Ψ(t=1) = 2 + ½·5 = 4.5, Ψ(t=0) = 1 + ½·2·4.5 = 5.5; env 1: 4 + ½·7 = 7.5 and 3 + ½·6 = 6.
    close(importanceSampledRewardToGo(two, ratios, 0.5, next, new Float64Array(4)), [5.5, 6, 4.5, 7.5]);
  });

  it('with every ratio 1 the importance-sampled returns are rewardToGo and totalReturn', () => {
    const zeros = new Float64Array(5);
    const next = f([0, 0, 0, 0, 10]);
    close(importanceSampledRewardToGo(single, zeros, g, next, new Float64Array(5)), [
      ...rewardToGo(single, g, next, new Float64Array(5)),
    ]);
    close(importanceSampledTotalReturn(single, zeros, g, next, new Float64Array(5)), [
      ...totalReturn(single, g, next, new Float64Array(5)),
    ]);
  });

  it('effective sample size: n for equal weights, (Σw)²/Σw² otherwise', () => {
    expect(effectiveSampleSize([1, 1, 1, 1])).toBe(4);
    expect(effectiveSampleSize([2, 6, 0.5, 2])).toBeCloseTo(10.5 ** 2 / (4 + 36 + 0.25 + 4), 12);
  });
});
