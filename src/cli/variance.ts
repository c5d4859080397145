/** Text rendering of a variance-lab report. */
import type { VarianceReport } from '../algos/variance-lab.js';

export function formatVarianceTable(report: VarianceReport): string {
  const lines = [
    `${report.env}: ${report.repeats} batches of ${report.batchEpisodes} episodes, γ = ${report.gamma}, seed ${report.seed}` +
      (report.criticLoss === null ? '' : `, critic MSE ${report.criticLoss.toFixed(3)}`),
    `reference: ${report.reference}`,
    '',
    'estimator      | ‖mean ĝ‖   | tr Cov(ĝ)   | relative | cos(mean, reference)',
    '---------------|-----------|-------------|----------|---------------------',
  ];
  for (const e of report.estimators) {
    lines.push(
      `${e.name.padEnd(14)} | ${e.meanNorm.toExponential(3).padStart(9)} | ${e.totalVariance.toExponential(3).padStart(11)} | ${e.relativeVariance.toFixed(4).padStart(8)} | ${e.cosineToReference.toFixed(4)}`,
    );
  }
  return lines.join('\n');
}
