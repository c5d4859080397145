/**
 * PPO's minibatch step as one WebAssembly call (`ppoMinibatch` in assembly/kernels.ts): forward of the actor and
 * the critic, the loss heads (log π, H, the surrogate with its KL estimate and clip count, the value loss) and
 * their gradients, backward through both networks, global-norm clipping and Adam — instead of a call per layer
 * and per step with the heads in JavaScript.
 *
 * The JavaScript path (`accumulateLoss` with `ppoLoss`'s terms, `clipGradNorm`, `Adam.step`) stays the reference
 * and the path of everything this does not cover. The kernel computes the heads in float64 with the same formulas
 * in the same order, rounds to float32 where JavaScript stores into a Float32Array, and calls the host's Math.exp
 * and Math.log, so the two give the same bits (test/fused-ppo.test.ts compares them on the same minibatches).
 *
 * Covered: an `ActorCriticPolicy` with separate networks on the wasm kernels, a Discrete or MultiDiscrete
 * (Categorical) or a Box (diagonal Gaussian with a free log σ) action space, the 'clip' and 'none' objectives, either
 * value loss with or without clip_range_vf, a minibatch of at most `CHUNK` rows (the loop's chunking would order
 * the gradient's additions differently), with or without action masks. With a critic thread (two update threads)
 * the kernel runs as its two halves: the critic's (`ppoCriticHalf`) on the critic thread while this thread runs the
 * actor's (`ppoActorHalf`), then after the join the norm (`ppoNorm`) here and the clip and Adam in two ranges
 * (`ppoStepRange`: the actor's parameters here, the critic's on the critic thread); the halves write disjoint
 * slices of the gradient and the step is elementwise after one norm in index order, so the bits are the one-thread
 * ones. A critic thread without the fused half takes the JS path.
 */
import { ActorCriticPolicy } from '../policies/actor-critic.js';
import { Categorical, DiagGaussian } from '../policies/distributions.js';
import { NetworkTables } from '../nn/network-tables.js';
import type { Adam } from '../nn/optim.js';
import { WasmKernels } from '../nn/wasm-kernels.js';
import { CHUNK } from './loss/accumulate.js';
import type { Minibatch } from './on-policy.js';

/** The context's float64 slots; keep in step with the S_* constants of assembly/kernels.ts. */
const SLOT = {
  // 0–4: the networks' tables (NetworkTables.refresh)
  batch: 5,
  obsDim: 6,
  observations: 7,
  actions: 8,
  advantages: 9,
  oldLogProbs: 10,
  returns: 11,
  oldValues: 12,
  gaussian: 13,
  components: 14,
  componentSizes: 15,
  inputSize: 16,
  distInputs: 17,
  distGrads: 18,
  logStd: 19,
  logStdGrads: 20,
  headScratch: 21,
  clipped: 22,
  clipRange: 23,
  entCoef: 24,
  vfCoef: 25,
  cleanrlValue: 26,
  clipRangeVf: 27,
  maxGradNorm: 28,
  klLimit: 29,
  params: 30,
  grads: 31,
  numParams: 32,
  adamM: 33,
  adamV: 34,
  stepSize: 35,
  sqrtCorrection2: 36,
  beta1: 37,
  beta2: 38,
  adamEpsilon: 39,
  outPolicy: 40,
  outApproxKl: 41,
  outClipped: 42,
  outEntropy: 43,
  outValue: 44,
  outNorm: 45,
  masks: 46,
  criticOffset: 47,
  criticScratch: 48,
} as const;
const SLOTS = 50;

/** The fields of PPO's config the fused step reads. */
export interface FusedPPOConfig {
  objective: 'clip' | 'kl-penalty' | 'clip+kl' | 'none';
  entCoef: number;
  vfCoef: number;
  valueLoss: 'sb3' | 'cleanrl';
  clipRangeVf: number | null;
  maxGradNorm: number | null;
  targetKl: number | null;
}

/** A minibatch's metrics, as the JS loss reports them (means over its rows). */
export interface FusedMetrics {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
}

export class FusedPPOStep {
  /** The minibatch `gatherMinibatch` fills, in wasm memory (the kernel reads it in place). */
  readonly minibatch: Minibatch;
  /** Room for the minibatch's normalised advantages, in wasm memory. */
  readonly normalized: Float64Array;
  private readonly context: Float64Array;
  private readonly metrics: FusedMetrics = {
    policyLoss: 0,
    valueLoss: 0,
    entropy: 0,
    approxKl: 0,
    clipFraction: 0,
  };
  /** Room for a minibatch's action masks in wasm memory (Categorical policies), else null. */
  private readonly masks: Uint8Array | null = null;
  private readonly tables: NetworkTables;

  constructor(
    private readonly kernels: WasmKernels,
    private readonly policy: ActorCriticPolicy,
    private readonly optimizer: Adam,
    private readonly batchSize: number,
    c: FusedPPOConfig,
  ) {
    const { dist, obsDim } = policy;
    const { actor, critic, params, grads, criticOffset } = policy;
    this.tables = new NetworkTables({ kernels, actor, critic, params, grads, criticOffset }, 'FusedPPOStep');
    const f32 = (n: number) => kernels.allocate(n);
    const f64 = (n: number) => kernels.allocateFloat64(n);
    this.minibatch = {
      size: 0,
      observations: f32(batchSize * obsDim),
      actions: f32(batchSize * dist.actionSize),
      oldLogProbs: f64(batchSize),
      oldValues: f64(batchSize),
      advantages: f64(batchSize),
      returns: f64(batchSize),
      oldDistInputs: null,
    };
    this.normalized = f64(batchSize);
    const context = f64(SLOTS);
    this.context = context;
    const at = (array: ArrayBufferView) => array.byteOffset;
    const mb = this.minibatch;
    context[SLOT.obsDim] = obsDim;
    context[SLOT.observations] = at(mb.observations);
    context[SLOT.actions] = at(mb.actions);
    context[SLOT.oldLogProbs] = at(mb.oldLogProbs);
    context[SLOT.returns] = at(mb.returns);
    context[SLOT.oldValues] = at(mb.oldValues);
    context[SLOT.inputSize] = dist.inputSize;
    context[SLOT.headScratch] = at(f64(2 * dist.inputSize));
    if (dist instanceof Categorical) {
      const room = f32(dist.sizes.length);
      const componentSizes = new Int32Array(room.buffer, room.byteOffset, dist.sizes.length);
      componentSizes.set(dist.sizes);
      context[SLOT.gaussian] = 0;
      context[SLOT.components] = dist.sizes.length;
      context[SLOT.componentSizes] = at(componentSizes);
      const maskRoom = f32(Math.ceil((batchSize * dist.inputSize) / 4));
      this.masks = new Uint8Array(maskRoom.buffer, maskRoom.byteOffset, batchSize * dist.inputSize);
      context[SLOT.distInputs] = at(f32(batchSize * dist.inputSize)); // the masked logits
    } else {
      const D = dist.actionSize;
      const logStdOffset = policy.actor.numParams; // [actor | log σ | critic] without a trunk
      context[SLOT.gaussian] = 1;
      context[SLOT.components] = D;
      context[SLOT.distInputs] = at(f32(batchSize * 2 * D));
      context[SLOT.distGrads] = at(f32(batchSize * 2 * D));
      context[SLOT.logStd] = at(policy.params) + 4 * logStdOffset;
      context[SLOT.logStdGrads] = at(policy.grads) + 4 * logStdOffset;
    }
    context[SLOT.clipped] = c.objective === 'clip' ? 1 : 0;
    context[SLOT.entCoef] = c.entCoef;
    context[SLOT.vfCoef] = c.vfCoef;
    context[SLOT.cleanrlValue] = c.valueLoss === 'cleanrl' ? 1 : 0;
    context[SLOT.clipRangeVf] = c.clipRangeVf ?? Number.NaN;
    context[SLOT.maxGradNorm] = c.maxGradNorm ?? Number.NaN;
    context[SLOT.klLimit] = c.targetKl === null ? Number.POSITIVE_INFINITY : 1.5 * c.targetKl;
    // The critic's half has its own scratch, so that it may run on another thread beside the actor's.
    context[SLOT.criticOffset] = criticOffset;
    context[SLOT.criticScratch] = at(f32(Math.max(...critic.sizes) ** 2));
    context[SLOT.params] = at(policy.params);
    context[SLOT.grads] = at(policy.grads);
    context[SLOT.numParams] = policy.numParams;
    const { m, v } = optimizer.moments;
    context[SLOT.adamM] = at(m);
    context[SLOT.adamV] = at(v);
    context[SLOT.beta1] = optimizer.beta1;
    context[SLOT.beta2] = optimizer.beta2;
    context[SLOT.adamEpsilon] = optimizer.epsilon;
  }

  /**
   * Whether this update's minibatches can take the fused step: masks only for Categorical; a critic thread only if
   * it runs the critic's fused half.
   */
  usable(rollout: { masks: Uint8Array | null }): boolean {
    const thread = this.policy.criticThread;
    if (thread !== null && (thread.beginFusedCritic === undefined || thread.maxRows < this.batchSize)) {
      return false;
    }
    return rollout.masks === null || this.masks !== null;
  }

  /**
   * One minibatch step on `this.minibatch` (its first `size` rows) with `advantages` (the minibatch's, or their
   * normalised copy in `normalized`), the surrogate's ε and the rows' action masks: the gradient step taken and
   * the minibatch's metrics returned (a workspace), or null when the target-KL stop kept the step out.
   */
  step(
    advantages: Float64Array,
    size: number,
    clipRange: number,
    masks: Uint8Array | null = null,
  ): FusedMetrics | null {
    const { context, optimizer } = this;
    if (!this.kernels.holds(advantages)) {
      throw new Error('FusedPPOStep: the advantages must live in wasm memory (minibatch or normalized)');
    }
    this.tables.refresh(this.batchSize, context);
    context[SLOT.masks] = 0;
    if (masks !== null) {
      if (this.masks === null) throw new Error('FusedPPOStep: action masks need a Categorical policy');
      const n = size * this.policy.dist.inputSize;
      this.masks.set(n === masks.length ? masks : masks.subarray(0, n));
      context[SLOT.masks] = this.masks.byteOffset;
    }
    context[SLOT.batch] = size;
    context[SLOT.advantages] = advantages.byteOffset;
    context[SLOT.clipRange] = clipRange;
    optimizer.nextStepSizes(context, SLOT.stepSize); // stepSize and √(1 − β2ᵗ), in consecutive slots
    const result = this.minibatchStep();
    if (result < 0 && masks !== null) {
      // A row allows no action: the JS head's one-line error, from the same check.
      (this.policy.dist as Categorical).maskLogits(new Float32Array(masks.length), masks, size);
    }
    if (result < 0) throw new Error('FusedPPOStep: an action mask allows no action');
    const stepped = result === 1;
    const m = this.metrics;
    m.approxKl = context[SLOT.outApproxKl] / size;
    if (!stepped) return null;
    optimizer.countStep();
    m.policyLoss = -context[SLOT.outPolicy] / size;
    m.valueLoss = context[SLOT.outValue] / size;
    m.entropy = context[SLOT.outEntropy] / size;
    m.clipFraction = context[SLOT.outClipped] / size;
    return m;
  }

  /**
   * The kernel on one thread, or its halves on two: the critic's offered to the critic thread while this one runs
   * the actor's, then (after the join, or taking the critic's back if the thread had not started it) the step.
   * The halves write disjoint slices of the gradient and the step reads them in index order: the same bits.
   */
  private minibatchStep(): number {
    const { kernels, context } = this;
    const thread = this.policy.criticThread;
    if (thread?.beginFusedCritic === undefined || thread.endFusedCritic === undefined) {
      return kernels.ppoMinibatch(context);
    }
    const at = context.byteOffset;
    thread.beginFusedCritic(at);
    const actor = kernels.ppoActorHalf(at);
    if (!thread.endFusedCritic()) kernels.ppoCriticHalf(at);
    if (actor < 0) return actor;
    if (thread.beginFusedStep === undefined || thread.endFusedStep === undefined) return kernels.ppoApply(at);
    // The step in two ranges: the critic's on the critic thread, where its gradient, moments and parameters are in
    // cache (on this thread they cost cross-core transfers: Adam ran 2.4× slower here than on one thread).
    if (kernels.ppoNorm(at) === 0) return 0;
    const { criticOffset } = this.policy;
    thread.beginFusedStep(at);
    kernels.ppoStepRange(at, 0, criticOffset);
    if (!thread.endFusedStep()) kernels.ppoStepRange(at, criticOffset, this.policy.params.length);
    return 1;
  }
}

/**
 * The fused step for this policy, optimizer and config, or null when the update must take the JavaScript path
 * (see the module comment for what is covered).
 */
export function createFusedPPOStep(
  policy: unknown,
  optimizer: Adam,
  batchSize: number,
  c: FusedPPOConfig,
): FusedPPOStep | null {
  if (!(policy instanceof ActorCriticPolicy) || policy.trunk !== null || policy.sde !== null) return null;
  if (policy.spec.stateDependentStd || batchSize > CHUNK) return null;
  if (c.objective !== 'clip' && c.objective !== 'none') return null;
  const { dist } = policy;
  if (!(dist instanceof Categorical) && !(dist instanceof DiagGaussian)) return null;
  const kernels = policy.actor.kernels;
  if (!(kernels instanceof WasmKernels) || policy.critic.kernels !== kernels) return null;
  const { m, v } = optimizer.moments;
  if (
    !kernels.holds(policy.params) ||
    !kernels.holds(policy.grads) ||
    !kernels.holds(m) ||
    !kernels.holds(v)
  ) {
    return null;
  }
  return new FusedPPOStep(kernels, policy, optimizer, batchSize, c);
}
