/**
 * An IMPALA/APPO actor (issue 17): a copy of the policy stepping its own vector env. Each `collectChunk()` runs
 * the policy for `chunkLength` steps on every env and returns the chunk the learner receives (actor-chunk.ts):
 * observations, raw actions, the behaviour policy's log-probabilities log μ(a|s), rewards, terminations and
 * truncations with their final observations, each env's observation after the last step (the learner values
 * them with its own critic to bootstrap), the episodes that ended, and the version of the parameters used.
 * `setParameters(params, version)` takes a newer policy between chunks. Episodes carry over between chunks.
 *
 * Transports move chunks and parameters (threads, Redis); the actor knows none of them. Browser-safe.
 */
import type { Discrete, MultiDiscrete } from '../envs/spaces.js';
import { PolicygradError } from '../errors.js';
import type { Floats } from '../nn/kernels.js';
import type { ActorCriticPolicy, ActResult } from '../policies/actor-critic.js';
import type { Rng } from '../rng.js';
import { RolloutBuffer, RolloutCollector, type RolloutActor } from '../rollouts/rollout.js';
import { type ActorChunk, encodeActorChunk, type ChunkExpectation } from './actor-chunk.js';
import { type DistributedConfig, normalization, publishedLength } from './distributed.js';
import { buildOnPolicy, type OnPolicyParts } from './on-policy.js';

/** VecNormalize's defaults, which the learner's statistics are applied with. */
const OBSERVATION_CLIP = 10;
const NORMALIZE_EPSILON = 1e-8;

/**
 * The policy as an actor runs it: on observations normalised with the learner's published statistics (when the
 * run normalises them; the chunk keeps the raw ones, which the learner merges into its statistics), and without
 * the critic, since the learner values every observation with its own, newer one (values are left at 0).
 */
export class ActorPolicy implements RolloutActor {
  /** μ_o and 1/√(σ²_o + ε) of the published statistics; null: observations are not normalised. */
  private readonly mean: Float32Array | null;
  private readonly scale: Float32Array | null;
  private normalized = new Float32Array(0);
  private zeros = new Float32Array(0);

  constructor(
    readonly policy: ActorCriticPolicy,
    normalizeObservations: boolean,
  ) {
    const D = policy.obsDim;
    this.mean = normalizeObservations ? new Float32Array(D) : null;
    this.scale = normalizeObservations ? new Float32Array(D).fill(1) : null;
  }

  get dist(): ActorCriticPolicy['dist'] {
    return this.policy.dist;
  }
  get squashOutput(): boolean {
    return this.policy.squashOutput;
  }
  get sde(): ActorCriticPolicy['sde'] {
    return this.policy.sde;
  }

  /** Takes the published μ_o and σ²_o. */
  setStatistics(mean: ArrayLike<number>, variance: ArrayLike<number>): void {
    if (this.mean === null || this.scale === null) return;
    for (let d = 0; d < this.mean.length; d++) {
      this.mean[d] = mean[d];
      this.scale[d] = 1 / Math.sqrt(variance[d] + NORMALIZE_EPSILON);
    }
  }

  /** The observations as the policy takes them: clip((o − μ_o)/√(σ²_o + ε), ±10), or as they are. */
  private input(observations: Floats, batch: number): Floats {
    const { mean, scale } = this;
    if (mean === null || scale === null) return observations;
    const D = mean.length;
    if (this.normalized.length < batch * D) this.normalized = new Float32Array(batch * D);
    const out = this.normalized;
    for (let k = 0; k < batch * D; k++) {
      const d = k % D;
      const x = (observations[k] - mean[d]) * scale[d];
      out[k] = x > OBSERVATION_CLIP ? OBSERVATION_CLIP : x < -OBSERVATION_CLIP ? -OBSERVATION_CLIP : x;
    }
    return out.subarray(0, batch * D);
  }

  resetNoise(count: number, rng: Rng): void {
    this.policy.resetNoise(count, rng);
  }

  act(
    observations: Floats,
    batch: number,
    rng: Rng,
    out: ActResult,
    deterministic = false,
    mask?: ArrayLike<number>,
  ): void {
    const x = this.input(observations, batch);
    const { policy, dist } = this;
    // gSDE adds its noise to the mean inside the policy; every other distribution samples itself (as `act`).
    if (policy.sde !== null) return policy.act(x, batch, rng, out, deterministic, mask);
    const inputs = policy.distInputs(x, batch, mask);
    if (deterministic) dist.mode(inputs, batch, out.actions);
    else dist.sample(inputs, batch, rng, out.actions);
    dist.logProb(inputs, out.actions, batch, out.logProbs);
  }

  values(_observations: Floats, batch: number): Floats {
    if (this.zeros.length < batch) this.zeros = new Float32Array(batch);
    return this.zeros.subarray(0, batch);
  }

  finalValue(): number {
    return 0;
  }
}

export interface ActorIdentity {
  runId: string;
  actorId: string;
  /** Seeds this actor's envs and sampling (distinct per actor: see `actorSeed`). */
  seed: number;
}

/** The seed of actor `index` of a run seeded `seed`: distinct, reproducible streams per actor. */
export function actorSeed(seed: number, index: number): number {
  return seed + 100_003 * (index + 1);
}

export class Actor {
  readonly parts: OnPolicyParts;
  /** The policy as this actor runs it (normalised observations, no critic). */
  readonly acting: ActorPolicy;
  /** The length of what the learner publishes (`publishedLength`): parameters, then any statistics. */
  readonly publishedSize: number;
  private readonly buffer: RolloutBuffer;
  private readonly finalObservations: Float32Array;
  private sequence = 0;
  /** The version of the parameters in the policy (0 until the learner's first ones arrive). */
  policyVersion = -1;

  constructor(
    readonly config: DistributedConfig,
    readonly identity: ActorIdentity,
  ) {
    // Raw observations and rewards: the learner owns the statistics (see `distributedFields.normalize`).
    const parts = buildOnPolicy({
      ...config,
      normalize: false,
      numEnvs: config.numEnvs,
      nSteps: config.chunkLength,
      seed: identity.seed,
    });
    const normalizeObservations = normalization(config.normalize ?? false).observation;
    this.acting = new ActorPolicy(parts.policy, normalizeObservations);
    // The same generator and seed as the collector buildOnPolicy made (which is left unused): the same stream.
    this.parts = {
      ...parts,
      collector: new RolloutCollector(parts.env, this.acting, parts.rng, identity.seed),
    };
    const { env, policy } = this.parts;
    this.publishedSize = publishedLength(policy.numParams, env.obsDim, normalizeObservations);
    this.buffer = new RolloutBuffer(config.chunkLength, config.numEnvs, env.obsDim, policy.dist.actionSize);
    this.finalObservations = new Float32Array(this.buffer.size * env.obsDim);
    this.buffer.finalObservations = this.finalObservations;
  }

  /** Environment steps this actor has taken. */
  get totalSteps(): number {
    return this.parts.collector.totalSteps;
  }

  /** Takes what the learner published (a copy: the parameters, then any statistics) and its version. */
  setParameters(published: Float32Array, version: number): void {
    const { policy, env } = this.parts;
    if (published.length !== this.publishedSize) {
      throw new PolicygradError(
        `actor ${this.identity.actorId}: parameters of size ${published.length} do not fit the policy (${this.publishedSize})`,
      );
    }
    const P = policy.numParams;
    const D = env.obsDim;
    policy.params.set(published.subarray(0, P));
    if (published.length > P) {
      this.acting.setStatistics(published.subarray(P, P + D), published.subarray(P + D, P + 2 * D));
    }
    this.policyVersion = version;
  }

  /** Runs `chunkLength` steps on every env with the current parameters; the chunk owns its arrays. */
  collectChunk(): ActorChunk {
    if (this.policyVersion < 0) {
      throw new PolicygradError(
        `actor ${this.identity.actorId}: no parameters yet (call setParameters first)`,
      );
    }
    const { collector, env } = this.parts;
    const b = this.buffer;
    const D = env.obsDim;
    collector.collectSteps(b);
    let cut = 0;
    for (let k = 0; k < b.size; k++) if (b.truncated[k] && !b.terminated[k]) cut++;
    const finalObservations = new Float32Array(cut * D);
    let f = 0;
    for (let k = 0; k < b.size; k++) {
      if (b.truncated[k] && !b.terminated[k]) {
        finalObservations.set(this.finalObservations.subarray(k * D, (k + 1) * D), f * D);
        f++;
      }
    }
    const episodes = collector.drainEpisodes();
    return {
      runId: this.identity.runId,
      actorId: this.identity.actorId,
      sequence: this.sequence++,
      policyVersion: this.policyVersion,
      steps: b.steps,
      numEnvs: b.numEnvs,
      observationDim: D,
      actionDim: b.actionDim,
      maskSize: b.masks === null ? 0 : b.masks.length / b.size,
      observations: b.observations.slice(),
      actions: b.actions.slice(),
      logProbs: b.logProbs.slice(),
      rewards: b.rewards.slice(),
      terminated: b.terminated.slice(),
      truncated: b.truncated.slice(),
      finalObservations,
      lastObservations: collector.currentObservations.slice(),
      masks: b.masks === null ? null : b.masks.slice(),
      episodeReturns: Float64Array.from(episodes, (e) => e.return),
      episodeLengths: Uint32Array.from(episodes, (e) => e.length),
    };
  }

  /** `collectChunk`, encoded for a transport (header JSON and payload bytes). */
  collectEncoded(): { header: string; payload: Uint8Array } {
    return encodeActorChunk(this.collectChunk());
  }
}

/** What a learner of this env expects of every chunk (the run id, its shapes, the versions published). */
export function chunkExpectation(
  parts: Pick<OnPolicyParts, 'env' | 'policy'>,
  runId: string,
  latestPolicyVersion: number,
  maskSize = 0,
): ChunkExpectation {
  const space = parts.env.singleActionSpace;
  let actionChoices: number[] | null = null;
  if (space.type === 'Discrete') actionChoices = [(space as Discrete).n];
  else if (space.type === 'MultiDiscrete') actionChoices = Array.from((space as MultiDiscrete).nvec);
  else if (space.type !== 'Box') {
    throw new PolicygradError(`IMPALA/APPO: action space ${space.type} is not supported`);
  }
  return {
    runId,
    observationDim: parts.env.obsDim,
    actionDim: parts.policy.dist.actionSize,
    actionChoices,
    maskSize,
    latestPolicyVersion,
  };
}
