import { describe, expect, it } from 'vitest';
import {
  A2C,
  ActorCriticPolicy,
  adaptKlBeta,
  makeVec,
  type Minibatch,
  PPO,
  Rng,
  surrogateTerm,
  type ValueLossForm,
  advantagesAndReturns,
  RolloutBuffer,
} from '../src/internal.js';

describe('clipped surrogate, by hand', () => {
  const d = new Float64Array(1);
  it.each([
    // [ratio, advantage, expected term, expected ∂/∂log π]
    [1.5, 2, 1.2 * 2, 0], // Â > 0 and r > 1 + ε: clipped, no gradient (pessimistic side)
    [0.5, 2, 0.5 * 2, 0.5 * 2], // Â > 0 and r < 1 − ε: the unclipped term is the minimum, gradient flows
    [1.5, -2, 1.5 * -2, 1.5 * -2], // Â < 0 and r > 1 + ε: unclipped is the minimum
    [0.5, -2, 0.8 * -2, 0], // Â < 0 and r < 1 − ε: clipped, no gradient
    [1.1, 1, 1.1, 1.1], // inside the trust region: r·Â
  ])('r = %f, Â = %f', (r, adv, term, grad) => {
    expect(surrogateTerm(r, adv, 0.2, d)).toBeCloseTo(term, 12);
    expect(d[0]).toBeCloseTo(grad, 12);
  });

  it('without clipping the term is r·Â with derivative r·Â', () => {
    expect(surrogateTerm(3, 2, null, d)).toBe(6);
    expect(d[0]).toBe(6);
  });

  it('KL-penalty β rule: doubled at KL ≥ 1.5δ, halved at KL ≤ δ/1.5, kept in between', () => {
    expect(adaptKlBeta(1, 0.02, 0.01)).toBe(2);
    expect(adaptKlBeta(1, 0.015, 0.01)).toBe(2);
    expect(adaptKlBeta(1, 0.01 / 1.5, 0.01)).toBe(0.5);
    expect(adaptKlBeta(1, 0.001, 0.01)).toBe(0.5);
    expect(adaptKlBeta(1, 0.01, 0.01)).toBe(1);
  });
});

/**
 * A small policy and a minibatch whose old policy is a perturbed copy of the current one (the actor by
 * `perturbation`, the critic by `criticPerturbation`, so that V − V_old is nonzero and value clipping can act).
 */
function fixture(seed: number, perturbation = 0.05, criticPerturbation = 0) {
  const env = makeVec('CartPole-v1', 1);
  const policy = new ActorCriticPolicy(
    { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, netArch: [8] },
    Rng.fromSeed(seed),
  );
  const rng = Rng.fromSeed(seed + 1);
  for (let i = 0; i < policy.numParams; i++) policy.params[i] += rng.normal(0, 0.5);
  const B = 8;
  const observations = Float32Array.from({ length: B * 4 }, () => rng.normal());
  const actions = Float32Array.from({ length: B }, () => rng.integer(0, 2));
  const saved = policy.params.slice();
  for (let i = 0; i < policy.actorParamCount; i++) policy.params[i] += rng.normal(0, perturbation);
  if (criticPerturbation > 0) {
    for (let i = policy.criticOffset; i < policy.numParams; i++)
      policy.params[i] += rng.normal(0, criticPerturbation);
  }
  const oldDistInputs = Float32Array.from(policy.distInputs(observations, B));
  const oldLogProbs = new Float64Array(B);
  policy.dist.logProb(oldDistInputs, actions, B, oldLogProbs);
  const oldValues = Float64Array.from(policy.values(observations, B));
  policy.params.set(saved);
  const mb: Minibatch = {
    size: B,
    observations,
    actions,
    oldLogProbs,
    oldValues,
    advantages: Float64Array.from({ length: B }, () => rng.normal()),
    returns: Float64Array.from({ length: B }, () => rng.normal()),
    oldDistInputs,
  };
  return { policy, mb };
}

describe('actor-critic loss gradient', () => {
  it.each<PPOObjective>(['clip', 'kl-penalty', 'clip+kl', 'none'])(
    '%s: the gradient of L = L_π − c_H·H + c_V·L_V matches finite differences',
    (objective) => {
      const { policy, mb } = fixture(3, 0.3);
      const options = {
        objective,
        clipRange: 0.2,
        klBeta: 0.7,
        entCoef: 0.05,
        vfCoef: 0.5,
        clipRangeVf: 0.3,
        normalizeAdvantage: true,
      };
      const lossAt = actorCriticLoss(policy, mb, options);
      lossAt();
      const grads = policy.grads.slice();
      // Stay away from the kinks of the clipped terms so central differences are valid.
      const lp = new Float64Array(mb.size);
      policy.dist.logProb(policy.distInputs(mb.observations, mb.size), mb.actions, mb.size, lp);
      const ratios = Array.from(lp, (l, b) => Math.exp(l - mb.oldLogProbs[b]));
      expect(ratios.every((r) => Math.abs(r - 1.2) > 0.01 && Math.abs(r - 0.8) > 0.01)).toBe(true);
      expect(ratios.some((r) => r > 1.2 || r < 0.8)).toBe(true); // some samples are clipped
      expectFiniteDifferences(
        policy.params,
        grads,
        [0, 3, 17, policy.actorParamCount - 1, policy.criticOffset + 2, policy.numParams - 1],
        lossAt,
        { h: 1e-3, floor: 0.1 },
      );
    },
  );

  describe.each<ValueLossForm>(['sb3', 'cleanrl'])(
    'value loss %s with value clipping active',
    (valueLoss) => {
      const options = {
        objective: 'none' as const,
        clipRange: 0.2,
        klBeta: 0,
        entCoef: 0,
        vfCoef: 0.5,
        clipRangeVf: 0.2,
        valueLoss,
        normalizeAdvantage: false,
      };

      it('the gradient matches finite differences (V ≠ V_old: some samples clipped, some not)', () => {
        const { policy, mb } = fixture(7, 0, 0.1);
        const values = Float64Array.from(policy.values(mb.observations, mb.size));
        const deltas = Array.from(values, (v, b) => Math.abs(v - mb.oldValues[b]));
        // Away from the clamp's kinks, and both sides of ε_V present, so every branch is differentiated.
        expect(deltas.every((d) => Math.abs(d - options.clipRangeVf) > 0.01)).toBe(true);
        expect(deltas.filter((d) => d > options.clipRangeVf).length).toBeGreaterThanOrEqual(2);
        expect(deltas.filter((d) => d < options.clipRangeVf).length).toBeGreaterThanOrEqual(2);
        // Where clipped, which error is the larger decides CleanRL's gradient: both cases occur here.
        const clipped = [...deltas.keys()].filter((b) => deltas[b] > options.clipRangeVf);
        const vClip = (b: number) =>
          mb.oldValues[b] + Math.sign(values[b] - mb.oldValues[b]) * options.clipRangeVf;
        const unclippedLarger = clipped.map(
          (b) => Math.abs(values[b] - mb.returns[b]) > Math.abs(vClip(b) - mb.returns[b]),
        );
        const gaps = clipped.map((b) =>
          Math.abs(Math.abs(values[b] - mb.returns[b]) - Math.abs(vClip(b) - mb.returns[b])),
        );
        expect(Math.min(...gaps)).toBeGreaterThan(0.01); // away from the max's kink too
        expect(unclippedLarger).toContain(true);
        expect(unclippedLarger).toContain(false);

        const lossAt = actorCriticLoss(policy, mb, options);
        lossAt();
        const grads = policy.grads.slice();
        const critic = Array.from(
          { length: policy.numParams - policy.criticOffset },
          (_, j) => policy.criticOffset + j,
        );
        expectFiniteDifferences(policy.params, grads, critic, lossAt, { h: 1e-3, floor: 0.1 });
      });

      it('the loss is the form’s formula, by hand', () => {
        const { policy, mb } = fixture(7, 0, 0.1);
        const values = Array.from(policy.values(mb.observations, mb.size));
        const terms = values.map((v, b) => {
          const vClip = mb.oldValues[b] + Math.min(Math.max(v - mb.oldValues[b], -0.2), 0.2);
          const unclipped = (v - mb.returns[b]) ** 2;
          const clippedErr = (vClip - mb.returns[b]) ** 2;
          return valueLoss === 'sb3' ? clippedErr : 0.5 * Math.max(unclipped, clippedErr);
        });
        policy.zeroGrad();
        const stats = minibatchLoss(policy, mb, options);
        expect(stats.valueLoss).toBeCloseTo(mean(terms), 6);
      });
    },
  );

  it("without value clipping CleanRL's value loss is half of SB3's, and so is its gradient", () => {
    const { policy, mb } = fixture(7, 0, 0.1);
    const base = {
      objective: 'none' as const,
      clipRange: 0.2,
      klBeta: 0,
      entCoef: 0,
      vfCoef: 0.5,
      clipRangeVf: null,
      normalizeAdvantage: false,
    };
    policy.zeroGrad();
    const sb3 = minibatchLoss(policy, mb, { ...base, valueLoss: 'sb3' });
    const sb3Grads = policy.grads.slice(policy.criticOffset);
    policy.zeroGrad();
    const cleanrl = minibatchLoss(policy, mb, { ...base, valueLoss: 'cleanrl' });
    expect(cleanrl.valueLoss).toBeCloseTo(sb3.valueLoss / 2, 12);
    const cleanrlGrads = policy.grads.slice(policy.criticOffset);
    cleanrlGrads.forEach((g, j) => expect(g).toBeCloseTo(sb3Grads[j] / 2, 6));
  });

  it('samples clipped on the pessimistic side contribute no policy gradient', () => {
    const { policy, mb } = fixture(5, 0);
    const options = {
      objective: 'clip' as const,
      clipRange: 0.2,
      klBeta: 0,
      entCoef: 0,
      vfCoef: 0,
      clipRangeVf: null,
      normalizeAdvantage: false,
    };
    // r = e > 1 + ε with Â > 0 for every sample: the whole minibatch is clipped.
    mb.oldLogProbs = mb.oldLogProbs.map((l) => l - 1);
    mb.advantages = mb.advantages.map((a) => Math.abs(a) + 0.1);
    policy.zeroGrad();
    const stats = minibatchLoss(policy, mb, options);
    expect(stats.clipFraction).toBe(1);
    expect(policy.grads.every((g) => g === 0)).toBe(true);
    // With Â < 0 the unclipped term is the minimum and the gradient flows.
    mb.advantages = mb.advantages.map((a) => -a);
    policy.zeroGrad();
    minibatchLoss(policy, mb, options);
    expect(policy.grads.some((g) => g !== 0)).toBe(true);
  });
});

import {
  actorCriticLoss,
  allocationsDuring,
  expectFiniteDifferences,
  minibatchLoss,
  type PPOObjective,
} from './helpers.js';
import './learning-envs.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('learning (identity envs, as SB3 tests)', () => {
  it('PPO reaches ≥ 90 on the 4-action identity env', () => {
    const ppo = new PPO({
      env: 'TestIdentity-v0',
      numEnvs: 4,
      nSteps: 128,
      batchSize: 64,
      gamma: 0.4,
      seed: 1,
      learningRate: 3e-3,
    });
    ppo.learn({ totalTimesteps: 4000 });
    expect(mean(ppo.evaluate(5))).toBeGreaterThanOrEqual(90);
  });

  it('A2C reaches ≥ 90 on the 4-action identity env', () => {
    const a2c = new A2C({ env: 'TestIdentity-v0', numEnvs: 4, gamma: 0.4, seed: 1, learningRate: 3e-3 });
    a2c.learn({ totalTimesteps: 4000 });
    expect(mean(a2c.evaluate(5))).toBeGreaterThanOrEqual(90);
  });

  it('PPO reaches ≥ 90 on the continuous identity env', () => {
    const ppo = new PPO({
      env: 'TestIdentityBox-v0',
      numEnvs: 4,
      nSteps: 128,
      batchSize: 64,
      gamma: 0.4,
      seed: 1,
      learningRate: 3e-3,
    });
    ppo.learn({ totalTimesteps: 6000 });
    expect(mean(ppo.evaluate(5))).toBeGreaterThanOrEqual(90);
  });

  it('A2C reaches ≥ 90 on the continuous identity env', () => {
    const a2c = new A2C({ env: 'TestIdentityBox-v0', numEnvs: 4, gamma: 0.4, seed: 1, learningRate: 3e-3 });
    a2c.learn({ totalTimesteps: 6000 });
    expect(mean(a2c.evaluate(5))).toBeGreaterThanOrEqual(90);
  });
});

describe('truncation is bootstrapped, termination is not', () => {
  const valueAfterTraining = (env: string) => {
    // No gradient clipping: the 4 envs end their episodes on the same iteration, and clipping that iteration's
    // large gradient alone would bias the critic's fixed point.
    const a2c = new A2C({
      env,
      numEnvs: 4,
      gamma: 0.9,
      seed: 0,
      learningRate: 3e-3,
      netArch: [16],
      maxGradNorm: null,
      optimizer: 'adam',
    });
    a2c.learn({ totalTimesteps: 20_000 });
    return a2c.policy.values(Float32Array.of(1), 1)[0];
  };

  it('V approaches 1/(1 − γ) = 10 when the time limit is a truncation, and not when it is called a termination', () => {
    const truncated = valueAfterTraining('TestForever-v0');
    const terminated = valueAfterTraining('TestForeverTerminated-v0');
    expect(Math.abs(truncated - 10)).toBeLessThan(0.5);
    // Treated as terminal, A2C's 5-step targets have the fixed point v = 2.63 + 0.553·v ≈ 5.9.
    expect(terminated).toBeLessThan(7.5);
  });
});

describe("truncation: 'bootstrap' (SB3) or 'terminate' (CleanRL's ppo.py)", () => {
  it('a truncated step looks ahead to V(final observation), or to 0 when truncation ends the episode', () => {
    const buffer = new RolloutBuffer(2, 1, 1, 1);
    buffer.rewards.set([1, 1]);
    buffer.truncated[0] = 1; // the time limit cut the first episode off; V(final observation) = 8
    buffer.finalValues[0] = 8;
    buffer.lastValues[0] = 4;
    const advantages = new Float64Array(2);
    const returns = new Float64Array(2);
    advantagesAndReturns(buffer, 0.5, 1, advantages, returns, 'bootstrap');
    expect(Array.from(returns)).toEqual([1 + 0.5 * 8, 1 + 0.5 * 4]);
    advantagesAndReturns(buffer, 0.5, 1, advantages, returns, 'terminate');
    expect(Array.from(returns)).toEqual([1, 1 + 0.5 * 4]);
  });

  it('PPO passes the setting to its estimator (on an env with a time limit the updates differ)', () => {
    const run = (truncation: 'bootstrap' | 'terminate') =>
      new PPO({
        env: 'TestForever-v0',
        numEnvs: 2,
        nSteps: 32,
        batchSize: 64,
        nEpochs: 1,
        truncation,
        seed: 3,
      })
        .learn({ totalTimesteps: 64 })
        .map((m) => m.valueLoss);
    expect(run('terminate')).not.toEqual(run('bootstrap'));
  });
});

describe('PPO', () => {
  it(
    'learns CartPole-v1 (zoo preset): ≥ 200 mean evaluation return after 12k steps, seed 1',
    { tags: ['slow'] },
    () => {
      const ppo = new PPO({ env: 'CartPole-v1', preset: 'zoo', seed: 1 });
      ppo.learn({ totalTimesteps: 12_288 });
      expect(mean(ppo.evaluate(10))).toBeGreaterThanOrEqual(200);
      expect([0, 1]).toContain(ppo.predict(Float32Array.of(0, 0, 0.05, 0)));
    },
  );

  it('is deterministic: the same seed gives identical metrics', () => {
    const run = () =>
      new PPO({ preset: 'zoo', seed: 4 })
        .learn({ totalTimesteps: 3 * 256 })
        .map(({ sps: _sps, timeSeconds: _t, ...rest }) => rest);
    expect(run()).toEqual(run());
  });

  it('the KL-penalty objective adapts β by the rule after every update', () => {
    const ppo = new PPO({ preset: 'zoo', objective: 'kl-penalty', klPenaltyTarget: 0.005, seed: 2 });
    const history = ppo.learn({ totalTimesteps: 6 * 256 });
    let beta = 1;
    for (const m of history) {
      beta = adaptKlBeta(beta, m.kl as number, 0.005);
      expect(m.klBeta).toBe(beta);
    }
    expect(new Set(history.map((m) => m.klBeta)).size).toBeGreaterThan(1);
  });

  it('rejects bad configs and unknown presets with clear messages', () => {
    expect(() => new PPO({ clipRange: 'fast' as never })).toThrow(/option 'clipRange' = "fast" is invalid/);
    expect(() => new PPO({ env: 'Pendulum-v1', preset: 'tuned' })).toThrow(
      /no preset "tuned" for Pendulum-v1; available: zoo/,
    );
    expect(() => new PPO({ objective: 'trust' as never })).toThrow(/option 'objective'/);
  });
});

describe('hot loops allocate nothing', () => {
  it("three PPO iterations after warm-up construct no typed array but the environments' observations", () => {
    // Rollout (batched act: forward, sample, log-prob, value), GAE, and 2 epochs × 4 minibatches of forward,
    // loss heads, backward, clipping and Adam, on whichever kernels are the default (wasm where it runs). CartPole's
    // step returns a new observation (4 floats), as Gymnasium's does, and its reset a new state (4 floats); every
    // other length counts.
    const ppo = new PPO({ env: 'CartPole-v1', numEnvs: 2, nSteps: 64, batchSize: 32, nEpochs: 2, seed: 3 });
    const observationSize = ppo.policy.obsDim;
    ppo.begin({ totalTimesteps: 5 * 128 });
    ppo.iterate();
    ppo.iterate(); // workspaces grow to their largest batch in the first iterations
    const allocated = allocationsDuring(
      (length) => length !== observationSize,
      () => {
        for (let i = 0; i < 3; i++) ppo.iterate();
      },
    );
    expect(allocated).toEqual([]);
  });
});
