/**
 * The IMPALA/APPO learner (issue 17), independent of how chunks and parameters travel. One iteration:
 *
 *   1. receive raw chunks from the transport; validate each (actor-chunk.ts: run id, format, shapes, sizes,
 *      finite numbers, versions not from the future): an invalid one is rejected and counted; a valid one lagging
 *      more than `maxPolicyLag` versions is dropped and counted; the others are laid into the batch
 *      (learner-batch.ts) until it holds `trainBatchSize` transitions;
 *   2. the trainer's `trainOn(batch)` (src/algos/trainer.ts): the algorithm's update rule (impala.ts, appo.ts)
 *      on the batch, with its schedule, optimizers and checkpoints;
 *   3. publish the parameters as version v + 1;
 *   4. acknowledge the chunks the update used (and those dropped or rejected), only now: a learner that dies
 *      before this point leaves them pending for its successor.
 *
 * Transports (src/node/: worker threads, Redis) implement `LearnerTransport`. Browser-safe: a page could run a
 * learner over a WebSocket or web-worker transport.
 */
import { VecNormalize } from '../envs/vec-normalize.js';
import { make } from '../envs/registry.js';
import { describeValue, PolicygradError } from '../errors.js';
import { type Checkpoint } from './checkpoint.js';
import { decodeActorChunk, type ChunkRejectionReason } from './actor-chunk.js';
import { chunkExpectation } from './actor.js';
import { APPO, type AppoResolvedConfig, parseAppoConfig } from './appo.js';
import type { ActorChunk } from './actor-chunk.js';
import {
  type DistributedLosses,
  type DistributedMetrics,
  normalization,
  publishedLength,
} from './distributed.js';
import { IMPALA, type ImpalaResolvedConfig, parseImpalaConfig } from './impala.js';
import { ChunkAssembler, type LearnerBatch } from './learner-batch.js';
import type { OnPolicyParts } from './on-policy.js';
import type { Trainer } from './trainer.js';

/** A chunk as a transport delivers it: its id there (to acknowledge), the header and the payload, unvalidated. */
export interface RawChunk {
  id: string;
  header: unknown;
  payload: unknown;
}

export interface LearnerTransport {
  /** Resolves with the chunks that arrived (waiting for at least one, at most about `waitMs`); [] when none did. */
  receive(maxChunks: number, waitMs: number): Promise<RawChunk[]>;
  /** Acknowledges chunks by id, once the update that used them is done (or they were dropped). */
  acknowledge(ids: readonly string[]): Promise<void>;
  /** Makes the parameters of `version` the ones actors collect with from now on. */
  publish(params: Float32Array, version: number): Promise<void>;
  /**
   * The newest version published before this learner started (a previous learner's, for a resumed run), if the
   * transport keeps one: the learner numbers its versions after it, so chunks of those parameters read as lagging,
   * not as from the future.
   */
  publishedVersion?(): Promise<number | null>;
}

export type DistributedAlgorithm = 'impala' | 'appo';
export type DistributedAlgoConfig = ImpalaResolvedConfig | AppoResolvedConfig;

/** Parses a config for `algo` (with its presets and defaults). */
export function parseDistributedConfig(
  algo: DistributedAlgorithm,
  config: Record<string, unknown>,
): DistributedAlgoConfig {
  return algo === 'impala' ? parseImpalaConfig(config) : parseAppoConfig(config);
}

/** The trainer of `algo` (IMPALA or APPO) on `config`. */
export function createDistributedTrainer(
  algo: DistributedAlgorithm,
  config: Record<string, unknown>,
): Trainer<DistributedAlgoConfig, DistributedLosses> {
  return algo === 'impala' ? new IMPALA(config) : new APPO(config);
}

export const LEARNER_CHECKPOINT_FORMAT = 'policygrad-learner-checkpoint';
export const LEARNER_CHECKPOINT_VERSION = 1;

/**
 * A learner's state between iterations: the trainer's checkpoint (parameters, optimizers, the rule's state, the
 * schedule, the step count) and the learner's own (the version it published, its episode and chunk counters). The
 * actors' state is not in it (they run elsewhere and rejoin with the parameters re-published on resume), so a
 * resumed run is not bit-identical to an uninterrupted one, as no asynchronous run is.
 */
export interface LearnerCheckpoint {
  format: typeof LEARNER_CHECKPOINT_FORMAT;
  version: number;
  algo: DistributedAlgorithm;
  env: string;
  runId: string;
  /** Mirrors of the trainer checkpoint's, for the run directory's bookkeeping. */
  step: number;
  iteration: number;
  episodes: number;
  policyVersion: number;
  counters: { rejected: Record<ChunkRejectionReason, number>; stale: number };
  trainer: Checkpoint;
}

/** VecNormalize's defaults for the reward scale: r / √(σ²_G + ε), clipped to ±10. */
const REWARD_EPSILON = 1e-8;
const REWARD_CLIP = 10;

/** How long an actor counts as active after its last chunk. */
const ACTOR_ACTIVE_MS = 60_000;

export class DistributedLearner {
  /** The trainer of the algorithm: its update rule, schedule, optimizers and checkpoints. */
  readonly trainer: Trainer<DistributedAlgoConfig, DistributedLosses>;
  readonly config: DistributedAlgoConfig;
  readonly assembler: ChunkAssembler;
  /** The version of the parameters last published (0: the initial ones). */
  version = 0;
  /** Iterations (updates) so far, and episodes the actors finished in the batches trained on. */
  iteration = 0;
  episodes = 0;
  /** Chunks rejected as invalid, by reason (totals). */
  readonly rejected: Record<ChunkRejectionReason, number> = {
    oversized: 0,
    malformed: 0,
    foreign: 0,
    'non-finite': 0,
  };
  /** The last rejection's one-line message (for a log line). */
  lastRejection: string | null = null;
  /** Where chunks come from and parameters go: set one before `begin`. */
  transport: LearnerTransport | null;
  private readonly lastHeard = new Map<string, number>();
  /** The most recent sequence number seen per actor: a duplicate delivery is dropped. */
  private readonly lastSequence = new Map<string, number>();
  private duplicateChunks = 0;
  /** Stale chunks counted before a restored checkpoint. */
  private staleBefore = 0;
  private pendingAcks: string[] = [];
  private began = false;
  /**
   * Entries per action mask in every chunk: the policy's logits when the env reports `info.action_mask`, else 0
   * (the actors' collectors store masks the same way; the loss then uses the masked distribution).
   */
  readonly maskSize: number;
  /** When the previous row was made: env steps/s is measured between rows (chunks may wait in a queue). */
  private lastRowTime = 0;
  /**
   * The run's normalisation (`normalize`): the statistics are those of the learner's own env, a VecNormalize, so
   * evaluation, saved policies and checkpoints carry them as every normalised run's do.
   */
  private readonly normalizer: VecNormalize | null;
  private readonly normalizes: { observation: boolean; reward: boolean };
  /** Each actor's envs' discounted returns G ← γ·G + r (VecNormalize's), carried from chunk to chunk. */
  private readonly runningReturns = new Map<string, Float64Array>();
  private readonly returnScratch = new Float64Array(1);
  /** What `publish` sends: the parameters, then μ_o and σ²_o when observations are normalised. */
  private readonly published: Float32Array;

  constructor(
    readonly algo: DistributedAlgorithm,
    config: Record<string, unknown> | DistributedAlgoConfig,
    readonly runId: string,
    transport: LearnerTransport | null = null,
  ) {
    this.transport = transport;
    this.trainer = createDistributedTrainer(algo, config as Record<string, unknown>);
    this.config = this.trainer.config;
    const c = this.config;
    this.maskSize = actionMaskSize(c.env, c.envOptions, this.parts);
    this.assembler = new ChunkAssembler({
      chunkLength: c.chunkLength,
      obsDim: this.parts.env.obsDim,
      actionDim: this.parts.policy.dist.actionSize,
      maskSize: this.maskSize,
      trainBatchSize: c.trainBatchSize,
      maxPolicyLag: c.maxPolicyLag,
    });
    this.normalizes = normalization(c.normalize);
    const env = this.parts.env;
    this.normalizer = env instanceof VecNormalize ? env : null;
    this.published = new Float32Array(
      publishedLength(this.policy.numParams, env.obsDim, this.normalizes.observation),
    );
  }

  /** The length of what this learner publishes (the actors' `publishedSize`). */
  get publishedSize(): number {
    return this.published.length;
  }

  /** The parameters, then μ_o and σ²_o when observations are normalised (see `publishedLength`). */
  publishedVector(): Float32Array {
    const P = this.policy.numParams;
    this.published.set(this.policy.params);
    if (this.normalizes.observation && this.normalizer !== null) {
      const { mean, var: variance } = this.normalizer.obsRms;
      this.published.set(mean, P);
      this.published.set(variance, P + mean.length);
    }
    return this.published;
  }

  /**
   * Merges an accepted chunk's raw observations and its envs' discounted returns into the statistics, as
   * VecNormalize's `step` does for the envs it steps (the returns restart where an episode ended).
   */
  private observeStatistics(chunk: ActorChunk): void {
    const norm = this.normalizer;
    if (norm === null || !norm.training) return;
    const n = chunk.steps * chunk.numEnvs;
    if (this.normalizes.observation) norm.obsRms.update(chunk.observations, n);
    if (!this.normalizes.reward) return;
    const N = chunk.numEnvs;
    let returns = this.runningReturns.get(chunk.actorId);
    if (returns === undefined || returns.length !== N) {
      returns = new Float64Array(N);
      this.runningReturns.set(chunk.actorId, returns);
    }
    const gamma = this.config.gamma;
    for (let k = 0; k < n; k++) {
      const i = k % N;
      returns[i] = returns[i] * gamma + chunk.rewards[k];
      this.returnScratch[0] = returns[i];
      norm.returnRms.updateOne(this.returnScratch);
      if (chunk.terminated[k] || chunk.truncated[k]) returns[i] = 0;
    }
  }

  /**
   * The batch as the policy learns from it: observations (final and last ones too) normalised and rewards scaled
   * with the statistics as they are now, in place (VecNormalize's formulas, `normalizeObservations`).
   */
  private normalizeBatch(batch: LearnerBatch): void {
    const norm = this.normalizer;
    if (norm === null) return;
    if (this.normalizes.observation) {
      norm.normalizeObservations(batch.observations, batch.observations);
      norm.normalizeObservations(batch.finalObservations, batch.finalObservations);
      norm.normalizeObservations(batch.lastObservations, batch.lastObservations);
    }
    if (this.normalizes.reward) {
      const scale = 1 / Math.sqrt(norm.returnRms.var[0] + REWARD_EPSILON);
      const r = batch.rewards;
      for (let k = 0; k < r.length; k++) {
        r[k] = Math.min(Math.max(r[k] * scale, -REWARD_CLIP), REWARD_CLIP);
      }
    }
  }

  get parts(): OnPolicyParts {
    return this.trainer.parts;
  }

  get policy(): OnPolicyParts['policy'] {
    return this.trainer.policy;
  }

  get env(): OnPolicyParts['env'] {
    return this.trainer.env;
  }

  /** Environment steps in the batches trained on (the actors' steps, counted once each). */
  get numTimesteps(): number {
    return this.trainer.numTimesteps;
  }

  /** True once the schedule's budget is used. */
  get done(): boolean {
    return this.trainer.done;
  }

  get rejectedChunks(): number {
    return Object.values(this.rejected).reduce((a, b) => a + b, 0);
  }

  get staleChunks(): number {
    return (
      this.staleBefore + this.assembler.staleChunks + this.assembler.wrongLengthChunks + this.duplicateChunks
    );
  }

  private connected(): LearnerTransport {
    if (this.transport === null) {
      throw new PolicygradError(
        'the learner has no transport: set learner.transport (local actor threads, Redis) before begin()',
      );
    }
    return this.transport;
  }

  /**
   * Sets the trainer's schedule (`resetProgress: false` extends the one in force, as after `restoreCheckpoint`)
   * and publishes the parameters, numbered after any version published before (a previous learner's).
   */
  async begin(options: { totalTimesteps: number; resetProgress?: boolean }): Promise<void> {
    this.trainer.begin(options);
    const transport = this.connected();
    const published = (await transport.publishedVersion?.()) ?? null;
    if (published !== null && published >= this.version) this.version = published + 1;
    await transport.publish(this.publishedVector(), this.version);
    this.began = true;
    this.lastRowTime = performance.now();
  }

  /** One iteration (see the module comment): waits for enough chunks, trains, publishes, acknowledges. */
  async iterate(): Promise<DistributedMetrics> {
    if (!this.began) throw new PolicygradError('call begin({ totalTimesteps }) before iterate()');
    const transport = this.connected();
    const want = Math.max(
      1,
      Math.ceil(this.config.trainBatchSize / (this.config.chunkLength * this.config.numEnvs)),
    );
    while (!this.assembler.ready) {
      for (const chunk of await transport.receive(want, 1000)) this.take(chunk);
    }
    const row = this.trainOn(this.assembler.take());
    await transport.publish(this.publishedVector(), this.version);
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    await transport.acknowledge(acks);
    return row;
  }

  /** Validates one raw chunk and adds it to the batch, or counts why not; its id is acknowledged after the update. */
  take(raw: RawChunk): void {
    this.pendingAcks.push(raw.id);
    const expectation = chunkExpectation(this.parts, this.runId, this.version, this.maskSize);
    const decoded = decodeActorChunk(raw.header, raw.payload, expectation);
    if (!decoded.ok) {
      this.rejected[decoded.reason]++;
      this.lastRejection = decoded.message;
      return;
    }
    const chunk = decoded.chunk;
    if (this.lastSequence.get(chunk.actorId) === chunk.sequence) {
      this.duplicateChunks++;
      return;
    }
    this.lastSequence.set(chunk.actorId, chunk.sequence);
    this.lastHeard.set(chunk.actorId, performance.now());
    if (this.assembler.accept(chunk, this.version) === 'added') this.observeStatistics(chunk);
  }

  /**
   * The trainer's `trainOn` on an assembled batch (no collection here: the actors collected it); the batch's
   * steps then count as this run's, and the version moves on. Returns the metrics row.
   */
  trainOn(batch: LearnerBatch): DistributedMetrics {
    this.normalizeBatch(batch);
    const row = this.trainer.trainOn(batch);
    this.parts.collector.totalSteps += batch.size; // the actors' steps are this run's, counted once
    this.version++;
    this.iteration = row.iteration;
    this.episodes += batch.episodeReturns.length;
    const now = performance.now();
    const sps = now > this.lastRowTime ? (batch.size / (now - this.lastRowTime)) * 1000 : 0;
    this.lastRowTime = now;
    for (const [actor, heard] of this.lastHeard)
      if (now - heard > ACTOR_ACTIVE_MS) this.lastHeard.delete(actor);
    const average = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      ...row,
      step: this.numTimesteps,
      episodes: this.episodes,
      episodeReturnMean: average(batch.episodeReturns),
      episodeLengthMean: average(batch.episodeLengths),
      sps,
      policyVersion: this.version,
      policyLagMean: batch.lagMean,
      policyLagMax: batch.lagMax,
      chunks: batch.chunks,
      staleChunks: this.staleChunks,
      rejectedChunks: this.rejectedChunks,
      actors: this.lastHeard.size,
    };
  }

  /** The trainer's checkpoint and the learner's counters (see `LearnerCheckpoint`). */
  checkpoint(): LearnerCheckpoint {
    const trainer = this.trainer.checkpoint();
    return {
      format: LEARNER_CHECKPOINT_FORMAT,
      version: LEARNER_CHECKPOINT_VERSION,
      algo: this.algo,
      env: this.config.env,
      runId: this.runId,
      step: trainer.step,
      iteration: trainer.iteration,
      episodes: this.episodes,
      policyVersion: this.version,
      counters: { rejected: { ...this.rejected }, stale: this.staleChunks },
      trainer,
    };
  }

  /** Continues from a checkpoint of this algorithm, env and run id (validated before anything changes). */
  restoreCheckpoint(value: unknown): void {
    const cp = value as Partial<LearnerCheckpoint> | null;
    if (cp === null || typeof cp !== 'object' || cp.format !== LEARNER_CHECKPOINT_FORMAT) {
      throw new PolicygradError(`not a policygrad learner checkpoint (format ${describeValue(cp?.format)})`);
    }
    if (cp.version !== LEARNER_CHECKPOINT_VERSION) {
      throw new PolicygradError(
        `learner checkpoint version ${describeValue(cp.version)} is not supported: expected ${LEARNER_CHECKPOINT_VERSION}`,
      );
    }
    if (cp.algo !== this.algo || cp.env !== this.config.env || cp.runId !== this.runId) {
      throw new PolicygradError(
        `the checkpoint is of ${describeValue(cp.algo)} on ${describeValue(cp.env)}, run ${describeValue(cp.runId)}, not of '${this.algo}' on '${this.config.env}', run '${this.runId}'`,
      );
    }
    if (![cp.episodes, cp.policyVersion].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
      throw new PolicygradError(
        'learner checkpoint is incomplete: its episode count or policy version is invalid',
      );
    }
    this.trainer.restoreCheckpoint(cp.trainer); // validates the rest, and restores nothing unless it is valid
    this.iteration = (cp.trainer as Checkpoint).iteration;
    this.episodes = cp.episodes as number;
    this.version = cp.policyVersion as number;
    for (const reason of Object.keys(this.rejected) as ChunkRejectionReason[]) {
      this.rejected[reason] = Number(cp.counters?.rejected?.[reason]) || 0;
    }
    this.staleBefore = Number(cp.counters?.stale) || 0;
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default). */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    return this.trainer.evaluate(episodes, options);
  }
}

/**
 * The chunks' mask size for this env: a fresh env (not the learner's own, whose state checkpoints keep) is reset
 * once; if it reports Gymnasium's `info.action_mask`, actors send masks of the policy's logits width with every
 * chunk, as their collectors store them.
 */
function actionMaskSize(envId: string, envOptions: Record<string, unknown>, parts: OnPolicyParts): number {
  const space = parts.env.singleActionSpace.type;
  if (space !== 'Discrete' && space !== 'MultiDiscrete') return 0;
  const env = make(envId, envOptions);
  try {
    const { info } = env.reset({ seed: 0 });
    const mask = (info as Record<string, unknown> | undefined)?.action_mask;
    return mask === undefined || mask === null ? 0 : parts.policy.dist.inputSize;
  } finally {
    env.close();
  }
}
