/**
 * IMPALA/APPO's core (issue 17): the actor's chunks, the learner's batch assembly (layout, policy lag, stale
 * chunks), IMPALA's update against A2C's on-policy, APPO's first step against IMPALA's, and a learner fed through
 * an in-memory transport with bad entries mixed in.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/builtin.js';
import { type ActorChunk, decodeActorChunk, encodeActorChunk } from '../src/algos/actor-chunk.js';
import { Actor, actorSeed, chunkExpectation } from '../src/algos/actor.js';
import { APPO, createAppoUpdate, parseAppoConfig } from '../src/algos/appo.js';
import {
  accumulateImpalaGradient,
  ImpalaScratch,
  createImpalaUpdate,
  IMPALA,
  parseImpalaConfig,
} from '../src/algos/impala.js';
import { ChunkAssembler } from '../src/algos/learner-batch.js';
import { DistributedLearner, type LearnerTransport, type RawChunk } from '../src/algos/learner.js';
import {
  advantagesAndReturns,
  allocateMinibatch,
  buildOnPolicy,
  gatherMinibatch,
} from '../src/algos/on-policy.js';
import { accumulateLoss, LossScratch } from '../src/algos/loss/accumulate.js';
import { entropyBonus } from '../src/algos/loss/entropy-bonus.js';
import { surrogate } from '../src/algos/loss/surrogate.js';
import { valueLoss } from '../src/algos/loss/value-loss.js';
import { RolloutBuffer } from '../src/rollouts/rollout.js';

/** CartPole with a 12-step time limit: chunks of 16 steps hold truncations, terminations and cut episodes. */
const SHORT_CARTPOLE = { env: 'CartPole-v1', envOptions: { maxEpisodeSteps: 12 } };

function impalaConfig(overrides: Record<string, unknown> = {}) {
  return parseImpalaConfig({ ...SHORT_CARTPOLE, numEnvs: 3, chunkLength: 16, seed: 5, ...overrides });
}

function actor(index: number, overrides: Record<string, unknown> = {}) {
  const config = impalaConfig(overrides);
  return new Actor(config, { runId: 'run-1', actorId: `a${index}`, seed: actorSeed(config.seed, index) });
}

describe('Actor', () => {
  it('emits chunks that pass validation, with final observations at truncations and the episodes that ended', () => {
    const a = actor(0);
    const learner = buildOnPolicy({ ...a.config, numEnvs: 1, nSteps: 1 });
    a.setParameters(learner.policy.params, 3);
    const chunk = a.collectChunk();
    expect(chunk.policyVersion).toBe(3);
    expect([chunk.steps, chunk.numEnvs, chunk.observationDim]).toEqual([16, 3, 4]);
    const truncations = chunk.truncated.reduce((n, x, k) => n + (x && !chunk.terminated[k] ? 1 : 0), 0);
    expect(truncations).toBeGreaterThan(0);
    expect(chunk.finalObservations.length).toBe(truncations * 4);
    expect(chunk.episodeReturns.length).toBeGreaterThan(0);
    const { header, payload } = encodeActorChunk(chunk);
    const decoded = decodeActorChunk(header, payload, chunkExpectation(learner, 'run-1', 3));
    expect(decoded.ok).toBe(true);
    // The next chunk continues the episodes and counts its own sequence number.
    expect(a.collectChunk().sequence).toBe(1);
    expect(a.totalSteps).toBe(2 * 16 * 3);
  });

  it('refuses to collect before it has parameters, and parameters of the wrong size', () => {
    const a = actor(0);
    expect(() => a.collectChunk()).toThrow(/no parameters yet/);
    expect(() => a.setParameters(new Float32Array(3), 0)).toThrow(/do not fit the policy/);
  });
});

describe('ChunkAssembler', () => {
  function chunksOf(versions: number[], envs: number[]): ActorChunk[] {
    return versions.map((v, j) => {
      const a = actor(j, { numEnvs: envs[j] });
      a.setParameters(buildOnPolicy({ ...a.config, numEnvs: 1, nSteps: 1 }).policy.params, v);
      return a.collectChunk();
    });
  }

  it('lays chunks side by side as one time-major batch and measures the lag', () => {
    const [c0, c1] = chunksOf([7, 9], [3, 2]);
    const assembler = new ChunkAssembler({
      chunkLength: 16,
      obsDim: 4,
      actionDim: 1,
      maskSize: 0,
      trainBatchSize: 80,
      maxPolicyLag: 5,
    });
    expect(assembler.accept(c0, 10)).toBe('added');
    expect(assembler.ready).toBe(false);
    expect(assembler.accept(c1, 10)).toBe('added');
    expect(assembler.ready).toBe(true);
    const batch = assembler.take();
    expect([batch.steps, batch.numEnvs, batch.size]).toEqual([16, 5, 80]);
    for (let t = 0; t < 16; t++) {
      for (const [chunk, first] of [
        [c0, 0],
        [c1, 3],
      ] as const) {
        for (let j = 0; j < chunk.numEnvs; j++) {
          const src = t * chunk.numEnvs + j;
          const dst = t * 5 + first + j;
          expect(batch.rewards[dst]).toBe(chunk.rewards[src]);
          expect(batch.actions[dst]).toBe(chunk.actions[src]);
          expect(batch.logProbs[dst]).toBe(chunk.logProbs[src]);
          expect(batch.terminated[dst]).toBe(chunk.terminated[src]);
          expect(batch.truncated[dst]).toBe(chunk.truncated[src]);
          expect(Array.from(batch.observations.subarray(dst * 4, dst * 4 + 4))).toEqual(
            Array.from(chunk.observations.subarray(src * 4, src * 4 + 4)),
          );
        }
      }
    }
    // Final observations land at their step's index.
    let f = 0;
    for (let k = 0; k < 16 * 3; k++) {
      if (c0.truncated[k] && !c0.terminated[k]) {
        const dst = Math.floor(k / 3) * 5 + (k % 3);
        expect(Array.from(batch.finalObservations.subarray(dst * 4, dst * 4 + 4))).toEqual(
          Array.from(c0.finalObservations.subarray(f * 4, f * 4 + 4)),
        );
        f++;
      }
    }
    expect(Array.from(batch.lastObservations.subarray(12, 20))).toEqual(Array.from(c1.lastObservations));
    expect(batch.lagMean).toBe(2); // (3 + 1) / 2
    expect(batch.lagMax).toBe(3);
    expect(batch.chunks).toBe(2);
    expect(batch.episodeReturns.length).toBe(c0.episodeReturns.length + c1.episodeReturns.length);
  });

  it('drops and counts chunks lagging more than maxPolicyLag versions, and chunks of another length', () => {
    const [old, fresh] = chunksOf([2, 4], [2, 2]);
    const assembler = new ChunkAssembler({
      chunkLength: 16,
      obsDim: 4,
      actionDim: 1,
      maskSize: 0,
      trainBatchSize: 32,
      maxPolicyLag: 3,
    });
    expect(assembler.accept(old, 6)).toBe('stale'); // lag 4 > 3
    expect(assembler.staleChunks).toBe(1);
    expect(assembler.accept({ ...fresh, steps: 8 }, 6)).toBe('wrong-length');
    expect(assembler.wrongLengthChunks).toBe(1);
    expect(assembler.accept(fresh, 6)).toBe('added'); // lag 2
    expect(assembler.take().size).toBe(32);
  });
});

/** A learner batch from one actor chunk, and the same data as the RolloutBuffer A2C would have collected. */
function onPolicyBatch(configOverrides: Record<string, unknown> = {}) {
  const a = actor(0, configOverrides);
  const learnerParts = buildOnPolicy({ ...a.config, numEnvs: 1, nSteps: 1 });
  a.setParameters(learnerParts.policy.params, 0);
  const chunk = a.collectChunk();
  const assembler = new ChunkAssembler({
    chunkLength: 16,
    obsDim: 4,
    actionDim: 1,
    maskSize: 0,
    trainBatchSize: 48,
    maxPolicyLag: 0,
  });
  assembler.accept(chunk, 0);
  const batch = assembler.take();
  // The rollout A2C sees: the same steps, values from the same critic.
  const policy = learnerParts.policy;
  const buffer = new RolloutBuffer(16, 3, 4, 1);
  buffer.observations.set(batch.observations);
  buffer.actions.set(batch.actions);
  buffer.logProbs.set(batch.logProbs);
  buffer.rewards.set(batch.rewards);
  buffer.terminated.set(batch.terminated);
  buffer.truncated.set(batch.truncated);
  buffer.values.set(policy.values(batch.observations, batch.size));
  for (let k = 0; k < batch.size; k++) {
    if (batch.truncated[k] && !batch.terminated[k]) {
      buffer.finalValues[k] = policy.values(batch.finalObservations.subarray(k * 4, k * 4 + 4), 1)[0];
    }
  }
  buffer.lastValues.set(policy.values(batch.lastObservations, 3));
  return { batch, buffer, policy, config: impalaConfig(configOverrides) };
}

describe('IMPALA update', () => {
  it('on-policy, its gradient is A2C’s with n-step targets on the same batch', () => {
    const { batch, buffer, policy, config } = onPolicyBatch();
    // A2C: GAE with λ = 1 (bootstrapped n-step returns), the loss of a2c.ts. Its value loss is c_V·(V − R)², the
    // IMPALA paper's c_V·½·(V − v_s)²: the same gradient at half the coefficient.
    const n = batch.size;
    const advantages = new Float64Array(n);
    const returns = new Float64Array(n);
    advantagesAndReturns(buffer, config.gamma, 1, advantages, returns);
    const mb = allocateMinibatch(n, 4, 1, 2);
    mb.oldDistInputs = null;
    gatherMinibatch(
      buffer,
      advantages,
      returns,
      new Float32Array(n * 2),
      Int32Array.from({ length: n }, (_, k) => k),
      0,
      n,
      mb,
    );
    policy.zeroGrad();
    // A2C's loss on the same rows: the plain surrogate at r = 1, the entropy bonus and SB3's MSE value loss, whose
    // coefficient is halved to match IMPALA's ½-squared error.
    const a2cTerms = [surrogate(), entropyBonus(config.entCoef), valueLoss({ coef: config.vfCoef / 2 })];
    accumulateLoss(policy, mb, a2cTerms, new LossScratch());
    const a2c = policy.grads.slice();

    policy.zeroGrad();
    const { targets } = accumulateImpalaGradient(policy, batch, config, new ImpalaScratch(config));
    const impala = policy.grads.slice();
    // The behaviour log-probabilities travel as float32: on-policy log-ratios are within ~1e-7 of 0, so the
    // truncated weights min(1, e^{Δ}) are within 1e-7 of 1 and the gradients agree to ~1e-6 relative.
    for (let k = 0; k < n; k++) expect(targets.vs[k]).toBeCloseTo(returns[k], 5);
    let scale = 0;
    for (const g of a2c) scale = Math.max(scale, Math.abs(g));
    expect(scale).toBeGreaterThan(1e-3);
    for (let i = 0; i < a2c.length; i++) expect(Math.abs(impala[i] - a2c[i])).toBeLessThan(1e-5 * scale);
  });

  it('off-policy, truncation bounds each sample’s weight: ρ̄ = 1 and a large ρ̄ give different steps', () => {
    const { batch, policy, config } = onPolicyBatch();
    // Make the behaviour policy different: shift its log-probabilities so that π/μ = e^{0.5} everywhere.
    for (let k = 0; k < batch.size; k++) batch.logProbs[k] -= 0.5;
    const scratch = new ImpalaScratch(config);
    policy.zeroGrad();
    const truncated = accumulateImpalaGradient(policy, batch, config, scratch).targets.advantages.slice();
    policy.zeroGrad();
    const untruncated = accumulateImpalaGradient(
      policy,
      batch,
      { ...config, vtraceRhoBar: 100, vtraceCBar: 100 },
      scratch,
    ).targets.advantages.slice();
    // Where an episode ends at k (no bootstrapping through vs), the advantage is ρ·δ: e^{0.5}·δ vs 1·δ.
    for (let k = 0; k < batch.size; k++) {
      if (batch.terminated[k] && Math.abs(truncated[k]) > 1e-3) {
        expect(untruncated[k] / truncated[k]).toBeCloseTo(Math.exp(0.5), 4);
      }
    }
  });

  it('the rule steps the parameters along the negative gradient', () => {
    const { batch, policy, config } = onPolicyBatch();
    const before = policy.params.slice();
    const rule = createImpalaUpdate(policy, { ...config, maxGradNorm: null });
    const row = rule.update(batch, 1);
    expect(Number.isFinite(row.policyLoss) && Number.isFinite(row.valueLoss)).toBe(true);
    expect(row.approxKl).toBeLessThan(1e-6); // on-policy
    const grads = policy.grads.slice(); // the gradient the step used
    let descent = 0;
    for (let i = 0; i < before.length; i++) descent += (policy.params[i] - before[i]) * grads[i];
    expect(descent).toBeLessThan(0);
  });
});

describe('APPO update', () => {
  it('its first step on an on-policy batch (one epoch, whole batch) is IMPALA’s: the clip is inactive at r = 1', () => {
    const impala = onPolicyBatch();
    const appo = onPolicyBatch();
    const common = { optimizer: 'rmsprop' as const, maxGradNorm: 0.5 };
    createImpalaUpdate(impala.policy, { ...impala.config, ...common }).update(impala.batch, 1);
    const appoConfig = parseAppoConfig({
      ...SHORT_CARTPOLE,
      numEnvs: 3,
      chunkLength: 16,
      seed: 5,
      ...common,
    });
    const row = createAppoUpdate(appo.policy, appoConfig).update(appo.batch, 1);
    expect(row.clipFraction).toBe(0);
    for (let i = 0; i < impala.policy.params.length; i++) {
      expect(appo.policy.params[i]).toBeCloseTo(impala.policy.params[i], 6);
    }
  });

  it('with several epochs the ratio leaves the trust region and the KL coefficient adapts', () => {
    const { batch, policy } = onPolicyBatch();
    const c = parseAppoConfig({
      ...SHORT_CARTPOLE,
      numEnvs: 3,
      chunkLength: 16,
      seed: 5,
      nEpochs: 8,
      minibatchSize: 16,
      learningRate: 0.01,
      clipRange: 0.1,
      klCoef: 1,
      klPenaltyTarget: 1e-6,
    });
    const rule = createAppoUpdate(policy, c);
    const row = rule.update(batch, 1);
    expect(row.clipFraction).toBeGreaterThan(0);
    expect(row.klBeta).toBe(2); // the KL far above 1.5 × target doubles β
    expect(rule.getState?.()).toEqual({ klBeta: 2 });
  });
});

/** Actors in this thread, a queue for the chunks, and hooks to slip bad entries in. */
class InMemoryTransport implements LearnerTransport {
  readonly queue: RawChunk[] = [];
  readonly acknowledged: string[] = [];
  published = -1;
  private next = 0;
  constructor(
    readonly actors: Actor[],
    private readonly inject: (round: number) => RawChunk[] = () => [],
  ) {}
  private round = 0;

  async receive(maxChunks: number): Promise<RawChunk[]> {
    if (this.queue.length === 0) {
      this.queue.push(...this.inject(this.round++));
      for (const a of this.actors) {
        const { header, payload } = a.collectEncoded();
        this.queue.push({ id: `c${this.next++}`, header, payload });
      }
    }
    return this.queue.splice(0, maxChunks);
  }

  async acknowledge(ids: readonly string[]): Promise<void> {
    this.acknowledged.push(...ids);
  }

  async publish(params: Float32Array, version: number): Promise<void> {
    this.published = version;
    for (const a of this.actors) a.setParameters(params, version);
  }
}

describe('DistributedLearner', () => {
  it('trains on valid chunks; malformed, oversized, NaN-carrying and foreign entries are rejected, counted and acknowledged', async () => {
    const config = { ...SHORT_CARTPOLE, numEnvs: 2, chunkLength: 16, trainBatchSize: 64, seed: 3 };
    const actors = [0, 1].map(
      (i) =>
        new Actor(parseImpalaConfig(config), { runId: 'run-9', actorId: `a${i}`, seed: actorSeed(3, i) }),
    );
    const bad = (round: number): RawChunk[] => {
      if (round !== 1) return [];
      const good = actors[0].collectChunk();
      const encoded = encodeActorChunk(good);
      const nan = { ...good, sequence: 99, rewards: good.rewards.slice() };
      nan.rewards[5] = Number.NaN;
      return [
        { id: 'bad-json', header: '{not json', payload: encoded.payload },
        { id: 'bad-size', header: encoded.header, payload: encoded.payload.subarray(1) },
        { id: 'nan', ...encodeActorChunk(nan) },
        { id: 'foreign', ...encodeActorChunk({ ...good, runId: 'run-other' }) },
        { id: 'huge', header: 'x'.repeat(20_000), payload: new Uint8Array(0) },
      ];
    };
    const transport = new InMemoryTransport(actors, bad);
    const learner = new DistributedLearner('impala', config, 'run-9', transport);
    await learner.begin({ totalTimesteps: 64 * 4 });
    expect(transport.published).toBe(0);
    const rows = [];
    while (!learner.done) rows.push(await learner.iterate());
    expect(rows.length).toBe(4);
    expect(transport.published).toBe(4);
    expect(learner.rejected).toEqual({ oversized: 1, malformed: 2, foreign: 1, 'non-finite': 1 });
    expect(rows.at(-1)?.rejectedChunks).toBe(5);
    for (const id of ['bad-json', 'bad-size', 'nan', 'foreign', 'huge'])
      expect(transport.acknowledged).toContain(id);
    for (const row of rows) {
      expect(row.policyLagMax).toBeLessThanOrEqual(1);
      expect(Number.isFinite(row.policyLoss)).toBe(true);
      expect(row.actors).toBe(2);
    }
    for (const p of learner.policy.params) expect(Number.isFinite(p)).toBe(true);
    expect(learner.numTimesteps).toBe(256);
  });

  it('checkpoints and restores: parameters, optimizer, schedule, version and counters', async () => {
    const config = { ...SHORT_CARTPOLE, numEnvs: 2, chunkLength: 16, trainBatchSize: 32, seed: 3 };
    const make = () => {
      const actors = [0].map(
        (i) => new Actor(parseAppoConfig(config), { runId: 'r', actorId: `a${i}`, seed: 11 }),
      );
      const transport = new InMemoryTransport(actors);
      return { transport, learner: new DistributedLearner('appo', config, 'r', transport) };
    };
    const first = make();
    await first.learner.begin({ totalTimesteps: 32 * 6 });
    for (let k = 0; k < 3; k++) await first.learner.iterate();
    const cp = JSON.parse(JSON.stringify(first.learner.checkpoint()));
    const second = make();
    second.learner.restoreCheckpoint(cp);
    expect(Array.from(second.learner.policy.params)).toEqual(Array.from(first.learner.policy.params));
    expect([second.learner.version, second.learner.numTimesteps, second.learner.iteration]).toEqual([
      3, 96, 3,
    ]);
    await second.learner.begin({ totalTimesteps: 96, resetProgress: false });
    const rows = [];
    while (!second.learner.done) rows.push(await second.learner.iterate());
    expect(rows.map((r) => r.step)).toEqual([128, 160, 192]);
    expect(rows[0].iteration).toBe(4);
    // Another run's checkpoint is refused before anything changes.
    const other = make();
    expect(() => other.learner.restoreCheckpoint({ ...cp, runId: 'x' })).toThrow(/run "x", not of 'appo'/);
    expect(() =>
      other.learner.restoreCheckpoint({ ...cp, trainer: { ...cp.trainer, params: 'bad' } }),
    ).toThrow();
  });

  it('IMPALA and APPO are trainer definitions: iterate() collects one on-policy chunk from the trainer’s own envs', () => {
    const model = new IMPALA({ numEnvs: 4, chunkLength: 25, seed: 2 });
    const rows = model.learn({ totalTimesteps: 400 });
    expect(rows.map((r) => r.step)).toEqual([100, 200, 300, 400]);
    expect(rows[0].approxKl).toBeLessThan(1e-6); // the behaviour policy is the learner's own
    const appo = new APPO({ numEnvs: 2, chunkLength: 10, seed: 2 });
    expect(() => appo.trainOn(new RolloutBuffer(10, 2, 4, 1))).toThrow(/no schedule/);
    appo.begin({ totalTimesteps: 20 });
    expect(() => appo.trainOn(new RolloutBuffer(10, 2, 4, 1))).toThrow(
      /APPO update: expected a LearnerBatch/,
    );
  });

  it('iterate() before begin() says what to do', async () => {
    const learner = new DistributedLearner('appo', {}, 'r', new InMemoryTransport([]));
    await expect(learner.iterate()).rejects.toThrow(/call begin/);
  });
});
