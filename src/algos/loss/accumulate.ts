/**
 * Loss terms that compose, and the one chunked loop that carries their gradient into the policy.
 *
 * A term maps the head outputs of a chunk of rows (the distribution inputs, log π of the rows' actions, the
 * entropies, V) to its contribution to the loss L and adds ∂L/∂(head outputs) into the chunk's head gradients;
 * the network's backward pass is done once per chunk by the loop, not by the term. So a new on-policy algorithm
 * is a list of terms (plus, at most, one new term), and every term is tested on its own by finite differences of
 * its value with respect to the head outputs (test/loss-terms.test.ts).
 *
 * Every term divides its sums by the same `total` (the rows of the whole loss: the minibatch, or REINFORCE's
 * batches together), so the gradient does not depend on the chunk size; the values are running sums over the
 * rows in order, so they do not depend on it at all. Metrics are means over the rows of the call.
 */
import type { Floats } from '../../nn/kernels.js';
import type { ActorCriticPolicy } from '../../policies/actor-critic.js';
import type { CriticThread } from '../../policies/critic-thread.js';
import type { Distribution } from '../../policies/distributions.js';
import { PolicygradError } from '../../errors.js';

const NO_FIELDS: readonly (keyof LossRows)[] = [];

/**
 * What the loop needs of a policy: an `ActorCriticPolicy`, or a recurrent policy's view of a minibatch of whole
 * sequences (`RecurrentActorCriticPolicy.sequenceView`, whose rows must all be in one chunk).
 */
export type LossPolicy = Pick<
  ActorCriticPolicy,
  'dist' | 'obsDim' | 'distInputs' | 'values' | 'backwardActor' | 'backwardCritic'
> & {
  /** Where the critic's half of each chunk runs when the loss needs both networks (separate networks only). */
  readonly criticThread?: CriticThread | null;
};

/** Rows per forward/backward pass: bounds the workspaces whatever the batch (a rollout of 10⁵ steps included). */
export const CHUNK = 1024;

/** The rows a loss is computed on (row-major; a minibatch, or a rollout's arrays without copying). */
export interface LossRows {
  size: number;
  observations: Float32Array;
  actions: Float32Array;
  /** Action masks [size × logits] (1 allowed, 0 masked): the loss is of the same masked distribution. */
  masks?: Uint8Array | null;
  /** Â, or REINFORCE's Ψ: already normalised when the rule normalises (per minibatch, before the loop). */
  advantages?: Floats | null;
  /** Per-row multipliers of the surrogate, held constant (REINFORCE's importance weights of reused batches). */
  weights?: Floats | null;
  /** log π_old(a|s) of the policy that collected the rows. */
  oldLogProbs?: Floats | null;
  /** π_old's distribution inputs [size × dist.inputSize] (the KL terms, behavioural cloning). */
  oldDistInputs?: Float32Array | null;
  /** V_old(s) (value clipping). */
  oldValues?: Floats | null;
  /** The value targets R. */
  returns?: Floats | null;
}

/** What a term reads: the loop computes only what some term of the list needs. */
export interface TermNeeds {
  /** The actor's distribution inputs (implied by logProbs and entropies). */
  distInputs?: boolean;
  /** log π(a|s) of the rows' actions. */
  logProbs?: boolean;
  /** H(π(·|s)). */
  entropies?: boolean;
  /** V(s): the critic is forwarded, and its gradient carried back. */
  values?: boolean;
  /** The row fields the term reads (checked once per call: one line naming the term and the field). */
  rows?: readonly (keyof LossRows)[];
}

/** The head outputs of one chunk, computed once and shared by all terms. Arrays are valid for [0, size). */
export interface HeadOutputs {
  /** Index of the chunk's first row in the rows. */
  start: number;
  /** Rows in this chunk. */
  size: number;
  dist: Distribution;
  /** The chunk's actions [size × dist.actionSize]. */
  actions: Float32Array;
  /** [size × dist.inputSize], or null when no term needs the actor. */
  distInputs: Float32Array | null;
  logProbs: Float64Array;
  entropies: Float64Array;
  /** V(s) [size], or null when no term needs the critic. */
  values: Float32Array | null;
}

/** ∂L/∂(head outputs) of the chunk; terms add into them (the loop zeroes them per chunk). */
export interface HeadGradients {
  distInputs: Float32Array;
  values: Float32Array;
}

/** The composed loss of one call and its metrics (means over the call's rows; keys named by the terms). */
export interface LossReport {
  /** L = Σ of the terms' contributions (what the gradient is of). */
  loss: number;
  readonly metrics: Record<string, number>;
}

export interface LossTerm {
  /** What the term is, for messages ('surrogate', 'valueLoss' …). */
  readonly name: string;
  readonly needs: TermNeeds;
  /** Clears the term's running sums (start of a call). */
  begin(): void;
  /** Adds the chunk's rows to the running sums and, when `grads` is given, ∂(term)/∂(outputs) scaled by 1/total. */
  accumulate(out: HeadOutputs, rows: LossRows, grads: HeadGradients | null, total: number): void;
  /** Adds the term's contribution to `report.loss` and its metrics (means over `rows` rows). */
  finish(rows: number, total: number, report: LossReport): void;
}

/** Adds `value` to a metric, or sets it when no term reported it yet. */
export function addMetric(report: LossReport, key: string, value: number): void {
  report.metrics[key] = key in report.metrics ? report.metrics[key] + value : value;
}

/** Rows [start, start + size) of action masks [n × width] (undefined when there are none). */
export function maskRows(
  masks: Uint8Array | null | undefined,
  width: number,
  start: number,
  size: number,
): Uint8Array | undefined {
  return masks ? masks.subarray(start * width, (start + size) * width) : undefined;
}

/** The rows [start, start + size) of a row-major array with `width` entries per row (itself when it is all of them). */
export function chunkRows<T extends Floats>(array: T, width: number, start: number, size: number): T {
  return start === 0 && array.length === size * width
    ? array
    : (array.subarray(start * width, (start + size) * width) as T);
}

/** Workspaces of the loop, grown to the largest chunk once and reused by every call. */
export class LossScratch {
  /** Rows per chunk (CHUNK unless a test asks for another). */
  readonly chunk: number;
  readonly report: LossReport = { loss: 0, metrics: {} };
  private logProbs = new Float64Array(0);
  private entropies = new Float64Array(0);
  private readonly grads: HeadGradients = { distInputs: new Float32Array(0), values: new Float32Array(0) };
  private readonly out: HeadOutputs;

  constructor({ chunk = CHUNK }: { chunk?: number } = {}) {
    if (!Number.isInteger(chunk) || chunk < 1)
      throw new PolicygradError(`chunk ${chunk}: expected a positive integer`);
    this.chunk = chunk;
    this.out = {
      start: 0,
      size: 0,
      dist: null as unknown as Distribution,
      actions: new Float32Array(0),
      distInputs: null,
      logProbs: this.logProbs,
      entropies: this.entropies,
      values: null,
    };
  }

  /** The gradients and outputs for chunks of up to `rows` rows of a distribution with `inputSize` inputs. */
  prepare(rows: number, dist: Distribution): { out: HeadOutputs; grads: HeadGradients } {
    if (this.logProbs.length < rows) {
      this.logProbs = new Float64Array(rows);
      this.entropies = new Float64Array(rows);
      this.grads.values = new Float32Array(rows);
    }
    if (this.grads.distInputs.length < rows * dist.inputSize) {
      this.grads.distInputs = new Float32Array(rows * dist.inputSize);
    }
    this.out.dist = dist;
    this.out.logProbs = this.logProbs;
    this.out.entropies = this.entropies;
    return { out: this.out, grads: this.grads };
  }
}

/** A run of the loop over `rows` with `terms`; `total` is the row count every term divides by (default: the rows). */
export type LossRun = (
  policy: LossPolicy,
  rows: LossRows,
  terms: readonly LossTerm[],
  scratch: LossScratch,
  total?: number,
) => LossReport;

/**
 * Adds ∂L/∂θ of the composed loss L = Σ terms over `rows` into `policy.grads` (zero them first) and returns L with
 * the terms' metrics.
 *
 * Per chunk of `scratch.chunk` rows: forward the actor (and the critic when a term needs V), zero the head
 * gradients, let each term accumulate (in list order: the order of the float additions), `backwardActor`,
 * `backwardCritic`. With a `criticThread` and both networks needed, the critic's forward and backward passes run
 * there, each beside the actor's (policies/critic-thread.ts): the same numbers. The report is a workspace of
 * `scratch`, valid until its next call.
 */
export const accumulateLoss: LossRun = (policy, rows, terms, scratch, total = rows.size) =>
  runLoss(policy, rows, terms, scratch, total, true);

/** The loss and metrics of `accumulateLoss` without gradients (TRPO's line search, PPO's KL over the rollout). */
export const evaluateLoss: LossRun = (policy, rows, terms, scratch, total = rows.size) =>
  runLoss(policy, rows, terms, scratch, total, false);

function runLoss(
  policy: LossPolicy,
  rows: LossRows,
  terms: readonly LossTerm[],
  scratch: LossScratch,
  total: number,
  withGradients: boolean,
): LossReport {
  const { dist, obsDim } = policy;
  let actor = false;
  let logProbs = false;
  let entropies = false;
  let critic = false;
  for (const term of terms) {
    const needs = term.needs;
    logProbs ||= needs.logProbs === true;
    entropies ||= needs.entropies === true;
    actor ||= needs.distInputs === true || needs.logProbs === true || needs.entropies === true;
    critic ||= needs.values === true;
    for (const field of needs.rows ?? NO_FIELDS) {
      if (rows[field] === undefined || rows[field] === null) {
        throw new PolicygradError(`the ${term.name} loss term needs rows.${field}, which was not given`);
      }
    }
    term.begin();
  }
  const report = scratch.report;
  report.loss = 0;
  for (const key in report.metrics) delete report.metrics[key];

  const n = rows.size;
  const { out, grads } = scratch.prepare(Math.min(scratch.chunk, n), dist);
  const thread = actor && critic ? (policy.criticThread ?? null) : null;
  for (let start = 0; start < n; start += scratch.chunk) {
    const size = Math.min(scratch.chunk, n - start);
    const observations = chunkRows(rows.observations, obsDim, start, size);
    out.start = start;
    out.size = size;
    out.actions = chunkRows(rows.actions, dist.actionSize, start, size);
    out.distInputs = null;
    out.values = null;
    const split = thread !== null && size <= thread.maxRows;
    if (split) thread.beginValues(observations, size);
    if (actor) {
      const inputs = policy.distInputs(observations, size, maskRows(rows.masks, dist.inputSize, start, size));
      out.distInputs = inputs;
      if (logProbs) dist.logProb(inputs, out.actions, size, out.logProbs);
      if (entropies) dist.entropy(inputs, size, out.entropies);
    }
    // The critic runs here when there is no thread, or when the thread had not started the chunk (taken back).
    const values = split ? thread.values() : null;
    const remote = values !== null ? thread : null; // the thread that holds the chunk's critic activations
    if (critic) out.values = values ?? policy.values(observations, size);
    if (withGradients) {
      grads.distInputs.fill(0, 0, size * dist.inputSize);
      grads.values.fill(0, 0, size);
    }
    for (const term of terms) term.accumulate(out, rows, withGradients ? grads : null, total);
    if (withGradients) {
      // With a shared trunk both backward passes use the trunk's activations of the last forward: the same rows.
      remote?.beginBackward(grads.values, size);
      if (actor) policy.backwardActor(grads.distInputs, size);
      if (remote !== null && !remote.endBackward()) {
        policy.values(observations, size); // the thread never started: its forward pass, here (same numbers)
        policy.backwardCritic(grads.values, size);
      } else if (remote === null && critic) policy.backwardCritic(grads.values, size);
    }
  }
  for (const term of terms) term.finish(n, total, report);
  return report;
}
