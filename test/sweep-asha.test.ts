/**
 * ASHA's stopping rule (src/node/sweep/asha.ts): rungs at r·η^k below the budget; a trial reaching a rung is
 * pruned when its metric is below the (1 − 1/η) quantile of the values recorded there before it; the first one
 * always goes on; each trial is judged once per rung, at the highest rung its row reaches.
 */
import { describe, expect, it } from 'vitest';
import { Asha, quantile } from '../src/node/sweep/asha.js';
import { parseSweepSpec } from '../src/cli/sweep-spec.js';

const row = (step: number, episodeReturnMean: number | null) => ({ step, episodeReturnMean });

describe('ASHA', () => {
  it('places rungs at gracePeriod · η^k below the budget', () => {
    const asha = new Asha({
      metric: 'episodeReturnMean',
      mode: 'max',
      gracePeriod: 1000,
      reductionFactor: 3,
      timesteps: 20_000,
    });
    expect(asha.rungs.map((r) => r.step)).toEqual([1000, 3000, 9000]);
  });

  it('interpolates quantiles as NumPy does', () => {
    expect(quantile([10, 20], 2 / 3)).toBeCloseTo(16.6667, 4);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([5], 0.9)).toBe(5);
  });

  it('keeps about the top 1/η at each rung, judging each trial once, on arrival', () => {
    const asha = new Asha({
      metric: 'episodeReturnMean',
      mode: 'max',
      gracePeriod: 1000,
      reductionFactor: 2,
      timesteps: 10_000,
    });
    expect(asha.report('a', row(500, 50))).toBe('continue'); // below the first rung
    expect(asha.report('a', row(1024, 20))).toBe('continue'); // first at the rung
    expect(asha.report('b', row(1024, 30))).toBe('continue'); // above the median of [20]
    expect(asha.report('c', row(1024, 22))).toBe('prune'); // median of [20, 30] is 25
    expect(asha.report('c', row(1536, 99))).toBe('continue'); // judged once at this rung
    expect(asha.report('d', row(1024, 25))).toBe('continue'); // median of [20, 30, 22] is 22
    expect(asha.report('e', row(1024, null))).toBe('pending'); // no episode finished yet: nothing to compare
    expect(asha.report('e', row(1536, 10))).toBe('prune'); // judged at its first row with a value
    // The highest rung reached decides: a row past rung 2 is compared with rung 2's values only.
    expect(asha.report('a', row(2048, 100))).toBe('continue');
    expect(asha.report('b', row(4100, 1))).toBe('continue'); // first at rung 4000
    expect(asha.rungs[0].values).toEqual({ a: 20, b: 30, c: 22, d: 25, e: 10 });
  });

  it("'min' prunes the high values", () => {
    const asha = new Asha({
      metric: 'valueLoss',
      mode: 'min',
      gracePeriod: 100,
      reductionFactor: 2,
      timesteps: 1000,
    });
    expect(asha.report('a', { step: 100, valueLoss: 1 })).toBe('continue');
    expect(asha.report('b', { step: 100, valueLoss: 5 })).toBe('prune');
    expect(asha.report('c', { step: 100, valueLoss: 0.5 })).toBe('continue');
  });

  it('the spec: defaults, and one-line refusals', () => {
    const base = { algo: 'ppo', env: 'CartPole-v1', timesteps: 4096, seeds: [1] };
    expect(parseSweepSpec({ ...base, asha: { gracePeriod: 1024 } }, 's.yaml').asha).toEqual({
      metric: 'episodeReturnMean',
      mode: 'max',
      gracePeriod: 1024,
      reductionFactor: 3,
    });
    expect(() =>
      parseSweepSpec({ ...base, asha: { gracePeriod: 1024, metric: 'episodeReturn' } }, 's.yaml'),
    ).toThrow(
      'sweep spec s.yaml: asha.metric = "episodeReturn" is not a metric the trials report; accepted: episodeReturnMean,',
    );
    expect(() => parseSweepSpec({ ...base, asha: { gracePeriod: 4096 } }, 's.yaml')).toThrow(
      'sweep spec s.yaml: asha.gracePeriod = 4096 is invalid: expected fewer steps than timesteps (4096), or no asha',
    );
    // Each rung is a wait for the sweep's verdict: a spec with more than MAX_RUNGS is refused before any trial runs.
    expect(() =>
      parseSweepSpec(
        { ...base, timesteps: 1_000_000, asha: { gracePeriod: 1000, reductionFactor: 1.001 } },
        's.yaml',
      ),
    ).toThrow(
      'sweep spec s.yaml: asha gives 6912 rungs (gracePeriod 1000 · reductionFactor 1.001^k below 1000000 steps); at most 1000: raise asha.reductionFactor or asha.gracePeriod',
    );
    expect(
      parseSweepSpec(
        { ...base, timesteps: 1_000_000, asha: { gracePeriod: 1000, reductionFactor: 1.1 } },
        's.yaml',
      ).asha?.reductionFactor,
    ).toBe(1.1); // 73 rungs
    expect(() =>
      parseSweepSpec({ ...base, asha: { gracePeriod: 100, reductionFactor: 1 } }, 's.yaml'),
    ).toThrow("sweep spec s.yaml: 'asha.reductionFactor' = 1 is invalid");
  });
});
