import { describe, expect, it } from 'vitest';
import {
  ActorCriticPolicy,
  base64Length,
  BaseEnv,
  Box,
  Discrete,
  type EncodedFloats,
  importanceSampledRewardToGo,
  makeVec,
  perDecisionWeights,
  Reinforce,
  readFloatArrayInto,
  RolloutBuffer,
  RolloutCollector,
  register,
  type ResetOptions,
  Rng,
  rewardToGo,
  type StepBatch,
} from '../src/internal.js';
import {
  addLogLikelihoodGradient,
  allocationsDuring,
  expectFiniteDifferences,
  recordEstimates,
} from './helpers.js';

/** A two-armed bandit: arm 1 pays 1, arm 0 pays 0.2 (plus seeded noise); one step per episode. */
class Bandit extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>({ low: 0, high: 1, shape: [1] });
  readonly actionSpace = new Discrete(2);
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    return { observation: Float32Array.of(1), info: {} };
  }
  step(action: number) {
    const reward = (action === 1 ? 1 : 0.2) + this.rng.normal(0, 0.1);
    return { observation: Float32Array.of(1), reward, terminated: true, truncated: false, info: {} };
  }
}

/** A chain 0..4 starting at 0; action 1 moves right, 0 left; reaching 4 pays +1 and terminates; −0.05 per step. */
class Chain extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>({ low: 0, high: 1, shape: [5] });
  readonly actionSpace = new Discrete(2);
  private position = 0;
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    this.position = 0;
    return { observation: this.obs(), info: {} };
  }
  step(action: number) {
    this.position = Math.max(0, this.position + (action === 1 ? 1 : -1));
    const done = this.position === 4;
    return {
      observation: this.obs(),
      reward: done ? 1 : -0.05,
      terminated: done,
      truncated: false,
      info: {},
    };
  }
  private obs() {
    const o = new Float32Array(5);
    o[this.position] = 1;
    return o;
  }
}

/** s0 —a=0→ L (pays 0.5 whatever the action), s0 —a=1→ R (action 1 pays 1, action 0 pays 0); two steps. */
class TwoStep extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>({ low: 0, high: 1, shape: [3] });
  readonly actionSpace = new Discrete(2);
  private state = 0;
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    this.state = 0;
    return { observation: this.obs(), info: {} };
  }
  step(action: number) {
    const first = this.state === 0;
    const reward = first ? 0 : this.state === 1 ? 0.5 : action;
    this.state = first ? 1 + action : 0;
    return { observation: this.obs(), reward, terminated: !first, truncated: false, info: {} };
  }
  private obs() {
    const o = new Float32Array(3);
    o[this.state] = 1;
    return o;
  }
}

register({ id: 'TestBandit-v0', entryPoint: () => new Bandit() });
register({ id: 'TestTwoStep-v0', entryPoint: () => new TwoStep() });
register({ id: 'TestChain-v0', entryPoint: () => new Chain(), maxEpisodeSteps: 20 });

describe('ActorCriticPolicy', () => {
  it('lays out [actor | log σ | critic] and initialises log σ and the heads as SB3 does', () => {
    const env = makeVec('Pendulum-v1', 1);
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, logStdInit: -0.5 },
      Rng.fromSeed(0),
    );
    expect(policy.numParams).toBe(policy.actor.numParams + 1 + policy.critic.numParams);
    expect(policy.params[policy.actor.numParams]).toBe(-0.5);
    const inputs = policy.distInputs(Float32Array.of(1, 0, 0), 1);
    expect(inputs[1]).toBe(-0.5); // [mean | log σ]
    expect(Math.abs(inputs[0])).toBeLessThan(0.1); // head gain 0.01 keeps the initial mean near 0
  });

  it('with stateDependentStd the actor network outputs [mean | log σ] and there is no free log σ vector', () => {
    const env = makeVec('Pendulum-v1', 1);
    const policy = new ActorCriticPolicy(
      {
        observationSpace: env.singleObservationSpace,
        actionSpace: env.singleActionSpace,
        stateDependentStd: true,
      },
      Rng.fromSeed(0),
    );
    expect(policy.actor.outputSize).toBe(2);
    expect(policy.actorParamCount).toBe(policy.actor.numParams);
    const a = Float32Array.from(policy.distInputs(Float32Array.of(1, 0, 0), 1));
    const b = Float32Array.from(policy.distInputs(Float32Array.of(0, 1, 3), 1));
    expect(a[1]).not.toBe(b[1]); // log σ depends on the state
  });

  it('backwardActor carries distribution-input gradients into the parameters (finite differences, float32)', () => {
    const env = makeVec('Pendulum-v1', 1);
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, netArch: [8] },
      Rng.fromSeed(1),
    );
    const rng = Rng.fromSeed(2);
    for (let i = 0; i < policy.actorParamCount; i++) policy.params[i] += rng.normal(0, 0.3);
    const batch = 4;
    const obs = Float32Array.from({ length: batch * 3 }, () => rng.normal());
    const actions = Float32Array.from({ length: batch }, () => rng.normal());
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
    expectFiniteDifferences(
      policy.params,
      policy.grads,
      [0, 5, policy.actor.numParams - 1, policy.actor.numParams],
      objective,
    );
    expect(policy.grads.subarray(policy.criticOffset).every((v) => v === 0)).toBe(true);
  });

  it('the value loss head gradient 2(V − G)/B, carried by backwardCritic, matches finite differences', () => {
    const env = makeVec('CartPole-v1', 1);
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, netArch: [8] },
      Rng.fromSeed(4),
    );
    const rng = Rng.fromSeed(5);
    const batch = 6;
    const obs = Float32Array.from({ length: batch * 4 }, () => rng.normal());
    const targets = Float64Array.from({ length: batch }, () => rng.normal(0, 2));
    const mse = () => policy.values(obs, batch).reduce((a, v, b) => a + (v - targets[b]) ** 2, 0) / batch;
    policy.zeroGrad();
    const values = policy.values(obs, batch);
    policy.backwardCritic(
      values.map((v, b) => (2 * (v - targets[b])) / batch),
      batch,
    );
    expectFiniteDifferences(
      policy.params,
      policy.grads,
      [policy.criticOffset, policy.criticOffset + 7, policy.numParams - 1],
      mse,
    );
    expect(policy.grads.subarray(0, policy.actorParamCount).every((v) => v === 0)).toBe(true);
  });

  it('shared trunk: both losses reach the trunk, and their gradient matches finite differences', () => {
    const env = makeVec('CartPole-v1', 1);
    const policy = new ActorCriticPolicy(
      {
        observationSpace: env.singleObservationSpace,
        actionSpace: env.singleActionSpace,
        netArch: [8, 8],
        sharedTrunk: true,
      },
      Rng.fromSeed(6),
    );
    const trunk = policy.trunk?.numParams ?? 0;
    expect(trunk).toBe(4 * 8 + 8 + 8 * 8 + 8);
    expect(policy.numParams).toBe(trunk + (8 * 2 + 2) + (8 + 1));
    const rng = Rng.fromSeed(7);
    for (let i = 0; i < policy.numParams; i++) policy.params[i] += rng.normal(0, 0.2);
    const batch = 5;
    const obs = Float32Array.from({ length: batch * 4 }, () => rng.normal());
    const actions = Float32Array.from({ length: batch }, () => rng.integer(0, 2));
    const weights = Float64Array.from({ length: batch }, () => rng.normal());
    const targets = Float64Array.from({ length: batch }, () => rng.normal());
    // Combined loss: Σ w log π(a|s) + Σ (V(s) − target)², as A2C/PPO combine theirs.
    const loss = () => {
      const lp = new Float64Array(batch);
      policy.dist.logProb(policy.distInputs(obs, batch), actions, batch, lp);
      const v = policy.values(obs, batch);
      return lp.reduce((a, x, b) => a + x * weights[b] + (v[b] - targets[b]) ** 2, 0);
    };
    policy.zeroGrad();
    const inputs = policy.distInputs(obs, batch);
    const gradInputs = new Float32Array(batch * 2);
    policy.dist.gradLogProb(inputs, actions, batch, weights, gradInputs);
    const values = policy.values(obs, batch);
    const gradValues = values.map((v, b) => 2 * (v - targets[b]));
    policy.backwardActor(gradInputs, batch);
    policy.backwardCritic(gradValues, batch);
    expectFiniteDifferences(
      policy.params,
      policy.grads,
      [0, 20, trunk - 1, trunk + 3, policy.numParams - 1],
      loss,
    );
  });

  it('predict returns an integer for one Discrete observation, and needs an rng to sample', () => {
    const env = makeVec('CartPole-v1', 1);
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace },
      Rng.fromSeed(0),
    );
    expect([0, 1]).toContain(policy.predict(Float32Array.of(0, 0, 0, 0)));
    expect(policy.predict(new Float32Array(8))).toHaveLength(2);
    expect(() => policy.predict(new Float32Array(3))).toThrow(/not a multiple of the observation size 4/);
    expect(() => policy.predict(new Float32Array(4), { deterministic: false })).toThrow(/needs \{ rng \}/);
  });
});

describe('rollouts', () => {
  const setup = (id: string, numEnvs: number) => {
    const env = makeVec(id, numEnvs, {}, { copy: false });
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace },
      Rng.fromSeed(0),
    );
    return { env, policy, collector: new RolloutCollector(env, policy, Rng.fromSeed(1), 0) };
  };

  it('collectSteps fills a time-major buffer whose observations follow the env', () => {
    const { collector } = setup('CartPole-v1', 3);
    const buffer = collector.collectSteps(new RolloutBuffer(50, 3, 4, 1));
    expect(collector.totalSteps).toBe(150);
    expect(buffer.actions.every((a) => a === 0 || a === 1)).toBe(true);
    expect(buffer.rewards.every((r) => r === 1)).toBe(true);
    expect(buffer.terminated.some((t) => t === 1)).toBe(true); // random CartPole episodes are short
    // The first observation of env 0 equals a fresh reset with seed 0.
    const first = makeVec('CartPole-v1', 3).reset({ seed: 0 }).observations;
    expect(Array.from(buffer.observations.subarray(0, 12))).toEqual(Array.from(first));
    expect(collector.drainEpisodes().length).toBe(
      Array.from(buffer.terminated).filter((t) => t === 1).length,
    );
  });

  it('collectEpisodes returns complete episodes, each ending with its flag', () => {
    const { collector } = setup('CartPole-v1', 4);
    const buffer = collector.collectEpisodes(6);
    const ends = Array.from(buffer.terminated).reduce((n, t, k) => n + (t || buffer.truncated[k] ? 1 : 0), 0);
    expect(ends).toBe(6);
    expect(buffer.terminated[buffer.size - 1] || buffer.truncated[buffer.size - 1]).toBeTruthy();
    expect(buffer.numEnvs).toBe(1);
  });

  it('stores V(final observation) at truncations', () => {
    const { collector, policy } = setup('Pendulum-v1', 2);
    const buffer = collector.collectSteps(new RolloutBuffer(200, 2, 3, 1));
    expect(Array.from(buffer.truncated.subarray(398, 400))).toEqual([1, 1]);
    expect(buffer.finalValues[398]).not.toBe(0);
    expect(buffer.finalValues[0]).toBe(0);
    expect(policy.dist.actionSize).toBe(1);
  });

  it('evaluate plays exactly the requested number of episodes', () => {
    const { env, policy } = setup('CartPole-v1', 3);
    const { returns, lengths } = RolloutCollector.evaluate(env, policy, 7, { rng: Rng.fromSeed(3), seed: 5 });
    expect(returns).toHaveLength(7);
    expect(lengths).toEqual(returns); // CartPole: +1 per step
  });
});

describe('REINFORCE', () => {
  it('learns the better arm of a two-armed bandit', () => {
    const algo = new Reinforce({
      env: 'TestBandit-v0',
      baseline: 'mean',
      batchEpisodes: 32,
      numEnvs: 8,
      learningRate: 0.05,
      netArch: [8],
      seed: 0,
    });
    algo.learn({ totalTimesteps: 32 * 40 });
    const probs = new Float64Array(1);
    algo.policy.dist.logProb(algo.policy.distInputs(Float32Array.of(1), 1), Float32Array.of(1), 1, probs);
    expect(Math.exp(probs[0])).toBeGreaterThan(0.95);
  });

  it('finds the optimal policy of a short-horizon chain (reward-to-go, value baseline)', () => {
    const algo = new Reinforce({
      env: 'TestChain-v0',
      batchEpisodes: 16,
      numEnvs: 4,
      learningRate: 0.01,
      valueLearningRate: 0.01,
      netArch: [16],
      seed: 1,
    });
    algo.learn({ totalTimesteps: 15_000 });
    const returns = algo.evaluate(5);
    for (const r of returns) expect(r).toBeCloseTo(1 - 0.05 * 3, 6); // straight to the goal: 3 × −0.05, then +1
  });

  it('logs one row of metrics per iteration and stops when the callback says so', () => {
    const algo = new Reinforce({
      env: 'CartPole-v1',
      nSteps: 64,
      numEnvs: 2,
      seed: 3,
      netArch: [16],
    });
    const rows = algo.learn({ totalTimesteps: 10_000, callback: (m) => m.iteration < 3 });
    expect(rows).toHaveLength(3);
    expect(rows[2]).toMatchObject({ iteration: 3, step: 3 * 128 });
    expect(rows[2].valueLoss).toBeGreaterThan(0);
    expect(rows[2].entropy).toBeGreaterThan(0.6); // near ln 2 for a fresh policy
  });

  it('reuses past batches with importance weights and logs their effective sample size', () => {
    const algo = new Reinforce({
      env: 'TestBandit-v0',
      baseline: 'mean',
      batchEpisodes: 32,
      numEnvs: 8,
      learningRate: 0.05,
      netArch: [8],
      seed: 0,
      reuseBatches: 3,
      importanceWeightClip: 10,
    });
    const history = algo.learn({ totalTimesteps: 32 * 40 });
    expect(history[0].effectiveSampleSize).toBeUndefined(); // nothing to reuse yet
    const ess = history.slice(1).map((m) => m.effectiveSampleSize as number);
    expect(ess.every((e) => e > 0 && e <= 1)).toBe(true);
    expect(Math.min(...ess)).toBeLessThan(0.999); // the policy moved, so the weights are not all equal
    const probs = new Float64Array(1);
    algo.policy.dist.logProb(algo.policy.distInputs(Float32Array.of(1), 1), Float32Array.of(1), 1, probs);
    expect(Math.exp(probs[0])).toBeGreaterThan(0.95);
  });

  it('a reused batch enters the gradient as the per-decision IS estimator Σ w_t ∇log π (importance-sampled Ψ_t)', () => {
    const algo = new Reinforce({
      env: 'TestTwoStep-v0',
      baseline: 'none',
      normalizeAdvantage: false,
      batchEpisodes: 6,
      gamma: 1,
      netArch: [4],
      reuseBatches: 2,
      seed: 3,
    });
    const { policy } = algo;
    algo.learn({ totalTimesteps: 1e6, callback: () => false }); // collects B1 under π_β and stores it
    // Move the policy away from π_β so the ratios matter, then run one more iteration (B2 on-policy, B1 reused).
    for (let k = 0; k < policy.actorParamCount; k++) policy.params[k] += 0.4 * Math.sin(k + 1);
    const params = policy.params.slice();
    algo.learn({ totalTimesteps: 1e6, resetProgress: false, callback: () => false });
    const actual = policy.grads.slice(0, policy.actorParamCount);

    // The batches kept for reuse are the update rule's state, as the checkpoint holds them (newest first).
    // Its float arrays in base64 (checkpoint format 3), its flags as numbers.
    type Saved = Record<'terminated' | 'truncated', number[]> &
      Record<'rewards' | 'observations' | 'actions' | 'behaviourLogProbs', EncodedFloats> & {
        numEnvs: number;
      };
    const decoded = <T extends Float32Array | Float64Array>(
      encoded: EncodedFloats,
      make: (n: number) => T,
    ) => {
      const out = make(base64Length(encoded.data) / make(0).BYTES_PER_ELEMENT);
      readFloatArrayInto(encoded, out, 'kept batch');
      return out;
    };
    const f32 = (n: number) => new Float32Array(n);
    const kept = (algo.checkpoint().state as { stored: Saved[] }).stored.map((b) => ({
      batch: {
        numEnvs: b.numEnvs,
        rewards: decoded(b.rewards, (n) => new Float64Array(n)),
        terminated: Uint8Array.from(b.terminated),
        truncated: Uint8Array.from(b.truncated),
      } satisfies StepBatch,
      observations: decoded(b.observations, f32),
      actions: decoded(b.actions, f32),
      behaviourLogProbs: decoded(b.behaviourLogProbs, f32),
    }));
    const [b2, b1] = kept;
    policy.params.set(params);
    policy.zeroGrad();
    const n1 = b1.actions.length;
    const n2 = b2.actions.length;
    const total = n1 + n2;
    const psi2 = rewardToGo(b2.batch, 1, null, new Float64Array(n2));
    addLogLikelihoodGradient(
      policy,
      b2.observations,
      b2.actions,
      psi2.map((v) => -v / total),
    );
    const logProbs = new Float64Array(n1);
    policy.dist.logProb(policy.distInputs(b1.observations, n1), b1.actions, n1, logProbs);
    const logRatios = logProbs.map((lp, k) => lp - b1.behaviourLogProbs[k]);
    expect(Math.max(...logRatios.map(Math.abs))).toBeGreaterThan(0.05);
    const w = perDecisionWeights(b1.batch, logRatios, null, new Float64Array(n1));
    const psi1 = importanceSampledRewardToGo(b1.batch, logRatios, 1, null, new Float64Array(n1));
    addLogLikelihoodGradient(
      policy,
      b1.observations,
      b1.actions,
      psi1.map((v, k) => (-w[k] * v) / total),
    );
    const expected = policy.grads.slice(0, policy.actorParamCount);
    expected.forEach((e, k) => expect(actual[k], `parameter ${k}`).toBeCloseTo(e, 6));
  });

  it.each([
    ['without a critic', { baseline: 'none' as const }],
    ['with the leave-one-out baseline', { baseline: 'mean' as const }],
    ['with a critic and reuse (importance weights start at episode starts)', { reuseBatches: 1 }],
  ])('batches by steps hold complete episodes, at least nSteps from each env, %s', (_name, extra) => {
    const seen = recordEstimates(
      { env: 'CartPole-v1', numEnvs: 2, nSteps: 64, seed: 4, netArch: [8], ...extra },
      3,
    );
    expect(seen).toHaveLength(3);
    for (const { buffer } of seen) {
      expect(buffer.numEnvs).toBe(1); // one stream of episodes
      const ends = Array.from(buffer.terminated, (t, k) => t || buffer.truncated[k]);
      expect(ends[ends.length - 1]).toBe(1); // the last episode is complete
      expect(buffer.size).toBeGreaterThanOrEqual(128);
      const lengths: number[] = [];
      let start = 0;
      ends.forEach((e, k) => e && (lengths.push(k + 1 - start), (start = k + 1)));
      // Env 0's episodes, then env 1's: each env's run ends with the first episode that reaches 64 steps.
      let envs = 0;
      let run = 0;
      for (const length of lengths) {
        run += length;
        if (run >= 64) [envs, run] = [envs + 1, 0];
      }
      expect([envs, run]).toEqual([2, 0]);
    }
    expect(seen[2].step).toBeGreaterThanOrEqual(3 * 128);
  });

  it('normalizeAdvantage: only rescales Ψ with baseline none or mean (no hidden baseline); standardises with V', () => {
    const psiOf = (baseline: 'none' | 'mean' | 'value') => {
      return recordEstimates({ env: 'CartPole-v1', baseline, batchEpisodes: 4, seed: 2, netArch: [8] })[0];
    };
    const sd = (xs: ArrayLike<number>) => {
      const m = Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(Array.from(xs).reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
    };
    const none = psiOf('none');
    const rtg = rewardToGo(none.buffer, 0.99, null, new Float64Array(none.buffer.size));
    const scale = sd(rtg) + 1e-8;
    none.psi.forEach((v, k) => expect(v).toBeCloseTo(rtg[k] / scale, 10)); // CartPole's rewards: all Ψ > 0
    const mean = psiOf('mean');
    expect(sd(mean.psi)).toBeCloseTo(1, 6);
    expect(Math.abs(mean.psi.reduce((a, b) => a + b, 0))).toBeGreaterThan(1e-3); // LOO ≠ the in-batch mean
    const value = psiOf('value');
    expect(value.psi.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 8);
    expect(sd(value.psi)).toBeCloseTo(1, 6);
  });

  it('a checkpoint whose reused batches predate per-decision IS (no nextValues) is refused in one line', () => {
    const build = () =>
      new Reinforce({ env: 'CartPole-v1', batchEpisodes: 2, reuseBatches: 1, netArch: [8] });
    const algo = build();
    algo.learn({ totalTimesteps: 1e6, callback: () => false });
    const saved = JSON.parse(JSON.stringify(algo.checkpoint()));
    build().restoreCheckpoint(saved); // the current format restores
    const stored = (saved.state as { stored: Record<string, unknown>[] }).stored;
    expect(stored).toHaveLength(1);
    delete stored[0].nextValues;
    expect(() => build().restoreCheckpoint(saved)).toThrow(
      /^REINFORCE checkpoint: its reused batches predate per-decision importance sampling \(no nextValues\); restore it with \{ weightsOnly: true \}$/,
    );
    expect(() => build().restoreCheckpoint(saved, { weightsOnly: true })).not.toThrow();
  });

  it("validates a checkpoint's kept batches before using them: one line naming the batch and the field", () => {
    const build = () =>
      new Reinforce({ env: 'CartPole-v1', batchEpisodes: 2, reuseBatches: 1, netArch: [8] });
    const algo = build();
    algo.learn({ totalTimesteps: 1e6, callback: () => false });
    const good = JSON.stringify(algo.checkpoint());
    const withKept = (edit: (kept: Record<string, unknown>[]) => void) => {
      const saved = JSON.parse(good);
      edit(saved.state.stored);
      return saved;
    };
    const model = build();
    expect(() => model.restoreCheckpoint(withKept((kept) => (kept[0].observations = [1, 2, 3])))).toThrow(
      /^REINFORCE checkpoint: kept batch 0: invalid 'observations': expected \d+ numbers, got 3 values$/,
    );
    const observations = (kept: Record<string, unknown>[]) => kept[0].observations as { data: string };
    expect(() =>
      model.restoreCheckpoint(
        withKept((kept) => (observations(kept).data = observations(kept).data.slice(8))),
      ),
    ).toThrow(
      /^REINFORCE checkpoint: kept batch 0: invalid 'observations': expected \d+ float32 values \(\d+ bytes\), got \d+ bytes$/,
    );
    expect(() => model.restoreCheckpoint(withKept((kept) => (kept[0].actions = 'lots')))).toThrow(
      /^REINFORCE checkpoint: kept batch 0: invalid 'actions'/,
    );
    expect(() => model.restoreCheckpoint(withKept((kept) => (kept[0].numEnvs = 0)))).toThrow(
      /^REINFORCE checkpoint: kept batch 0: invalid numEnvs 0: expected a positive integer$/,
    );
    expect(() => model.restoreCheckpoint(withKept((kept) => kept.push(kept[0])))).toThrow(
      /^REINFORCE checkpoint: invalid kept batches .*: expected a list of at most reuseBatches = 1$/,
    );
    // After the refusals the model still restores the intact checkpoint and continues like the original.
    model.restoreCheckpoint(JSON.parse(good));
    const strip = (rows: object[]) =>
      rows.map(({ sps: _s, timeSeconds: _t, ...rest }: { sps?: number; timeSeconds?: number }) => rest);
    const next = { totalTimesteps: 1e6, resetProgress: false, callback: () => false };
    expect(strip(model.learn(next))).toEqual(strip(algo.learn(next)));
  });

  it('validates its config', () => {
    expect(() => new Reinforce({ baseline: 'median' as never })).toThrow(
      /option 'baseline' = "median" is invalid/,
    );
    expect(() => new Reinforce({ gaeLambda: 0.95, baseline: 'none' })).toThrow(/needs baseline 'value'/);
    expect(() => new Reinforce({ lr: 1 } as never)).toThrow(/unknown option 'lr'/);
  });
});

describe('REINFORCE update workspaces', () => {
  it("an iteration of a batch no larger than before allocates none of the update's per-row arrays", () => {
    // baseline 'value', no reuse: nSteps steps per iteration (the step buffer), 96 rows; CartPole has 2 actions.
    const n = 96;
    const algo = new Reinforce({
      env: 'CartPole-v1',
      nSteps: n,
      valueMinibatchSize: 32,
      netArch: [8],
      seed: 6,
    });
    const watched = new Set([n, n * algo.policy.dist.inputSize, 32, 32 * algo.policy.obsDim]);
    algo.begin({ totalTimesteps: 3 * n });
    algo.iterate(); // the first iteration grows the workspaces
    expect(allocationsDuring(watched, () => algo.iterate())).toEqual([]);
  });
});
