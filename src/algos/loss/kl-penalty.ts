/**
 * The KL penalty β·(1/N) Σ KL(π_old ‖ π)(s_b) (PPO's adaptive-KL variant, Schulman et al. 2017, eq. 8; with the
 * clipped surrogate: 'clip+kl'). β is rule state: `adaptKlBeta` after each update, checkpointed by the rule.
 *
 * The direction 'new-old', KL(π ‖ π_old), is sb3-contrib TRPO's line-search measure (docs/parity.md); the
 * distributions differentiate KL(π_old ‖ π) only, so that direction is a measurement: β = 0, or `evaluateLoss`.
 *
 * Metrics: `kl` (the mean KL over the rows) and β·KL added to `policyLoss` (PPO reports the penalised loss).
 */
import { PolicygradError } from '../../errors.js';
import { addMetric, chunkRows } from './accumulate.js';
import type { HeadGradients, HeadOutputs, LossReport, LossRows, LossTerm, TermNeeds } from './accumulate.js';

export type KlDirection = 'old-new' | 'new-old';

export interface KlPenaltyOptions {
  /** β (mutable: `term.beta`). */
  beta: number;
  /** 'old-new' = KL(π_old ‖ π) (default, PPO), 'new-old' = KL(π ‖ π_old) (TRPO's line search; no gradient). */
  direction?: KlDirection;
}

export class KlPenalty implements LossTerm {
  readonly name = 'klPenalty';
  readonly needs: TermNeeds = { distInputs: true, rows: ['oldDistInputs'] };
  readonly direction: KlDirection;
  beta: number;
  private kls = new Float64Array(0);
  private constants = new Float64Array(0);
  private sum = 0;

  constructor({ beta, direction = 'old-new' }: KlPenaltyOptions) {
    this.beta = beta;
    this.direction = direction;
  }

  begin(): void {
    this.sum = 0;
  }

  accumulate(out: HeadOutputs, rows: LossRows, grads: HeadGradients | null, total: number): void {
    const { start, size, dist } = out;
    const inputs = out.distInputs as Float32Array;
    if (this.kls.length < size) {
      this.kls = new Float64Array(size);
      this.constants = new Float64Array(size);
    }
    const old = chunkRows(rows.oldDistInputs as Float32Array, dist.inputSize, start, size);
    if (this.direction === 'old-new') dist.kl(old, inputs, size, this.kls);
    else dist.kl(inputs, old, size, this.kls); // the Distribution's kl(p, q) is KL(p ‖ q)
    for (let b = 0; b < size; b++) this.sum += this.kls[b];
    if (grads === null || this.beta === 0) return;
    if (this.direction === 'new-old') {
      throw new PolicygradError(
        "klPenalty: direction 'new-old' has no gradient (the distributions differentiate KL(π_old ‖ π)); use it with β = 0 or evaluateLoss",
      );
    }
    this.constants.fill(this.beta / total, 0, size); // ∂(β·(1/N) Σ KL)/∂KL_b
    dist.gradKl(old, inputs, size, this.constants, grads.distInputs);
  }

  finish(rows: number, total: number, report: LossReport): void {
    const penalty = this.beta * (this.sum / total);
    report.loss += penalty;
    addMetric(report, 'policyLoss', penalty);
    addMetric(report, 'kl', this.sum / rows);
  }
}

/** The KL penalty term (see the module comment). */
export function klPenalty(options: KlPenaltyOptions): KlPenalty {
  return new KlPenalty(options);
}

/** The PPO paper's adaptive β: double it when KL ≥ 1.5·δ, halve it when KL ≤ δ/1.5. */
export function adaptKlBeta(beta: number, kl: number, target: number): number {
  if (kl >= 1.5 * target) return beta * 2;
  if (kl <= target / 1.5) return beta / 2;
  return beta;
}
