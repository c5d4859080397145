/**
 * Two-sample Kolmogorov–Smirnov test: D = sup |F₁(x) − F₂(x)| over the pooled values, and its asymptotic p-value
 * Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} with Stephens' small-sample correction
 * λ = (√nₑ + 0.12 + 0.11/√nₑ)·D, nₑ = nm/(n+m) (Numerical Recipes, 3rd ed., §14.3.3). With ties (episode
 * lengths are integers) the test is conservative: p is, if anything, too large.
 */
export function ksTwoSample(
  a: readonly number[],
  b: readonly number[],
): { statistic: number; pValue: number } {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let statistic = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    statistic = Math.max(statistic, Math.abs(i / x.length - j / y.length));
  }
  const ne = Math.sqrt((x.length * y.length) / (x.length + y.length));
  const lambda = (ne + 0.12 + 0.11 / ne) * statistic;
  return { statistic, pValue: kolmogorovQ(lambda) };
}

function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(Math.max(sum, 0), 1);
}
