/**
 * The seeds' claims, checked against an exact gradient.
 *
 * A finite MDP (3 states × 2 actions, horizon 5, γ = 1, tabular softmax policy) is small enough to enumerate
 * every trajectory, which gives J(θ) and ∇J(θ) = Σ_τ p_θ(τ) R(τ) Σ_t ∇log π_θ(a_t|s_t) exactly, and V_t(s) by
 * backward induction. Then for each Ψ_t — total return, reward-to-go, reward-to-go minus a leave-one-out batch
 * mean, reward-to-go minus the exact value, GAE(λ = 1) with the exact value — we draw R independent batches of
 * M episodes with the library's estimators and distribution gradients, and check:
 *  - unbiasedness: the mean of the R estimates lies within 4 standard errors (sd/√R) of the exact gradient in
 *    every coordinate (6 coordinates × 5 estimators; a fixed seed makes the test deterministic);
 *  - the variance ordering (trace of the covariance): total > reward-to-go > reward-to-go − baseline.
 * γ = 1 because with γ < 1 the discounted reward-to-go Σ_{k≥t} γ^{k−t} r_k drops the γ^t factor and estimates
 * another vector than ∇J_γ; `discountedRewardToGo` (γ^t·G_t) is the unbiased one, checked exactly at γ < 1 in
 * test/exact-expectations.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  Categorical,
  gae,
  leaveOneOutMeanBaseline,
  meanBaseline,
  Rng,
  rewardToGo,
  type StepBatch,
  totalReturn,
} from '../src/internal.js';
import { sampleIndex } from './helpers.js';

const S = 3;
const A = 2;
const HORIZON = 5;

interface MDP {
  rho0: number[];
  /** P[s][a][s'] */
  P: number[][][];
  /** r[s][a], offset to be positive so that baselines matter */
  r: number[][];
  theta: Float64Array; // logits θ[s·A + a]
}

function makeMDP(): MDP {
  const rng = Rng.fromSeed(2024);
  const normalise = (xs: number[]) => xs.map((x) => x / xs.reduce((a, b) => a + b, 0));
  return {
    rho0: normalise([1, 2, 1.5]),
    P: Array.from({ length: S }, () =>
      Array.from({ length: A }, () => normalise(Array.from({ length: S }, () => 0.2 + rng.uniform()))),
    ),
    r: Array.from({ length: S }, () => Array.from({ length: A }, () => 1 + 2 * rng.uniform())),
    theta: Float64Array.from({ length: S * A }, () => rng.normal(0, 0.5)),
  };
}

function policy(mdp: MDP, s: number): number[] {
  const z = [0, 1].map((a) => Math.exp(mdp.theta[s * A + a]));
  return z.map((v) => v / (z[0] + z[1]));
}

/** J and ∇J by enumerating all S·(A·S)^(H−1)·A trajectories. */
function exactGradient(mdp: MDP): { J: number; grad: Float64Array } {
  const grad = new Float64Array(S * A);
  let J = 0;
  const score = new Float64Array(S * A); // Σ_t ∇log π(a_t|s_t) along the current path
  const visit = (t: number, s: number, prob: number, ret: number) => {
    const pi = policy(mdp, s);
    for (let a = 0; a < A; a++) {
      for (let b = 0; b < A; b++) score[s * A + b] += (a === b ? 1 : 0) - pi[b];
      const p = prob * pi[a];
      const R = ret + mdp.r[s][a];
      if (t + 1 === HORIZON) {
        J += p * R;
        for (let k = 0; k < grad.length; k++) grad[k] += p * R * score[k];
      } else {
        for (let s2 = 0; s2 < S; s2++) visit(t + 1, s2, p * mdp.P[s][a][s2], R);
      }
      for (let b = 0; b < A; b++) score[s * A + b] -= (a === b ? 1 : 0) - pi[b];
    }
  };
  for (let s = 0; s < S; s++) visit(0, s, mdp.rho0[s], 0);
  return { J, grad };
}

/** V_t(s) by backward induction (V_H = 0). */
function exactValues(mdp: MDP): number[][] {
  const V = Array.from({ length: HORIZON + 1 }, () => new Array(S).fill(0));
  for (let t = HORIZON - 1; t >= 0; t--) {
    for (let s = 0; s < S; s++) {
      const pi = policy(mdp, s);
      V[t][s] = [0, 1].reduce(
        (acc, a) => acc + pi[a] * (mdp.r[s][a] + mdp.P[s][a].reduce((x, p, s2) => x + p * V[t + 1][s2], 0)),
        0,
      );
    }
  }
  return V;
}

const ESTIMATORS = ['total', 'rtg', 'rtg-mean-loo', 'rtg-value', 'gae1', 'rtg-mean-inbatch'] as const;
type EstimatorName = (typeof ESTIMATORS)[number];

/** Draws M episodes and returns each estimator's gradient estimate (1/M) Σ_i Σ_t ∇log π(a_t|s_t) Ψ_t. */
function estimateOnce(mdp: MDP, V: number[][], M: number, rng: Rng): Record<EstimatorName, Float64Array> {
  const n = M * HORIZON;
  const states = new Int32Array(n);
  const actions = new Float64Array(n);
  const batch: StepBatch = {
    numEnvs: 1,
    rewards: new Float64Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
  };
  const values = new Float64Array(n);
  const ids = new Int32Array(n);
  for (let e = 0; e < M; e++) {
    let s = sampleIndex(mdp.rho0, rng);
    for (let t = 0; t < HORIZON; t++) {
      const k = e * HORIZON + t;
      const a = sampleIndex(policy(mdp, s), rng);
      states[k] = s;
      actions[k] = a;
      values[k] = V[t][s];
      ids[k] = e;
      batch.rewards[k] = mdp.r[s][a];
      batch.terminated[k] = t + 1 === HORIZON ? 1 : 0; // the finite horizon ends the MDP
      s = sampleIndex(mdp.P[s][a], rng);
    }
  }
  const total = totalReturn(batch, 1, null, new Float64Array(n));
  const rtg = rewardToGo(batch, 1, null, new Float64Array(n));
  const loo = leaveOneOutMeanBaseline(rtg, ids, M, new Float64Array(n));
  const inBatch = meanBaseline(rtg);
  const nextValues = Float64Array.from({ length: n }, (_, k) =>
    k % HORIZON === HORIZON - 1 ? 0 : values[k + 1],
  );
  const gaeAdv = gae(batch, values, nextValues, 1, 1, new Float64Array(n));
  const psi: Record<EstimatorName, Float64Array> = {
    total,
    rtg,
    'rtg-mean-loo': rtg.map((g, k) => g - loo[k]),
    'rtg-value': rtg.map((g, k) => g - values[k]),
    gae1: gaeAdv,
    'rtg-mean-inbatch': rtg.map((g) => g - inBatch),
  };
  // ∇_θ log π(a|s) through the library's Categorical: the logits of step k are θ[s_k].
  const dist = new Categorical(A);
  const logits = new Float64Array(n * A);
  for (let k = 0; k < n; k++) logits.set(mdp.theta.subarray(states[k] * A, states[k] * A + A), k * A);
  const result = {} as Record<EstimatorName, Float64Array>;
  for (const name of ESTIMATORS) {
    const weights = psi[name].map((x) => x / M);
    const perStep = new Float64Array(n * A);
    dist.gradLogProb(logits, actions, n, weights, perStep);
    const grad = new Float64Array(S * A);
    for (let k = 0; k < n; k++) for (let a = 0; a < A; a++) grad[states[k] * A + a] += perStep[k * A + a];
    result[name] = grad;
  }
  return result;
}

describe('policy-gradient estimators on a finite MDP with an exact gradient', () => {
  const mdp = makeMDP();
  const exact = exactGradient(mdp);
  const V = exactValues(mdp);
  const M = 10; // episodes per batch
  const R = 3000; // independent batches
  const rng = Rng.fromSeed(7);
  const sums = Object.fromEntries(ESTIMATORS.map((e) => [e, new Float64Array(S * A)])) as Record<
    EstimatorName,
    Float64Array
  >;
  const squares = Object.fromEntries(ESTIMATORS.map((e) => [e, new Float64Array(S * A)])) as Record<
    EstimatorName,
    Float64Array
  >;
  for (let r = 0; r < R; r++) {
    const est = estimateOnce(mdp, V, M, rng);
    for (const name of ESTIMATORS) {
      for (let k = 0; k < S * A; k++) {
        sums[name][k] += est[name][k];
        squares[name][k] += est[name][k] ** 2;
      }
    }
  }
  const mean = (name: EstimatorName) => sums[name].map((s) => s / R);
  const variance = (name: EstimatorName) =>
    squares[name].map((q, k) => (q - sums[name][k] ** 2 / R) / (R - 1));
  const trace = (name: EstimatorName) => variance(name).reduce((a, v) => a + v, 0);

  it('the exact objective and value function agree (sanity check of the enumeration)', () => {
    const J = mdp.rho0.reduce((acc, p, s) => acc + p * V[0][s], 0);
    expect(exact.J).toBeCloseTo(J, 10);
    // Softmax scores sum to zero over the actions of a state, so each state's gradient entries do too.
    for (let s = 0; s < S; s++) expect(exact.grad[s * A] + exact.grad[s * A + 1]).toBeCloseTo(0, 10);
  });

  it.each(['total', 'rtg', 'rtg-mean-loo', 'rtg-value', 'gae1'] as const)(
    '%s is unbiased: every coordinate of the mean within 4 standard errors of ∇J',
    (name) => {
      const m = mean(name);
      const se = variance(name).map((v) => Math.sqrt(v / R));
      for (let k = 0; k < S * A; k++) {
        expect(
          Math.abs(m[k] - exact.grad[k]),
          `coordinate ${k}: mean ${m[k]}, exact ${exact.grad[k]}, SE ${se[k]}`,
        ).toBeLessThan(4 * se[k]);
      }
    },
  );

  it('variance ordering: total > reward-to-go > reward-to-go − baseline (trace of the covariance)', () => {
    const t = Object.fromEntries(ESTIMATORS.map((e) => [e, trace(e)]));
    expect(t.total).toBeGreaterThan(t.rtg);
    expect(t.rtg).toBeGreaterThan(t['rtg-mean-loo']);
    expect(t.rtg).toBeGreaterThan(t['rtg-value']);
    expect(t['rtg-mean-loo']).toBeGreaterThan(t['rtg-value']); // the state-dependent baseline does better still
    expect(t.gae1).toBeCloseTo(t['rtg-value'], 10); // GAE(λ=1) with the same V is the same estimator
  });

  it('the in-batch mean baseline is biased (it depends on the sample it multiplies); leave-one-out is not', () => {
    // With M = 2 episodes per batch an episode is half of its own baseline, so the bias is large enough to
    // measure: R2 batches, bias compared with the standard error of the mean estimate.
    const M2 = 2;
    const R2 = 20000;
    const rng2 = Rng.fromSeed(8);
    const acc = { inBatch: new Float64Array(S * A), loo: new Float64Array(S * A) };
    const sq = { inBatch: new Float64Array(S * A), loo: new Float64Array(S * A) };
    for (let r = 0; r < R2; r++) {
      const est = estimateOnce(mdp, V, M2, rng2);
      for (let k = 0; k < S * A; k++) {
        acc.inBatch[k] += est['rtg-mean-inbatch'][k];
        sq.inBatch[k] += est['rtg-mean-inbatch'][k] ** 2;
        acc.loo[k] += est['rtg-mean-loo'][k];
        sq.loo[k] += est['rtg-mean-loo'][k] ** 2;
      }
    }
    const report = (key: 'inBatch' | 'loo') => {
      const m = acc[key].map((v) => v / R2);
      const se = sq[key].map((q, k) => Math.sqrt((q - acc[key][k] ** 2 / R2) / (R2 - 1) / R2));
      const z = m.map((v, k) => (v - exact.grad[k]) / se[k]);
      const bias = Math.hypot(...m.map((v, k) => v - exact.grad[k]));
      return { z, bias };
    };
    const inBatch = report('inBatch');
    const loo = report('loo');
    if (process.env.REPORT_BIAS) {
      const gradNorm = Math.hypot(...exact.grad);
      console.info(`|∇J| = ${gradNorm.toFixed(4)}; M = ${M2}, R = ${R2}`);
      console.info(
        `in-batch mean: |bias| = ${inBatch.bias.toFixed(4)}, z = ${Array.from(inBatch.z, (v) => v.toFixed(1)).join(' ')}`,
      );
      console.info(
        `leave-one-out: |bias| = ${loo.bias.toFixed(4)}, z = ${Array.from(loo.z, (v) => v.toFixed(1)).join(' ')}`,
      );
      for (const e of ESTIMATORS) console.info(`M = ${M}: ${e}: trace Var = ${trace(e).toFixed(4)}`);
    }
    expect(Math.max(...inBatch.z.map(Math.abs))).toBeGreaterThan(6); // clearly biased
    expect(Math.max(...loo.z.map(Math.abs))).toBeLessThan(4); // unbiased within 4 SE
  });
});
