/**
 * The policy surrogate, in two forms with the same gradient at r = 1:
 *
 *   'ratio'           L = −(1/N) Σ w_b·s(r_b, Â_b),  r_b = π(a_b|s_b)/π_old(a_b|s_b) = exp(log π − log π_old)
 *                     s = r·Â (plain: A2C at r = 1, PPO's 'none' and 'kl-penalty', TRPO's line search), or
 *                     s = min(r·Â, clip(r, 1 − ε, 1 + ε)·Â) with `clipped` (PPO-clip, Schulman et al. 2017, eq. 7)
 *   'log-likelihood'  L = −(1/N) Σ w_b·Â_b·log π(a_b|s_b)   (REINFORCE's pseudo-loss, Williams 1992; TRPO's g)
 *
 * with N the loss's `total` rows and w_b the rows' weights (1 when none are given). ∂s/∂log π = r·Â where the
 * unclipped term is the minimum and 0 where the clipped one is (the ratio has left the trust region in the
 * direction that would help, so the sample stops pushing); the log-likelihood form's is Â, which is r·Â at r = 1,
 * so both forms give ∇L = −(1/N) Σ w·Â·∇log π there — with a value that is a function of θ (the ratio form's is
 * the constant −mean Â at r = 1).
 *
 * Metrics: `policyLoss` (the term's L), and for the ratio form SB3's `approxKl` = mean((r − 1) − log r), a
 * non-negative low-variance estimate of KL(π_old ‖ π), and `clipFraction`, the fraction of rows with |r − 1| > ε
 * (measured at `clipRange` whether or not the objective clips, as PPO's 'kl-penalty' rows report it).
 */
import { PolicygradError } from '../../errors.js';
import { addMetric } from './accumulate.js';
import type { HeadGradients, HeadOutputs, LossReport, LossRows, LossTerm, TermNeeds } from './accumulate.js';

export type SurrogateForm = 'ratio' | 'log-likelihood';

export interface SurrogateOptions {
  /** 'ratio' (default) or 'log-likelihood' (see the module comment). */
  form?: SurrogateForm;
  /** Take the pessimistic minimum with the clipped ratio (PPO-clip; the ratio form only). */
  clipped?: boolean;
  /** ε: the clip range, and where `clipFraction` is measured (∞ by default: no clipping, clipFraction 0). */
  clipRange?: number;
}

export class Surrogate implements LossTerm {
  readonly name = 'surrogate';
  readonly needs: TermNeeds;
  readonly form: SurrogateForm;
  readonly clipped: boolean;
  /** ε, set by the rule each iteration when it follows a schedule. */
  clipRange: number;
  private weights = new Float64Array(0);
  private readonly derivative = new Float64Array(1);
  private sum = 0;
  private approxKl = 0;
  private clipCount = 0;

  constructor({
    form = 'ratio',
    clipped = false,
    clipRange = Number.POSITIVE_INFINITY,
  }: SurrogateOptions = {}) {
    if (form === 'log-likelihood' && clipped) {
      throw new PolicygradError(
        "surrogate: clipped needs the 'ratio' form (the log-likelihood form has no ratio)",
      );
    }
    this.form = form;
    this.clipped = clipped;
    this.clipRange = clipRange;
    this.needs = {
      logProbs: true,
      rows: form === 'ratio' ? ['advantages', 'oldLogProbs'] : ['advantages'],
    };
  }

  begin(): void {
    this.sum = 0;
    this.approxKl = 0;
    this.clipCount = 0;
  }

  accumulate(out: HeadOutputs, rows: LossRows, grads: HeadGradients | null, total: number): void {
    const { start, size, logProbs } = out;
    if (this.weights.length < size) this.weights = new Float64Array(size);
    const weights = this.weights; // ∂L/∂log π_b
    const advantages = rows.advantages as ArrayLike<number>;
    const rowWeights = rows.weights ?? null;
    if (this.form === 'log-likelihood') {
      for (let b = 0; b < size; b++) {
        const k = start + b;
        weights[b] = -(rowWeights === null ? advantages[k] : rowWeights[k] * advantages[k]) / total;
        this.sum += weights[b] * logProbs[b];
      }
    } else {
      const oldLogProbs = rows.oldLogProbs as ArrayLike<number>;
      const eps = this.clipRange;
      const derivative = this.derivative;
      for (let b = 0; b < size; b++) {
        const k = start + b;
        const logRatio = logProbs[b] - oldLogProbs[k];
        const r = Math.exp(logRatio);
        let s = surrogateTerm(r, advantages[k], this.clipped ? eps : null, derivative);
        let d = derivative[0];
        if (rowWeights !== null) {
          s *= rowWeights[k];
          d *= rowWeights[k];
        }
        this.sum += s;
        weights[b] = -d / total;
        this.approxKl += r - 1 - logRatio;
        if (Math.abs(r - 1) > eps) this.clipCount++;
      }
    }
    if (grads !== null) {
      out.dist.gradLogProb(out.distInputs as Float32Array, out.actions, size, weights, grads.distInputs);
    }
  }

  finish(rows: number, total: number, report: LossReport): void {
    // The log-likelihood form's sum is of already scaled terms; the ratio form's of the surrogates s.
    const loss = this.form === 'log-likelihood' ? this.sum : -this.sum / total;
    report.loss += loss;
    addMetric(report, 'policyLoss', loss);
    if (this.form === 'ratio') {
      addMetric(report, 'approxKl', this.approxKl / rows);
      addMetric(report, 'clipFraction', this.clipCount / rows);
    }
  }
}

/** The policy surrogate term (see the module comment). */
export function surrogate(options: SurrogateOptions = {}): Surrogate {
  return new Surrogate(options);
}

/**
 * One sample's surrogate s(r, Â) — r·Â, or min(r·Â, clip(r, 1 − ε, 1 + ε)·Â) when `clipRange` is given — and
 * ∂s/∂log π written into `derivative[0]`: r·Â where the unclipped term is the minimum, 0 where the clipped one
 * is (there the clipped ratio is constant in θ).
 */
export function surrogateTerm(
  ratio: number,
  advantage: number,
  clipRange: number | null,
  derivative: Float64Array,
): number {
  const unclipped = ratio * advantage;
  derivative[0] = unclipped; // ∂(r·Â)/∂log π = r·Â, since ∂r/∂log π = r
  if (clipRange === null) return unclipped;
  const clippedTerm = Math.min(Math.max(ratio, 1 - clipRange), 1 + clipRange) * advantage;
  if (clippedTerm < unclipped) {
    derivative[0] = 0;
    return clippedTerm;
  }
  return unclipped;
}
