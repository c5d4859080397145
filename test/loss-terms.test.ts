/**
 * Each loss term alone, against finite differences of its own value with respect to the head outputs it reads
 * (every distribution input, every V), on the distributions the policies use: Categorical (with and without
 * action masks), MultiDiscrete, DiagGaussian (free, state-dependent and gSDE's σ give the same head: [μ | log σ]),
 * and the tanh-squashed Gaussian.
 *
 * Tolerance, derived. The term's value is computed in float64 from float32 head outputs; a perturbed output is
 * stored as float32, so the difference quotient divides by the step actually taken, (x⁺ − x⁻), not by 2h — the
 * storage rounding then costs nothing. What remains:
 *  - truncation of the central difference, ≤ h²/6·max|f'''|. Per row the third derivatives are bounded by a small
 *    constant times |Â| (log-softmax: ≤ 0.1; Gaussian log-density in log σ: 4z² ≤ 36 for |z| ≤ 3; r = e^{log r}:
 *    r·(…)); with h = 1e-4 and |Â|/N ≤ 1 that is ≤ 36·1e-8/6 = 6e-8;
 *  - the float64 rounding of the value, ≈ 1e-16·|L|/h ≈ 1e-12;
 *  - the gradient is stored in float32 after a few additions (onehot − p, the entropy's and KL's sums): relative
 *    error ≤ 4·2⁻²⁴ ≈ 2.4e-7 of the largest summand, ≤ |w| ≤ (|Â|·r + c)/N.
 * So |g − fd| ≤ 1e-6·(1 + |fd|) holds with a margin of ten over the budget. Measured worst |g − fd|: 3e-8 where
 * |g| ≤ 1, and 1.6e-5 (relative 1e-8) for the Gaussian heads' ratio form, where r = π/π_old reaches 10³.
 * A sign flip or a dropped branch errs by O(|g|) ≥ 1e-3 here, a thousand times the tolerance (the mutations are
 * listed in the report of the commit that added this file; `a term with a negated gradient fails` keeps the
 * check itself honest).
 */
import { describe, expect, it } from 'vitest';
import type { ActorCriticPolicy } from '../src/index.js';
import type { Distribution } from '../src/policies/distributions.js';
import type { HeadOutputs, LossReport, LossRows, LossTerm } from '../src/algos/loss/accumulate.js';
import { surrogate } from '../src/algos/loss/surrogate.js';
import { klPenalty } from '../src/algos/loss/kl-penalty.js';
import { entropyBonus } from '../src/algos/loss/entropy-bonus.js';
import { valueLoss } from '../src/algos/loss/value-loss.js';
import { makePolicy, makeRows, type PolicyKind } from './loss-fixtures.js';

const H = 1e-4;
const TOLERANCE = 1e-6;

interface TermResult {
  loss: number;
  metrics: Record<string, number>;
  gradInputs: Float32Array;
  gradValues: Float32Array;
}

/** The term alone on one chunk of head outputs: its loss contribution and its gradient w.r.t. the outputs. */
function termAt(
  term: LossTerm,
  dist: Distribution,
  rows: LossRows,
  inputs: Float32Array,
  values: Float32Array,
): TermResult {
  const B = rows.size;
  const logProbs = new Float64Array(B);
  const entropies = new Float64Array(B);
  dist.logProb(inputs, rows.actions, B, logProbs);
  dist.entropy(inputs, B, entropies);
  const out: HeadOutputs = {
    start: 0,
    size: B,
    dist,
    actions: rows.actions,
    distInputs: inputs,
    logProbs,
    entropies,
    values,
  };
  const grads = { distInputs: new Float32Array(inputs.length), values: new Float32Array(B) };
  const report: LossReport = { loss: 0, metrics: {} };
  term.begin();
  term.accumulate(out, rows, grads, B);
  term.finish(B, B, report);
  return {
    loss: report.loss,
    metrics: report.metrics,
    gradInputs: grads.distInputs,
    gradValues: grads.values,
  };
}

/** The worst |g − fd| / (TOLERANCE·(1 + |fd|)) over every finite head output, and the largest |g|. */
function finiteDifferenceCheck(
  term: LossTerm,
  dist: Distribution,
  rows: LossRows,
  inputs: Float32Array,
  values: Float32Array,
): { worst: number; worstError: number; largest: number; checked: number } {
  const base = termAt(term, dist, rows, inputs, values);
  let worst = 0;
  let worstError = 0;
  let largest = 0;
  let checked = 0;
  const check = (array: Float32Array, gradient: Float32Array) => {
    for (let i = 0; i < array.length; i++) {
      const x = array[i];
      if (!Number.isFinite(x)) {
        expect(gradient[i], `masked output ${i}`).toBe(0);
        continue;
      }
      array[i] = x + H;
      const up = array[i];
      const lossUp = termAt(term, dist, rows, inputs, values).loss;
      array[i] = x - H;
      const down = array[i];
      const lossDown = termAt(term, dist, rows, inputs, values).loss;
      array[i] = x;
      const fd = (lossUp - lossDown) / (up - down);
      const error = Math.abs(gradient[i] - fd);
      worst = Math.max(worst, error / (TOLERANCE * (1 + Math.abs(fd))));
      worstError = Math.max(worstError, error);
      largest = Math.max(largest, Math.abs(gradient[i]));
      checked++;
    }
  };
  check(inputs, base.gradInputs);
  check(values, base.gradValues);
  return { worst, worstError, largest, checked };
}

/** Head outputs of a fixture: the current policy's distribution inputs (masked) and values. */
function fixture(kind: PolicyKind, seed = 1, B = 6) {
  const policy: ActorCriticPolicy = makePolicy(kind, seed);
  const rows = makeRows(policy, kind, B, seed + 1);
  const inputs = Float32Array.from(policy.distInputs(rows.observations, B, rows.masks ?? undefined));
  const values = Float32Array.from(policy.values(rows.observations, B));
  const logProbs = new Float64Array(B);
  policy.dist.logProb(inputs, rows.actions, B, logProbs);
  const ratios = Array.from(logProbs, (l, b) => Math.exp(l - rows.oldLogProbs[b]));
  return { policy, dist: policy.dist, rows, inputs, values, ratios };
}

const HEAD_KINDS: PolicyKind[] = ['discrete', 'masked', 'multi-discrete', 'gaussian', 'squashed'];

function expectPasses(result: ReturnType<typeof finiteDifferenceCheck>): void {
  expect(result.checked).toBeGreaterThan(0);
  expect(result.largest, 'the term moves its outputs').toBeGreaterThan(1e-3);
  expect(result.worst, `worst |g − fd| = ${result.worstError.toExponential(2)}`).toBeLessThanOrEqual(1);
}

describe.each(HEAD_KINDS)('loss terms alone, %s head: gradient = finite differences of the value', (kind) => {
  it('surrogate, ratio form (r·Â, weighted rows)', () => {
    const { dist, rows, inputs, values } = fixture(kind);
    expectPasses(finiteDifferenceCheck(surrogate(), dist, rows, inputs, values));
    const weights = Float64Array.from({ length: rows.size }, (_, b) => 0.5 + b / rows.size);
    expectPasses(finiteDifferenceCheck(surrogate(), dist, { ...rows, weights }, inputs, values));
  });

  it('surrogate, clipped (rows on both sides of the trust region, away from its kinks)', () => {
    const { dist, rows, inputs, values, ratios } = fixture(kind, 3, 12);
    const eps = 0.2;
    // Rows within 1e-2 of a kink (r = 1 ± ε) are moved off it: π_old(a|s) scaled by e^0.1.
    for (let b = 0; b < rows.size; b++) {
      if (Math.abs(Math.abs(ratios[b] - 1) - eps) <= 1e-2) {
        rows.oldLogProbs[b] -= 0.1;
        ratios[b] *= Math.exp(0.1);
      }
    }
    expect(ratios.every((r) => Math.abs(r - 1 - eps) > 1e-2 && Math.abs(r - 1 + eps) > 1e-2)).toBe(true);
    // Some rows are clipped (no gradient), some not.
    const clippedRows = ratios.filter((r, b) => {
      const a = rows.advantages[b];
      return (a > 0 && r > 1 + eps) || (a < 0 && r < 1 - eps);
    });
    expect(clippedRows.length).toBeGreaterThan(0);
    expect(clippedRows.length).toBeLessThan(ratios.length);
    expectPasses(
      finiteDifferenceCheck(surrogate({ clipped: true, clipRange: eps }), dist, rows, inputs, values),
    );
  });

  it('surrogate, log-likelihood form (REINFORCE, weighted rows)', () => {
    const { dist, rows, inputs, values } = fixture(kind);
    const weights = Float64Array.from({ length: rows.size }, (_, b) => 0.5 + b / rows.size);
    const term = surrogate({ form: 'log-likelihood' });
    expectPasses(finiteDifferenceCheck(term, dist, { ...rows, weights }, inputs, values));
  });

  it('klPenalty(β), KL(π_old ‖ π)', () => {
    const { dist, rows, inputs, values } = fixture(kind);
    expectPasses(finiteDifferenceCheck(klPenalty({ beta: 0.7 }), dist, rows, inputs, values));
  });

  it('entropyBonus(c_H)', () => {
    const { dist, rows, inputs, values } = fixture(kind);
    expectPasses(finiteDifferenceCheck(entropyBonus(0.3), dist, rows, inputs, values));
  });
});

describe.each(['sb3', 'cleanrl'] as const)('valueLoss %s alone: gradient = finite differences', (form) => {
  it('without clipping', () => {
    const { dist, rows, inputs, values } = fixture('discrete');
    expectPasses(finiteDifferenceCheck(valueLoss({ form, coef: 0.5 }), dist, rows, inputs, values));
  });

  it('with clipping active (V ≠ V_old: rows clipped and not, away from the kinks)', () => {
    const { dist, rows, inputs, values } = fixture('discrete', 5, 16);
    const eps = 0.1;
    // Rows within 1e-2 of the clamp's kink (|V − V_old| = ε_V) get V_old moved 0.05 further off.
    for (let b = 0; b < rows.size; b++) {
      const delta = values[b] - rows.oldValues[b];
      if (Math.abs(Math.abs(delta) - eps) <= 1e-2)
        rows.oldValues[b] -= Math.sign(delta) * 0.05 * (Math.abs(delta) > eps ? -1 : 1);
    }
    const deltas = Array.from(values, (v, b) => Math.abs(v - rows.oldValues[b]));
    // CleanRL's max has a kink where |V − R| = |V_clip − R|: every clipped row stays 1e-2 away from it.
    const vClip = (b: number) => rows.oldValues[b] + Math.sign(values[b] - rows.oldValues[b]) * eps;
    const gaps = deltas.flatMap((d, b) =>
      d > eps ? [Math.abs(Math.abs(values[b] - rows.returns[b]) - Math.abs(vClip(b) - rows.returns[b]))] : [],
    );
    expect(Math.min(...gaps)).toBeGreaterThan(1e-2);
    expect(deltas.every((d) => Math.abs(d - eps) > 1e-2)).toBe(true);
    expect(deltas.filter((d) => d > eps).length).toBeGreaterThanOrEqual(2);
    expect(deltas.filter((d) => d < eps).length).toBeGreaterThanOrEqual(2);
    const term = valueLoss({ form, clipRangeVf: eps, coef: 0.5 });
    expectPasses(finiteDifferenceCheck(term, dist, rows, inputs, values));
  });
});

describe('loss terms alone: values and metrics, by hand', () => {
  const { dist, rows, inputs, values } = fixture('discrete', 3, 12);
  const B = rows.size;
  const logProbs = new Float64Array(B);
  dist.logProb(inputs, rows.actions, B, logProbs);
  const weights = Float64Array.from({ length: B }, (_, b) => 0.5 + b / B);
  const sumOf = (f: (b: number) => number) =>
    Array.from({ length: B }, (_, b) => f(b)).reduce((x, y) => x + y, 0);
  const ratio = (b: number) => Math.exp(logProbs[b] - rows.oldLogProbs[b]);

  it('surrogate: −(1/N) Σ w·s(r, Â), approxKl, clipFraction; log-likelihood: −(1/N) Σ w·Â·log π', () => {
    const eps = 0.2;
    const clip = (r: number) => Math.min(Math.max(r, 1 - eps), 1 + eps);
    const clipped = termAt(
      surrogate({ clipped: true, clipRange: eps }),
      dist,
      { ...rows, weights },
      inputs,
      values,
    );
    const s = (b: number) =>
      weights[b] * Math.min(ratio(b) * rows.advantages[b], clip(ratio(b)) * rows.advantages[b]);
    expect(clipped.loss).toBeCloseTo(-sumOf(s) / B, 12);
    expect(clipped.metrics.policyLoss).toBe(clipped.loss);
    expect(clipped.metrics.approxKl).toBeCloseTo(sumOf((b) => ratio(b) - 1 - Math.log(ratio(b))) / B, 12);
    const outside = sumOf((b) => (Math.abs(ratio(b) - 1) > eps ? 1 : 0));
    expect(outside).toBeGreaterThan(0);
    expect(clipped.metrics.clipFraction).toBe(outside / B);
    const plain = termAt(surrogate(), dist, rows, inputs, values);
    expect(plain.loss).toBeCloseTo(-sumOf((b) => ratio(b) * rows.advantages[b]) / B, 12);
    expect(plain.metrics.clipFraction).toBe(0);
    const ll = termAt(surrogate({ form: 'log-likelihood' }), dist, { ...rows, weights }, inputs, values);
    expect(ll.loss).toBeCloseTo(-sumOf((b) => weights[b] * rows.advantages[b] * logProbs[b]) / B, 12);
    expect(ll.metrics).toEqual({ policyLoss: ll.loss });
  });

  it('klPenalty: β·mean KL(π_old ‖ π) into policyLoss, kl; the other direction measured', () => {
    const kls = new Float64Array(B);
    dist.kl(rows.oldDistInputs as Float32Array, inputs, B, kls);
    const r = termAt(klPenalty({ beta: 0.7 }), dist, rows, inputs, values);
    expect(r.metrics.kl).toBeCloseTo(kls.reduce((x, y) => x + y, 0) / B, 12);
    expect(r.loss).toBeCloseTo(0.7 * r.metrics.kl, 12);
    expect(r.metrics.policyLoss).toBe(r.loss);
    dist.kl(inputs, rows.oldDistInputs as Float32Array, B, kls);
    const reverse = termAt(klPenalty({ beta: 0, direction: 'new-old' }), dist, rows, inputs, values);
    expect(reverse.metrics.kl).toBeCloseTo(kls.reduce((x, y) => x + y, 0) / B, 12);
    expect(reverse.metrics.kl).not.toBeCloseTo(r.metrics.kl, 3);
    expect(reverse.loss).toBe(0);
    expect(() => termAt(klPenalty({ beta: 1, direction: 'new-old' }), dist, rows, inputs, values)).toThrow(
      "klPenalty: direction 'new-old' has no gradient",
    );
  });

  it('entropyBonus: −c_H·mean H, entropy', () => {
    const entropies = new Float64Array(B);
    dist.entropy(inputs, B, entropies);
    const r = termAt(entropyBonus(0.3), dist, rows, inputs, values);
    expect(r.metrics.entropy).toBeCloseTo(entropies.reduce((x, y) => x + y, 0) / B, 12);
    expect(r.loss).toBeCloseTo(-0.3 * r.metrics.entropy, 12);
  });

  it.each(['sb3', 'cleanrl'] as const)('valueLoss %s: c_V·L_V, valueLoss', (form) => {
    const eps = 0.1;
    const r = termAt(valueLoss({ form, clipRangeVf: eps, coef: 0.5 }), dist, rows, inputs, values);
    const terms = Array.from(values, (v, b) => {
      const vClip = rows.oldValues[b] + Math.min(Math.max(v - rows.oldValues[b], -eps), eps);
      const unclipped = (v - rows.returns[b]) ** 2;
      const clippedError = (vClip - rows.returns[b]) ** 2;
      return form === 'sb3' ? clippedError : 0.5 * Math.max(unclipped, clippedError);
    });
    expect(r.metrics.valueLoss).toBeCloseTo(terms.reduce((x, y) => x + y, 0) / B, 12);
    expect(r.loss).toBeCloseTo(0.5 * r.metrics.valueLoss, 12);
  });
});

describe('the check can fail', () => {
  it('a term with a negated gradient fails', () => {
    const { dist, rows, inputs, values } = fixture('gaussian');
    const term = entropyBonus(0.3);
    const negated: LossTerm = {
      name: 'negated',
      needs: term.needs,
      begin: () => term.begin(),
      accumulate: (out, r, grads, total) => {
        const before = grads?.distInputs.slice();
        term.accumulate(out, r, grads, total);
        if (grads && before)
          for (let i = 0; i < before.length; i++) grads.distInputs[i] = 2 * before[i] - grads.distInputs[i];
      },
      finish: (n, total, report) => term.finish(n, total, report),
    };
    expect(finiteDifferenceCheck(negated, dist, rows, inputs, values).worst).toBeGreaterThan(1000);
  });
});
