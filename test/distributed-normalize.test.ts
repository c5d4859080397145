/**
 * IMPALA/APPO's observation and reward normalisation (`normalize`, issue 17): the learner owns the statistics. It
 * merges the raw observations and each env's discounted returns of the chunks it accepts (VecNormalize's
 * formulas), trains on the batch normalised with them, and publishes μ_o and σ²_o after the parameters; an actor
 * acts on observations normalised with the published statistics and sends the raw ones.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/builtin.js';
import { type ActorChunk, decodeActorChunk } from '../src/algos/actor-chunk.js';
import { Actor, actorSeed, chunkExpectation } from '../src/algos/actor.js';
import { parseAppoConfig } from '../src/algos/appo.js';
import { DistributedLearner, type LearnerTransport, type RawChunk } from '../src/algos/learner.js';
import type { LearnerBatch } from '../src/algos/learner-batch.js';
import { RunningMeanStd } from '../src/envs/running-mean-std.js';
import { VecNormalize } from '../src/envs/vec-normalize.js';
import { Rng } from '../src/rng.js';

const CONFIG = {
  env: 'CartPole-v1',
  envOptions: { maxEpisodeSteps: 12 },
  numEnvs: 2,
  chunkLength: 16,
  trainBatchSize: 64,
  seed: 3,
  gamma: 0.9,
};

/** The actors in this thread; records every chunk it delivers and what was published. */
class RecordingTransport implements LearnerTransport {
  readonly delivered: RawChunk[] = [];
  published: Float32Array | null = null;
  private next = 0;
  constructor(readonly actors: Actor[]) {}

  async receive(): Promise<RawChunk[]> {
    const chunks = this.actors.map((a) => ({ id: `c${this.next++}`, ...a.collectEncoded() }));
    this.delivered.push(...chunks);
    return chunks;
  }

  async acknowledge(): Promise<void> {}

  async publish(params: Float32Array, version: number): Promise<void> {
    this.published = params.slice();
    for (const a of this.actors) a.setParameters(params, version);
  }
}

function setup(normalize: boolean | { observation: boolean; reward: boolean }) {
  const config = { ...CONFIG, normalize };
  const actors = [0, 1].map(
    (i) => new Actor(parseAppoConfig(config), { runId: 'n', actorId: `a${i}`, seed: actorSeed(3, i) }),
  );
  const transport = new RecordingTransport(actors);
  const learner = new DistributedLearner('appo', config, 'n', transport);
  return { actors, transport, learner };
}

function decoded(learner: DistributedLearner, raw: RawChunk): ActorChunk {
  const result = decodeActorChunk(raw.header, raw.payload, chunkExpectation(learner.parts, 'n', 99));
  if (!result.ok) throw new Error(result.message);
  return result.chunk;
}

describe('IMPALA/APPO normalisation (the learner owns the statistics)', () => {
  it('merges the raw observations and discounted returns of the accepted chunks, as VecNormalize would', async () => {
    const { transport, learner } = setup(true);
    await learner.begin({ totalTimesteps: 64 * 3 });
    while (!learner.done) await learner.iterate();
    const norm = learner.env as VecNormalize;
    expect(norm).toBeInstanceOf(VecNormalize);
    // The same merges by hand, chunk by chunk in arrival order: observations batch-wise, returns G ← γG + r per
    // actor's env, restarted where an episode ended.
    const obs = new RunningMeanStd(4);
    const ret = new RunningMeanStd(1);
    const running = new Map<string, Float64Array>();
    for (const raw of transport.delivered) {
      const chunk = decoded(learner, raw);
      const n = chunk.steps * chunk.numEnvs;
      obs.update(chunk.observations, n);
      const g = running.get(chunk.actorId) ?? new Float64Array(chunk.numEnvs);
      running.set(chunk.actorId, g);
      for (let k = 0; k < n; k++) {
        const i = k % chunk.numEnvs;
        g[i] = g[i] * 0.9 + chunk.rewards[k];
        ret.updateOne([g[i]]);
        if (chunk.terminated[k] || chunk.truncated[k]) g[i] = 0;
      }
    }
    expect(transport.delivered.length).toBe(6);
    expect(Array.from(norm.obsRms.mean)).toEqual(Array.from(obs.mean));
    expect(Array.from(norm.obsRms.var)).toEqual(Array.from(obs.var));
    expect(norm.returnRms.var[0]).toBe(ret.var[0]);
    expect(ret.var[0]).toBeGreaterThan(1.5); // CartPole's returns vary: a wrong γ or no restart would show
    // Published: the parameters, then μ_o and σ²_o (float32).
    const P = learner.policy.numParams;
    const published = transport.published as Float32Array;
    expect(published.length).toBe(P + 8);
    expect(Array.from(published.subarray(0, P))).toEqual(Array.from(learner.policy.params));
    expect(Array.from(published.subarray(P, P + 4))).toEqual(Array.from(Float32Array.from(obs.mean)));
    expect(Array.from(published.subarray(P + 4))).toEqual(Array.from(Float32Array.from(obs.var)));
  });

  it('trains on the batch normalised with the merged statistics; actors act on normalised observations', async () => {
    const { actors, transport, learner } = setup(true);
    let seen: { observations: Float32Array; rewards: Float64Array } | null = null;
    const trainOn = learner.trainer.trainOn.bind(learner.trainer);
    learner.trainer.trainOn = (batch) => {
      seen = { observations: batch.observations.slice(), rewards: batch.rewards.slice() };
      return trainOn(batch);
    };
    await learner.begin({ totalTimesteps: 64 });
    const norm = learner.env as VecNormalize;
    // Before any chunk: the statistics are the initial ones (μ 0, σ² 1), published with version 0.
    expect(Array.from((transport.published as Float32Array).subarray(-8))).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    await learner.iterate();
    const chunks = transport.delivered.map((raw) => decoded(learner, raw));
    // The batch is [16, 4]: actor 0's two env columns, then actor 1's.
    const batch = seen as unknown as LearnerBatch;
    const scale = Math.sqrt(norm.returnRms.var[0] + 1e-8);
    for (let t = 0; t < 16; t++) {
      for (let j = 0; j < 4; j++) {
        const chunk = chunks[j < 2 ? 0 : 1];
        const src = t * 2 + (j % 2);
        const dst = t * 4 + j;
        const expected = norm.normalizeObservations(chunk.observations.subarray(src * 4, src * 4 + 4));
        expect(Array.from(batch.observations.subarray(dst * 4, dst * 4 + 4))).toEqual(Array.from(expected));
        expect(batch.rewards[dst]).toBeCloseTo(chunk.rewards[src] / scale, 12);
      }
    }
    // An actor acts on its raw observations as the policy does on them normalised with the published statistics.
    const raw = chunks[0].observations.subarray(0, 8);
    const P = learner.policy.numParams;
    const published = transport.published as Float32Array;
    const mean = published.subarray(P, P + 4);
    const variance = published.subarray(P + 4);
    const normalized = raw.map((o, k) =>
      Math.min(10, Math.max(-10, (o - mean[k % 4]) / Math.sqrt(variance[k % 4] + 1e-8))),
    );
    const out = () => ({
      actions: new Float32Array(2),
      logProbs: new Float32Array(2),
      values: new Float32Array(2),
    });
    const viaActor = out();
    actors[0].acting.act(raw, 2, Rng.fromSeed(1), viaActor);
    const viaPolicy = out();
    actors[0].parts.policy.act(normalized, 2, Rng.fromSeed(1), viaPolicy);
    expect(Array.from(viaActor.actions)).toEqual(Array.from(viaPolicy.actions));
    expect(Array.from(viaActor.logProbs)).toEqual(Array.from(viaPolicy.logProbs));
    expect(Array.from(viaActor.values)).toEqual([0, 0]); // the actor leaves valuing to the learner's critic
    expect(Array.from(raw)).not.toEqual(Array.from(normalized));
  });

  it('normalises only what `normalize` names; without it, publishes the parameters alone', async () => {
    const rewardsOnly = setup({ observation: false, reward: true });
    await rewardsOnly.learner.begin({ totalTimesteps: 64 });
    await rewardsOnly.learner.iterate();
    const P = rewardsOnly.learner.policy.numParams;
    expect(rewardsOnly.transport.published?.length).toBe(P);
    expect((rewardsOnly.learner.env as VecNormalize).obsRms.count).toBeLessThan(1); // untouched
    const none = setup(false);
    await none.learner.begin({ totalTimesteps: 64 });
    await none.learner.iterate();
    expect(none.learner.env).not.toBeInstanceOf(VecNormalize);
    expect(none.transport.published?.length).toBe(P);
  });
});
