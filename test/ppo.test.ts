import { describe, expect, it } from 'vitest';
import {
  A2C,
  ActorCriticPolicy,
  accumulateSurrogateGradient,
  adaptKlBeta,
  makeVec,
  type Minibatch,
  PPO,
  Rng,
  type SurrogateObjective,
  SurrogateScratch,
  surrogateTerm,
} from '../src/index.js';

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

/** A small policy and a minibatch whose old policy is a perturbed copy of the current one. */
function fixture(seed: number, perturbation = 0.05) {
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
  it.each<SurrogateObjective>(['clip', 'kl-penalty', 'clip+kl', 'none'])(
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
    const stats = accumulateSurrogateGradient(policy, mb, options, new SurrogateScratch());
    expect(stats.clipFraction).toBe(1);
    expect(policy.grads.every((g) => g === 0)).toBe(true);
    // With Â < 0 the unclipped term is the minimum and the gradient flows.
    mb.advantages = mb.advantages.map((a) => -a);
    policy.zeroGrad();
    accumulateSurrogateGradient(policy, mb, options, new SurrogateScratch());
    expect(policy.grads.some((g) => g !== 0)).toBe(true);
  });
});

import { actorCriticLoss, expectFiniteDifferences } from './helpers.js';
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
    const ppo = new PPO({ preset: 'zoo', objective: 'kl-penalty', klTarget: 0.005, seed: 2 });
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
