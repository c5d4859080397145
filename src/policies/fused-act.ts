/**
 * The rollout's batched act as one WebAssembly call (`actBatch` in assembly/kernels.ts): forward of the actor and
 * the critic, the head's sample (or mode), its log-probability and the value — instead of a call per network and
 * the head in JavaScript.
 *
 * `ActorCriticPolicy.act`'s JavaScript path stays the reference and the path of everything this does not cover.
 * The draws are taken here, from the caller's Rng, in the order the JavaScript head consumes them (one uniform per
 * row and component for a Categorical, one normal per row and dimension for a Gaussian; none for the mode), and
 * passed to the kernel, which computes the head in float64 with the same formulas in the same order and the host's
 * Math.exp and Math.log: both paths give the same actions, log-probabilities, values and generator state
 * (test/fused-act.test.ts).
 *
 * Covered: separate actor and critic networks on the same wasm kernels with the parameters in their memory, a
 * Discrete or MultiDiscrete (Categorical, with or without a Uint8Array action mask) or a Box action space (diagonal
 * Gaussian with a free log σ). Not covered (the JavaScript path): a shared trunk, gSDE, a state-dependent or
 * squashed σ, other kernels.
 */
import type { MLP } from '../nn/mlp.js';
import { NetworkTables, type TableNetworks } from '../nn/network-tables.js';
import { WasmKernels } from '../nn/wasm-kernels.js';
import type { Rng } from '../rng.js';
import { Categorical, DiagGaussian, type Distribution } from './distributions.js';

/** The context's float64 slots; keep in step with the A_* constants of assembly/kernels.ts. */
const SLOT = {
  // 0–4: the networks' tables (NetworkTables.refresh)
  batch: 5,
  obsDim: 6,
  gaussian: 7,
  components: 8,
  componentSizes: 9,
  inputSize: 10,
  maskedLogits: 11,
  logStd: 12,
  noise: 13,
  masks: 14,
  actions: 15,
  logProbs: 16,
  values: 17,
  headScratch: 18,
  deterministic: 19,
} as const;
const SLOTS = 20;

/** What act writes: the arrays of an `ActResult`. */
interface ActOutput {
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
}

/** The parts of an `ActorCriticPolicy` the fused act reads (separate networks, no trunk). */
export interface FusedActParts extends TableNetworks {
  /** Where the free log σ starts in `params` (Gaussian policies). */
  logStdOffset: number;
  dist: Categorical | DiagGaussian;
  obsDim: number;
}

/** Room for `capacity` rows in wasm memory, and this batch's views of it. */
interface Rows {
  capacity: number;
  noise: Float64Array;
  masks: Uint8Array;
  /** The float32 allocation `masks` views. */
  maskRoom: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  maskedLogits: Float32Array;
  /** The first `batch` rows' outputs (views made once per batch size). */
  batch: number;
  view: ActOutput;
}

export class FusedAct {
  private readonly context: Float64Array;
  /** Draws per row: the Categorical's components or the Gaussian's dimensions. */
  private readonly drawsPerRow: number;
  private readonly gaussian: boolean;
  private rows: Rows | null = null;
  private readonly tables: NetworkTables;

  constructor(private readonly parts: FusedActParts) {
    const { kernels, dist } = parts;
    this.tables = new NetworkTables(parts, 'FusedAct');
    this.gaussian = dist instanceof DiagGaussian;
    this.drawsPerRow = dist.actionSize;
    const context = kernels.allocateFloat64(SLOTS);
    this.context = context;
    context[SLOT.obsDim] = parts.obsDim;
    context[SLOT.gaussian] = this.gaussian ? 1 : 0;
    context[SLOT.components] = dist.actionSize;
    context[SLOT.inputSize] = dist.inputSize;
    if (dist instanceof Categorical) {
      const room = kernels.allocate(dist.sizes.length);
      const sizes = new Int32Array(room.buffer, room.byteOffset, dist.sizes.length);
      sizes.set(dist.sizes);
      context[SLOT.componentSizes] = sizes.byteOffset;
      context[SLOT.headScratch] = kernels.allocateFloat64(Math.max(...dist.sizes)).byteOffset;
    } else {
      context[SLOT.logStd] = parts.params.byteOffset + 4 * parts.logStdOffset;
    }
  }

  /**
   * `ActorCriticPolicy.act` in one call: writes `out`'s first `batch` actions, log-probabilities and values, the
   * draws taken from `rng` as the JavaScript path takes them. Returns false, having done nothing, when `mask`
   * is not one it takes (a Uint8Array of exactly batch × logits entries, for a Categorical policy).
   */
  act(
    observations: ArrayLike<number>,
    batch: number,
    rng: Rng,
    out: ActOutput,
    deterministic: boolean,
    mask: ArrayLike<number> | undefined,
  ): boolean {
    const { context, parts } = this;
    const maskSize = batch * parts.dist.inputSize;
    if (mask !== undefined && (this.gaussian || !(mask instanceof Uint8Array) || mask.length !== maskSize)) {
      return false;
    }
    const rows = this.ensureRows(batch);
    this.tables.refresh(batch, context);
    // The observations into the actor's input, as MLP.forward copies them (the kernel copies them on to the critic).
    const n = batch * parts.obsDim;
    const input = this.tables.actorInput;
    if (observations.length === n) input.set(observations);
    else for (let k = 0; k < n; k++) input[k] = observations[k];
    if (!deterministic) {
      const draws = batch * this.drawsPerRow;
      const noise = rows.noise;
      if (this.gaussian) for (let k = 0; k < draws; k++) noise[k] = rng.normal();
      else for (let k = 0; k < draws; k++) noise[k] = rng.uniform();
    }
    context[SLOT.masks] = 0;
    if (mask !== undefined) {
      rows.masks.set(mask);
      context[SLOT.masks] = rows.masks.byteOffset;
    }
    context[SLOT.batch] = batch;
    context[SLOT.deterministic] = deterministic ? 1 : 0;
    if (parts.kernels.actBatch(context) < 0 && mask !== undefined) {
      // A row allows no action: the JS head's one-line error, from the same check.
      (parts.dist as Categorical).maskLogits(new Float32Array(maskSize), mask, batch);
    }
    const view = this.batchView(rows, batch);
    out.actions.set(view.actions);
    out.logProbs.set(view.logProbs);
    out.values.set(view.values);
    return true;
  }

  /** The per-row arrays, grown (rarely: a larger batch) to `batch` rows. */
  private ensureRows(batch: number): Rows {
    if (this.rows !== null && batch <= this.rows.capacity) return this.rows;
    const { kernels, dist } = this.parts;
    if (this.rows !== null) {
      const old = this.rows;
      for (const array of [
        old.noise,
        old.maskRoom,
        old.actions,
        old.logProbs,
        old.values,
        old.maskedLogits,
      ]) {
        kernels.release(array);
      }
    }
    const maskRoom = kernels.allocate(Math.ceil((batch * dist.inputSize) / 4));
    const rows: Rows = {
      capacity: batch,
      noise: kernels.allocateFloat64(batch * dist.actionSize),
      masks: new Uint8Array(maskRoom.buffer, maskRoom.byteOffset, maskRoom.length * 4),
      maskRoom,
      actions: kernels.allocate(batch * dist.actionSize),
      logProbs: kernels.allocate(batch),
      values: kernels.allocate(batch),
      maskedLogits: kernels.allocate(batch * dist.inputSize),
      batch: 0,
      view: { actions: new Float32Array(0), logProbs: new Float32Array(0), values: new Float32Array(0) },
    };
    const { context } = this;
    context[SLOT.noise] = rows.noise.byteOffset;
    context[SLOT.actions] = rows.actions.byteOffset;
    context[SLOT.logProbs] = rows.logProbs.byteOffset;
    context[SLOT.values] = rows.values.byteOffset;
    context[SLOT.maskedLogits] = rows.maskedLogits.byteOffset;
    this.rows = rows;
    return rows;
  }

  private batchView(rows: Rows, batch: number): ActOutput {
    if (rows.batch !== batch) {
      rows.batch = batch;
      rows.view = {
        actions: rows.actions.subarray(0, batch * this.parts.dist.actionSize),
        logProbs: rows.logProbs.subarray(0, batch),
        values: rows.values.subarray(0, batch),
      };
    }
    return rows.view;
  }
}

/**
 * The fused act for a policy with these parts, or null when it must act on the JavaScript path (see the module
 * comment for what is covered).
 */
export function createFusedAct(
  policy: {
    trunk: MLP | null;
    sde: unknown;
    spec: { stateDependentStd: boolean };
    actor: MLP;
    critic: MLP;
    params: Float32Array;
    grads: Float32Array;
    criticOffset: number;
    dist: Distribution;
    obsDim: number;
  },
  logStdOffset: number,
): FusedAct | null {
  const { actor, critic, params, grads, dist } = policy;
  if (policy.trunk !== null || policy.sde !== null || policy.spec.stateDependentStd) return null;
  if (!(dist instanceof Categorical) && !(dist instanceof DiagGaussian)) return null;
  const kernels = actor.kernels;
  if (!(kernels instanceof WasmKernels) || critic.kernels !== kernels) return null;
  if (!kernels.holds(params) || !kernels.holds(grads)) return null;
  const { criticOffset, obsDim } = policy;
  return new FusedAct({ kernels, actor, critic, params, grads, criticOffset, logStdOffset, dist, obsDim });
}
