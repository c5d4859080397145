/**
 * The value loss c_V·L_V, in the form of the library whose results a run reproduces:
 *
 *   'sb3'      L_V = (1/N) Σ (V_clip(s_b) − R_b)²                            (SB3's PPO and A2C)
 *   'cleanrl'  L_V = ½·(1/N) Σ max((V(s_b) − R_b)², (V_clip(s_b) − R_b)²)     (CleanRL's ppo*.py)
 *   with V_clip = V_old + clip(V − V_old, −ε_V, ε_V) when clipRangeVf = ε_V is set, else V_clip = V.
 *
 * Without clipping they are MSE and ½·MSE. The forms differ twice: CleanRL's carries a ½ (half SB3's gradient at
 * the same c_V), and where V has left V_old ± ε_V it keeps the unclipped error's gradient whenever that error is
 * the larger one (a pessimistic bound, like the policy's), where SB3's clamped prediction has none.
 *
 * Metric: `valueLoss`, L_V (without c_V) over the rows.
 */
import { addMetric } from './accumulate.js';
import type { HeadGradients, HeadOutputs, LossReport, LossRows, LossTerm, TermNeeds } from './accumulate.js';

export type ValueLossForm = 'sb3' | 'cleanrl';

export interface ValueLossOptions {
  /** 'sb3' (default) or 'cleanrl'. */
  form?: ValueLossForm;
  /** ε_V: clip V to V_old ± ε_V (SB3's clip_range_vf); null (default) for no clipping. */
  clipRangeVf?: number | null;
  /** c_V. */
  coef: number;
}

export class ValueLoss implements LossTerm {
  readonly name = 'valueLoss';
  readonly needs: TermNeeds;
  readonly form: ValueLossForm;
  readonly clipRangeVf: number | null;
  readonly coef: number;
  private sum = 0;

  constructor({ form = 'sb3', clipRangeVf = null, coef }: ValueLossOptions) {
    this.form = form;
    this.clipRangeVf = clipRangeVf;
    this.coef = coef;
    this.needs = { values: true, rows: clipRangeVf === null ? ['returns'] : ['returns', 'oldValues'] };
  }

  begin(): void {
    this.sum = 0;
  }

  accumulate(out: HeadOutputs, rows: LossRows, grads: HeadGradients | null, total: number): void {
    const { start, size } = out;
    const values = out.values as Float32Array;
    const returns = rows.returns as ArrayLike<number>;
    const oldValues = rows.oldValues ?? null; // given whenever clipping (the term's needs)
    const cleanrl = this.form === 'cleanrl';
    const coef = this.coef;
    for (let b = 0; b < size; b++) {
      const k = start + b;
      const v = values[b];
      const vClip = oldValues === null ? v : clippedValue(v, oldValues[k], this.clipRangeVf);
      const err = v - returns[k];
      const errClip = vClip - returns[k];
      const flowsThroughClip = vClip === v ? 1 : 0;
      let gradient: number; // ∂(c_V·L_V)/∂V_b
      if (!cleanrl) {
        this.sum += errClip * errClip;
        gradient = (coef * 2 * errClip * flowsThroughClip) / total;
      } else if (err * err >= errClip * errClip) {
        this.sum += 0.5 * err * err;
        gradient = (coef * err) / total;
      } else {
        this.sum += 0.5 * errClip * errClip;
        gradient = (coef * errClip * flowsThroughClip) / total;
      }
      if (grads !== null) grads.values[b] += gradient;
    }
  }

  finish(rows: number, total: number, report: LossReport): void {
    report.loss += this.coef * (this.sum / total);
    addMetric(report, 'valueLoss', this.sum / rows);
  }
}

/** The value-loss term (see the module comment). */
export function valueLoss(options: ValueLossOptions): ValueLoss {
  return new ValueLoss(options);
}

/** V clipped to V_old ± ε_V: V itself (the same number) inside the range or when ε_V is null. */
export function clippedValue(v: number, oldValue: number, clipRangeVf: number | null): number {
  if (clipRangeVf === null || Math.abs(v - oldValue) <= clipRangeVf) return v;
  return oldValue + Math.sign(v - oldValue) * clipRangeVf;
}
