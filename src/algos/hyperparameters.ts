/**
 * Hyperparameters whose value can break an assumption of the math, in one place: each schema refuses such a value
 * with the reason, so a config error reads e.g. "option 'cgDamping' = 0 is invalid: must be > 0: …".
 */
import { z } from 'zod';
import { PolicygradError } from '../errors.js';

/** γ ∈ [0, 1] (γ = 0: only the immediate reward counts, a contextual bandit; γ > 1 makes returns diverge). */
export const discount = () =>
  z
    .number()
    .min(0, 'a discount factor is in [0, 1] (returns Σ γ^k r_k need γ ≥ 0)')
    .max(1, 'a discount factor is in [0, 1] (with γ > 1 the returns Σ γ^k r_k diverge)');

/** λ ∈ [0, 1]: GAE's weights (1 − λ)λ^(n−1) over the n-step advantages are a distribution only there. */
export const traceDecay = () =>
  z
    .number()
    .min(0, 'GAE λ is in [0, 1] (the n-step weights (1 − λ)λ^(n−1) must be a distribution)')
    .max(1, 'GAE λ is in [0, 1] (the n-step weights (1 − λ)λ^(n−1) must be a distribution)');

/** A step size: 0 never moves, a negative one ascends the loss. */
export const stepSize = () => z.number().positive('must be > 0 (0 never moves; < 0 climbs the loss)');

/** A gradient-norm bound: the clipped gradient is g·min(1, c/‖g‖), which is 0 or reversed for c ≤ 0. */
export const gradNormBound = () =>
  z.number().positive('must be > 0 (clipping scales g by c/‖g‖: c ≤ 0 zeroes or reverses it), or null');

/**
 * RMSprop's decay α ∈ [0, 1): with α = 1 the squared-gradient average never leaves its initial 0, and every step
 * becomes lr·g/√ε.
 */
export const rmsPropDecay = () =>
  z
    .number()
    .min(0, 'RMSprop α is in [0, 1)')
    .lt(1, 'RMSprop α must be < 1 (at 1 the squared-gradient average stays 0 and each step is lr·g/√ε)');

/**
 * Refuses a value that only another field makes wrong, in the format of a schema error (one line: the field, the
 * value, the reason).
 */
export function refuseOption(context: string, field: string, value: unknown, reason: string): never {
  throw new PolicygradError(`${context}: option '${field}' = ${JSON.stringify(value)} is invalid: ${reason}`);
}

/**
 * Advantage normalisation divides by the standard deviation of the batch (or minibatch), which needs 2 samples:
 * refuses `samples` < 2 when `normalize` is on.
 */
export function checkNormalizable(
  context: string,
  normalize: boolean,
  field: string,
  value: number,
  samples: number,
): void {
  if (normalize && samples < 2) {
    refuseOption(
      context,
      field,
      value,
      `advantage normalisation needs at least 2 samples per ${field === 'batchSize' ? 'minibatch' : 'batch'} (a standard deviation of 1 value is undefined); use more or set normalizeAdvantage: false`,
    );
  }
}
