/**
 * gSDE (generalized state-dependent exploration, Raffin et al. 2021; SB3's StateDependentNoiseDistribution):
 * σ_d(s)² = Σ_j z_j(s)² s_jd² + ε from the actor's last hidden layer z and the learned log σ matrix ℓ; noise z(s)ᵀE
 * from exploration matrices redrawn every `sdeSampleFreq` steps. Checked here: the gradients of log-prob, entropy
 * and KL w.r.t. ℓ (float64, against central differences), the Jacobian-vector product and the Fisher-vector
 * product of TRPO (against finite differences of the KL), the sampling law, the resampling schedule, exact resume
 * from checkpoints, export, and SB3's refusals.
 */
import { describe, expect, it } from 'vitest';
import {
  A2C,
  ActorCriticPolicy,
  DiagGaussian,
  exportPolicy,
  FisherVectorProduct,
  importPolicy,
  makeVec,
  PPO,
  Rng,
  RolloutBuffer,
  RolloutCollector,
  StateDependentNoise,
  TRPO,
} from '../src/internal.js';
import { expectFiniteDifferences } from './helpers.js';

const H = 1e-6;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tol);
}

const variants = [
  { name: 'fullStd, exp', fullStd: true, useExpln: false },
  { name: 'one σ per feature, exp', fullStd: false, useExpln: false },
  { name: 'fullStd, expln (ℓ on both sides of 0)', fullStd: true, useExpln: true },
] as const;

describe.each(variants)('StateDependentNoise ($name), float64', ({ fullStd, useExpln }) => {
  const D = 2;
  const F = 3;
  const B = 4;
  const sde = new StateDependentNoise({ actionSize: D, featureSize: F, fullStd, useExpln });
  const gaussian = new DiagGaussian(D);
  const rng = Rng.fromSeed(11);
  const means = Float64Array.from({ length: B * D }, () => rng.normal());
  const features = Float64Array.from({ length: B * F }, () => rng.normal());
  const logStd = Float64Array.from({ length: sde.paramCount }, () => rng.uniform(-1, 1));
  const weights = Float64Array.from({ length: B }, () => rng.normal());
  const inputsAt = (l: Float64Array) => {
    const x = new Float64Array(B * 2 * D);
    sde.distInputs(means, features, l, B, x);
    return x;
  };

  it('log σ_d = ½ log(Σ_j z_j² s_jd² + ε), the mean passes through', () => {
    const x = inputsAt(logStd);
    const s = (j: number, d: number) => sde.std(logStd[fullStd ? j * D + d : j]);
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < D; d++) {
        let variance = 1e-6;
        for (let j = 0; j < F; j++) variance += features[b * F + j] ** 2 * s(j, d) ** 2;
        expect(x[b * 2 * D + d]).toBe(means[b * D + d]);
        expect(x[b * 2 * D + D + d]).toBeCloseTo(0.5 * Math.log(variance), 12);
      }
    }
    if (useExpln) {
      expect(sde.std(-0.5)).toBeCloseTo(Math.exp(-0.5), 15);
      expect(sde.std(2)).toBeCloseTo(Math.log1p(2 + 1e-6) + 1, 15);
    }
  });

  it.each(['logProb', 'entropy', 'kl'] as const)(
    'the gradient of Σ w·%s w.r.t. ℓ matches central differences',
    (what) => {
      const actions = Float64Array.from({ length: B * D }, () => rng.normal());
      const old = inputsAt(logStd.map((v) => v + 0.3));
      const value = (x: Float64Array) => {
        const out = new Float64Array(B);
        if (what === 'logProb') gaussian.logProb(x, actions, B, out);
        else if (what === 'entropy') gaussian.entropy(x, B, out);
        else gaussian.kl(old, x, B, out);
        return out.reduce((a, v, b) => a + v * weights[b], 0);
      };
      const x = inputsAt(logStd);
      const gradInputs = new Float64Array(x.length);
      if (what === 'logProb') gaussian.gradLogProb(x, actions, B, weights, gradInputs);
      else if (what === 'entropy') gaussian.gradEntropy(x, B, weights, gradInputs);
      else gaussian.gradKl(old, x, B, weights, gradInputs);
      const analytic = new Float64Array(sde.paramCount);
      sde.backward(gradInputs, features, logStd, B, analytic);
      const numeric = logStd.map((_, k) => {
        const up = logStd.slice();
        up[k] += H;
        const down = logStd.slice();
        down[k] -= H;
        return (value(inputsAt(up)) - value(inputsAt(down))) / (2 * H);
      });
      expectClose(analytic, numeric, 1e-7);
      expect(analytic.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    },
  );

  it('jvp is the directional derivative of log σ along a tangent of ℓ', () => {
    const tangent = Float64Array.from({ length: sde.paramCount }, () => rng.normal());
    const out = new Float64Array(B * 2 * D);
    sde.jvp(features, logStd, tangent, B, out);
    const up = inputsAt(logStd.map((v, k) => v + H * tangent[k]));
    const down = inputsAt(logStd.map((v, k) => v - H * tangent[k]));
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < D; d++) {
        const k = b * 2 * D + D + d;
        expect(Math.abs(out[k] - (up[k] - down[k]) / (2 * H))).toBeLessThan(1e-7);
      }
    }
  });

  it('Jᵀ diag(1/σ², 2) J v equals the Hessian of the KL in ℓ times v (differences of its gradient)', () => {
    const v = Float64Array.from({ length: sde.paramCount }, () => rng.normal());
    const x = inputsAt(logStd);
    const ones = new Float64Array(B).fill(1);
    const jv = new Float64Array(x.length);
    sde.jvp(features, logStd, v, B, jv); // the mean half stays 0: ℓ does not move the mean
    const mjv = new Float64Array(x.length);
    gaussian.fisherVectorProduct(x, jv, B, mjv);
    const fv = new Float64Array(sde.paramCount);
    sde.backward(mjv, features, logStd, B, fv);
    const gradKlAt = (eps: number) => {
      const l = logStd.map((value, k) => value + eps * v[k]);
      const g = new Float64Array(x.length);
      gaussian.gradKl(x, inputsAt(l), B, ones, g);
      const out = new Float64Array(sde.paramCount);
      sde.backward(g, features, l, B, out);
      return out;
    };
    const plus = gradKlAt(1e-5);
    const minus = gradKlAt(-1e-5);
    expectClose(
      fv,
      plus.map((p, k) => (p - minus[k]) / 2e-5),
      1e-6,
    );
  });

  it('noise z·E has mean 0 and variance Σ_j z_j² s_jd² over redrawn matrices (4 standard errors)', () => {
    const n = 20000;
    const samples = Array.from({ length: D }, () => new Float64Array(n));
    const row = features.subarray(0, F);
    const draw = Rng.fromSeed(12);
    const action = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      sde.resample(logStd, 1, draw);
      action.fill(0);
      sde.addNoise(row, 1, action);
      for (let d = 0; d < D; d++) samples[d][i] = action[d];
    }
    const x = inputsAt(logStd);
    for (let d = 0; d < D; d++) {
      const variance = Math.exp(2 * x[D + d]) - 1e-6;
      const m = samples[d].reduce((a, v) => a + v, 0) / n;
      const squares = samples[d].map((v) => v * v);
      const meanSquare = squares.reduce((a, v) => a + v, 0) / n;
      const sdSquare = Math.sqrt(squares.reduce((a, v) => a + (v - meanSquare) ** 2, 0) / (n - 1));
      expect(Math.abs(m)).toBeLessThan(4 * Math.sqrt(variance / n));
      expect(Math.abs(meanSquare - variance)).toBeLessThan(4 * (sdSquare / Math.sqrt(n)));
    }
  });
});

function sdePolicy(options: { fullStd?: boolean; useExpln?: boolean; sharedTrunk?: boolean } = {}) {
  const env = makeVec('Pendulum-v1', 1);
  const policy = new ActorCriticPolicy(
    {
      observationSpace: env.singleObservationSpace,
      actionSpace: env.singleActionSpace,
      netArch: [5],
      useSde: true,
      logStdInit: -0.5,
      ...options,
    },
    Rng.fromSeed(3),
  );
  const rng = Rng.fromSeed(4);
  for (let i = 0; i < policy.actorParamCount; i++) policy.params[i] += rng.normal(0, 0.3);
  return { policy, rng };
}

describe('ActorCriticPolicy with gSDE', () => {
  it('lays out [actor (mean) | ℓ (F × D) | critic], ℓ starts at logStdInit, features are the last hidden layer', () => {
    const env = makeVec('Pendulum-v1', 1);
    const make = (fullStd: boolean) =>
      new ActorCriticPolicy(
        {
          observationSpace: env.singleObservationSpace,
          actionSpace: env.singleActionSpace,
          netArch: [7, 5],
          useSde: true,
          fullStd,
          logStdInit: -2,
        },
        Rng.fromSeed(1),
      );
    const policy = make(true);
    expect(policy.actor.outputSize).toBe(1);
    expect(policy.actorParamCount).toBe(policy.actor.numParams + 5);
    expect(Array.from(policy.params.subarray(policy.actor.numParams, policy.actorParamCount))).toEqual(
      Array(5).fill(-2),
    );
    expect(make(false).actorParamCount).toBe(policy.actor.numParams + 5); // D = 1: F × 1 either way
    // log σ = ½ log(Σ z² e^{2ℓ} + ε) with z the second hidden layer's activations
    const obs = Float32Array.of(0.3, -0.2, 1);
    const inputs = Float32Array.from(policy.distInputs(obs, 1));
    const z = policy.actor.layerInput(2, 1);
    const variance = Array.from(z).reduce((a, v) => a + v * v * Math.exp(-4), 1e-6);
    expect(inputs[1]).toBeCloseTo(0.5 * Math.log(variance), 5);
  });

  it('backwardActor: the log-prob gradient w.r.t. the output layer and ℓ matches finite differences (float32)', () => {
    for (const options of [{}, { fullStd: false }, { useExpln: true }, { sharedTrunk: true }]) {
      const { policy, rng } = sdePolicy(options);
      const batch = 4;
      const obs = Float32Array.from({ length: batch * 3 }, () => rng.normal());
      const actions = Float32Array.from({ length: batch }, () => rng.normal(0, 0.5));
      const weights = Float64Array.from({ length: batch }, () => rng.normal());
      const objective = () => {
        const lp = new Float64Array(batch);
        policy.dist.logProb(policy.distInputs(obs, batch), actions, batch, lp);
        return lp.reduce((a, v, b) => a + v * weights[b], 0);
      };
      policy.zeroGrad();
      const inputs = policy.distInputs(obs, batch);
      const g = new Float32Array(batch * 2);
      policy.dist.gradLogProb(inputs, actions, batch, weights, g);
      policy.backwardActor(g, batch);
      // the output layer (its weights and bias) and every ℓ: the features do not depend on them
      const head = policy.actor.layers[policy.actor.layers.length - 1];
      const start = policy.actorParamCount - policy.actor.numParams - 5 + head.wOffset; // trunk offset + head
      const indices = [start, start + 2, start + head.nIn];
      for (let k = policy.actorParamCount - 5; k < policy.actorParamCount; k++) indices.push(k);
      expectFiniteDifferences(policy.params, policy.grads, indices, objective, { h: 1e-2, tolerance: 3e-2 });
    }
  });

  it('the features are detached (as SB3): the hidden layers get only the mean path of the gradient', () => {
    const { policy, rng } = sdePolicy();
    const obs = Float32Array.from({ length: 3 }, () => rng.normal());
    policy.zeroGrad();
    policy.distInputs(obs, 1);
    policy.backwardActor(Float32Array.of(0, 1), 1); // ∂L/∂ log σ only
    const hidden = policy.actor.layers[0];
    const hiddenGrads = policy.grads.subarray(0, hidden.bOffset + hidden.nOut);
    expect(hiddenGrads.every((g) => g === 0)).toBe(true);
    expect(
      policy.grads.subarray(policy.actorParamCount - 5, policy.actorParamCount).some((g) => g !== 0),
    ).toBe(true);
  });

  it('the FVP equals the Hessian of the mean KL along v (finite differences of its gradient and of the KL)', () => {
    const { policy, rng } = sdePolicy();
    const B = 6;
    const obs = Float32Array.from({ length: B * 3 }, () => rng.normal());
    const n = policy.actorParamCount;
    // v moves the output layer and ℓ (which leave the features alone) and, on the mean path, the hidden layer
    const v = Float64Array.from({ length: n }, () => rng.normal());
    const fisher = new FisherVectorProduct(policy, obs, B, 0);
    const fv = new Float64Array(n);
    fisher.apply(v, fv);
    const base = policy.params.slice();
    const old = Float32Array.from(policy.distInputs(obs, B));
    const meanKlAt = (eps: number, grad: Float64Array | null) => {
      for (let k = 0; k < n; k++) policy.params[k] = base[k] + eps * v[k];
      const x = policy.distInputs(obs, B);
      const kls = new Float64Array(B);
      policy.dist.kl(old, x, B, kls);
      if (grad !== null) {
        const g = new Float32Array(B * 2);
        policy.dist.gradKl(old, x, B, new Float64Array(B).fill(1 / B), g);
        policy.zeroGrad();
        policy.backwardActor(g, B);
        for (let k = 0; k < n; k++) grad[k] = policy.grads[k];
      }
      policy.params.set(base);
      return kls.reduce((a, b) => a + b, 0) / B;
    };
    // Only the part of v that leaves the features alone: zero the hidden layer (the detached path differs there).
    const hidden = policy.actor.layers[0];
    for (let k = 0; k < hidden.bOffset + hidden.nOut; k++) v[k] = 0;
    fisher.apply(v, fv);
    const h = 1e-2;
    const plus = new Float64Array(n);
    const minus = new Float64Array(n);
    meanKlAt(h, plus);
    meanKlAt(-h, minus);
    for (let k = 0; k < n; k++) {
      expect(Math.abs(fv[k] - (plus[k] - minus[k]) / (2 * h))).toBeLessThan(
        2e-2 * Math.max(1, Math.abs(fv[k])),
      );
    }
    // vᵀ F v = d²/dε² KL(θ + εv) at 0 (KL and its slope vanish there)
    const second = (meanKlAt(h, null) + meanKlAt(-h, null)) / (h * h);
    const vFv = v.reduce((a, vk, k) => a + vk * fv[k], 0);
    expect(Math.abs(second - vFv)).toBeLessThan(2e-2 * vFv);
  });

  it('with one matrix held, the same state gets the same noise; a new matrix changes it', () => {
    const { policy } = sdePolicy();
    const obs = Float32Array.of(0.5, 0.1, -0.4, 0.5, 0.1, -0.4);
    const rng = Rng.fromSeed(9);
    policy.resetNoise(2, rng);
    const act = { actions: new Float32Array(2), logProbs: new Float32Array(2), values: new Float32Array(2) };
    policy.act(obs, 2, rng, act);
    const first = Array.from(act.actions);
    policy.act(obs, 2, rng, act);
    expect(Array.from(act.actions)).toEqual(first);
    expect(first[0]).not.toBe(first[1]); // one matrix per env
    policy.resetNoise(2, rng);
    policy.act(obs, 2, rng, act);
    expect(act.actions[0]).not.toBe(first[0]);
    // the log-probability is that of the Gaussian N(μ, σ(s)) at the action taken
    const inputs = policy.distInputs(obs, 2);
    const lp = new Float64Array(2);
    policy.dist.logProb(inputs, act.actions, 2, lp);
    expect(act.logProbs[0]).toBeCloseTo(lp[0], 5);
  });

  it('the rollout redraws the matrices at its start and every sdeSampleFreq steps (−1 and 0: only at the start)', () => {
    for (const [freq, expected] of [
      [4, [0, 4, 8]],
      [-1, [0]],
      [0, [0]],
    ] as const) {
      const env = makeVec('Pendulum-v1', 2);
      const { policy } = sdePolicy();
      const collector = new RolloutCollector(env, policy, Rng.fromSeed(1), 1);
      collector.sdeSampleFreq = freq;
      const steps: number[] = [];
      const resetNoise = policy.resetNoise.bind(policy);
      policy.resetNoise = (count, rng) => {
        steps.push(collector.totalSteps / 2); // the rollout's step t
        resetNoise(count, rng);
      };
      collector.collectSteps(new RolloutBuffer(10, 2, env.obsDim, 1));
      expect(steps).toEqual(expected);
    }
  });

  it('export → import gives the same distribution inputs; the file records gSDE', () => {
    const { policy } = sdePolicy({ fullStd: false, useExpln: true });
    const env = makeVec('Pendulum-v1', 1);
    const file = exportPolicy(policy, {
      algo: 'ppo',
      env: 'Pendulum-v1',
      envOptions: {},
      observationSpace: env.singleObservationSpace,
      actionSpace: env.singleActionSpace,
      normalization: null,
    });
    expect(file.spec).toMatchObject({ useSde: true, fullStd: false, useExpln: true });
    const restored = importPolicy(JSON.parse(JSON.stringify(file)));
    const obs = Float32Array.of(0.2, 0.4, -1);
    expect(Array.from(restored.distInputs(obs, 1))).toEqual(Array.from(policy.distInputs(obs, 1)));
    expect(() => importPolicy({ ...file, spec: { ...file.spec, useSde: 'yes' as never } })).toThrow(
      /spec.useSde is "yes"; expected true or false/,
    );
  });
});

describe('gSDE in the algorithms', () => {
  it('PPO: resumed from a checkpoint, the run and the stochastic predictions continue exactly', () => {
    const config = {
      env: 'Pendulum-v1',
      useSde: true,
      sdeSampleFreq: 4,
      numEnvs: 2,
      nSteps: 64,
      batchSize: 64,
      nEpochs: 2,
      seed: 5,
    };
    const a = new PPO(config);
    a.learn({ totalTimesteps: 512 });
    const checkpoint = JSON.parse(JSON.stringify(a.checkpoint()));
    expect(checkpoint.exploration.count).toBe(2);
    const obs = Float32Array.of(0.1, 0.9, 0.3);
    const b = new PPO(config);
    b.restoreCheckpoint(checkpoint);
    // stochastic predictions use the restored matrix and generator
    expect(Array.from(b.predict(obs, { deterministic: false }) as Float32Array)).toEqual(
      Array.from(a.predict(obs, { deterministic: false }) as Float32Array),
    );
    const rest = (m: PPO) =>
      m.learn({ totalTimesteps: 512, resetProgress: false }).map((x) => [x.policyLoss, x.entropy]);
    expect(rest(b)).toEqual(rest(a));
    expect(Array.from(b.policy.params)).toEqual(Array.from(a.policy.params));
    const { exploration: _dropped, ...incomplete } = checkpoint;
    expect(() => new PPO(config).restoreCheckpoint(incomplete)).toThrow(/'exploration' matrices are missing/);
  });

  it('A2C and TRPO train with gSDE (finite losses, log σ matrix moves)', () => {
    for (const model of [
      new A2C({ env: 'Pendulum-v1', useSde: true, numEnvs: 2, seed: 1 }),
      new TRPO({ env: 'Pendulum-v1', useSde: true, sdeSampleFreq: 4, numEnvs: 2, nSteps: 128, seed: 1 }),
    ]) {
      const before = model.policy.params.slice();
      const history = model.learn({ totalTimesteps: 512 });
      expect(history.every((m) => Number.isFinite(m.policyLoss) && Number.isFinite(m.entropy))).toBe(true);
      const ell = (p: Float32Array) =>
        Array.from(p.subarray(model.policy.actor.numParams, model.policy.actorParamCount));
      expect(ell(model.policy.params)).not.toEqual(ell(before));
    }
  });

  it('refuses what SB3 refuses, in one line: gSDE without Box actions, gSDE options without useSde', () => {
    expect(() => new PPO({ env: 'CartPole-v1', useSde: true })).toThrow(
      /^useSde: gSDE needs a Box \(continuous\) action space, not Discrete\(2\)$/,
    );
    expect(() => new PPO({ env: 'Pendulum-v1', sdeSampleFreq: 4 })).toThrow(
      /sdeSampleFreq 4 applies to gSDE only: set useSde: true/,
    );
    expect(() => new A2C({ env: 'Pendulum-v1', fullStd: false })).toThrow(/fullStd is a gSDE option/);
    expect(() => new TRPO({ env: 'Pendulum-v1', useExpln: true })).toThrow(/useExpln is a gSDE option/);
    expect(() => new PPO({ env: 'Pendulum-v1', useSde: true, stateDependentStd: true })).toThrow(
      /choose one/,
    );
    expect(() => new PPO({ env: 'Pendulum-v1', sdeSampleFreq: -2 })).toThrow(/sdeSampleFreq/);
  });
});
