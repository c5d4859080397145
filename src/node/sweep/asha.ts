/**
 * Asynchronous successive halving (ASHA; Li et al. 2020, "A System for Massively Parallel Hyperparameter
 * Tuning"), in its stopping form (Ray Tune's AsyncHyperBandScheduler): rungs at r·η^k environment steps
 * (r the grace period, η the reduction factor, below the budget). When a trial's row first reaches a rung, its
 * metric is compared with the values the trials that reached that rung before it recorded: below their
 * (1 − 1/η) quantile (linear interpolation, NumPy's default), the trial is pruned — so about the top 1/η go on.
 * The first trial at a rung always goes on. Only the highest rung a row reaches is checked. A row without a value
 * (no episode finished yet) leaves the trial unjudged at that rung: `pending`, and its next row is judged there.
 */
export interface AshaOptions {
  /** The metrics-row key compared at the rungs (e.g. `episodeReturnMean`). */
  metric: string;
  /** 'max': higher is better. */
  mode: 'max' | 'min';
  /** Steps before any trial can be pruned: the first rung. */
  gracePeriod: number;
  /** η: keep about the top 1/η at each rung. */
  reductionFactor: number;
  /** The trials' budget: rungs lie below it. */
  timesteps: number;
}

export interface Rung {
  step: number;
  /** Trial id → its metric when it reached this rung, in arrival order. */
  values: Record<string, number>;
}

/** Rungs a sweep may have at most (a trial waits at each for the sweep's verdict). */
export const MAX_RUNGS = 1000;

/** The rungs' steps: r·η^k below the budget (a trial waits at each for the sweep's verdict). */
export function rungSteps({ gracePeriod, reductionFactor, timesteps }: AshaOptions): number[] {
  const steps: number[] = [];
  for (let step = gracePeriod; step < timesteps; step *= reductionFactor) steps.push(Math.round(step));
  return steps;
}

export type AshaVerdict = 'continue' | 'prune' | 'pending';

export class Asha {
  readonly rungs: Rung[] = [];

  constructor(readonly options: AshaOptions) {
    for (const step of rungSteps(options)) this.rungs.push({ step, values: {} });
  }

  /**
   * A trial's metrics row: 'prune' when it reaches a rung below the cutoff; 'pending' when it reaches a rung it
   * was not judged at and has no value to judge (its next row is); else 'continue'.
   */
  report(trial: string, row: Record<string, unknown>): AshaVerdict {
    const step = Number(row.step);
    const value = row[this.options.metric];
    const rung = [...this.rungs].reverse().find((r) => step >= r.step);
    if (rung === undefined || trial in rung.values) return 'continue';
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'pending'; // nothing to compare yet
    const earlier = Object.values(rung.values);
    rung.values[trial] = value;
    if (earlier.length === 0) return 'continue';
    const sign = this.options.mode === 'max' ? 1 : -1;
    const cutoff = quantile(
      earlier.map((v) => sign * v),
      1 - 1 / this.options.reductionFactor,
    );
    return sign * value < cutoff ? 'prune' : 'continue';
  }
}

/** The q-quantile of `values` with linear interpolation between order statistics (NumPy's default). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}
