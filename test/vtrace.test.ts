/**
 * V-trace (Espeholt et al. 2018, eq. 1): hand-computed cases with terminations, truncations and batch ends; the
 * on-policy equivalences (GAE(λ), the bootstrapped n-step return); the truncation bounds of remark 1; and, by
 * exact enumeration of every trajectory of a tiny MDP, the fixed point of Theorem 1: V^π without truncation, the
 * value of π_ρ̄ with it.
 */
import { describe, expect, it } from 'vitest';
import {
  gae,
  nStepReturns,
  PolicygradError,
  Rng,
  type StepBatch,
  successorValues,
  vtrace,
} from '../src/internal.js';

const f = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);
const close = (actual: ArrayLike<number>, expected: number[], digits = 12) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, k) => expect(actual[k], `index ${k}`).toBeCloseTo(e, digits));
};
const outputs = (n: number) => ({ vs: new Float64Array(n), advantages: new Float64Array(n) });

describe('V-trace by hand', () => {
  // Two envs, four steps, time-major (index t·2 + i). γ = ½, ρ̄ = 2, c̄ = 1, λ = 1.
  // Env 0: truncated at t = 1 (V(final observation) = 6), then an episode still running at the batch end
  //        (V(last observation) = 8). Env 1: terminates at t = 2, then a new episode cut by the batch end (4).
  const batch: StepBatch = {
    numEnvs: 2,
    rewards: f([1, 1, 2, 1, 3, 3, 4, 1]),
    terminated: u8([0, 0, 0, 0, 0, 1, 0, 0]),
    truncated: u8([0, 0, 1, 0, 0, 0, 0, 0]),
  };
  const values = f([2, 1, 4, 1, 1, 2, 2, 1]);
  // π/μ per step — env 0: 2, ½, 4, ½; env 1: 1, ¼, 8, 1.
  const logRatios = f([2, 1, 0.5, 0.25, 4, 8, 0.5, 1].map(Math.log));
  const nextValues = successorValues(
    batch,
    values,
    f([0, 0, 6, 0, 0, 99, 0, 0]),
    f([8, 4]),
    new Float64Array(8),
  );

  it('successor values as the other estimators use them', () => {
    close(nextValues, [4, 1, 6, 2, 2, 0, 8, 4]);
  });

  it('vs and advantages: the recursion stops at a truncation, a termination and the batch end', () => {
    const out = vtrace(batch, logRatios, values, nextValues, 0.5, { rhoBar: 2, cBar: 1 }, outputs(8));
    // ρ = min(2, π/μ), c = min(1, π/μ):  env 0 ρ = 2, ½, 2, ½ and c = 1, ½, 1, ½;  env 1 ρ = 1, ¼, 2, 1, c = 1, ¼, 1, 1.
    // δ_k = ρ_k (r_k + γ·next_k − V_k):
    //   env 0: 2(1 + 2 − 2) = 2;  ½(2 + 3 − 4) = ½;  2(3 + 1 − 1) = 6;  ½(4 + 4 − 2) = 3.
    //   env 1: 1(1 + ½ − 1) = ½;  ¼(1 + 1 − 1) = ¼;  2(3 + 0 − 2) = 2 (terminated: no bootstrap);  1(1 + 2 − 1) = 2.
    // vs − V, backwards: env 0 t3 = 3 (batch end); t2 = 6 + ½·1·3 = 7.5; t1 = ½ (truncated); t0 = 2 + ½·1·½ = 2.25.
    //                    env 1 t3 = 2 (batch end); t2 = 2 (terminated); t1 = ¼ + ½·¼·2 = ½; t0 = ½ + ½·1·½ = ¾.
    close(out.vs, [2 + 2.25, 1 + 0.75, 4 + 0.5, 1 + 0.5, 1 + 7.5, 2 + 2, 2 + 3, 1 + 2]);
    // advantage_k = ρ_k (r_k + γ·(vs_{k+N} inside the episode, else next_k) − V_k):
    //   env 0: 2(1 + ½·4.5 − 2) = 2.5;  ½(2 + ½·6 − 4) = ½;  2(3 + ½·5 − 1) = 9;  ½(4 + ½·8 − 2) = 3.
    //   env 1: 1(1 + ½·1.5 − 1) = ¾;  ¼(1 + ½·4 − 1) = ½;  2(3 + 0 − 2) = 2;  1(1 + ½·4 − 1) = 2.
    close(out.advantages, [2.5, 0.75, 0.5, 0.5, 9, 2, 3, 2]);
  });

  it('a termination ignores nextValues there (as gae does), whatever the caller put in it', () => {
    const junk = Float64Array.from(nextValues);
    junk[5] = 1000; // env 1, t = 2: terminated
    const a = vtrace(batch, logRatios, values, nextValues, 0.5, { rhoBar: 2, cBar: 1 }, outputs(8));
    const b = vtrace(batch, logRatios, values, junk, 0.5, { rhoBar: 2, cBar: 1 }, outputs(8));
    expect(b.vs).toEqual(a.vs);
    expect(b.advantages).toEqual(a.advantages);
  });

  it('λ multiplies the trace coefficients, c̄ truncates them separately from ρ̄', () => {
    // One env, three steps to the batch end (V(last observation) = 4); γ = ½, λ = ½, ρ̄ = 1.5, c̄ = ½.
    const one: StepBatch = {
      numEnvs: 1,
      rewards: f([1, 2, 0]),
      terminated: u8([0, 0, 0]),
      truncated: u8([0, 0, 0]),
    };
    const v = f([1, 2, 1]);
    const next = f([2, 1, 4]);
    const out = vtrace(
      one,
      f([2, 0.25, 1].map(Math.log)),
      v,
      next,
      0.5,
      { rhoBar: 1.5, cBar: 0.5, lambda: 0.5 },
      outputs(3),
    );
    // ρ = 1.5, ¼, 1;  c = ½·min(½, ·) = ¼, ⅛, ¼.
    // δ = 1.5(1 + 1 − 1) = 1.5;  ¼(2 + ½ − 2) = ⅛;  1(0 + 2 − 1) = 1.
    // vs − V: t2 = 1;  t1 = ⅛ + ½·⅛·1 = 0.1875;  t0 = 1.5 + ½·¼·0.1875 = 1.5234375.
    close(out.vs, [2.5234375, 2.1875, 2]);
    // advantages: 1.5(1 + ½·2.1875 − 1) = 1.640625;  ¼(2 + ½·2 − 2) = ¼;  1(0 + ½·4 − 1) = 1.
    close(out.advantages, [1.640625, 0.25, 1]);
  });

  it('defaults are ρ̄ = c̄ = λ = 1, and Float32 outputs work', () => {
    const explicit = vtrace(
      batch,
      logRatios,
      values,
      nextValues,
      0.5,
      { rhoBar: 1, cBar: 1, lambda: 1 },
      outputs(8),
    );
    const out = { vs: new Float32Array(8), advantages: new Float32Array(8) };
    vtrace(batch, logRatios, values, nextValues, 0.5, {}, out);
    close(out.vs, [...explicit.vs], 6);
    close(out.advantages, [...explicit.advantages], 6);
  });

  it('refuses truncation levels and λ it cannot use, in one line', () => {
    const call = (options: { rhoBar?: number; cBar?: number; lambda?: number }) => () =>
      vtrace(batch, logRatios, values, nextValues, 0.5, options, outputs(8));
    expect(call({ rhoBar: 0 })).toThrow(PolicygradError);
    expect(call({ rhoBar: 0 })).toThrow('vtrace: rhoBar must be a positive number or Infinity, got 0');
    expect(call({ cBar: Number.NaN })).toThrow('vtrace: cBar must be a positive number or Infinity, got NaN');
    expect(call({ lambda: 1.5 })).toThrow('vtrace: lambda must be in [0, 1], got 1.5');
    expect(call({ rhoBar: Infinity, cBar: Infinity })).not.toThrow();
  });
});

/** A random batch: N envs × T steps, terminations and truncations at rate ~0.1 each, seeded. */
function randomBatch(seed: number, N: number, T: number) {
  const rng = Rng.fromSeed(seed);
  const n = N * T;
  const batch: StepBatch = {
    numEnvs: N,
    rewards: Float64Array.from({ length: n }, () => rng.normal()),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
  };
  for (let k = 0; k < n; k++) {
    const u = rng.uniform();
    if (u < 0.1) batch.terminated[k] = 1;
    else if (u < 0.2) batch.truncated[k] = 1;
  }
  const values = Float64Array.from({ length: n }, () => rng.normal());
  const finalValues = Float64Array.from({ length: n }, () => rng.normal());
  const lastValues = Float64Array.from({ length: N }, () => rng.normal());
  const nextValues = successorValues(batch, values, finalValues, lastValues, new Float64Array(n));
  const logRatios = Float64Array.from({ length: n }, () => rng.normal(0, 1.5));
  return { batch, values, nextValues, logRatios, n, T };
}

describe('V-trace on-policy (every log-ratio 0)', () => {
  const { batch, values, nextValues, n, T } = randomBatch(1, 3, 40);
  const zeros = new Float64Array(n);
  const gamma = 0.97;

  it('vs is exactly GAE(λ)’s value target Â + V for every λ, and for any ρ̄, c̄ ≥ 1', () => {
    for (const lambda of [0, 0.5, 0.95, 1]) {
      const adv = new Float64Array(n);
      const ret = new Float64Array(n);
      gae(batch, values, nextValues, gamma, lambda, adv, ret);
      for (const truncation of [1, 3, Infinity]) {
        const out = vtrace(
          batch,
          zeros,
          values,
          nextValues,
          gamma,
          { rhoBar: truncation, cBar: truncation, lambda },
          outputs(n),
        );
        expect(out.vs, `λ = ${lambda}, ρ̄ = c̄ = ${truncation}`).toEqual(ret); // bit for bit: same operations
      }
    }
  });

  it('the advantage is r + γ·vs_{t+1} − V: GAE(1)’s advantage at λ = 1, and δ_t + γ·Â^GAE(λ)_{t+1} below', () => {
    // Inside an episode r_t + γ·vs_{t+1} − V_t = δ_t + γ·(vs_{t+1} − V_{t+1}) = δ_t + γ·Â_{t+1}, which is Â_t only
    // when λ = 1 (Â_t = δ_t + γλ·Â_{t+1}); at an episode's or the batch's end it is δ_t. Tolerance 1e-12: the
    // same sums in a different order.
    for (const lambda of [0.5, 1]) {
      const adv = new Float64Array(n);
      gae(batch, values, nextValues, gamma, lambda, adv);
      const out = vtrace(batch, zeros, values, nextValues, gamma, { lambda }, outputs(n));
      const expected = Array.from(adv, (a, k) => {
        const ended = batch.terminated[k] || batch.truncated[k] || k + batch.numEnvs >= n;
        const delta = batch.rewards[k] + (batch.terminated[k] ? 0 : gamma * nextValues[k]) - values[k];
        return ended ? delta : delta + gamma * adv[k + batch.numEnvs];
      });
      close(out.advantages, expected);
      if (lambda === 1) close(out.advantages, [...adv]);
    }
  });

  it('with λ = 1, vs is the bootstrapped n-step return to the end of the episode or the batch', () => {
    const out = vtrace(batch, zeros, values, nextValues, gamma, {}, outputs(n));
    close(out.vs, [...nStepReturns(batch, gamma, T, nextValues, new Float64Array(n))]);
  });
});

describe('truncation bounds the weights (remark 1)', () => {
  // vs and the advantages are linear in the rewards; ∂vs_s/∂r_t = γ^{t−s}·c_s⋯c_{t−1}·ρ_t inside an episode and
  // ∂advantage_s/∂r_s = ρ_s. Truncation bounds them by γ^{t−s}·(λc̄)^{t−s}·ρ̄ and ρ̄, reached when every ratio
  // exceeds both levels; without truncation they are unbounded.
  const N = 4;
  const T = 8;
  const { batch, values, nextValues, logRatios, n } = randomBatch(2, N, T);
  const gamma = 0.9;
  const noBoundaries: StepBatch = { ...batch, terminated: new Uint8Array(n), truncated: new Uint8Array(n) };

  /** ∂vs_s/∂r_t and ∂advantage_s/∂r_t for env i, by bumping r_t (exact up to rounding: linear). */
  function influence(
    b: StepBatch,
    ratios: Float64Array,
    options: { rhoBar?: number; cBar?: number; lambda?: number },
    s: number,
    t: number,
    i = 0,
  ) {
    const base = vtrace(b, ratios, values, nextValues, gamma, options, outputs(n));
    const bumped = { ...b, rewards: Float64Array.from(b.rewards) };
    bumped.rewards[t * N + i] += 1;
    const moved = vtrace(bumped, ratios, values, nextValues, gamma, options, outputs(n));
    return {
      vs: moved.vs[s * N + i] - base.vs[s * N + i],
      advantage: moved.advantages[s * N + i] - base.advantages[s * N + i],
    };
  }

  const options = { rhoBar: 1.5, cBar: 0.8, lambda: 0.9 };
  const bound = (s: number, t: number) => (gamma * options.lambda * options.cBar) ** (t - s) * options.rhoBar;

  it('a TD error t − s steps later moves vs_s by at most (γλc̄)^{t−s}·ρ̄; the advantage by at most ρ̄', () => {
    // Not vacuous: the random log-ratios (sd 1.5) exceed log ρ̄ and log c̄ at many steps.
    expect(logRatios.filter((x) => x > Math.log(options.rhoBar)).length).toBeGreaterThan(n / 4);
    for (let i = 0; i < N; i++) {
      for (let s = 0; s < T; s++) {
        expect(influence(noBoundaries, logRatios, options, s, s, i).advantage).toBeLessThanOrEqual(
          options.rhoBar + 1e-12,
        );
        for (let t = s; t < T; t++) {
          const { vs } = influence(noBoundaries, logRatios, options, s, t, i);
          expect(vs).toBeGreaterThanOrEqual(0);
          expect(vs, `env ${i}, s = ${s}, t = ${t}`).toBeLessThanOrEqual(bound(s, t) * (1 + 1e-12));
        }
      }
    }
  });

  it('the bounds are reached when every ratio exceeds ρ̄ and c̄, and exceeded without truncation', () => {
    const large = new Float64Array(n).fill(Math.log(5));
    for (let t = 0; t < T; t++) {
      expect(influence(noBoundaries, large, options, 0, t).vs).toBeCloseTo(bound(0, t), 12);
      const untruncated = influence(
        noBoundaries,
        large,
        { rhoBar: Infinity, cBar: Infinity, lambda: 0.9 },
        0,
        t,
      ).vs;
      expect(untruncated).toBeCloseTo((gamma * 0.9 * 5) ** t * 5, 9);
      expect(untruncated).toBeGreaterThan(bound(0, t));
    }
    expect(influence(noBoundaries, large, options, 2, 2).advantage).toBeCloseTo(options.rhoBar, 12);
  });

  it('an episode boundary cuts the influence to 0', () => {
    const cut: StepBatch = { ...noBoundaries, truncated: new Uint8Array(n) };
    cut.truncated[2 * N] = 1; // env 0 truncated at t = 2
    const large = new Float64Array(n).fill(Math.log(5));
    expect(influence(cut, large, options, 0, 2).vs).toBeGreaterThan(0);
    expect(influence(cut, large, options, 0, 3).vs).toBe(0);
    expect(influence(cut, large, options, 2, 3).vs).toBe(0);
  });
});

/**
 * Theorem 1 by exact enumeration. A two-state MDP with a termination probability; μ and π tabular. The V-trace
 * operator is R V(x) = E_μ[vs_0 | s_0 = x] with vs computed on n-step trajectories (bootstrapping from V(s_n)):
 * enumerating every trajectory of n steps under μ (terminations included) with its probability gives R V exactly.
 *  - ρ̄ = ∞: V^π is the fixed point, R V^π = V^π, for every c̄ (c̄ only changes the contraction rate); and with
 *    c̄ = ∞ too, E_μ[vs_0] = E_π[Σ_{t<n} γ^t r_t + γ^n V(s_n)] for any V (per-decision importance sampling).
 *  - ρ̄ < ∞: the fixed point is V^{π_ρ̄}, π_ρ̄(a|x) = min(ρ̄·μ(a|x), π(a|x)) / Σ_b min(ρ̄·μ(b|x), π(b|x)), and
 *    iterating R from V = 0 converges to it (R is a contraction), not to V^π.
 * Tolerances: 1e-12 for identities of sums of a few hundred products; 1e-10 after the iteration converges.
 */
describe('V-trace fixed point (Theorem 1), exact expectations over every trajectory', () => {
  const gamma = 0.9;
  const horizon = 3;
  // P[s][a] = [p(next = 0), p(next = 1), p(termination)]; r[s][a].
  const P = [
    [
      [0.5, 0.3, 0.2],
      [0.1, 0.6, 0.3],
    ],
    [
      [0.4, 0.4, 0.2],
      [0.2, 0.2, 0.6],
    ],
  ];
  const r = [
    [1, -1],
    [0, 2],
  ];
  const mu = [
    [0.5, 0.5],
    [0.7, 0.3],
  ];
  const pi = [
    [0.8, 0.2],
    [0.2, 0.8],
  ];

  interface Trajectory {
    states: number[];
    actions: number[];
    terminated: boolean;
    /** The state after the n-th step (unused when terminated). */
    last: number;
    pMu: number;
    pPi: number;
  }

  function enumerate(start: number): Trajectory[] {
    const all: Trajectory[] = [];
    const walk = (states: number[], actions: number[], s: number, pMu: number, pPi: number) => {
      if (actions.length === horizon) {
        all.push({ states, actions, terminated: false, last: s, pMu, pPi });
        return;
      }
      for (let a = 0; a < 2; a++) {
        for (let o = 0; o < 3; o++) {
          const p = P[s][a][o];
          const qMu = pMu * mu[s][a] * p;
          const qPi = pPi * pi[s][a] * p;
          if (o === 2)
            all.push({
              states: [...states, s],
              actions: [...actions, a],
              terminated: true,
              last: -1,
              pMu: qMu,
              pPi: qPi,
            });
          else walk([...states, s], [...actions, a], o, qMu, qPi);
        }
      }
    };
    walk([], [], start, 1, 1);
    return all;
  }
  const trajectories = [enumerate(0), enumerate(1)];

  /**
   * E_μ[vs_0 | s_0 = x] for both x: every trajectory is one env of a single batch (time-major, T = n). Steps
   * after a termination belong to the next episode and are filled with large junk that must not leak back.
   */
  function vtraceOperator(
    V: number[],
    options: { rhoBar?: number; cBar?: number; lambda?: number },
  ): number[] {
    return trajectories.map((list) => {
      const N = list.length;
      const n = N * horizon;
      const batch: StepBatch = {
        numEnvs: N,
        rewards: new Float64Array(n),
        terminated: new Uint8Array(n),
        truncated: new Uint8Array(n),
      };
      const values = new Float64Array(n).fill(1000);
      const nextValues = new Float64Array(n).fill(1000);
      const logRatios = new Float64Array(n).fill(3);
      batch.rewards.fill(1000);
      list.forEach((tau, i) => {
        const L = tau.actions.length;
        for (let t = 0; t < L; t++) {
          const k = t * N + i;
          const [s, a] = [tau.states[t], tau.actions[t]];
          batch.rewards[k] = r[s][a];
          values[k] = V[s];
          logRatios[k] = Math.log(pi[s][a]) - Math.log(mu[s][a]);
          if (t + 1 < L) nextValues[k] = V[tau.states[t + 1]];
          else if (tau.terminated) batch.terminated[k] = 1;
          else nextValues[k] = V[tau.last];
        }
      });
      const out = vtrace(batch, logRatios, values, nextValues, gamma, options, outputs(n));
      return list.reduce((sum, tau, i) => sum + tau.pMu * out.vs[i], 0);
    });
  }

  /** V^policy = (I − γ P_policy)^{-1} r_policy, P_policy the sub-stochastic matrix between the two states. */
  function valueOf(policy: number[][]): number[] {
    const rp = [0, 1].map((s) => policy[s][0] * r[s][0] + policy[s][1] * r[s][1]);
    const Pp = [0, 1].map((s) => [0, 1].map((s2) => policy[s][0] * P[s][0][s2] + policy[s][1] * P[s][1][s2]));
    const [a, b, c, d] = [1 - gamma * Pp[0][0], -gamma * Pp[0][1], -gamma * Pp[1][0], 1 - gamma * Pp[1][1]];
    const det = a * d - b * c;
    return [(d * rp[0] - b * rp[1]) / det, (a * rp[1] - c * rp[0]) / det];
  }

  function truncatedPolicy(rhoBar: number): number[][] {
    return [0, 1].map((s) => {
      const w = [0, 1].map((a) => Math.min(rhoBar * mu[s][a], pi[s][a]));
      return w.map((x) => x / (w[0] + w[1]));
    });
  }

  const maxDiff = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i])));
  const Vpi = valueOf(pi);

  it('the enumeration is complete: probabilities sum to 1 under μ and under π', () => {
    for (const list of trajectories) {
      expect(list.reduce((s, t) => s + t.pMu, 0)).toBeCloseTo(1, 14);
      expect(list.reduce((s, t) => s + t.pPi, 0)).toBeCloseTo(1, 14);
    }
  });

  it('ρ̄ = ∞: R V^π = V^π for c̄ = ½, 1, ∞ and λ = 1, ½', () => {
    for (const cBar of [0.5, 1, Infinity]) {
      for (const lambda of [1, 0.5]) {
        expect(
          maxDiff(vtraceOperator(Vpi, { rhoBar: Infinity, cBar, lambda }), Vpi),
          `c̄ = ${cBar}, λ = ${lambda}`,
        ).toBeLessThan(1e-12);
      }
    }
  });

  it('ρ̄ = c̄ = ∞: E_μ[vs_0] is the n-step return’s expectation under π, for any V', () => {
    const V = [3, -2];
    const expected = trajectories.map((list) =>
      list.reduce((sum, tau) => {
        let g = 0;
        tau.actions.forEach((a, t) => (g += gamma ** t * r[tau.states[t]][a]));
        if (!tau.terminated) g += gamma ** horizon * V[tau.last];
        return sum + tau.pPi * g;
      }, 0),
    );
    expect(maxDiff(vtraceOperator(V, { rhoBar: Infinity, cBar: Infinity }), expected)).toBeLessThan(1e-12);
  });

  it('ρ̄ < ∞: the fixed point is V^{π_ρ̄}, reached by iterating R from 0, and it is not V^π', () => {
    for (const [rhoBar, cBar] of [
      [1.2, 1],
      [1.2, 0.5],
      [0.9, 0.9],
    ]) {
      const target = valueOf(truncatedPolicy(rhoBar));
      expect(maxDiff(target, Vpi)).toBeGreaterThan(0.1); // truncation changes the answer on this MDP
      expect(maxDiff(vtraceOperator(target, { rhoBar, cBar }), target)).toBeLessThan(1e-12);
      let V = [0, 0];
      for (let iteration = 0; iteration < 300; iteration++) V = vtraceOperator(V, { rhoBar, cBar });
      expect(maxDiff(V, target), `ρ̄ = ${rhoBar}, c̄ = ${cBar}`).toBeLessThan(1e-10);
      expect(maxDiff(vtraceOperator(Vpi, { rhoBar, cBar }), Vpi)).toBeGreaterThan(0.01);
    }
  });
});
