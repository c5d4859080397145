/**
 * Estimators checked against exact expectations: importance-sampled reuse, batches of whole episodes, and the
 * discounted objective.
 *
 * Small MDPs with tabular softmax policies are enumerated trajectory by trajectory, with each trajectory's
 * probability under the behaviour policy β and the target policy π. That gives ∇J(π) exactly, and the exact
 * expectation under β of every importance-sampled estimator built from the library's estimators on a batch
 * holding the trajectory: E_β[ĝ] = Σ_τ β(τ) ĝ(τ). Then a Monte Carlo check: R batches of M episodes drawn from β,
 * each coordinate of the mean estimate within 4 standard errors (sd/√R) of ∇J (fixed seeds: deterministic).
 *
 * Estimators (per batch, summed over its episodes; the score ∇log π(a|s) of a tabular softmax is e_a − π(·|s)):
 *  - trajectory IS:  ρ_{0:L−1} Σ_t ∇log π(a_t|s_t) G_t;
 *  - per-decision IS (Precup et al. 2000): Σ_t w_t ∇log π(a_t|s_t) (Ψ_t − b(s_t)), w = perDecisionWeights,
 *    Ψ = importanceSampledRewardToGo (or importanceSampledTotalReturn);
 *  - truncated: the same with w_t capped at c̄ (biased; the bias is measured and printed with REPORT_BIAS=1);
 *  - the estimator REINFORCE used before: Σ_t w_t ∇log π(a_t|s_t) G_t (plain reward-to-go): biased.
 * Then REINFORCE's batches without a critic (whole episodes until T steps, versus T steps cut at the batch end),
 * and at γ < 1 the γ^t-weighted reward-to-go (unbiased for ∇J_γ) against the plain one (not).
 */
import { describe, expect, it } from 'vitest';
import {
  discountedRewardToGo,
  importanceSampledRewardToGo,
  importanceSampledTotalReturn,
  perDecisionWeights,
  Rng,
  rewardToGo,
  type StepBatch,
} from '../src/internal.js';
import { sampleIndex } from './helpers.js';

const A = 2;

interface MDP {
  S: number;
  horizon: number;
  rho0: number[];
  /** P[s][a]: probabilities of the next state 0 … S−1, then of termination (last entry). */
  P: number[][][];
  r: number[][];
}

interface Step {
  s: number;
  a: number;
  r: number;
}

interface Trajectory {
  steps: Step[];
  /** Probability under the behaviour policy β and under the target policy π. */
  pBeta: number;
  pPi: number;
}

function softmax(theta: Float64Array, s: number): number[] {
  const z = [0, 1].map((a) => Math.exp(theta[s * A + a]));
  return z.map((v) => v / (z[0] + z[1]));
}

/** Every trajectory with its probabilities; an episode ends at termination or at the horizon (terminated). */
function enumerate(mdp: MDP, pi: Float64Array, beta: Float64Array): Trajectory[] {
  const out: Trajectory[] = [];
  const visit = (s: number, steps: Step[], pBeta: number, pPi: number) => {
    for (let a = 0; a < A; a++) {
      const path = [...steps, { s, a, r: mdp.r[s][a] }];
      const b = pBeta * softmax(beta, s)[a];
      const p = pPi * softmax(pi, s)[a];
      const next = mdp.P[s][a];
      const end = path.length === mdp.horizon ? 1 : next[mdp.S];
      if (end > 0) out.push({ steps: path, pBeta: b * end, pPi: p * end });
      if (path.length === mdp.horizon) continue;
      for (let s2 = 0; s2 < mdp.S; s2++) if (next[s2] > 0) visit(s2, path, b * next[s2], p * next[s2]);
    }
  };
  mdp.rho0.forEach((p0, s) => p0 > 0 && visit(s, [], p0, p0));
  return out;
}

function sampleEpisode(mdp: MDP, theta: Float64Array, rng: Rng): Step[] {
  const steps: Step[] = [];
  let s = sampleIndex(mdp.rho0, rng);
  for (;;) {
    const a = sampleIndex(softmax(theta, s), rng);
    steps.push({ s, a, r: mdp.r[s][a] });
    const next = sampleIndex(mdp.P[s][a], rng);
    if (next === mdp.S || steps.length === mdp.horizon) return steps;
    s = next;
  }
}

type Estimator =
  | 'on-policy'
  | 'trajectory'
  | 'per-decision'
  | 'per-decision-total'
  | 'per-decision-baseline'
  | 'truncated'
  | 'old';

/** An arbitrary state-dependent baseline: subtracting it keeps every estimator unbiased. */
const BASELINE = [1.5, -0.7, 2.2, 0.3];

/**
 * One estimator's gradient Σ_episodes Σ_t w_t ∇log π(a_t|s_t) Ψ_t on a batch holding `episodes` one after the
 * other in a single stream (numEnvs = 1, as `collectEpisodes` lays them out).
 */
function gradient(
  name: Estimator,
  episodes: Step[][],
  pi: Float64Array,
  beta: Float64Array,
  gamma: number,
  clip: number,
): Float64Array {
  const steps = episodes.flat();
  const n = steps.length;
  const batch: StepBatch = {
    numEnvs: 1,
    rewards: Float64Array.from(steps, (x) => x.r),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
  };
  let end = -1;
  for (const e of episodes) batch.terminated[(end += e.length)] = 1;
  const logRatios = Float64Array.from(steps, ({ s, a }) => Math.log(softmax(pi, s)[a] / softmax(beta, s)[a]));
  const w = new Float64Array(n).fill(1);
  const psi = new Float64Array(n);
  if (name === 'on-policy' || name === 'trajectory' || name === 'old') rewardToGo(batch, gamma, null, psi);
  else if (name === 'per-decision-total') importanceSampledTotalReturn(batch, logRatios, gamma, null, psi);
  else importanceSampledRewardToGo(batch, logRatios, gamma, null, psi);
  if (name === 'per-decision-baseline') steps.forEach(({ s }, k) => (psi[k] -= BASELINE[s]));
  if (name === 'trajectory') {
    let start = 0;
    for (const e of episodes) {
      let logRho = 0;
      for (let k = start; k < start + e.length; k++) logRho += logRatios[k];
      w.fill(Math.exp(logRho), start, start + e.length);
      start += e.length;
    }
  } else if (name !== 'on-policy') {
    perDecisionWeights(batch, logRatios, name === 'truncated' ? clip : null, w);
  }
  const grad = new Float64Array(pi.length);
  steps.forEach(({ s, a }, k) => {
    const p = softmax(pi, s);
    for (let b = 0; b < A; b++) grad[s * A + b] += w[k] * psi[k] * ((a === b ? 1 : 0) - p[b]);
  });
  return grad;
}

/** E[ĝ] by enumeration: under π for the on-policy estimator, under β for the others. */
function expectation(
  name: Estimator,
  trajectories: Trajectory[],
  pi: Float64Array,
  beta: Float64Array,
  gamma: number,
  clip = Infinity,
): Float64Array {
  const out = new Float64Array(pi.length);
  for (const tau of trajectories) {
    const p = name === 'on-policy' ? tau.pPi : tau.pBeta;
    const g = gradient(name, [tau.steps], pi, beta, gamma, clip);
    for (let k = 0; k < out.length; k++) out[k] += p * g[k];
  }
  return out;
}

/** ∇J(π) = Σ_τ π(τ) R(τ) Σ_t ∇log π(a_t|s_t) (undiscounted), by enumeration — independent of the estimators. */
function exactGradient(trajectories: Trajectory[], pi: Float64Array): Float64Array {
  const grad = new Float64Array(pi.length);
  for (const { steps, pPi } of trajectories) {
    const R = steps.reduce((acc, x) => acc + x.r, 0);
    for (const { s, a } of steps) {
      const p = softmax(pi, s);
      for (let b = 0; b < A; b++) grad[s * A + b] += pPi * R * ((a === b ? 1 : 0) - p[b]);
    }
  }
  return grad;
}

const expectClose = (actual: Float64Array, expected: Float64Array, digits = 12) =>
  expected.forEach((e, k) => expect(actual[k], `coordinate ${k}`).toBeCloseTo(e, digits));

describe('a two-step MDP where the old reuse estimator points the wrong way', () => {
  // s0 —a=0→ L, s0 —a=1→ R; one more action, then the episode ends. Only R's action 1 pays (1); L pays 0.5.
  // π is uniform at s0 and L and takes R's paying action w.p. 0.9; β collected the data taking it w.p. 0.1.
  const mdp: MDP = {
    S: 3,
    horizon: 2,
    rho0: [1, 0, 0],
    P: [
      [
        [0, 1, 0, 0],
        [0, 0, 1, 0],
      ],
      [
        [0, 0, 0, 1],
        [0, 0, 0, 1],
      ],
      [
        [0, 0, 0, 1],
        [0, 0, 0, 1],
      ],
    ],
    r: [
      [0, 0],
      [0.5, 0.5],
      [0, 1],
    ],
  };
  const pi = Float64Array.of(0, 0, 0, 0, 0, Math.log(9));
  const beta = Float64Array.of(0, 0, 0, 0, 0, -Math.log(9));
  const trajectories = enumerate(mdp, pi, beta);

  it('∇J at s0 is ±0.25·(V_π(R) − V_π(L)) = ±0.1; the old estimator expects ±0.25·(V_β(R) − V_β(L)) = ∓0.1', () => {
    const exact = exactGradient(trajectories, pi);
    expect(exact[0]).toBeCloseTo(-0.1, 12);
    expect(exact[1]).toBeCloseTo(0.1, 12);
    const old = expectation('old', trajectories, pi, beta, 1);
    expect(old[1]).toBeCloseTo(-0.1, 12); // the rewards after s0 are distributed as under β
    const perDecision = expectation('per-decision', trajectories, pi, beta, 1);
    expectClose(perDecision, exact);
    if (process.env.REPORT_BIAS) {
      console.info(`two-step MDP, s0: exact ±${exact[1].toFixed(4)}, old ±${old[1].toFixed(4)}`);
    }
  });
});

describe('importance-sampled estimators on a finite MDP, exactly and by Monte Carlo', () => {
  const rng = Rng.fromSeed(2026);
  const S = 3;
  const mdp = randomMDP(rng, S);
  const pi = Float64Array.from({ length: S * A }, () => rng.normal(0, 0.5));
  const beta = pi.map((x) => x + rng.normal(0, 0.7));
  const trajectories = enumerate(mdp, pi, beta);
  const exact = exactGradient(trajectories, pi);

  it('the enumeration is complete: probabilities sum to 1 under both policies', () => {
    expect(trajectories.reduce((a, t) => a + t.pBeta, 0)).toBeCloseTo(1, 12);
    expect(trajectories.reduce((a, t) => a + t.pPi, 0)).toBeCloseTo(1, 12);
    expectClose(expectation('on-policy', trajectories, pi, beta, 1), exact); // reward-to-go is unbiased
  });

  it.each(['trajectory', 'per-decision', 'per-decision-total', 'per-decision-baseline'] as const)(
    '%s IS is exactly unbiased for ∇J(π) (expectation under β by enumeration)',
    (name) => expectClose(expectation(name, trajectories, pi, beta, 1), exact),
  );

  it('at γ < 1 per-decision IS expects exactly what on-policy reward-to-go expects under π', () => {
    const onPolicy = expectation('on-policy', trajectories, pi, beta, 0.9);
    expectClose(expectation('per-decision', trajectories, pi, beta, 0.9), onPolicy);
    expectClose(expectation('per-decision-baseline', trajectories, pi, beta, 0.9), onPolicy);
  });

  it('the old estimator (w_t times the plain reward-to-go) is biased', () => {
    const old = expectation('old', trajectories, pi, beta, 1);
    const bias = Math.hypot(...old.map((v, k) => v - exact[k]));
    // Exact arithmetic: any difference far above rounding is bias (here 0.64 % of |∇J|; in the two-step MDP
    // above the sign flips).
    expect(bias / Math.hypot(...exact)).toBeGreaterThan(1e-3);
  });

  it('truncation at c̄: exact when c̄ exceeds every weight, biased below; the bias is measured', () => {
    const maxWeight = Math.max(
      ...trajectories.map((t) => Math.max(...perDecisionWeightsOf(t.steps, pi, beta))),
    );
    expectClose(expectation('truncated', trajectories, pi, beta, 1, maxWeight * 1.01), exact);
    const norm = Math.hypot(...exact);
    const relativeBias = [1, 2, 5].map((clip) => {
      const g = expectation('truncated', trajectories, pi, beta, 1, clip);
      return Math.hypot(...g.map((v, k) => v - exact[k])) / norm;
    });
    if (process.env.REPORT_BIAS) {
      console.info(`|∇J| = ${norm.toFixed(4)}, largest weight ${maxWeight.toFixed(3)}`);
      console.info(
        `truncated IS relative bias |E ĝ − ∇J|/|∇J| at c̄ = 1, 2, 5: ${relativeBias.map((b) => b.toFixed(4)).join(', ')}`,
      );
    }
    expect(relativeBias[0]).toBeGreaterThan(relativeBias[2]); // less truncation, less bias
    expect(relativeBias[0]).toBeGreaterThan(0.01);
  });

  it('Monte Carlo: trajectory and per-decision IS means lie within 4 standard errors of ∇J', () => {
    const M = 8; // episodes per batch, in one stream
    const R = 4000; // independent batches
    const sampler = Rng.fromSeed(11);
    const names = ['trajectory', 'per-decision', 'per-decision-baseline'] as const;
    const sums = names.map(() => new Float64Array(S * A));
    const squares = names.map(() => new Float64Array(S * A));
    for (let r = 0; r < R; r++) {
      const episodes = Array.from({ length: M }, () => sampleEpisode(mdp, beta, sampler));
      names.forEach((name, j) => {
        const g = gradient(name, episodes, pi, beta, 1, Infinity);
        for (let k = 0; k < S * A; k++) {
          sums[j][k] += g[k] / M;
          squares[j][k] += (g[k] / M) ** 2;
        }
      });
    }
    names.forEach((name, j) => {
      for (let k = 0; k < S * A; k++) {
        const mean = sums[j][k] / R;
        const se = Math.sqrt((squares[j][k] / R - mean * mean) / (R - 1));
        expect(
          Math.abs(mean - exact[k]),
          `${name} coordinate ${k}: mean ${mean}, exact ${exact[k]}`,
        ).toBeLessThan(4 * se);
      }
    });
  });
});

/** A random S-state MDP, horizon 4, with a 25 % chance of termination after every (s, a): episodes of 1 … 4 steps. */
function randomMDP(rng: Rng, S: number): MDP {
  const normalise = (xs: number[]) => xs.map((x) => x / xs.reduce((a, b) => a + b, 0));
  return {
    S,
    horizon: 4,
    rho0: normalise([1, 2, 1.5]),
    P: Array.from({ length: S }, () =>
      Array.from({ length: A }, () => [
        ...normalise(Array.from({ length: S }, () => 0.2 + rng.uniform())).map((p) => 0.75 * p),
        0.25,
      ]),
    ),
    r: Array.from({ length: S }, () => Array.from({ length: A }, () => 1 + 2 * rng.uniform())),
  };
}

/** The per-decision weights of one episode. */
function perDecisionWeightsOf(steps: Step[], pi: Float64Array, beta: Float64Array): Float64Array {
  const n = steps.length;
  const batch: StepBatch = {
    numEnvs: 1,
    rewards: new Float64Array(n),
    terminated: Uint8Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : 0)),
    truncated: new Uint8Array(n),
  };
  const logRatios = Float64Array.from(steps, ({ s, a }) => Math.log(softmax(pi, s)[a] / softmax(beta, s)[a]));
  return perDecisionWeights(batch, logRatios, null, new Float64Array(n));
}

describe('REINFORCE without a critic: batches of whole episodes keep the gradient, cut batches do not', () => {
  // The finite MDP of the block above (episodes of 1 … 4 steps), sampled on-policy (β = π).
  const rng = Rng.fromSeed(2026);
  const S = 3;
  const mdp = randomMDP(rng, S);
  const pi = Float64Array.from({ length: S * A }, () => rng.normal(0, 0.5));
  const trajectories = enumerate(mdp, pi, pi);
  const exact = exactGradient(trajectories, pi);
  const T = 4; // batch steps

  it('episodes until at least T steps (collectWholeEpisodes): E[Σ_episodes ĝ] = E[K]·∇J exactly (Wald)', () => {
    // F(m), K(m): expected gradient sum and episode count still to come when m steps are recorded.
    const F = new Map<number, Float64Array>();
    const K = new Map<number, number>();
    for (let m = T - 1; m >= 0; m--) {
      const f = new Float64Array(S * A);
      let k = 0;
      for (const tau of trajectories) {
        const g = gradient('on-policy', [tau.steps], pi, pi, 1, Infinity);
        const after = m + tau.steps.length;
        const rest = after < T ? (F.get(after) as Float64Array) : null;
        for (let c = 0; c < f.length; c++) f[c] += tau.pPi * (g[c] + (rest === null ? 0 : rest[c]));
        k += tau.pPi * (1 + (after < T ? (K.get(after) as number) : 0));
      }
      F.set(m, f);
      K.set(m, k);
    }
    const expectedEpisodes = K.get(0) as number;
    expect(expectedEpisodes).toBeGreaterThan(1.2); // often more than one episode per batch
    expectClose(
      F.get(0) as Float64Array,
      exact.map((g) => g * expectedEpisodes),
    );
  });

  it('T steps cut at the batch end without a bootstrap (the old batches): not a multiple of ∇J', () => {
    // Every stream of exactly T steps from a reset; an episode still running at step T is cut (Ψ stops there).
    const expected = new Float64Array(S * A);
    const visit = (s: number, stream: Step[], ends: number[], p: number) => {
      const probs = softmax(pi, s);
      for (let a = 0; a < A; a++) {
        const steps = [...stream, { s, a, r: mdp.r[s][a] }];
        const q = p * probs[a];
        if (steps.length === T) {
          const episodes: Step[][] = [];
          let start = 0;
          for (const end of [...ends, T - 1]) {
            if (end >= start) episodes.push(steps.slice(start, end + 1));
            start = end + 1;
          }
          const g = gradient('on-policy', episodes, pi, pi, 1, Infinity);
          for (let c = 0; c < g.length; c++) expected[c] += q * g[c];
          continue;
        }
        const inEpisode = steps.length - 1 - (ends.length === 0 ? -1 : ends[ends.length - 1]);
        const next = mdp.P[s][a];
        const endProb = inEpisode === mdp.horizon ? 1 : next[S];
        if (endProb > 0)
          mdp.rho0.forEach((p0, s0) => visit(s0, steps, [...ends, steps.length - 1], q * endProb * p0));
        if (inEpisode < mdp.horizon) for (let s2 = 0; s2 < S; s2++) visit(s2, steps, ends, q * next[s2]);
      }
    };
    mdp.rho0.forEach((p0, s0) => visit(s0, [], [], p0));
    const scale =
      expected.reduce((acc, g, k) => acc + g * exact[k], 0) / exact.reduce((acc, g) => acc + g * g, 0);
    const residual = Math.hypot(...expected.map((g, k) => g - scale * exact[k])) / Math.hypot(...expected);
    if (process.env.REPORT_BIAS)
      console.info(`cut batches of ${T} steps: |E ĝ − c∇J|/|E ĝ| = ${residual.toFixed(4)}`);
    expect(residual).toBeGreaterThan(0.01);
  });
});

describe('the discounted objective: γ^t·G_t is unbiased for ∇J_γ, G_t is not', () => {
  const rng = Rng.fromSeed(2027);
  const S = 3;
  const mdp = randomMDP(rng, S);
  const pi = Float64Array.from({ length: S * A }, () => rng.normal(0, 0.5));
  const trajectories = enumerate(mdp, pi, pi);
  const gamma = 0.8;

  /** E_π[Σ_t ∇log π(a_t|s_t) Ψ_t] for Ψ from `psiOf` on a batch holding one trajectory. */
  const expected = (psiOf: (batch: StepBatch, out: Float64Array) => Float64Array) => {
    const out = new Float64Array(S * A);
    for (const { steps, pPi } of trajectories) {
      const n = steps.length;
      const batch: StepBatch = {
        numEnvs: 1,
        rewards: Float64Array.from(steps, (x) => x.r),
        terminated: Uint8Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : 0)),
        truncated: new Uint8Array(n),
      };
      const psi = psiOf(batch, new Float64Array(n));
      steps.forEach(({ s, a }, k) => {
        const p = softmax(pi, s);
        for (let b = 0; b < A; b++) out[s * A + b] += pPi * psi[k] * ((a === b ? 1 : 0) - p[b]);
      });
    }
    return out;
  };

  it('matches ∇J_γ = Σ_τ π(τ)·(Σ_t γ^t r_t)·Σ_t ∇log π(a_t|s_t) exactly; the plain reward-to-go misses it', () => {
    const exact = new Float64Array(S * A);
    for (const { steps, pPi } of trajectories) {
      const R = steps.reduce((acc, x, t) => acc + gamma ** t * x.r, 0);
      for (const { s, a } of steps) {
        const p = softmax(pi, s);
        for (let b = 0; b < A; b++) exact[s * A + b] += pPi * R * ((a === b ? 1 : 0) - p[b]);
      }
    }
    expectClose(
      expected((batch, out) => discountedRewardToGo(batch, gamma, null, out)),
      exact,
    );
    const plain = expected((batch, out) => rewardToGo(batch, gamma, null, out));
    const gap = Math.hypot(...plain.map((v, k) => v - exact[k])) / Math.hypot(...exact);
    if (process.env.REPORT_BIAS)
      console.info(`γ = ${gamma}: |E[G_t estimator] − ∇J_γ|/|∇J_γ| = ${gap.toFixed(4)}`);
    expect(gap).toBeGreaterThan(0.01);
  });
});
