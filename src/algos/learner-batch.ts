/**
 * The learner's side of IMPALA/APPO (issue 17) before the update: validated actor chunks (actor-chunk.ts) become
 * one time-major batch. Chunks of T steps from N_c envs are laid side by side, env columns after env columns, so
 * the batch is [T, ΣN_c] with index t·N + i like every rollout, and every estimator runs on it unchanged.
 *
 * Policy lag: a chunk collected with version v, arriving when the learner has published version V, lags V − v
 * updates. Chunks lagging more than `maxPolicyLag` are dropped (and counted): their behaviour policy is so old
 * that V-trace's truncated weights would mostly cut them away (Espeholt et al. 2018, section 5.3 measure the
 * lag's cost). The lag of the used chunks is reported per batch.
 *
 * Browser-safe; the batch's arrays are allocated once for `capacity` env columns and reused.
 */
import { PolicygradError } from '../errors.js';
import type { StepBatch } from '../estimators/returns.js';
import type { ActorChunk } from './actor-chunk.js';

/** One learner batch, [T, N] time-major (index t·N + i). */
export class LearnerBatch implements StepBatch {
  /** Env columns in use (≤ capacity). */
  numEnvs = 0;
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  /** log μ(a|s): the behaviour policy's log-probabilities, as the actors sent them. */
  readonly behaviourLogProbs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** [n × obsDim]: the final observation where a step was truncated and not terminated (zeros elsewhere). */
  readonly finalObservations: Float32Array;
  /** [N × obsDim]: each env column's observation after the last step. */
  readonly lastObservations: Float32Array;
  /** [n × maskSize] or null. */
  readonly masks: Uint8Array | null;
  /** The policy version each env column was collected with. */
  readonly policyVersions: Int32Array;
  /** Episodes that ended in the batch (their returns in the env's units) and their lengths. */
  episodeReturns: number[] = [];
  episodeLengths: number[] = [];
  /** Policy lag of the chunks in the batch: mean and maximum (versions), and how many chunks. */
  lagMean = 0;
  lagMax = 0;
  chunks = 0;

  constructor(
    readonly steps: number,
    readonly capacity: number,
    readonly obsDim: number,
    readonly actionDim: number,
    readonly maskSize: number,
  ) {
    const n = steps * capacity;
    this.observations = new Float32Array(n * obsDim);
    this.actions = new Float32Array(n * actionDim);
    this.behaviourLogProbs = new Float32Array(n);
    this.rewards = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.finalObservations = new Float32Array(n * obsDim);
    this.lastObservations = new Float32Array(capacity * obsDim);
    this.masks = maskSize > 0 ? new Uint8Array(n * maskSize) : null;
    this.policyVersions = new Int32Array(capacity);
  }

  /** Transitions in use (steps × numEnvs). */
  get size(): number {
    return this.steps * this.numEnvs;
  }

  /** The batch's rows are a prefix of the arrays only when numEnvs = capacity; `view` gives exact-size views. */
  view(): LearnerBatchView {
    const n = this.size;
    return {
      steps: this.steps,
      numEnvs: this.numEnvs,
      size: n,
      obsDim: this.obsDim,
      actionDim: this.actionDim,
      observations: this.observations.subarray(0, n * this.obsDim),
      actions: this.actions.subarray(0, n * this.actionDim),
      behaviourLogProbs: this.behaviourLogProbs.subarray(0, n),
      rewards: this.rewards.subarray(0, n),
      terminated: this.terminated.subarray(0, n),
      truncated: this.truncated.subarray(0, n),
      finalObservations: this.finalObservations.subarray(0, n * this.obsDim),
      lastObservations: this.lastObservations.subarray(0, this.numEnvs * this.obsDim),
      masks: this.masks === null ? null : this.masks.subarray(0, n * this.maskSize),
      episodeReturns: this.episodeReturns,
      episodeLengths: this.episodeLengths,
      lagMean: this.lagMean,
      lagMax: this.lagMax,
      chunks: this.chunks,
    };
  }
}

/** A learner batch with arrays of exactly its size (what an update rule reads). */
export interface LearnerBatchView extends StepBatch {
  steps: number;
  numEnvs: number;
  size: number;
  obsDim: number;
  actionDim: number;
  observations: Float32Array;
  actions: Float32Array;
  behaviourLogProbs: Float32Array;
  rewards: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  finalObservations: Float32Array;
  lastObservations: Float32Array;
  masks: Uint8Array | null;
  episodeReturns: number[];
  episodeLengths: number[];
  lagMean: number;
  lagMax: number;
  chunks: number;
}

export interface AssemblerOptions {
  /** T: the chunk length every actor of the run uses. */
  chunkLength: number;
  obsDim: number;
  actionDim: number;
  maskSize: number;
  /** A batch is ready once it holds at least this many transitions. */
  trainBatchSize: number;
  /** Chunks lagging more than this many versions are dropped. */
  maxPolicyLag: number;
  /** The most env columns one chunk may bring (sizes the reused arrays; default 256). */
  maxChunkEnvs?: number;
}

export type AcceptResult = 'added' | 'stale' | 'wrong-length';

/** Collects chunks into a `LearnerBatch`; counts what it drops. */
export class ChunkAssembler {
  readonly batch: LearnerBatch;
  /** Chunks dropped for lagging more than `maxPolicyLag` versions, in total. */
  staleChunks = 0;
  /** Chunks whose length differs from the run's `chunkLength`, in total. */
  wrongLengthChunks = 0;
  private lagSum = 0;

  constructor(readonly options: AssemblerOptions) {
    const { chunkLength, trainBatchSize, maxPolicyLag } = options;
    if (!Number.isInteger(chunkLength) || chunkLength < 1) {
      throw new PolicygradError(`chunkLength must be a positive integer, got ${chunkLength}`);
    }
    if (!(maxPolicyLag >= 0)) {
      throw new PolicygradError(`maxPolicyLag must be ≥ 0, got ${maxPolicyLag}`);
    }
    // Enough columns for a batch that falls one column short of trainBatchSize, plus the largest chunk.
    const columns = Math.ceil(trainBatchSize / chunkLength) + (options.maxChunkEnvs ?? 256);
    this.batch = new LearnerBatch(chunkLength, columns, options.obsDim, options.actionDim, options.maskSize);
  }

  /** True once the batch holds at least `trainBatchSize` transitions. */
  get ready(): boolean {
    return this.batch.size >= this.options.trainBatchSize;
  }

  /**
   * Adds a validated chunk, or drops it: 'stale' when it lags more than `maxPolicyLag` versions behind
   * `currentVersion`, 'wrong-length' when its T is not the run's. Call only while `!ready`.
   */
  accept(chunk: ActorChunk, currentVersion: number): AcceptResult {
    const b = this.batch;
    const lag = currentVersion - chunk.policyVersion;
    if (lag > this.options.maxPolicyLag) {
      this.staleChunks++;
      return 'stale';
    }
    if (chunk.steps !== b.steps || b.numEnvs + chunk.numEnvs > b.capacity) {
      this.wrongLengthChunks++;
      return 'wrong-length';
    }
    const T = b.steps;
    const N = b.capacity; // the stride while filling; `compact` closes the gap at the end
    const Nc = chunk.numEnvs;
    const { obsDim: D, actionDim: A, maskSize: M } = b;
    const first = b.numEnvs;
    let f = 0; // next final observation of the chunk (they come in index order)
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < Nc; j++) {
        const src = t * Nc + j;
        const dst = t * N + first + j;
        b.observations.set(chunk.observations.subarray(src * D, (src + 1) * D), dst * D);
        b.actions.set(chunk.actions.subarray(src * A, (src + 1) * A), dst * A);
        b.behaviourLogProbs[dst] = chunk.logProbs[src];
        b.rewards[dst] = chunk.rewards[src];
        b.terminated[dst] = chunk.terminated[src];
        b.truncated[dst] = chunk.truncated[src];
        if (chunk.truncated[src] && !chunk.terminated[src]) {
          b.finalObservations.set(chunk.finalObservations.subarray(f * D, (f + 1) * D), dst * D);
          f++;
        } else b.finalObservations.fill(0, dst * D, (dst + 1) * D);
        if (b.masks !== null && chunk.masks !== null) {
          b.masks.set(chunk.masks.subarray(src * M, (src + 1) * M), dst * M);
        }
      }
    }
    b.lastObservations.set(chunk.lastObservations, first * D);
    b.policyVersions.fill(chunk.policyVersion, first, first + Nc);
    for (let e = 0; e < chunk.episodeReturns.length; e++) {
      b.episodeReturns.push(chunk.episodeReturns[e]);
      b.episodeLengths.push(chunk.episodeLengths[e]);
    }
    b.numEnvs += Nc;
    b.chunks++;
    this.lagSum += lag;
    b.lagMax = Math.max(b.lagMax, lag);
    b.lagMean = this.lagSum / b.chunks;
    return 'added';
  }

  /**
   * The assembled batch as exact-size time-major views (the columns moved together: stride capacity → numEnvs).
   * The next `accept` starts a new batch, overwriting these arrays.
   */
  take(): LearnerBatchView {
    const b = this.batch;
    compact(b);
    const view = b.view();
    this.reset();
    return view;
  }

  private reset(): void {
    const b = this.batch;
    b.numEnvs = 0;
    b.chunks = 0;
    b.lagMax = 0;
    b.lagMean = 0;
    b.episodeReturns = [];
    b.episodeLengths = [];
    this.lagSum = 0;
  }
}

/** Moves rows from stride `capacity` to stride `numEnvs` in place (row t moves to an index ≤ its own). */
function compact(b: LearnerBatch): void {
  const { steps: T, capacity: C, numEnvs: N, obsDim: D, actionDim: A, maskSize: M } = b;
  if (N === C) return;
  for (let t = 1; t < T; t++) {
    const from = t * C;
    const to = t * N;
    b.observations.copyWithin(to * D, from * D, (from + N) * D);
    b.actions.copyWithin(to * A, from * A, (from + N) * A);
    b.behaviourLogProbs.copyWithin(to, from, from + N);
    b.rewards.copyWithin(to, from, from + N);
    b.terminated.copyWithin(to, from, from + N);
    b.truncated.copyWithin(to, from, from + N);
    b.finalObservations.copyWithin(to * D, from * D, (from + N) * D);
    b.masks?.copyWithin(to * M, from * M, (from + N) * M);
  }
}
