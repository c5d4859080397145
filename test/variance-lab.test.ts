/** The variance lab's reference is one stated estimand, ∇J_γ, estimated by the γ^t-weighted reward-to-go. */
import { describe, expect, it } from 'vitest';
import { Reinforce, runVarianceLab, varianceEstimatorFor, varianceLabScores } from '../src/internal.js';
import { recordEstimates } from './helpers.js';

const small = { env: 'CartPole-v1', batchEpisodes: 2, repeats: 4, netArch: [8], seed: 3 };

describe('variance lab', () => {
  it('at γ < 1 the cosines compare with ∇J_γ, estimated by rtg-discounted even when it is not listed', () => {
    const listed = runVarianceLab({ ...small, gamma: 0.9, estimators: ['total', 'rtg', 'rtg-discounted'] });
    expect(listed.reference).toMatch(/^∇J_γ \(γ = 0\.9\), estimated by the mean of rtg-discounted/);
    const byName = Object.fromEntries(listed.estimators.map((e) => [e.name, e]));
    expect(byName['rtg-discounted'].cosineToReference).toBeCloseTo(1, 12);
    expect(byName.rtg.cosineToReference).toBeLessThan(1 - 1e-6); // G_t without γ^t: another vector
    const unlisted = runVarianceLab({ ...small, gamma: 0.9, estimators: ['total', 'rtg'] });
    expect(unlisted.estimators.map((e) => e.name)).toEqual(['total', 'rtg']);
    unlisted.estimators.forEach((e, k) => {
      expect(e.totalVariance).toBe(listed.estimators[k].totalVariance); // the same batches
      expect(e.cosineToReference).toBeCloseTo(listed.estimators[k].cosineToReference, 12);
    });
  });

  it('at γ = 1 the γ^t-weighted and the plain reward-to-go are the same estimator', () => {
    const report = runVarianceLab({ ...small, gamma: 1, estimators: ['rtg', 'rtg-discounted'] });
    const [rtg, discounted] = report.estimators;
    expect(discounted.totalVariance).toBe(rtg.totalVariance);
    expect(rtg.cosineToReference).toBeCloseTo(1, 12);
  });
});

describe("the lab measures the Ψ_t that REINFORCE's switches select", () => {
  const switches = [
    ...(['total', 'reward-to-go'] as const).flatMap((returns) =>
      (['none', 'mean', 'value'] as const).map((baseline) => ({ returns, baseline, gaeLambda: null })),
    ),
    { returns: 'reward-to-go' as const, baseline: 'value' as const, gaeLambda: 0.9 },
  ];
  it.each(switches)('returns $returns, baseline $baseline, GAE λ $gaeLambda', (config) => {
    const algo = new Reinforce({
      ...config,
      env: 'CartPole-v1',
      batchEpisodes: 3,
      normalizeAdvantage: false,
      gamma: 0.95,
      netArch: [8],
      seed: 5,
    });
    const [{ buffer, psi }] = recordEstimates(algo);
    const name = varianceEstimatorFor(config);
    const lab = varianceLabScores(buffer, [name], 0.95, 0.9).get(name) as Float64Array;
    expect(Array.from(lab)).toEqual(Array.from(psi));
  });
});
