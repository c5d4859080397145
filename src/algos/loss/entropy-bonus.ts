/**
 * The entropy bonus −c_H·(1/N) Σ H(π(·|s_b)) (Williams & Peng 1991; Mnih et al. 2016). Every on-policy row
 * reports the entropy, so the term is in the list even with c_H = 0 (then it adds no gradient).
 *
 * Metric: `entropy`, the mean H over the rows.
 */
import {
  addMetric,
  type HeadGradients,
  type HeadOutputs,
  type LossReport,
  type LossTerm,
  type TermNeeds,
} from './accumulate.js';

export class EntropyBonus implements LossTerm {
  readonly name = 'entropyBonus';
  readonly needs: TermNeeds = { entropies: true };
  private constants = new Float64Array(0);
  private sum = 0;

  constructor(readonly coef: number) {}

  begin(): void {
    this.sum = 0;
  }

  accumulate(out: HeadOutputs, _rows: unknown, grads: HeadGradients | null, total: number): void {
    const { size, entropies } = out;
    for (let b = 0; b < size; b++) this.sum += entropies[b];
    if (grads === null || this.coef === 0) return;
    if (this.constants.length < size) this.constants = new Float64Array(size);
    this.constants.fill(-this.coef / total, 0, size); // ∂(−c_H·(1/N) Σ H)/∂H_b
    out.dist.gradEntropy(out.distInputs as Float32Array, size, this.constants, grads.distInputs);
  }

  finish(rows: number, total: number, report: LossReport): void {
    report.loss += -this.coef * (this.sum / total);
    addMetric(report, 'entropy', this.sum / rows);
  }
}

/** The entropy bonus with coefficient c_H. */
export function entropyBonus(coef: number): EntropyBonus {
  return new EntropyBonus(coef);
}
