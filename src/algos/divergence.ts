/**
 * Divergence: a loss or a parameter that is no longer a finite number. Training that goes on from there only
 * writes NaN rows, so every driver (`policygrad train`, a sweep trial, `train --seeds`) stops at the first one.
 */

/** What is not finite in an iteration's row (its losses) or the parameters after it; null when all are. */
export function divergence(row: object, params: ArrayLike<number>): string | null {
  const metrics = row as Record<string, unknown>;
  for (const key of ['policyLoss', 'valueLoss', 'entropy'] as const) {
    const value = metrics[key];
    if (typeof value === 'number' && !Number.isFinite(value)) return `${key} is ${value}`;
  }
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i])) return `parameter ${i} is ${params[i]}`;
  }
  return null;
}

/** What to try after a divergence (the end of the one-line error). */
export const DIVERGENCE_HINT = 'Try a lower learning rate or gradient clipping (--set maxGradNorm=0.5).';
