import { describe, expect, it } from 'vitest';
import {
  ActorCriticPolicy,
  conjugateGradient,
  FisherVectorProduct,
  makeVec,
  NPG,
  Rng,
  TRPO,
} from '../src/internal.js';
import { allocationsDuring } from './helpers.js';
import './learning-envs.js';

describe('conjugate gradient', () => {
  it('solves a small symmetric positive-definite system', () => {
    const rng = Rng.fromSeed(0);
    const n = 6;
    const m = Array.from({ length: n * n }, () => rng.normal());
    // A = MᵀM + I is symmetric positive definite.
    const A = Array.from({ length: n * n }, (_, k) => {
      const i = Math.floor(k / n);
      const j = k % n;
      let s = i === j ? 1 : 0;
      for (let r = 0; r < n; r++) s += m[r * n + i] * m[r * n + j];
      return s;
    });
    const matVec = (v: Float64Array, out: Float64Array) => {
      for (let i = 0; i < n; i++) {
        out[i] = 0;
        for (let j = 0; j < n; j++) out[i] += A[i * n + j] * v[j];
      }
    };
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const x = conjugateGradient(matVec, b, 50);
    const Ax = new Float64Array(n);
    matVec(x, Ax);
    for (let i = 0; i < n; i++) expect(Ax[i]).toBeCloseTo(b[i], 8);
  });
});

function tinyPolicy(envId: string, seed: number) {
  const env = makeVec(envId, 1);
  const policy = new ActorCriticPolicy(
    { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, netArch: [3] },
    Rng.fromSeed(seed),
  );
  const rng = Rng.fromSeed(seed + 1);
  for (let i = 0; i < policy.numParams; i++) policy.params[i] += rng.normal(0, 0.5);
  return { policy, obsDim: env.obsDim, rng };
}

/** The Fisher-vector product's matrix, column by column: F e_i. */
function fvpMatrix(fisher: FisherVectorProduct): number[][] {
  const n = fisher.size;
  return Array.from({ length: n }, (_, i) => {
    const e = new Float64Array(n);
    e[i] = 1;
    const out = new Float64Array(n);
    fisher.apply(e, out);
    return Array.from(out);
  });
}

describe('Fisher-vector product', () => {
  it('Categorical: equals E_a[∇log π ∇log πᵀ] built explicitly by enumerating the actions', () => {
    const { policy, obsDim, rng } = tinyPolicy('CartPole-v1', 2);
    const B = 3;
    const obs = Float32Array.from({ length: B * obsDim }, () => rng.normal());
    const n = policy.actorParamCount;
    const explicit = Array.from({ length: n }, () => new Float64Array(n));
    for (let b = 0; b < B; b++) {
      const o = obs.subarray(b * obsDim, (b + 1) * obsDim);
      const inputs = policy.distInputs(o, 1);
      const lp = new Float64Array(2);
      policy.dist.logProb(inputs, Float32Array.of(0), 1, lp.subarray(0, 1));
      policy.dist.logProb(inputs, Float32Array.of(1), 1, lp.subarray(1, 2));
      for (let a = 0; a < 2; a++) {
        policy.zeroGrad();
        const g = new Float32Array(2);
        policy.dist.gradLogProb(inputs, Float32Array.of(a), 1, Float64Array.of(1), g);
        policy.backwardActor(g, 1);
        const grad = Array.from(policy.grads.subarray(0, n));
        const p = Math.exp(lp[a]);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) explicit[i][j] += (p * grad[i] * grad[j]) / B;
      }
    }
    const F = fvpMatrix(new FisherVectorProduct(policy, obs, B, 0));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(F[j][i]).toBeCloseTo(explicit[i][j], 5);
  });

  it('DiagGaussian: equals Σ Jᵀ diag(1/σ², 2) J with J built row by row by reverse mode', () => {
    const { policy, obsDim, rng } = tinyPolicy('Pendulum-v1', 4);
    const B = 3;
    const obs = Float32Array.from({ length: B * obsDim }, () => rng.normal());
    const n = policy.actorParamCount;
    const explicit = Array.from({ length: n }, () => new Float64Array(n));
    for (let b = 0; b < B; b++) {
      const inputs = Float32Array.from(policy.distInputs(obs.subarray(b * obsDim, (b + 1) * obsDim), 1));
      const metric = [1 / Math.exp(2 * inputs[1]), 2]; // (mean, log σ)
      const rows = [0, 1].map((k) => {
        policy.zeroGrad();
        const unit = new Float32Array(2);
        unit[k] = 1;
        policy.backwardActor(unit, 1);
        return Array.from(policy.grads.subarray(0, n));
      });
      for (let k = 0; k < 2; k++) {
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) explicit[i][j] += (metric[k] * rows[k][i] * rows[k][j]) / B;
      }
    }
    const F = fvpMatrix(new FisherVectorProduct(policy, obs, B, 0));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(F[j][i]).toBeCloseTo(explicit[i][j], 4);
  });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('TRPO and NPG', () => {
  it('every TRPO step respects the KL bound δ', () => {
    const trpo = new TRPO({ env: 'CartPole-v1', numEnvs: 4, nSteps: 128, maxKl: 0.005, seed: 3 });
    const history = trpo.learn({ totalTimesteps: 5 * 512 });
    for (const m of history) {
      expect(m.kl).toBeLessThanOrEqual(0.005);
      expect(m.lineSearchSteps).toBeGreaterThanOrEqual(0);
    }
  });

  it("measures the step's KL as KL(π_new ‖ π_old), sb3-contrib's direction, over the rollout", () => {
    const trpo = new TRPO({ env: 'CartPole-v1', numEnvs: 2, nSteps: 256, maxKl: 0.05, seed: 4 });
    const oldParams = trpo.policy.params.slice();
    const [step] = trpo.learn({ totalTimesteps: 512 }); // one iteration
    expect(step.lineSearchSteps).toBeGreaterThanOrEqual(0);
    // The critic update after the step leaves the actor's parameters alone, and the buffer holds the rollout.
    const { buffer } = (
      trpo as unknown as { parts: { buffer: { observations: Float32Array; size: number } } }
    ).parts;
    const { policy } = trpo;
    const newParams = policy.params.slice();
    const inputsAt = (params: Float32Array) => {
      policy.params.set(params);
      return Float32Array.from(policy.distInputs(buffer.observations, buffer.size));
    };
    const before = inputsAt(oldParams);
    const after = inputsAt(newParams);
    const meanKl = (p: Float32Array, q: Float32Array) => {
      const out = new Float64Array(buffer.size);
      policy.dist.kl(p, q, buffer.size, out);
      return mean(Array.from(out));
    };
    const forward = meanKl(after, before); // KL(new ‖ old)
    const reverse = meanKl(before, after); // KL(old ‖ new)
    // The two agree to second order; at this step's size they differ by far more than rounding (≈ 1e-9 relative).
    expect(Math.abs(forward - reverse) / forward).toBeGreaterThan(1e-4);
    expect(step.kl).toBeCloseTo(forward, 9);
  });

  it('TRPO reaches ≥ 90 on the 4-action identity env', { tags: ['slow'] }, () => {
    const trpo = new TRPO({
      env: 'TestIdentity-v0',
      numEnvs: 4,
      nSteps: 256,
      gamma: 0.4,
      seed: 1,
      maxKl: 0.05,
    });
    trpo.learn({ totalTimesteps: 4096 });
    expect(mean(trpo.evaluate(5))).toBeGreaterThanOrEqual(90);
  });

  it('TRPO reaches ≥ 90 on the continuous identity env', { tags: ['slow'] }, () => {
    const trpo = new TRPO({
      env: 'TestIdentityBox-v0',
      numEnvs: 4,
      nSteps: 256,
      gamma: 0.4,
      seed: 1,
      maxKl: 0.05,
    });
    trpo.learn({ totalTimesteps: 6144 });
    expect(mean(trpo.evaluate(5))).toBeGreaterThanOrEqual(90);
  });

  it(
    'NPG takes the full natural step (no line search) and reaches ≥ 90 on the identity env',
    { tags: ['slow'] },
    () => {
      const npg = new NPG({
        env: 'TestIdentity-v0',
        numEnvs: 4,
        nSteps: 256,
        gamma: 0.4,
        seed: 1,
        maxKl: 0.05,
      });
      const history = npg.learn({ totalTimesteps: 4096 });
      expect(history.every((m) => m.lineSearchSteps === 0)).toBe(true);
      expect(mean(npg.evaluate(5))).toBeGreaterThanOrEqual(90);
    },
  );

  it("an iteration allocates none of the update's vectors: g, Fx, θ_old, CG's and the line search's come from createUpdate", () => {
    // netArch [8] on CartPole: 58 actor parameters; a rollout of 96 steps, 192 distribution inputs.
    const trpo = new TRPO({ env: 'CartPole-v1', nSteps: 96, batchSize: 32, netArch: [8], seed: 6 });
    const A = trpo.policy.actorParamCount;
    const n = 96;
    const watched = new Set([A, n, n * trpo.policy.dist.inputSize]);
    trpo.begin({ totalTimesteps: 3 * n });
    trpo.iterate(); // the first iteration may size lazily allocated caches
    expect(allocationsDuring(watched, () => trpo.iterate())).toEqual([]);
  });

  it('refuses options it does not use', () => {
    expect(() => new TRPO({ entCoef: 0.1 } as never)).toThrow(/unknown option 'entCoef'/);
  });

  it("NPG is TRPO's definition with the line search fixed off: a saved lineSearch false loads, true is refused", () => {
    const npg = new NPG({ env: 'CartPole-v1', nSteps: 64, seed: 2 });
    expect(npg.config.lineSearch).toBe(false);
    expect(npg).not.toBeInstanceOf(TRPO);
    // model.json and run configs hold the resolved config, lineSearch included.
    const again = new NPG({ ...npg.config, lineSearch: false, preset: null });
    expect(again.config).toEqual(npg.config);
    expect(() => new NPG({ lineSearch: true } as never)).toThrow(/^NPG config: .*lineSearch/);
    expect(() => new NPG({ lineSearch: true } as never)).not.toThrow(/\n/);
    // Its schema is its own object: TRPO's renamed keys are declared on it too.
    expect(() => new NPG({ targetKl: 0.01 } as never)).toThrow(
      /^NPG config: option 'targetKl' was renamed to maxKl/,
    );
  });
});
