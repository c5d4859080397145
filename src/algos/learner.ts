/**
 * The IMPALA/APPO learner (issue 17), independent of how chunks and parameters travel. One iteration:
 *
 *   1. receive raw chunks from the transport; validate each (actor-chunk.ts: run id, format, shapes, sizes,
 *      finite numbers, versions not from the future): an invalid one is rejected and counted; a valid one lagging
 *      more than `maxPolicyLag` versions is dropped and counted; the others are laid into the batch
 *      (learner-batch.ts) until it holds `trainBatchSize` transitions;
 *   2. `trainOn(batch)`: the algorithm's update rule (impala.ts, appo.ts) on the batch;
 *   3. publish the parameters as version v + 1;
 *   4. acknowledge the chunks the update used (and those dropped or rejected), only now: a learner that dies
 *      before this point leaves them pending for its successor.
 *
 * Transports (src/node/: worker threads, Redis) implement `LearnerTransport`. Browser-safe: a page could run a
 * learner over a WebSocket or web-worker transport.
 */
import { decodeFloatsInto, encodeFloats } from '../encoding.js';
import { describeValue, PolicygradError } from '../errors.js';
import type { OptimizerState } from '../nn/optim.js';
import { decodeActorChunk, type ChunkRejectionReason } from './actor-chunk.js';
import { chunkExpectation } from './actor.js';
import { type AppoResolvedConfig, createAppoUpdate, parseAppoConfig } from './appo.js';
import type { DistributedMetrics, DistributedUpdateRule } from './distributed.js';
import { createImpalaUpdate, type ImpalaResolvedConfig, parseImpalaConfig } from './impala.js';
import { ChunkAssembler, type LearnerBatchView } from './learner-batch.js';
import { buildOnPolicy, evaluatePolicy, type OnPolicyParts } from './on-policy.js';

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

export function createDistributedUpdate(
  algo: DistributedAlgorithm,
  parts: OnPolicyParts,
  config: DistributedAlgoConfig,
): DistributedUpdateRule {
  return algo === 'impala'
    ? createImpalaUpdate(parts.policy, config as ImpalaResolvedConfig)
    : createAppoUpdate(parts.policy, config as AppoResolvedConfig);
}

export const LEARNER_CHECKPOINT_FORMAT = 'policygrad-learner-checkpoint';
export const LEARNER_CHECKPOINT_VERSION = 1;

/**
 * A learner's state between iterations: parameters, optimizers, the rule's state, the version it published, the
 * counters and the schedule. The actors' state is not in it (they run elsewhere and rejoin with the parameters
 * re-published on resume), so a resumed run is not bit-identical to an uninterrupted one, as any asynchronous
 * run is not.
 */
export interface LearnerCheckpoint {
  format: typeof LEARNER_CHECKPOINT_FORMAT;
  version: number;
  algo: DistributedAlgorithm;
  env: string;
  runId: string;
  step: number;
  iteration: number;
  episodes: number;
  policyVersion: number;
  progress: { startStep: number; totalTimesteps: number };
  elapsedSeconds: number;
  params: string;
  optimizers: Record<string, OptimizerState>;
  rule: Record<string, unknown>;
  counters: { rejected: Record<ChunkRejectionReason, number>; stale: number };
}

/** How long an actor counts as active after its last chunk. */
const ACTOR_ACTIVE_MS = 60_000;

export class DistributedLearner {
  readonly config: DistributedAlgoConfig;
  readonly parts: OnPolicyParts;
  readonly rule: DistributedUpdateRule;
  readonly assembler: ChunkAssembler;
  /** The version of the parameters last published (0: the initial ones). */
  version = 0;
  /** Environment steps in the batches the learner has trained on (SB3's num_timesteps for this run). */
  numTimesteps = 0;
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
  private readonly lastHeard = new Map<string, number>();
  /** The most recent (actor, sequence) seen per actor: a duplicate delivery is dropped. */
  private readonly lastSequence = new Map<string, number>();
  private duplicateChunks = 0;
  private pendingAcks: string[] = [];
  private totalTimesteps = Number.POSITIVE_INFINITY;
  private startStep = 0;
  private started = 0;
  /** Stale chunks counted before a restored checkpoint. */
  private staleBefore = 0;
  /** Seconds trained before a restored checkpoint (the clock continues from there). */
  private elapsedBefore = 0;
  /** When the previous row was made: env steps/s is measured between rows (chunks may wait in a queue). */
  private lastRowTime = 0;

  /** Where chunks come from and parameters go (`attach` one before `begin`). */
  transport: LearnerTransport | null;

  constructor(
    readonly algo: DistributedAlgorithm,
    config: Record<string, unknown> | DistributedAlgoConfig,
    readonly runId: string,
    transport: LearnerTransport | null = null,
  ) {
    this.transport = transport;
    this.config = parseDistributedConfig(algo, config as Record<string, unknown>);
    // The learner's own policy (its env gives the spaces, and serves `evaluate`); numEnvs 1, no collection.
    this.parts = buildOnPolicy({ ...this.config, numEnvs: 1, nSteps: 1 });
    this.rule = createDistributedUpdate(algo, this.parts, this.config);
    const c = this.config;
    this.assembler = new ChunkAssembler({
      chunkLength: c.chunkLength,
      obsDim: this.parts.env.obsDim,
      actionDim: this.parts.policy.dist.actionSize,
      maskSize: 0,
      trainBatchSize: c.trainBatchSize,
      maxPolicyLag: c.maxPolicyLag,
    });
  }

  get policy(): OnPolicyParts['policy'] {
    return this.parts.policy;
  }

  get env(): OnPolicyParts['env'] {
    return this.parts.env;
  }

  private connected(): LearnerTransport {
    if (this.transport === null) {
      throw new PolicygradError(
        'the learner has no transport: set learner.transport (local actor threads, Redis) before begin()',
      );
    }
    return this.transport;
  }

  get rejectedChunks(): number {
    return Object.values(this.rejected).reduce((a, b) => a + b, 0);
  }

  get staleChunks(): number {
    return (
      this.staleBefore + this.assembler.staleChunks + this.assembler.wrongLengthChunks + this.duplicateChunks
    );
  }

  /** True once the schedule's budget is used. */
  get done(): boolean {
    return this.numTimesteps - this.startStep >= this.totalTimesteps;
  }

  /**
   * Sets the schedule (the learning rate decays over `totalTimesteps` trained steps; with `resetProgress: false`,
   * `totalTimesteps` more steps extend the schedule in force, as after `restoreCheckpoint`) and publishes the
   * parameters with their version.
   */
  async begin({
    totalTimesteps,
    resetProgress = true,
  }: {
    totalTimesteps: number;
    resetProgress?: boolean;
  }): Promise<void> {
    if (!(Number.isSafeInteger(totalTimesteps) && totalTimesteps > 0)) {
      throw new PolicygradError(
        `totalTimesteps must be a positive integer, got ${describeValue(totalTimesteps)}`,
      );
    }
    if (resetProgress || !Number.isFinite(this.totalTimesteps)) {
      this.totalTimesteps = totalTimesteps;
      this.startStep = this.numTimesteps;
      this.elapsedBefore = 0;
    } else {
      this.totalTimesteps = this.numTimesteps - this.startStep + totalTimesteps;
    }
    this.started = performance.now() - this.elapsedBefore * 1000;
    const published = (await this.connected().publishedVersion?.()) ?? null;
    if (published !== null && published >= this.version) this.version = published + 1;
    this.lastRowTime = this.started;
    await this.connected().publish(this.parts.policy.params, this.version);
  }

  /** One iteration (see the module comment): waits for enough chunks, trains, publishes, acknowledges. */
  async iterate(): Promise<DistributedMetrics> {
    if (this.started === 0) throw new PolicygradError('call begin({ totalTimesteps }) before iterate()');
    while (!this.assembler.ready) {
      const want = Math.max(1, Math.ceil(this.config.trainBatchSize / this.config.chunkLength));
      const raw = await this.connected().receive(want, 1000);
      for (const chunk of raw) this.take(chunk);
    }
    const row = this.trainOn(this.assembler.take());
    await this.connected().publish(this.parts.policy.params, this.version);
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    await this.connected().acknowledge(acks);
    return row;
  }

  /** Validates one raw chunk and adds it to the batch, or counts why not; its id is acknowledged after the update. */
  take(raw: RawChunk): void {
    this.pendingAcks.push(raw.id);
    const expectation = chunkExpectation(this.parts, this.runId, this.version);
    const decoded = decodeActorChunk(raw.header, raw.payload, expectation);
    if (!decoded.ok) {
      this.rejected[decoded.reason]++;
      this.lastRejection = decoded.message;
      return;
    }
    const chunk = decoded.chunk;
    const previous = this.lastSequence.get(chunk.actorId);
    if (previous !== undefined && chunk.sequence === previous) {
      this.duplicateChunks++;
      return;
    }
    this.lastSequence.set(chunk.actorId, chunk.sequence);
    this.lastHeard.set(chunk.actorId, performance.now());
    this.assembler.accept(chunk, this.version);
  }

  /**
   * The update on an assembled batch (no collection: the experience came from the actors), then the new version.
   * Returns the metrics row.
   */
  trainOn(batch: LearnerBatchView): DistributedMetrics {
    const progressRemaining = Math.max(0, 1 - (this.numTimesteps - this.startStep) / this.totalTimesteps);
    const losses = this.rule.update(batch, Number.isFinite(progressRemaining) ? progressRemaining : 1);
    this.version++;
    this.numTimesteps += batch.size;
    this.iteration++;
    this.episodes += batch.episodeReturns.length;
    const now = performance.now();
    for (const [actor, heard] of this.lastHeard)
      if (now - heard > ACTOR_ACTIVE_MS) this.lastHeard.delete(actor);
    const sps = now > this.lastRowTime ? (batch.size / (now - this.lastRowTime)) * 1000 : 0;
    this.lastRowTime = now;
    const average = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      iteration: this.iteration,
      step: this.numTimesteps,
      episodes: this.episodes,
      episodeReturnMean: average(batch.episodeReturns),
      episodeLengthMean: average(batch.episodeLengths),
      sps,
      timeSeconds: (now - this.started) / 1000,
      ...losses,
      policyVersion: this.version,
      policyLagMean: batch.lagMean,
      policyLagMax: batch.lagMax,
      chunks: batch.chunks,
      staleChunks: this.staleChunks,
      rejectedChunks: this.rejectedChunks,
      actors: this.lastHeard.size,
    };
  }

  /** Everything the learner needs to continue (see `LearnerCheckpoint`). */
  checkpoint(): LearnerCheckpoint {
    return {
      format: LEARNER_CHECKPOINT_FORMAT,
      version: LEARNER_CHECKPOINT_VERSION,
      algo: this.algo,
      env: this.config.env,
      runId: this.runId,
      step: this.numTimesteps,
      iteration: this.iteration,
      episodes: this.episodes,
      policyVersion: this.version,
      progress: { startStep: this.startStep, totalTimesteps: this.totalTimesteps },
      elapsedSeconds: this.started === 0 ? 0 : (performance.now() - this.started) / 1000,
      params: encodeFloats(this.parts.policy.params),
      optimizers: Object.fromEntries(Object.entries(this.rule.optimizers).map(([k, o]) => [k, o.getState()])),
      rule: this.rule.getState?.() ?? {},
      counters: { rejected: { ...this.rejected }, stale: this.staleChunks },
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
    const counts = [cp.step, cp.iteration, cp.episodes, cp.policyVersion, cp.progress?.startStep];
    if (
      !counts.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) ||
      !(Number(cp.progress?.totalTimesteps) > 0)
    ) {
      throw new PolicygradError(
        'learner checkpoint is incomplete: its counters or schedule are missing or invalid',
      );
    }
    const params = new Float32Array(this.parts.policy.numParams);
    decodeFloatsInto(cp.params, params, 'checkpoint parameters');
    for (const name of Object.keys(this.rule.optimizers)) {
      if (cp.optimizers?.[name] === undefined) {
        throw new PolicygradError(`learner checkpoint is incomplete: optimizer '${name}' is missing`);
      }
    }
    this.parts.policy.params.set(params);
    for (const [name, optimizer] of Object.entries(this.rule.optimizers))
      optimizer.setState(cp.optimizers![name]);
    this.rule.setState?.(cp.rule ?? {});
    this.numTimesteps = cp.step as number;
    this.iteration = cp.iteration as number;
    this.episodes = cp.episodes as number;
    this.version = cp.policyVersion as number;
    this.startStep = cp.progress!.startStep;
    this.totalTimesteps = cp.progress!.totalTimesteps;
    this.elapsedBefore = Number(cp.elapsedSeconds) || 0;
    for (const reason of Object.keys(this.rejected) as ChunkRejectionReason[]) {
      this.rejected[reason] = Number(cp.counters?.rejected?.[reason]) || 0;
    }
    this.staleBefore = Number(cp.counters?.stale) || 0;
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default). */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    return evaluatePolicy(this.parts.policy, this.config, episodes, options).returns;
  }
}
