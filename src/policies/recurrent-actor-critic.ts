/**
 * A recurrent actor-critic policy, as sb3-contrib's `RecurrentActorCriticPolicy` (MlpLstmPolicy):
 *
 *   observation → [encoder MLP] → LSTM/GRU → actor MLP (netArch.pi) → distribution inputs
 *                                 └ critic: its own LSTM/GRU (`enableCriticLstm`, the default), the actor's
 *                                   (`sharedLstm`), or a linear layer (neither) → critic MLP (netArch.vf) → V
 *
 * All parameters live in one flat array: [encoder | actor cell | actor MLP | log σ | critic cell or linear |
 * critic MLP]. With `sharedLstm` the value loss does not flow into the shared cell (sb3-contrib detaches it), so
 * the cell learns from the policy loss alone. Initialisation as sb3-contrib: the MLPs as SB3 (orthogonal, or
 * PyTorch's default without `orthogonalInit`), the cells at PyTorch's default (SB3's `init_weights` leaves nn.LSTM
 * alone; `recurrentInit: 'orthogonal'` for CleanRL's), the critic's linear layer at PyTorch's default.
 *
 * Memory: a `RecurrentState` holds each env's hidden (and cell) state, per network. `act` advances it one step;
 * an episode start resets an env's state to zero before its step (the mask h ← (1 − start)·h, as sb3-contrib's
 * `_process_sequence`). Training replays stored sequences: `sequenceView(layout)` gives the loss code the
 * policy's outputs for the rows of whole sequences, and backpropagates through time over them.
 *
 * Actions: Discrete/MultiDiscrete (Categorical) and Box: a diagonal Gaussian with a free log σ, or gSDE (gsde.ts)
 * whose features are the actor MLP's last hidden layer (sb3-contrib's latent_pi; the cell's output without one).
 * A state-dependent σ and squashing are not offered (sb3-contrib's recurrent policy has neither).
 */
import type { Box, Space } from '../envs/spaces.js';
import { describeValue, PolicygradError } from '../errors.js';
import type { HiddenActivation } from '../nn/activations.js';
import { defaultKernels } from '../nn/backend.js';
import { hiddenAndHeadGains, initMLP } from '../nn/init.js';
import { type DenseKernels, type Floats, tsKernels } from '../nn/kernels.js';
import { MLP } from '../nn/mlp.js';
import { initRecurrent, RecurrentLayer } from '../nn/recurrent.js';
import type { RecurrentCell } from '../nn/recurrent-kernels.js';
import type { Rng } from '../rng.js';
import {
  type ActResult,
  checkPredictInput,
  distributionFor,
  initLikePyTorch,
  type NetArch,
  resolveActivation,
  resolveNetArch,
} from './actor-critic.js';
import { Categorical, type Distribution } from './distributions.js';
import { StateDependentNoise } from './gsde.js';

export interface RecurrentActorCriticOptions {
  observationSpace: Box;
  actionSpace: Space;
  /** 'lstm' (default) or 'gru'. */
  cell?: RecurrentCell;
  /** Width of the recurrent state (sb3-contrib's `lstm_hidden_size`). Default 256. */
  hiddenSize?: number;
  /** Hidden widths of an MLP between the observation and the cell (shared by actor and critic). Default []. */
  encoder?: readonly number[];
  /** Hidden widths of the MLPs after the cell (SB3's net_arch). Default [64, 64]. */
  netArch?: NetArch;
  /** Activation of the MLPs' hidden layers. Default tanh. */
  activation?: HiddenActivation;
  /** The critic has its own cell (sb3-contrib's `enable_critic_lstm`). Default true, unless `sharedLstm`. */
  enableCriticLstm?: boolean;
  /** The critic reads the actor's cell, without training it (sb3-contrib's `shared_lstm`). Default false. */
  sharedLstm?: boolean;
  /** SB3's orthogonal initialisation of the MLPs (`ortho_init`). Default true. */
  orthogonalInit?: boolean;
  /** The cells' initialisation: 'pytorch' (default, as sb3-contrib) or 'orthogonal' (CleanRL). */
  recurrentInit?: 'pytorch' | 'orthogonal';
  /** Initial log σ of a Gaussian policy. Default 0. */
  logStdInit?: number;
  /** gSDE (SB3's `use_sde`) for Box actions, from the actor MLP's last hidden layer. Default false. */
  useSde?: boolean;
  /** gSDE: one log σ per (feature, action) pair (default true) or per feature (SB3's `full_std`). */
  fullStd?: boolean;
  /** gSDE: expln instead of exp for σ (SB3's `use_expln`). Default false. */
  useExpln?: boolean;
  /** Precision of parameters and workspaces; float64 is for gradient checks. Default 'float32'. */
  dtype?: 'float32' | 'float64';
  kernels?: DenseKernels;
}

/** What it takes to rebuild the same network (with the spaces). */
export interface RecurrentPolicySpec {
  /** Tells a policy file's recurrent spec from a feed-forward one. */
  kind: 'recurrent';
  cell: RecurrentCell;
  hiddenSize: number;
  encoder: number[];
  netArch: { pi: number[]; vf: number[] };
  activation: HiddenActivation;
  critic: CriticMemory;
  /** gSDE and its options. */
  useSde: boolean;
  fullStd: boolean;
  useExpln: boolean;
}

/** The critic's memory: its own cell, the actor's (read only), or none (a linear layer). */
export type CriticMemory = 'own' | 'shared' | 'none';

/**
 * The recurrent state of `count` envs (or sequences): planes of [count × hiddenSize], in the order actor h,
 * actor c (LSTM), critic h, critic c (LSTM) — the critic's only when it has its own cell.
 */
export class RecurrentState {
  readonly data: Float32Array;
  private readonly views: Float32Array[];

  constructor(
    readonly count: number,
    readonly planes: number,
    readonly hiddenSize: number,
  ) {
    this.data = new Float32Array(planes * count * hiddenSize);
    const size = count * hiddenSize;
    this.views = Array.from({ length: planes }, (_, p) => this.data.subarray(p * size, (p + 1) * size));
  }

  /** Plane p [count × hiddenSize] (a view). */
  plane(p: number): Float32Array {
    return this.views[p];
  }

  /** Zeroes every state, or env `index`'s. */
  reset(index?: number): void {
    if (index === undefined) {
      this.data.fill(0);
      return;
    }
    const H = this.hiddenSize;
    for (const view of this.views) view.fill(0, index * H, (index + 1) * H);
  }

  /** Copies env `from`'s state of `source` into row `to` of this one. */
  copyRow(source: RecurrentState, from: number, to: number): void {
    const H = this.hiddenSize;
    for (let p = 0; p < this.planes; p++) {
      const src = source.views[p];
      const dst = this.views[p];
      for (let j = 0; j < H; j++) dst[to * H + j] = src[from * H + j];
    }
  }
}

/**
 * A minibatch of whole sequences, as the training code lays it out. Rows are numbered sequence by sequence (all
 * of sequence 0's steps in time order, then sequence 1's…); the cells see them time-major and padded to the
 * longest sequence: row r sits at `position[r]` = t·sequences + j. `starts[r]` is 1 where the state resets
 * before row r (an episode start); `initial` holds each sequence's state before its first row.
 */
export class SequenceLayout {
  rows = 0;
  sequences = 0;
  steps = 0;
  readonly position: Int32Array;
  readonly starts: Uint8Array;
  readonly lengths: Int32Array;
  readonly initial: RecurrentState;

  constructor(
    readonly maxRows: number,
    readonly maxSequences: number,
    planes: number,
    hiddenSize: number,
  ) {
    this.position = new Int32Array(maxRows);
    this.starts = new Uint8Array(maxRows);
    this.lengths = new Int32Array(maxSequences);
    this.initial = new RecurrentState(maxSequences, planes, hiddenSize);
  }

  /** Starts an empty layout. */
  clear(): void {
    this.rows = 0;
    this.sequences = 0;
    this.steps = 0;
  }

  /** Opens a new sequence (its initial state is row `sequences − 1` of `initial`, set by the caller). */
  beginSequence(): number {
    if (this.sequences === this.maxSequences) {
      throw new PolicygradError(`SequenceLayout: more than ${this.maxSequences} sequences`);
    }
    this.lengths[this.sequences] = 0;
    return this.sequences++;
  }

  /** Appends a row to the open sequence; returns the row's index. */
  pushRow(episodeStart: boolean): number {
    if (this.rows === this.maxRows)
      throw new PolicygradError(`SequenceLayout: more than ${this.maxRows} rows`);
    const j = this.sequences - 1;
    this.starts[this.rows] = episodeStart ? 1 : 0;
    const t = this.lengths[j]++;
    if (t + 1 > this.steps) this.steps = t + 1;
    return this.rows++;
  }

  /** Fixes each row's padded position once every row is in. */
  finish(): void {
    let r = 0;
    for (let j = 0; j < this.sequences; j++) {
      for (let t = 0; t < this.lengths[j]; t++) this.position[r++] = t * this.sequences + j;
    }
  }
}

/** The policy over the rows of a `SequenceLayout`: what the loss code (surrogate.ts) calls. */
export interface SequencePolicyView {
  readonly dist: Distribution;
  readonly obsDim: number;
  distInputs(observations: Floats, batch: number, mask?: ArrayLike<number>): Float32Array;
  backwardActor(gradInputs: Floats, batch: number): void;
  values(observations: Floats, batch: number): Float32Array;
  backwardCritic(gradValues: Floats, batch: number): void;
}

/** A recurrent network (encoder → cell) and its scratch for padded sequences. */
interface Memory {
  layer: RecurrentLayer;
  offset: number;
  /** Planes of the state: hidden, and the LSTM's cell. */
  hPlane: number;
  cPlane: number;
}

export class RecurrentActorCriticPolicy {
  readonly params: Floats;
  readonly grads: Floats;
  readonly dist: Distribution;
  readonly obsDim: number;
  readonly spec: RecurrentPolicySpec;
  readonly hiddenSize: number;
  /** Planes of a `RecurrentState` of this policy (see there). */
  readonly statePlanes: number;
  /** gSDE's noise and σ parameterisation, or null. */
  readonly sde: StateDependentNoise | null;
  /** No squashing: for the rollout code, which asks. */
  readonly squashOutput = false;
  readonly encoder: MLP | null;
  readonly actorHead: MLP;
  readonly criticHead: MLP;
  /** The critic's linear layer when it has no memory. */
  readonly criticLinear: MLP | null;
  private readonly actorMemory: Memory;
  private readonly criticMemory: Memory | null;
  private readonly encoderOffset = 0;
  private readonly actorHeadOffset: number;
  private readonly logStdOffset: number;
  private readonly logStdCount: number;
  private readonly criticLinearOffset: number;
  private readonly criticHeadOffset: number;
  private readonly kernels: DenseKernels;
  private readonly float64: boolean;
  private readonly featureSize: number;
  private capacity = 0;
  private distInputBuffer: Floats = new Float32Array(0);
  private headGradBuffer: Floats = new Float32Array(0);
  private valueBuffer: Floats = new Float32Array(0);
  private featureBuffer: Floats = new Float32Array(0);
  private featureGradBuffer: Floats = new Float32Array(0);
  private cellOutputBuffer: Floats = new Float32Array(0);
  private paddedCapacity = 0;
  private paddedInput: Floats = new Float32Array(0);
  private paddedGrad: Floats = new Float32Array(0);
  private paddedStarts = new Uint8Array(0);
  private readonly view: SequenceView;
  private zeroStarts = new Uint8Array(0);
  private logStdView: Floats | null = null;
  private logStdGradView: Floats | null = null;

  constructor(options: RecurrentActorCriticOptions, rng: Rng) {
    const { observationSpace, actionSpace } = options;
    const cell = options.cell ?? 'lstm';
    if (cell !== 'lstm' && cell !== 'gru') {
      throw new PolicygradError(`cell ${describeValue(cell)} is not supported: expected 'lstm' or 'gru'`);
    }
    const H = (this.hiddenSize = options.hiddenSize ?? 256);
    if (!Number.isSafeInteger(H) || H <= 0) {
      throw new PolicygradError(`hiddenSize ${describeValue(H)} is invalid: expected a positive integer`);
    }
    const encoderWidths = [...(options.encoder ?? [])];
    if (encoderWidths.some((w) => !Number.isSafeInteger(w) || w <= 0)) {
      throw new PolicygradError(
        `encoder ${describeValue(options.encoder)} is invalid: expected a list of positive integers (hidden widths), e.g. [64]`,
      );
    }
    const netArch = resolveNetArch(options.netArch ?? [64, 64]);
    const activation = resolveActivation(options.activation ?? 'tanh');
    const critic = criticMemoryOf(options);
    this.obsDim = observationSpace.size;
    this.dist = distributionFor(actionSpace);
    if (options.useSde === true && this.dist instanceof Categorical) {
      throw new PolicygradError(
        `useSde: gSDE needs a Box (continuous) action space, not ${String(actionSpace)}`,
      );
    }
    const useSde = options.useSde === true;
    if (!useSde && (options.fullStd === false || options.useExpln === true)) {
      throw new PolicygradError(
        `${options.fullStd === false ? 'fullStd' : 'useExpln'} is a gSDE option: set useSde: true as well, or leave it out`,
      );
    }
    this.spec = {
      kind: 'recurrent',
      cell,
      hiddenSize: H,
      encoder: encoderWidths,
      netArch,
      activation,
      critic,
      useSde,
      fullStd: useSde ? (options.fullStd ?? true) : true,
      useExpln: useSde && options.useExpln === true,
    };
    this.float64 = options.dtype === 'float64';
    const kernels = (this.kernels = options.kernels ?? (this.float64 ? tsKernels : defaultKernels()));
    const dtype = this.float64 ? 'float64' : 'float32';
    const mlp = (sizes: number[], outputActivation: HiddenActivation | 'identity' = 'identity') =>
      new MLP({ sizes, hiddenActivation: activation, outputActivation, kernels, dtype });

    this.encoder = encoderWidths.length === 0 ? null : mlp([this.obsDim, ...encoderWidths], activation);
    this.featureSize = encoderWidths.length === 0 ? this.obsDim : encoderWidths[encoderWidths.length - 1];
    const gaussian = !(this.dist instanceof Categorical);
    const actorOut = gaussian ? this.dist.actionSize : this.dist.inputSize;
    const lstm = cell === 'lstm';
    const layer = () =>
      new RecurrentLayer({
        cell,
        inputSize: this.featureSize,
        hiddenSize: H,
        maxSteps: 1,
        maxBatch: 1,
        dtype,
        kernels,
      });

    let offset = this.encoder?.numParams ?? 0;
    const actorLayer = layer();
    this.actorMemory = { layer: actorLayer, offset, hPlane: 0, cPlane: lstm ? 1 : -1 };
    offset += actorLayer.numParams;
    this.actorHead = mlp([H, ...netArch.pi, actorOut]);
    this.actorHeadOffset = offset;
    offset += this.actorHead.numParams;
    this.logStdOffset = offset;
    this.sde = useSde
      ? new StateDependentNoise({
          actionSize: this.dist.actionSize,
          featureSize: this.actorHead.sizes[this.actorHead.sizes.length - 2],
          fullStd: this.spec.fullStd,
          useExpln: this.spec.useExpln,
        })
      : null;
    this.logStdCount = this.sde?.paramCount ?? (gaussian ? this.dist.actionSize : 0);
    offset += this.logStdCount;
    this.criticLinearOffset = offset;
    if (critic === 'own') {
      const criticLayer = layer();
      const base = lstm ? 2 : 1;
      this.criticMemory = { layer: criticLayer, offset, hPlane: base, cPlane: lstm ? base + 1 : -1 };
      offset += criticLayer.numParams;
      this.criticLinear = null;
    } else {
      this.criticMemory = null;
      this.criticLinear = critic === 'none' ? mlp([this.featureSize, H]) : null;
      offset += this.criticLinear?.numParams ?? 0;
    }
    this.criticHead = mlp([H, ...netArch.vf, 1]);
    this.criticHeadOffset = offset;
    offset += this.criticHead.numParams;
    this.statePlanes = (lstm ? 2 : 1) * (critic === 'own' ? 2 : 1);

    const make = (n: number): Floats =>
      this.float64 ? new Float64Array(n) : (kernels.allocate?.(n) ?? new Float32Array(n));
    this.params = make(offset);
    this.grads = make(offset);
    this.initialise(options, rng);
    this.view = new SequenceView(this);
  }

  private initialise(options: RecurrentActorCriticOptions, rng: Rng): void {
    const { params } = this;
    const orthogonal = options.orthogonalInit ?? true;
    const initHead = (net: MLP, offset: number, headGain: number) => {
      if (orthogonal) initMLP(net, params, offset, hiddenAndHeadGains(net.layers.length, headGain), rng);
      else initLikePyTorch(net, params, offset, rng);
    };
    if (this.encoder !== null) {
      if (orthogonal)
        initMLP(
          this.encoder,
          params,
          0,
          this.encoder.layers.map(() => Math.SQRT2),
          rng,
        );
      else initLikePyTorch(this.encoder, params, 0, rng);
    }
    const scheme = options.recurrentInit ?? 'pytorch';
    initRecurrent(this.actorMemory.layer, params, this.actorMemory.offset, rng, { scheme });
    initHead(this.actorHead, this.actorHeadOffset, 0.01);
    params.fill(options.logStdInit ?? 0, this.logStdOffset, this.logStdOffset + this.logStdCount);
    if (this.criticMemory !== null) {
      initRecurrent(this.criticMemory.layer, params, this.criticMemory.offset, rng, { scheme });
    }
    if (this.criticLinear !== null) initLikePyTorch(this.criticLinear, params, this.criticLinearOffset, rng);
    initHead(this.criticHead, this.criticHeadOffset, 1);
  }

  get numParams(): number {
    return this.params.length;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** A zero state for `count` envs. */
  initialState(count: number): RecurrentState {
    return new RecurrentState(count, this.statePlanes, this.hiddenSize);
  }

  private ensureCapacity(batch: number): void {
    if (batch <= this.capacity) return;
    const make = (n: number): Floats => (this.float64 ? new Float64Array(n) : new Float32Array(n));
    this.distInputBuffer = make(batch * this.dist.inputSize);
    this.headGradBuffer = make(batch * this.actorHead.outputSize);
    this.valueBuffer = make(batch);
    this.featureBuffer = make(batch * this.featureSize);
    this.featureGradBuffer = make(batch * this.featureSize);
    this.cellOutputBuffer = make(batch * this.hiddenSize);
    this.zeroStarts = new Uint8Array(batch);
    this.capacity = batch;
  }

  /** Grows the cells' workspaces (only when a longer or wider batch of sequences comes). */
  private ensureCells(steps: number, batch: number): void {
    for (const memory of [this.actorMemory, this.criticMemory]) {
      if (memory === null) continue;
      const { layer } = memory;
      if (steps <= layer.maxSteps && batch <= layer.maxBatch) continue;
      memory.layer = new RecurrentLayer({
        cell: layer.cell,
        inputSize: layer.inputSize,
        hiddenSize: layer.hiddenSize,
        maxSteps: Math.max(steps, layer.maxSteps),
        maxBatch: Math.max(batch, layer.maxBatch),
        dtype: this.float64 ? 'float64' : 'float32',
        kernels: this.kernels,
      });
    }
    const padded = steps * batch;
    if (padded > this.paddedCapacity) {
      const make = (n: number): Floats => (this.float64 ? new Float64Array(n) : new Float32Array(n));
      this.paddedInput = make(padded * Math.max(this.featureSize, this.hiddenSize));
      this.paddedGrad = make(padded * Math.max(this.featureSize, this.hiddenSize));
      this.paddedStarts = new Uint8Array(padded);
      this.paddedCapacity = padded;
    }
  }

  /** The cells' input for `batch` observations: the encoder's output, or the observations. */
  private features(observations: Floats, batch: number): Floats {
    return this.encoder === null ? observations : this.encoder.forward(this.params, 0, observations, batch);
  }

  /** Carries ∂L/∂features into the encoder. */
  private backwardFeatures(gradFeatures: Floats, batch: number): void {
    this.encoder?.backward(this.params, this.grads, 0, gradFeatures, batch);
  }

  /** The actor MLP's output → distribution inputs (the free log σ appended for a Gaussian). */
  private headToDistInputs(out: Floats, batch: number, mask: ArrayLike<number> | undefined): Floats {
    const inputs = this.distInputBuffer.subarray(0, batch * this.dist.inputSize);
    if (this.sde !== null) {
      this.sde.distInputs(out, this.sdeFeatures(batch), this.logStdParams, batch, inputs);
    } else if (this.logStdCount > 0) {
      const D = this.dist.actionSize;
      for (let b = 0; b < batch; b++) {
        for (let d = 0; d < D; d++) {
          inputs[b * 2 * D + d] = out[b * D + d];
          inputs[b * 2 * D + D + d] = this.params[this.logStdOffset + d];
        }
      }
    } else inputs.set(out);
    if (mask !== undefined) (this.dist as Categorical).maskLogits(inputs, mask, batch);
    return inputs;
  }

  /** gSDE's features for the last actor-MLP batch: the input of its last layer. */
  private sdeFeatures(batch: number): Floats {
    return this.actorHead.layerInput(this.actorHead.layers.length - 1, batch);
  }

  /** The learned log σ block (gSDE's matrix, or the free vector): views of `params` and `grads`. */
  private get logStdParams(): Floats {
    this.logStdView ??= this.params.subarray(this.logStdOffset, this.logStdOffset + this.logStdCount);
    return this.logStdView;
  }

  private get logStdGrads(): Floats {
    this.logStdGradView ??= this.grads.subarray(this.logStdOffset, this.logStdOffset + this.logStdCount);
    return this.logStdGradView;
  }

  /**
   * gSDE: draws new exploration matrices, one per env (SB3's `reset_noise(n_envs)`); the rollout calls it at the
   * start of every rollout and every `sdeSampleFreq` steps. A no-op without gSDE.
   */
  resetNoise(count: number, rng: Rng): void {
    this.sde?.resample(this.logStdParams, count, rng);
  }

  /** ∂L/∂(distribution inputs) → the actor MLP (and log σ); returns ∂L/∂(cell output) [batch × H]. */
  private backwardHead(gradInputs: Floats, batch: number): Floats {
    let headGrad = gradInputs;
    if (this.logStdCount > 0) {
      const D = this.dist.actionSize;
      headGrad = this.headGradBuffer.subarray(0, batch * D);
      for (let b = 0; b < batch; b++) {
        for (let d = 0; d < D; d++) {
          headGrad[b * D + d] = gradInputs[b * 2 * D + d];
          if (this.sde === null) this.grads[this.logStdOffset + d] += gradInputs[b * 2 * D + D + d];
        }
      }
      // gSDE: ∂L/∂ℓ through σ(z, ℓ), the features detached (gsde.ts)
      this.sde?.backward(gradInputs, this.sdeFeatures(batch), this.logStdParams, batch, this.logStdGrads);
    }
    return this.actorHead.backward(this.params, this.grads, this.actorHeadOffset, headGrad, batch);
  }

  /**
   * One step for `batch` envs: samples actions (or the mode) with their log-probabilities and values, and advances
   * `state` (episode starts reset an env's state first). `mask` restricts a Categorical policy's choices.
   */
  act(
    observations: Floats,
    batch: number,
    rng: Rng,
    out: ActResult,
    deterministic: boolean,
    state: RecurrentState,
    episodeStarts: ArrayLike<number>,
    mask?: ArrayLike<number>,
  ): void {
    this.ensureCapacity(batch);
    this.ensureCells(1, batch);
    const features = this.features(observations, batch);
    const hidden = this.stepMemory(this.actorMemory, features, episodeStarts, state, batch, true);
    const head = this.actorHead.forward(this.params, this.actorHeadOffset, hidden, batch);
    const inputs = this.headToDistInputs(head, batch, mask);
    if (deterministic) this.dist.mode(inputs, batch, out.actions);
    else if (this.sde === null) this.dist.sample(inputs, batch, rng, out.actions);
    else {
      // gSDE: a = μ + z(s)ᵀE with each env's exploration matrix (drawn by resetNoise)
      const D = this.dist.actionSize;
      for (let b = 0; b < batch; b++)
        for (let d = 0; d < D; d++) out.actions[b * D + d] = inputs[b * 2 * D + d];
      this.sde.addNoise(this.sdeFeatures(batch), batch, out.actions);
    }
    this.dist.logProb(inputs, out.actions, batch, out.logProbs);
    const values = this.stepValues(features, episodeStarts, state, batch, true, hidden);
    for (let b = 0; b < batch; b++) out.values[b] = values[b];
  }

  /**
   * V for `batch` envs in `state` without advancing it (the values after a rollout's last step), or, with
   * `env` given, V for one observation of env `env` (a truncated episode's final observation).
   */
  values(
    observations: Floats,
    batch: number,
    state: RecurrentState,
    episodeStarts: ArrayLike<number> | null,
    env?: number,
  ): Floats {
    this.ensureCapacity(batch);
    this.ensureCells(1, batch);
    const features = this.features(observations, batch);
    const starts = episodeStarts ?? this.zeroStarts;
    let hidden: Floats | null = null;
    if (this.spec.critic === 'shared') {
      hidden = this.stepMemory(this.actorMemory, features, starts, state, batch, false, env);
    }
    return this.stepValues(features, starts, state, batch, false, hidden, env);
  }

  /** The critic's V for one step, given the actor cell's output when the critic shares it. */
  private stepValues(
    features: Floats,
    starts: ArrayLike<number>,
    state: RecurrentState,
    batch: number,
    advance: boolean,
    actorHidden: Floats | null,
    env?: number,
  ): Floats {
    let input: Floats;
    if (this.criticMemory !== null) {
      input = this.stepMemory(this.criticMemory, features, starts, state, batch, advance, env);
    } else if (this.criticLinear !== null) {
      input = this.criticLinear.forward(this.params, this.criticLinearOffset, features, batch);
    } else input = actorHidden as Floats;
    const v = this.criticHead.forward(this.params, this.criticHeadOffset, input, batch);
    const values = this.valueBuffer.subarray(0, batch);
    values.set(v);
    return values;
  }

  /**
   * One step of a cell from `state` (rows `env` … or all), returning h_t [batch × H] (a copy, so the next cell's
   * step does not overwrite it); with `advance`, h_t (and c_t) become the state.
   */
  private stepMemory(
    memory: Memory,
    features: Floats,
    starts: ArrayLike<number>,
    state: RecurrentState,
    batch: number,
    advance: boolean,
    env?: number,
  ): Floats {
    const { layer, hPlane, cPlane } = memory;
    const H = this.hiddenSize;
    // All envs' rows (the rollout's steps, no allocation), or one env's (a final observation's value).
    let h = state.plane(hPlane);
    let c = cPlane < 0 ? null : state.plane(cPlane);
    if (env !== undefined) {
      h = h.subarray(env * H, (env + 1) * H);
      c = c?.subarray(env * H, (env + 1) * H) ?? null;
    }
    const y = layer.forward(this.params, memory.offset, features, starts, h, c, 1, batch);
    if (advance) {
      h.set(y);
      if (c !== null) c.set(layer.finalCell());
    }
    const hidden = this.cellOutputBuffer.subarray(0, batch * H);
    hidden.set(y);
    return hidden;
  }

  /**
   * The action for one observation (or a batch, one per agent) from `state`, which it advances in place: an
   * integer for one Discrete observation, else a Float32Array. `episodeStart` (default false; one flag, or one per
   * observation) resets the state first, as at the start of an episode.
   */
  predict(
    observation: Floats,
    {
      state,
      episodeStart,
      deterministic = true,
      rng,
      mask,
    }: {
      state: RecurrentState;
      episodeStart?: boolean | ArrayLike<boolean | number>;
      deterministic?: boolean;
      rng?: Rng;
      mask?: ArrayLike<number>;
    },
  ): number | Float32Array {
    const batch = checkPredictInput(observation, this.obsDim, this.dist.inputSize, deterministic, rng, mask);
    if (!deterministic && this.sde !== null && !this.sde.sampled) this.resetNoise(1, rng as Rng);
    const current = state;
    if (
      !(current instanceof RecurrentState) ||
      current.count !== batch ||
      current.planes !== this.statePlanes ||
      current.hiddenSize !== this.hiddenSize
    ) {
      throw new PolicygradError(
        `predict: the state is for ${describeValue(current?.count)} agent(s) × ${describeValue(current?.planes)} planes × ${describeValue(current?.hiddenSize)}; expected ${batch} × ${this.statePlanes} × ${this.hiddenSize} (a state from initialState(${batch}))`,
      );
    }
    const starts = new Uint8Array(batch);
    if (typeof episodeStart === 'boolean') starts.fill(episodeStart ? 1 : 0);
    else if (episodeStart !== undefined) {
      if (episodeStart.length !== batch) {
        throw new PolicygradError(
          `predict: episodeStart has ${episodeStart.length} entries; expected ${batch} (one per observation)`,
        );
      }
      for (let b = 0; b < batch; b++) starts[b] = episodeStart[b] ? 1 : 0;
    }
    const out: ActResult = {
      actions: new Float32Array(batch * this.dist.actionSize),
      logProbs: new Float32Array(batch),
      values: new Float32Array(batch),
    };
    this.act(observation, batch, rng as Rng, out, deterministic, current, starts, mask);
    return batch === 1 && this.dist instanceof Categorical && this.dist.actionSize === 1
      ? out.actions[0]
      : out.actions;
  }

  /** The policy over the rows of `layout` (one view object, reused): for the loss code. */
  sequenceView(layout: SequenceLayout): SequencePolicyView {
    if (this.float64) throw new PolicygradError('sequenceView: the loss code works on a float32 policy');
    this.view.layout = layout;
    return this.view;
  }

  /** Cells over the padded sequences of `layout`: the cell outputs of its rows [rows × H] (a workspace view). */
  forwardSequences(memory: 'actor' | 'critic', features: Floats, layout: SequenceLayout): Floats {
    const m = this.memoryOf(memory);
    const { rows, sequences: S, steps: L, position, starts } = layout;
    this.ensureCapacity(rows);
    this.ensureCells(L, S);
    const F = this.featureSize;
    const H = this.hiddenSize;
    const input = this.paddedInput.subarray(0, L * S * F);
    const paddedStarts = this.paddedStarts.subarray(0, L * S);
    input.fill(0);
    paddedStarts.fill(0);
    for (let r = 0; r < rows; r++) {
      const p = position[r];
      for (let k = 0; k < F; k++) input[p * F + k] = features[r * F + k];
      paddedStarts[p] = starts[r];
    }
    // the first S rows of the planes (the layer reads S·H numbers)
    const h0 = layout.initial.plane(m.hPlane);
    const c0 = m.cPlane < 0 ? null : layout.initial.plane(m.cPlane);
    const y = m.layer.forward(this.params, m.offset, input, paddedStarts, h0, c0, L, S);
    const out = this.cellOutputBuffer.subarray(0, rows * H);
    for (let r = 0; r < rows; r++) {
      const p = position[r];
      for (let j = 0; j < H; j++) out[r * H + j] = y[p * H + j];
    }
    return out;
  }

  /** Backpropagation through time after `forwardSequences(memory, …)`; returns ∂L/∂features [rows × F]. */
  backwardSequences(memory: 'actor' | 'critic', gradOutput: Floats, layout: SequenceLayout): Floats {
    const m = this.memoryOf(memory);
    const { rows, sequences: S, steps: L, position } = layout;
    const F = this.featureSize;
    const H = this.hiddenSize;
    const dY = this.paddedGrad.subarray(0, L * S * H);
    dY.fill(0); // padding contributes nothing
    for (let r = 0; r < rows; r++) {
      const p = position[r];
      for (let j = 0; j < H; j++) dY[p * H + j] = gradOutput[r * H + j];
    }
    const { input } = m.layer.backward(this.params, this.grads, m.offset, dY);
    const out = this.featureGradBuffer.subarray(0, rows * F);
    for (let r = 0; r < rows; r++) {
      const p = position[r];
      for (let k = 0; k < F; k++) out[r * F + k] = input[p * F + k];
    }
    return out;
  }

  private memoryOf(memory: 'actor' | 'critic'): Memory {
    const m = memory === 'actor' ? this.actorMemory : this.criticMemory;
    if (m === null) throw new PolicygradError('this policy has no critic cell');
    return m;
  }

  /** The actor over the rows of `layout`: distribution inputs [rows × inputSize] (a workspace view). */
  sequenceDistInputs(layout: SequenceLayout, observations: Floats, mask?: ArrayLike<number>): Floats {
    const { rows } = layout;
    const hidden = this.forwardSequences('actor', this.features(observations, rows), layout);
    const out = this.actorHead.forward(this.params, this.actorHeadOffset, hidden, rows);
    return this.headToDistInputs(out, rows, mask);
  }

  /** Adds ∂L/∂θ given ∂L/∂(distribution inputs) of the last `sequenceDistInputs`, through time. */
  sequenceBackwardActor(layout: SequenceLayout, gradInputs: Floats): void {
    const gradHidden = this.backwardHead(gradInputs, layout.rows);
    this.backwardFeatures(this.backwardSequences('actor', gradHidden, layout), layout.rows);
  }

  /** The critic over the rows of `layout`: V [rows] (a workspace view). */
  sequenceValues(layout: SequenceLayout, observations: Floats): Floats {
    const { rows } = layout;
    const features = this.features(observations, rows);
    let input: Floats;
    if (this.spec.critic === 'own') input = this.forwardSequences('critic', features, layout);
    else if (this.spec.critic === 'shared') input = this.forwardSequences('actor', features, layout);
    else input = (this.criticLinear as MLP).forward(this.params, this.criticLinearOffset, features, rows);
    return this.criticHead.forward(this.params, this.criticHeadOffset, input, rows);
  }

  /** Adds ∂L/∂θ given ∂L/∂V of the last `sequenceValues` (not into a shared cell: sb3-contrib detaches it). */
  sequenceBackwardCritic(layout: SequenceLayout, gradValues: Floats): void {
    const { rows } = layout;
    const gradInput = this.criticHead.backward(
      this.params,
      this.grads,
      this.criticHeadOffset,
      gradValues,
      rows,
    );
    if (this.spec.critic === 'shared') return;
    const gradFeatures =
      this.spec.critic === 'own'
        ? this.backwardSequences('critic', gradInput, layout)
        : (this.criticLinear as MLP).backward(
            this.params,
            this.grads,
            this.criticLinearOffset,
            gradInput,
            rows,
          );
    this.backwardFeatures(gradFeatures, rows);
  }
}

/**
 * The policy over one `SequenceLayout`'s rows, in the loss loop's terms (loss/accumulate.ts): `distInputs`, then
 * `values`, then the two backward passes, all for the layout's rows (the observations in row order; a float32
 * policy, so the outputs are Float32Arrays). Forwarding the critic again after the actor is safe: a shared cell
 * or the encoder recomputes the same activations from the same rows before the actor's backward pass reads them.
 */
class SequenceView implements SequencePolicyView {
  layout: SequenceLayout | null = null;
  readonly dist: Distribution;
  readonly obsDim: number;

  constructor(private readonly policy: RecurrentActorCriticPolicy) {
    this.dist = policy.dist;
    this.obsDim = policy.obsDim;
  }

  private rows(batch: number): SequenceLayout {
    const layout = this.layout;
    if (layout === null || layout.rows !== batch) {
      throw new PolicygradError(`sequence view: ${batch} rows given, the layout has ${layout?.rows ?? 0}`);
    }
    return layout;
  }

  distInputs(observations: Floats, batch: number, mask?: ArrayLike<number>): Float32Array {
    return this.policy.sequenceDistInputs(this.rows(batch), observations, mask) as Float32Array;
  }

  backwardActor(gradInputs: Floats, batch: number): void {
    this.policy.sequenceBackwardActor(this.rows(batch), gradInputs);
  }

  values(observations: Floats, batch: number): Float32Array {
    return this.policy.sequenceValues(this.rows(batch), observations) as Float32Array;
  }

  backwardCritic(gradValues: Floats, batch: number): void {
    this.policy.sequenceBackwardCritic(this.rows(batch), gradValues);
  }
}

/** sb3-contrib's choice between an own cell, the actor's, or none for the critic; both at once is refused. */
function criticMemoryOf(options: RecurrentActorCriticOptions): CriticMemory {
  const shared = options.sharedLstm === true;
  if (shared && options.enableCriticLstm === true) {
    throw new PolicygradError(
      "sharedLstm and enableCriticLstm both give the critic a cell: choose one (sharedLstm: the actor's, enableCriticLstm: its own)",
    );
  }
  if (shared) return 'shared';
  return options.enableCriticLstm === false ? 'none' : 'own';
}
