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
import { RolloutBuffer } from '../rollouts/rollout.js';
import { type ActorChunk, encodeActorChunk, type ChunkExpectation } from './actor-chunk.js';
import type { DistributedConfig } from './distributed.js';
import { buildOnPolicy, type OnPolicyParts } from './on-policy.js';

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
  private readonly buffer: RolloutBuffer;
  private readonly finalObservations: Float32Array;
  private sequence = 0;
  /** The version of the parameters in the policy (0 until the learner's first ones arrive). */
  policyVersion = -1;

  constructor(
    readonly config: DistributedConfig,
    readonly identity: ActorIdentity,
  ) {
    this.parts = buildOnPolicy({
      ...config,
      numEnvs: config.numEnvs,
      nSteps: config.chunkLength,
      seed: identity.seed,
    });
    const { env, policy } = this.parts;
    this.buffer = new RolloutBuffer(config.chunkLength, config.numEnvs, env.obsDim, policy.dist.actionSize);
    this.finalObservations = new Float32Array(this.buffer.size * env.obsDim);
    this.buffer.finalObservations = this.finalObservations;
  }

  /** Environment steps this actor has taken. */
  get totalSteps(): number {
    return this.parts.collector.totalSteps;
  }

  /** Takes the learner's parameters (a copy) and their version. */
  setParameters(params: ArrayLike<number>, version: number): void {
    const { policy } = this.parts;
    if (params.length !== policy.numParams) {
      throw new PolicygradError(
        `actor ${this.identity.actorId}: parameters of size ${params.length} do not fit the policy (${policy.numParams})`,
      );
    }
    policy.params.set(params);
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
