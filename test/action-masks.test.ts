/**
 * Action masks end to end: an env reports `info.action_mask` (Gymnasium's name) and every algorithm acts only
 * from the allowed actions, stores the masks with the rollout, and computes its losses on the same masked
 * distribution (finite-difference checked); `predict` and `policygrad/inference` take a mask too.
 */
import { describe, expect, it } from 'vitest';
import {
  A2C,
  ActorCriticPolicy,
  accumulateLoss,
  capture,
  evaluateLoss,
  LossScratch,
  FisherVectorProduct,
  BaseEnv,
  Box,
  Discrete,
  exportPolicy,
  makeVec,
  type Minibatch,
  NPG,
  PPO,
  register,
  Reinforce,
  type ResetOptions,
  Rng,
  RolloutBuffer,
  RolloutCollector,
  surrogate,
  TRPO,
} from '../src/internal.js';
import { encodeActorChunk } from '../src/algos/actor-chunk.js';
import { Actor, actorSeed } from '../src/algos/actor.js';
import { parseAppoConfig } from '../src/algos/appo.js';
import { DistributedLearner, type LearnerTransport } from '../src/algos/learner.js';
import { loadPolicy } from '../src/inference.js';
import { actorCriticLoss, expectFiniteDifferences, type PPOObjective } from './helpers.js';

const N_ACTIONS = 6;

/**
 * Each step a random subset of 6 actions is allowed (at least two); the observation is that mask, and choosing
 * the highest-numbered allowed action earns 1. A masked action is an error: the env throws, so any leak fails
 * the test. 20 steps per episode.
 */
class HighestAllowedEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>({ low: 0, high: 1, shape: [N_ACTIONS] });
  readonly actionSpace = new Discrete(N_ACTIONS);
  private mask = new Uint8Array(N_ACTIONS);
  private t = 0;
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    this.t = 0;
    return { observation: this.draw(), info: { action_mask: this.mask.slice() } };
  }
  step(action: number) {
    if (this.mask[action] !== 1)
      throw new Error(`masked action ${action} taken (mask ${this.mask.join('')})`);
    let best = 0;
    for (let i = 0; i < N_ACTIONS; i++) if (this.mask[i]) best = i;
    const reward = action === best ? 1 : 0;
    this.t++;
    const observation = this.draw();
    return {
      observation,
      reward,
      terminated: false,
      truncated: this.t >= 20,
      info: { action_mask: this.mask.slice() },
    };
  }
  private draw(): Float32Array {
    do {
      for (let i = 0; i < N_ACTIONS; i++) this.mask[i] = this.rng.uniform() < 0.5 ? 1 : 0;
    } while (this.mask.reduce((a, b) => a + b, 0) < 2);
    return Float32Array.from(this.mask);
  }
}
register({ id: 'TestHighestAllowed-v0', entryPoint: () => new HighestAllowedEnv() });

const ENV = 'TestHighestAllowed-v0';
/** A small PPO for this 1-step task (γ = 0). */
const SMALL_PPO = {
  env: ENV,
  numEnvs: 4,
  nSteps: 64,
  batchSize: 64,
  nEpochs: 4,
  learningRate: 3e-3,
  gamma: 0,
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('action masks from the env', () => {
  it('the collector acts only on allowed actions and stores the masks with the rollout', () => {
    const env = makeVec(ENV, 3);
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, netArch: [8] },
      Rng.fromSeed(0),
    );
    const collector = new RolloutCollector(env, policy, Rng.fromSeed(1), 0);
    const buffer = collector.collectSteps(new RolloutBuffer(50, 3, N_ACTIONS, 1));
    expect(buffer.masks).not.toBeNull();
    // The observation is the mask, so the stored mask of every row must equal its observation.
    expect(Array.from(buffer.masks ?? [])).toEqual(Array.from(buffer.observations));
    for (let k = 0; k < buffer.size; k++) expect(buffer.masks?.[k * N_ACTIONS + buffer.actions[k]]).toBe(1);
    const episodes = collector.collectEpisodes(4);
    expect(Array.from(episodes.masks ?? [])).toEqual(Array.from(episodes.observations));
    // The masks of the running observations are part of the collector's checkpoint.
    const snapshot = collector.snapshot();
    expect(snapshot.masks).toHaveLength(3 * N_ACTIONS);
  });

  it.each<PPOObjective>(['clip', 'kl-penalty', 'clip+kl', 'none'])(
    '%s: the masked loss (with entropy and KL) matches finite differences, masked logits get no gradient',
    (objective) => {
      const rng = Rng.fromSeed(5);
      const env = makeVec(ENV, 1);
      const policy = new ActorCriticPolicy(
        {
          observationSpace: env.singleObservationSpace,
          actionSpace: env.singleActionSpace,
          netArch: [8],
        },
        Rng.fromSeed(4),
      );
      for (let i = 0; i < policy.numParams; i++) policy.params[i] += rng.normal(0, 0.5);
      const B = 8;
      const masks = new Uint8Array(B * N_ACTIONS);
      const actions = new Float32Array(B);
      for (let b = 0; b < B; b++) {
        // Action 4 is masked in every row, action 5 allowed in every row.
        for (let i = 0; i < N_ACTIONS; i++) {
          masks[b * N_ACTIONS + i] = (i % 2 === b % 2 && i !== 4) || i === 5 ? 1 : 0;
        }
        const allowed = [...Array(N_ACTIONS).keys()].filter((i) => masks[b * N_ACTIONS + i] === 1);
        actions[b] = allowed[rng.integer(0, allowed.length)];
      }
      const observations = Float32Array.from({ length: B * N_ACTIONS }, () => rng.normal());
      const saved = policy.params.slice();
      for (let i = 0; i < policy.actorParamCount; i++) policy.params[i] += rng.normal(0, 0.3);
      const oldDistInputs = Float32Array.from(policy.distInputs(observations, B, masks));
      const oldLogProbs = new Float64Array(B);
      policy.dist.logProb(oldDistInputs, actions, B, oldLogProbs);
      policy.params.set(saved);
      const mb: Minibatch = {
        size: B,
        observations,
        actions,
        oldLogProbs,
        oldValues: Float64Array.from(policy.values(observations, B)),
        advantages: Float64Array.from({ length: B }, () => rng.normal()),
        returns: Float64Array.from({ length: B }, () => rng.normal()),
        oldDistInputs,
        masks,
      };
      const options = {
        objective,
        clipRange: 0.2,
        klBeta: 0.7,
        entCoef: 0.05,
        vfCoef: 0.5,
        clipRangeVf: null,
        normalizeAdvantage: true,
      };
      const lossAt = actorCriticLoss(policy, mb, options);
      const loss = lossAt();
      expect(Number.isFinite(loss)).toBe(true); // −∞ logits must not leak NaN into entropy or KL
      const grads = policy.grads.slice();
      expect(grads.every(Number.isFinite)).toBe(true);
      // The loss does not depend on a logit masked in every row: its output bias (the actor's parameters end
      // with the output layer's biases) has no gradient, and moving it leaves the loss unchanged.
      const maskedBias = policy.actorParamCount - N_ACTIONS + 4;
      expect(grads[maskedBias]).toBe(0);
      policy.params[maskedBias] += 5;
      expect(lossAt()).toBeCloseTo(loss, 6);
      policy.params[maskedBias] -= 5;
      expectFiniteDifferences(
        policy.params,
        grads,
        [0, 5, 23, policy.actorParamCount - 3, policy.actorParamCount - 1, policy.criticOffset + 1],
        lossAt,
        { h: 1e-3, floor: 0.1 },
      );
    },
  );

  it("the log-likelihood surrogate (REINFORCE's and TRPO's gradient), the Fisher-vector product and capture use the masks", () => {
    const rng = Rng.fromSeed(8);
    const env = makeVec(ENV, 1);
    const policy = new ActorCriticPolicy(
      { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, netArch: [8] },
      Rng.fromSeed(3),
    );
    const n = 10;
    const buffer = new RolloutBuffer(n, 1, N_ACTIONS, 1);
    buffer.observations.set(Float32Array.from({ length: n * N_ACTIONS }, () => rng.normal()));
    buffer.masks = new Uint8Array(n * N_ACTIONS).fill(1);
    for (let k = 0; k < n; k++) {
      buffer.masks[k * N_ACTIONS + 4] = 0; // action 4 is never allowed
      buffer.actions[k] = k % 2 === 0 ? 5 : 1;
    }
    const maskedBias = policy.actorParamCount - N_ACTIONS + 4;
    policy.zeroGrad();
    const advantages = Float64Array.from({ length: n }, () => rng.normal());
    const rows = { ...buffer, size: n, advantages };
    accumulateLoss(policy, rows, [surrogate({ form: 'log-likelihood' })], new LossScratch());
    expect(policy.grads[maskedBias]).toBe(0);
    expect(policy.grads[maskedBias + 1]).not.toBe(0);
    const fisher = new FisherVectorProduct(policy, buffer.observations, n, 0, buffer.masks);
    const v = Float64Array.from({ length: policy.actorParamCount }, () => rng.normal());
    const out = new Float64Array(policy.actorParamCount);
    fisher.apply(v, out);
    expect(out[maskedBias]).toBe(0);
    const inputs = new Float32Array(n * N_ACTIONS);
    evaluateLoss(policy, rows, [capture({ distInputs: inputs })], new LossScratch());
    for (let k = 0; k < n; k++) expect(inputs[k * N_ACTIONS + 4]).toBe(Number.NEGATIVE_INFINITY);
  });

  it.each([
    ['ppo', () => new PPO({ ...SMALL_PPO, seed: 1 })],
    [
      'a2c',
      () =>
        new A2C({
          env: ENV,
          seed: 1,
          numEnvs: 4,
          nSteps: 8,
          learningRate: 3e-3,
          gamma: 0,
          optimizer: 'adam',
        }),
    ],
    ['trpo', () => new TRPO({ env: ENV, seed: 1, numEnvs: 4, nSteps: 128, gamma: 0, maxKl: 0.05 })],
    ['npg', () => new NPG({ env: ENV, seed: 1, numEnvs: 4, nSteps: 128, gamma: 0, maxKl: 0.05 })],
    [
      'reinforce',
      () => new Reinforce({ env: ENV, seed: 1, numEnvs: 4, nSteps: 256, learningRate: 3e-3, gamma: 0 }),
    ],
    [
      'reinforce, whole episodes, reusing 2 past batches',
      () =>
        new Reinforce({
          env: ENV,
          seed: 1,
          numEnvs: 4,
          batchEpisodes: 8,
          reuseBatches: 2,
          learningRate: 3e-3,
          gamma: 0,
        }),
    ],
  ])(
    '%s never takes a masked action and learns the task',
    { tags: ['slow'], timeout: 60_000 },
    (_name, create) => {
      const model = create();
      const random = mean(model.evaluate(10, { deterministic: false }));
      model.learn({ totalTimesteps: 8_000 });
      const trained = mean(model.evaluate(10));
      // A uniform choice among the allowed actions scores ≈ 20 / 3.6 ≈ 6; the task is solved at 20.
      expect(random).toBeLessThan(12);
      expect(trained).toBeGreaterThanOrEqual(17);
    },
  );

  it('predict and policygrad/inference take a mask; bad masks are refused with a clear message', () => {
    const model = new PPO({ ...SMALL_PPO, seed: 2 });
    model.learn({ totalTimesteps: 4_000 });
    const agent = loadPolicy(
      JSON.stringify(
        exportPolicy(model.policy, {
          algo: 'ppo',
          env: ENV,
          envOptions: {},
          observationSpace: model.env.singleObservationSpace,
          actionSpace: model.env.singleActionSpace,
          normalization: null,
        }),
      ),
    );
    const rng = Rng.fromSeed(9);
    for (let trial = 0; trial < 50; trial++) {
      const mask = Array.from({ length: N_ACTIONS }, () => (rng.uniform() < 0.5 ? 1 : 0));
      mask[rng.integer(0, N_ACTIONS)] = 1;
      const observation = Float32Array.from(mask);
      const action = model.predict(observation, { mask }) as number;
      expect(mask[action]).toBe(1);
      expect(agent.act(observation, mask)).toBe(action);
      const sampled = model.predict(observation, { mask, deterministic: false }) as number;
      expect(mask[sampled]).toBe(1);
    }
    const observation = new Float32Array(N_ACTIONS);
    expect(() => model.predict(observation, { mask: [1, 0] })).toThrow(/has 2 entries; expected 6/);
    expect(() => model.predict(observation, { mask: [0, 0, 0, 0, 0, 0] })).toThrow(/allows no action/);
    expect(() => agent.act(observation, [1, 0])).toThrow(/has 2 entries, expected 6/);
  }, 30_000);

  it('refuses an env mask of the wrong size, and masks on a continuous action space', () => {
    class WrongSize extends HighestAllowedEnv {
      override reset(options: ResetOptions = {}) {
        return { ...super.reset(options), info: { action_mask: Uint8Array.of(1, 1) } };
      }
    }
    register({ id: 'TestWrongMask-v0', entryPoint: () => new WrongSize() });
    expect(() => new PPO({ env: 'TestWrongMask-v0', nSteps: 8 }).learn({ totalTimesteps: 8 })).toThrow(
      /info\.action_mask of env 0 has 2 entries; expected 6/,
    );
    class ContinuousWithMask extends BaseEnv<Float32Array, Float32Array> {
      readonly observationSpace = new Box<Float32Array>({ low: -1, high: 1, shape: [1] });
      readonly actionSpace = new Box<Float32Array>({ low: -1, high: 1, shape: [1] });
      reset() {
        return { observation: Float32Array.of(0), info: { action_mask: [1] } };
      }
      step() {
        return { observation: Float32Array.of(0), reward: 0, terminated: false, truncated: false, info: {} };
      }
    }
    register({ id: 'TestBoxMask-v0', entryPoint: () => new ContinuousWithMask() });
    expect(() => new PPO({ env: 'TestBoxMask-v0', nSteps: 8 }).learn({ totalTimesteps: 8 })).toThrow(
      /action masks need a Discrete or MultiDiscrete action space/,
    );
  });
});

describe('action masks in IMPALA/APPO chunks', () => {
  it("actors send their masks with every chunk; the learner expects them (the env's logits wide) and trains on them", async () => {
    const config = parseAppoConfig({
      env: ENV,
      numEnvs: 4,
      chunkLength: 16,
      trainBatchSize: 64,
      learningRate: 3e-3,
      gamma: 0,
      seed: 2,
    });
    const actors = [0, 1].map(
      (i) => new Actor(config, { runId: 'masked', actorId: `a${i}`, seed: actorSeed(2, i) }),
    );
    const acknowledged: string[] = [];
    let next = 0;
    // Every other round, one chunk stripped of its masks: refused as malformed, never trained on.
    const transport: LearnerTransport = {
      receive: async () =>
        actors.flatMap((a) => {
          const chunk = a.collectChunk();
          const raw = [{ id: `c${next++}`, ...encodeActorChunk(chunk) }];
          if (next % 4 === 1)
            raw.push({ id: `bare${next}`, ...encodeActorChunk({ ...chunk, maskSize: 0, masks: null }) });
          return raw;
        }),
      acknowledge: async (ids) => void acknowledged.push(...ids),
      publish: async (params, version) => actors.forEach((a) => a.setParameters(params, version)),
    };
    const learner = new DistributedLearner('appo', config, 'masked', transport);
    expect(learner.maskSize).toBe(N_ACTIONS);
    // Every batch the update rule gets carries the masks, one per row: the loss is of the masked distribution.
    const trainOn = learner.trainer.trainOn.bind(learner.trainer);
    const maskedRows: number[] = [];
    learner.trainer.trainOn = (batch) => {
      maskedRows.push(batch.masks === null ? 0 : batch.masks.length / N_ACTIONS);
      expect(maskedRows.at(-1)).toBe(batch.size);
      return trainOn(batch);
    };
    await learner.begin({ totalTimesteps: 64 * 8 });
    const rows = [];
    while (!learner.done) rows.push(await learner.iterate()); // a masked action would throw in the env
    expect(rows).toHaveLength(4); // two chunks of 64 steps per update
    expect(maskedRows).toEqual([128, 128, 128, 128]);
    expect(learner.numTimesteps).toBe(512);
    const bare = acknowledged.filter((id) => id.startsWith('bare')).length;
    expect(bare).toBeGreaterThan(0);
    expect(learner.rejected).toEqual({ malformed: bare, oversized: 0, foreign: 0, 'non-finite': 0 });
    for (const row of rows) expect(Number.isFinite(row.policyLoss)).toBe(true);
  });
});
