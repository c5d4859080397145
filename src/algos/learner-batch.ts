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
 * Browser-safe; the arrays are allocated once (the staging area for the most env columns a batch can have, and one
 * batch per width seen) and reused.
 */
import { PolicygradError } from '../errors.js';
import { RolloutBuffer } from '../rollouts/rollout.js';
import type { ActorChunk } from './actor-chunk.js';

/**
 * One learner batch, [T, N] time-major (index t·N + i): a `RolloutBuffer` (so the trainer's `trainOn` takes it)
 * whose `logProbs` are the behaviour policies' log μ(a|s) as the actors sent them, with what a learner needs
 * besides: each step's final observation where it was truncated, each env column's observation after the last
 * step, and the chunks' versions, episodes and lag. (`values`, `finalValues` and `lastValues` are not used: the
 * learner values the observations with its own, newer critic.)
 */
export class LearnerBatch extends RolloutBuffer {
  /** [n × obsDim]: the final observation where a step was truncated and not terminated (zeros elsewhere). */
  declare finalObservations: Float32Array;
  /** [N × obsDim]: each env column's observation after the last step. */
  readonly lastObservations: Float32Array;
  /** The policy version each env column was collected with. */
  readonly policyVersions: Int32Array;
  /** Episodes that ended in the batch (their returns in the env's units) and their lengths. */
  episodeReturns: number[] = [];
  episodeLengths: number[] = [];
  /** Policy lag of the chunks in the batch: mean and maximum (versions), and how many chunks. */
  lagMean = 0;
  lagMax = 0;
  chunks = 0;

  constructor(steps: number, numEnvs: number, obsDim: number, actionDim: number, maskSize = 0) {
    super(steps, numEnvs, obsDim, actionDim);
    this.finalObservations = new Float32Array(this.size * obsDim);
    this.lastObservations = new Float32Array(numEnvs * obsDim);
    this.policyVersions = new Int32Array(numEnvs);
    if (maskSize > 0) this.masks = new Uint8Array(this.size * maskSize);
  }
}

/** The batch being filled: columns for up to `capacity` envs, laid out with stride `capacity` until taken. */
class StagingBatch {
  numEnvs = 0;
  readonly observations: Float32Array;
  readonly actions: Float32Array;
  readonly logProbs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObservations: Float32Array;
  readonly lastObservations: Float32Array;
  readonly masks: Uint8Array | null;
  readonly policyVersions: Int32Array;
  episodeReturns: number[] = [];
  episodeLengths: number[] = [];
  lagSum = 0;
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
    this.logProbs = new Float32Array(n);
    this.rewards = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.finalObservations = new Float32Array(n * obsDim);
    this.lastObservations = new Float32Array(capacity * obsDim);
    this.masks = maskSize > 0 ? new Uint8Array(n * maskSize) : null;
    this.policyVersions = new Int32Array(capacity);
  }

  get size(): number {
    return this.steps * this.numEnvs;
  }
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
  private readonly batch: StagingBatch;
  /** The batches handed out, one per width seen (reused: a batch is valid until the next `take`). */
  private readonly batches = new Map<number, LearnerBatch>();
  /** Chunks dropped for lagging more than `maxPolicyLag` versions, in total. */
  staleChunks = 0;
  /** Chunks whose length differs from the run's `chunkLength`, in total. */
  wrongLengthChunks = 0;

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
    this.batch = new StagingBatch(chunkLength, columns, options.obsDim, options.actionDim, options.maskSize);
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
        b.logProbs[dst] = chunk.logProbs[src];
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
    b.lagSum += lag;
    b.lagMax = Math.max(b.lagMax, lag);
    return 'added';
  }

  /**
   * The assembled batch, [T, N] with N the env columns of its chunks (valid until the next `take`); the next
   * `accept` starts a new one.
   */
  take(): LearnerBatch {
    const staged = this.batch;
    compact(staged);
    const { steps: T, numEnvs: N, obsDim: D, actionDim: A, maskSize: M } = staged;
    let out = this.batches.get(N);
    if (out === undefined) {
      out = new LearnerBatch(T, N, D, A, M);
      this.batches.set(N, out);
    }
    const n = T * N;
    out.observations.set(staged.observations.subarray(0, n * D));
    out.actions.set(staged.actions.subarray(0, n * A));
    out.logProbs.set(staged.logProbs.subarray(0, n));
    out.rewards.set(staged.rewards.subarray(0, n));
    out.terminated.set(staged.terminated.subarray(0, n));
    out.truncated.set(staged.truncated.subarray(0, n));
    out.finalObservations.set(staged.finalObservations.subarray(0, n * D));
    out.lastObservations.set(staged.lastObservations.subarray(0, N * D));
    if (out.masks !== null && staged.masks !== null) out.masks.set(staged.masks.subarray(0, n * M));
    out.policyVersions.set(staged.policyVersions.subarray(0, N));
    out.episodeReturns = staged.episodeReturns;
    out.episodeLengths = staged.episodeLengths;
    out.chunks = staged.chunks;
    out.lagMax = staged.lagMax;
    out.lagMean = staged.chunks === 0 ? 0 : staged.lagSum / staged.chunks;
    staged.numEnvs = 0;
    staged.chunks = 0;
    staged.lagSum = 0;
    staged.lagMax = 0;
    staged.episodeReturns = [];
    staged.episodeLengths = [];
    return out;
  }
}

/** Moves rows from stride `capacity` to stride `numEnvs` in place (row t moves to an index ≤ its own). */
function compact(b: StagingBatch): void {
  const { steps: T, capacity: C, numEnvs: N, obsDim: D, actionDim: A, maskSize: M } = b;
  if (N === C) return;
  for (let t = 1; t < T; t++) {
    const from = t * C;
    const to = t * N;
    b.observations.copyWithin(to * D, from * D, (from + N) * D);
    b.actions.copyWithin(to * A, from * A, (from + N) * A);
    b.logProbs.copyWithin(to, from, from + N);
    b.rewards.copyWithin(to, from, from + N);
    b.terminated.copyWithin(to, from, from + N);
    b.truncated.copyWithin(to, from, from + N);
    b.finalObservations.copyWithin(to * D, from * D, (from + N) * D);
    b.masks?.copyWithin(to * M, from * M, (from + N) * M);
  }
}
