import { describe, expect, it } from 'vitest';
import { Categorical, DiagGaussian, type Distribution, Rng, SquashedDiagGaussian } from '../src/internal.js';

const H = 1e-6;

interface Case {
  name: string;
  dist: Distribution;
  /** Random distribution inputs for `batch` samples. */
  inputs: (rng: Rng, batch: number) => Float64Array;
}

const cases: Case[] = [
  {
    name: 'Categorical(4)',
    dist: new Categorical(4),
    inputs: (rng, batch) => Float64Array.from({ length: batch * 4 }, () => rng.normal(0, 1.5)),
  },
  {
    name: 'Categorical([2, 3]) (MultiDiscrete)',
    dist: new Categorical([2, 3]),
    inputs: (rng, batch) => Float64Array.from({ length: batch * 5 }, () => rng.normal(0, 1.5)),
  },
  {
    name: 'DiagGaussian(3)',
    dist: new DiagGaussian(3),
    inputs: (rng, batch) =>
      Float64Array.from({ length: batch * 6 }, (_, k) => (k % 6 < 3 ? rng.normal() : rng.uniform(-1, 0.5))),
  },
  {
    // entropy by Gauss–Hermite quadrature, checked against −E[log π] by Monte Carlo below
    name: 'SquashedDiagGaussian(2) (tanh)',
    dist: new SquashedDiagGaussian(2),
    inputs: (rng, batch) =>
      Float64Array.from({ length: batch * 4 }, (_, k) => (k % 4 < 2 ? rng.normal() : rng.uniform(-1, 0.5))),
  },
];

function perSample(dist: Distribution, batch: number, fn: (out: Float64Array) => void): Float64Array {
  const out = new Float64Array(batch);
  fn(out);
  return out;
}

/** Central differences of Σ_b w_b f_b(inputs_b) w.r.t. every input. */
function numericGradient(
  inputs: Float64Array,
  weights: Float64Array,
  f: (x: Float64Array) => Float64Array,
): Float64Array {
  const total = (x: Float64Array) => f(x).reduce((acc, v, b) => acc + v * weights[b], 0);
  return inputs.map((_, i) => {
    const x = inputs.slice();
    x[i] += H;
    const up = total(x);
    x[i] -= 2 * H;
    return (up - total(x)) / (2 * H);
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tol);
}

describe.each(cases)('$name', ({ dist, inputs }) => {
  const batch = 5;

  it('gradLogProb, gradEntropy and gradKl match central finite differences (float64)', () => {
    const rng = Rng.fromSeed(1);
    const x = inputs(rng, batch);
    const old = inputs(rng, batch);
    const weights = Float64Array.from({ length: batch }, () => rng.normal());
    const actions = new Float64Array(batch * dist.actionSize);
    dist.sample(x, batch, rng, actions);

    const g1 = new Float64Array(x.length);
    dist.gradLogProb(x, actions, batch, weights, g1);
    expectClose(
      g1,
      numericGradient(x, weights, (y) => perSample(dist, batch, (o) => dist.logProb(y, actions, batch, o))),
      1e-7,
    );

    const g2 = new Float64Array(x.length);
    dist.gradEntropy(x, batch, weights, g2);
    expectClose(
      g2,
      numericGradient(x, weights, (y) => perSample(dist, batch, (o) => dist.entropy(y, batch, o))),
      1e-7,
    );

    const g3 = new Float64Array(x.length);
    dist.gradKl(old, x, batch, weights, g3);
    expectClose(
      g3,
      numericGradient(x, weights, (y) => perSample(dist, batch, (o) => dist.kl(old, y, batch, o))),
      1e-7,
    );
  });

  it('entropy equals −E[log π(a)] and KL(old‖new) equals E_old[log π_old − log π_new] (Monte Carlo, 4 SE)', () => {
    const rng = Rng.fromSeed(2);
    const x = inputs(rng, 1);
    const y = inputs(rng, 1);
    const n = 40000;
    const manyX = new Float64Array(n * dist.inputSize);
    const manyY = new Float64Array(n * dist.inputSize);
    for (let b = 0; b < n; b++) {
      manyX.set(x, b * dist.inputSize);
      manyY.set(y, b * dist.inputSize);
    }
    const actions = new Float64Array(n * dist.actionSize);
    dist.sample(manyX, n, rng, actions);
    const lx = perSample(dist, n, (o) => dist.logProb(manyX, actions, n, o));
    const ly = perSample(dist, n, (o) => dist.logProb(manyY, actions, n, o));
    const check = (samples: Float64Array, exact: number) => {
      const mean = samples.reduce((a, v) => a + v, 0) / n;
      const sd = Math.sqrt(samples.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
      expect(Math.abs(mean - exact)).toBeLessThan(4 * (sd / Math.sqrt(n)) + 1e-12);
    };
    check(
      lx.map((v) => -v),
      perSample(dist, 1, (o) => dist.entropy(x, 1, o))[0],
    );
    check(
      lx.map((v, b) => v - ly[b]),
      perSample(dist, 1, (o) => dist.kl(x, y, 1, o))[0],
    );
  });

  it('KL(p‖p) = 0 and KL ≥ 0', () => {
    const rng = Rng.fromSeed(3);
    const x = inputs(rng, batch);
    const y = inputs(rng, batch);
    expectClose(
      perSample(dist, batch, (o) => dist.kl(x, x, batch, o)),
      new Float64Array(batch),
      1e-12,
    );
    for (const v of perSample(dist, batch, (o) => dist.kl(x, y, batch, o))) expect(v).toBeGreaterThan(0);
  });

  it('the Fisher metric is the Hessian of KL(old‖new) at new = old: M v = d/dε ∇KL(old, old + εv)', () => {
    const rng = Rng.fromSeed(4);
    const x = inputs(rng, batch);
    const v = Float64Array.from({ length: x.length }, () => rng.normal());
    const ones = new Float64Array(batch).fill(1);
    const gradAt = (eps: number) => {
      const g = new Float64Array(x.length);
      dist.gradKl(
        x,
        x.map((xi, i) => xi + eps * v[i]),
        batch,
        ones,
        g,
      );
      return g;
    };
    const plus = gradAt(H);
    const minus = gradAt(-H);
    const numeric = plus.map((p, i) => (p - minus[i]) / (2 * H));
    const mv = new Float64Array(x.length);
    dist.fisherVectorProduct(x, v, batch, mv);
    expectClose(mv, numeric, 1e-6);
  });
});

describe('Categorical', () => {
  it('samples each action with its probability (chi-square) and mode is the argmax', () => {
    const dist = new Categorical(3);
    const logits = Float64Array.of(Math.log(0.2), Math.log(0.5), Math.log(0.3));
    const n = 30000;
    const many = new Float64Array(3 * n);
    for (let b = 0; b < n; b++) many.set(logits, 3 * b);
    const actions = new Float64Array(n);
    dist.sample(many, n, Rng.fromSeed(5), actions);
    const counts = [0, 0, 0];
    for (const a of actions) counts[a]++;
    const chi2 = [0.2, 0.5, 0.3].reduce((acc, p, i) => acc + (counts[i] - p * n) ** 2 / (p * n), 0);
    expect(chi2).toBeLessThan(13.8); // 99.9% quantile, 2 degrees of freedom
    const mode = new Float64Array(1);
    dist.mode(logits, 1, mode);
    expect(mode[0]).toBe(1);
  });

  it('masked actions are never sampled, have zero probability and receive zero gradient', () => {
    const dist = new Categorical(4);
    const batch = 2000;
    const logits = Float64Array.from({ length: 4 * batch }, (_, k) => [3, 0, 1, 2][k % 4]);
    const mask = Array.from({ length: 4 * batch }, (_, k) => (k % 4 === 0 || k % 4 === 3 ? 0 : 1));
    dist.maskLogits(logits, mask, batch);
    const actions = new Float64Array(batch);
    dist.sample(logits, batch, Rng.fromSeed(6), actions);
    expect(new Set(actions)).toEqual(new Set([1, 2]));
    const lp = new Float64Array(1);
    dist.logProb(logits, Float64Array.of(2), 1, lp);
    expect(lp[0]).toBeCloseTo(Math.log(Math.E / (1 + Math.E)), 12);
    const h = new Float64Array(1);
    dist.entropy(logits, 1, h);
    expect(Number.isFinite(h[0])).toBe(true);
    const g = new Float64Array(4);
    dist.gradLogProb(logits, Float64Array.of(1), 1, Float64Array.of(1), g);
    dist.gradEntropy(logits, 1, Float64Array.of(1), g);
    expect([g[0], g[3]]).toEqual([0, 0]);
    const mode = new Float64Array(1);
    dist.mode(logits, 1, mode);
    expect(mode[0]).toBe(2);
  });
});

describe('DiagGaussian', () => {
  it('samples with the given mean and standard deviation', () => {
    const dist = new DiagGaussian(1);
    const n = 20000;
    const inputs = new Float64Array(2 * n);
    for (let b = 0; b < n; b++) inputs.set([1.5, Math.log(0.5)], 2 * b);
    const actions = new Float64Array(n);
    dist.sample(inputs, n, Rng.fromSeed(7), actions);
    const mean = actions.reduce((a, v) => a + v, 0) / n;
    const variance = actions.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean - 1.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    expect(Math.abs(variance - 0.25)).toBeLessThan(4 * 0.25 * Math.sqrt(2 / (n - 1)));
  });
});
