/**
 * A multi-layer perceptron whose parameters live in one flat array (a view of a larger parameter vector is
 * fine). Layer l holds W_l [out × in] then b_l [out], consecutively, starting at the MLP's `offset`.
 *
 * `forward` caches each layer's input and output; `backward` (reverse mode) and `jvp` (forward mode w.r.t. the
 * parameters) reuse that cache, so call them after the `forward` of the same batch. Workspaces grow to the
 * largest batch seen and are reused: no allocation per call once warmed.
 */
import { PolicygradError, describeValue } from '../errors.js';
import { HIDDEN_ACTIVATIONS } from './activations.js';
import { defaultKernels } from './backend.js';
import type {
  Activation,
  DenseKernels,
  Floats,
  NetworkLayer,
  NetworkPlan,
  TrainingLayer,
} from './kernels.js';

export interface MLPOptions {
  /** Layer widths from input to output, e.g. [4, 64, 64, 2]. */
  sizes: readonly number[];
  /** Activation after every hidden layer. Default 'tanh' (SB3's default for on-policy algorithms). */
  hiddenActivation?: Activation;
  /** Activation after the last layer. Default 'identity'. */
  outputActivation?: Activation;
  /** Precision of the workspaces; float64 is for gradient checks. Default 'float32'. */
  dtype?: 'float32' | 'float64';
  kernels?: DenseKernels;
}

interface Layer {
  nIn: number;
  nOut: number;
  act: Activation;
  /** Offsets of W and b relative to the MLP's start in the parameter vector. */
  wOffset: number;
  bOffset: number;
}

interface LayerViews {
  W: Floats[];
  b: Floats[];
  forward?: { generation: number; plan: NetworkPlan | null };
}

export class MLP {
  readonly sizes: readonly number[];
  readonly layers: readonly Layer[];
  readonly numParams: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly kernels: DenseKernels;
  private readonly dtype: 'float32' | 'float64';
  private capacity = 0;
  /** activations[0] = input copy, activations[l + 1] = output of layer l. */
  private activations: Floats[] = [];
  private gradients: Floats[] = [];
  private tangents: Floats[] = [];
  /** preActivations[l] = X Wᵀ + b of layer l, kept only for gelu layers (their derivative needs it). */
  private preActivations: (Floats | null)[] = [];
  /**
   * Per-layer views into parameter-shaped arrays (params, grads, tangents), cached by array and offset; for
   * parameters also the kernels' one-call plan of the forward pass (made for the workspaces of `workspaceGeneration`).
   */
  private readonly layerViews = new WeakMap<Floats, Map<number, LayerViews>>();
  /** Counts workspace reallocations: a forward plan made before the last one points at released arrays. */
  private workspaceGeneration = 0;
  /** Output views of the last batch size, so steady-state calls allocate nothing. */
  private outputViews: { batch: number; forward: Floats; backward: Floats; jvp: Floats } | null = null;
  /** Layer-input views of the last batch size (`layerInput`). */
  private inputViews: { batch: number; views: Floats[] } | null = null;

  constructor(options: MLPOptions) {
    const { sizes, hiddenActivation = 'tanh', outputActivation = 'identity' } = options;
    if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isSafeInteger(s) || s <= 0)) {
      throw new PolicygradError(
        `MLP: invalid sizes ${describeValue(sizes)}: expected at least two positive integers`,
      );
    }
    for (const act of [hiddenActivation, outputActivation]) {
      if (act !== 'identity' && !HIDDEN_ACTIVATIONS.includes(act)) {
        throw new PolicygradError(
          `MLP: unknown activation ${describeValue(act)}: expected one of ${HIDDEN_ACTIVATIONS.join(', ')}, identity`,
        );
      }
    }
    this.sizes = [...sizes];
    this.dtype = options.dtype ?? 'float32';
    this.kernels = options.kernels ?? defaultKernels();
    const layers: Layer[] = [];
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const act = l + 2 === sizes.length ? outputActivation : hiddenActivation;
      layers.push({ nIn, nOut, act, wOffset: offset, bOffset: offset + nIn * nOut });
      offset += nIn * nOut + nOut;
    }
    this.layers = layers;
    this.numParams = offset;
    this.inputSize = sizes[0];
    this.outputSize = sizes[sizes.length - 1];
  }

  private ensureCapacity(batch: number): void {
    if (batch <= this.capacity) return;
    const { kernels } = this;
    if (this.dtype === 'float32' && kernels.release !== undefined) {
      for (const array of [
        ...this.activations,
        ...this.gradients,
        ...this.tangents,
        ...this.preActivations,
      ]) {
        if (array !== null) kernels.release(array as Float32Array);
      }
    }
    const make = (n: number): Floats =>
      this.dtype === 'float64' ? new Float64Array(n) : (kernels.allocate?.(n) ?? new Float32Array(n));
    this.activations = this.sizes.map((s) => make(batch * s));
    this.gradients = this.sizes.map((s) => make(batch * s));
    this.tangents = this.sizes.map((s) => make(batch * s));
    this.preActivations = this.layers.map((l) => (l.act === 'gelu' ? make(batch * l.nOut) : null));
    this.capacity = batch;
    this.workspaceGeneration++;
    this.outputViews = null;
    this.inputViews = null;
  }

  /** W_l and b_l views of a parameter-shaped array whose MLP slice starts at `offset`. */
  private views(array: Floats, offset: number): LayerViews {
    let byOffset = this.layerViews.get(array);
    if (byOffset === undefined) {
      byOffset = new Map();
      this.layerViews.set(array, byOffset);
    }
    let views = byOffset.get(offset);
    if (views === undefined) {
      views = {
        W: this.layers.map((l) => array.subarray(offset + l.wOffset, offset + l.wOffset + l.nIn * l.nOut)),
        b: this.layers.map((l) => array.subarray(offset + l.bOffset, offset + l.bOffset + l.nOut)),
      };
      byOffset.set(offset, views);
    }
    return views;
  }

  private outputs(batch: number): { forward: Floats; backward: Floats; jvp: Floats } {
    if (this.outputViews?.batch !== batch) {
      const top = this.layers.length;
      this.outputViews = {
        batch,
        forward: this.activations[top].subarray(0, batch * this.outputSize),
        backward: this.gradients[0].subarray(0, batch * this.inputSize),
        jvp: this.tangents[top].subarray(0, batch * this.outputSize),
      };
    }
    return this.outputViews;
  }

  /**
   * Runs the batch [batch × inputSize] through the network; returns the output [batch × outputSize], a view
   * into the workspace valid until the next call.
   */
  forward(params: Floats, offset: number, input: Floats, batch: number): Floats {
    this.ensureCapacity(batch);
    const n = batch * this.inputSize;
    if (input.length === n) this.activations[0].set(input);
    else for (let k = 0; k < n; k++) this.activations[0][k] = input[k];
    const views = this.views(params, offset);
    const plan = this.forwardPlan(views);
    if (plan !== null) {
      this.kernels.forwardPlanned?.(plan, batch);
      return this.outputs(batch).forward;
    }
    const { W, b } = views;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      this.kernels.forward(
        W[l],
        b[l],
        this.activations[l],
        this.activations[l + 1],
        batch,
        layer.nIn,
        layer.nOut,
        layer.act,
        this.preActivations[l],
      );
    }
    return this.outputs(batch).forward;
  }

  /** The kernels' one-call forward pass over these parameter views and the current workspaces, or null. */
  private forwardPlan(views: LayerViews): NetworkPlan | null {
    const { kernels } = this;
    if (kernels.planForward === undefined || this.dtype !== 'float32') return null;
    if (views.forward?.generation === this.workspaceGeneration) return views.forward.plan;
    if (views.forward?.plan != null) kernels.releasePlan?.(views.forward.plan);
    const plan = kernels.planForward(this.networkLayers(views));
    views.forward = { generation: this.workspaceGeneration, plan };
    return plan;
  }

  /** Each layer's parameters (these views) and forward workspaces. */
  private networkLayers(views: LayerViews): NetworkLayer[] {
    return this.layers.map((layer, l) => ({
      W: views.W[l],
      b: views.b[l],
      X: this.activations[l],
      Y: this.activations[l + 1],
      Z: this.preActivations[l],
      nIn: layer.nIn,
      nOut: layer.nOut,
      act: layer.act,
    }));
  }

  /**
   * Reverse mode after `forward`: adds ∂L/∂θ into `grads` (at the same offset as the parameters) given
   * `gradOutput` = ∂L/∂output [batch × outputSize]. Returns ∂L/∂input (a workspace view).
   */
  backward(params: Floats, grads: Floats, offset: number, gradOutput: Floats, batch: number): Floats {
    const top = this.layers.length;
    const n = batch * this.outputSize;
    for (let k = 0; k < n; k++) this.gradients[top][k] = gradOutput[k];
    const { W } = this.views(params, offset);
    const g = this.views(grads, offset);
    for (let l = top - 1; l >= 0; l--) {
      const layer = this.layers[l];
      this.kernels.backward(
        W[l],
        this.activations[l],
        this.activations[l + 1],
        this.gradients[l + 1],
        g.W[l],
        g.b[l],
        this.gradients[l],
        batch,
        layer.nIn,
        layer.nOut,
        layer.act,
        this.preActivations[l],
      );
    }
    return this.outputs(batch).backward;
  }

  /** Changes whenever the workspaces are reallocated (arrays from `trainingLayers` are then stale). */
  get workspaceVersion(): number {
    return this.workspaceGeneration;
  }

  /**
   * Each layer's arrays for a forward and backward pass of up to `batch` rows, the workspaces grown first: what
   * `forward` and `backward` use (layer l's X is the input copy or layer l − 1's Y, its dY layer l + 1's dX), for
   * kernels that run a whole training pass in one call. Valid while `workspaceVersion` stays the same.
   */
  trainingLayers(params: Floats, grads: Floats, offset: number, batch: number): TrainingLayer[] {
    this.ensureCapacity(batch);
    const g = this.views(grads, offset);
    return this.networkLayers(this.views(params, offset)).map((layer, l) => ({
      ...layer,
      dW: g.W[l],
      db: g.b[l],
      dY: this.gradients[l + 1],
      dX: this.gradients[l],
    }));
  }

  /** The cached input of layer `l` for the last `forward` batch [batch × sizes[l]] (a workspace view). */
  layerInput(l: number, batch: number): Floats {
    if (this.inputViews?.batch !== batch) this.inputViews = { batch, views: [] };
    this.inputViews.views[l] ??= this.activations[l].subarray(0, batch * this.sizes[l]);
    return this.inputViews.views[l];
  }

  /**
   * Forward mode after `forward`: the directional derivative of the output along the parameter tangent
   * `tangent` (same layout and offset as the parameters). Returns [batch × outputSize] (a workspace view).
   */
  jvp(params: Floats, tangent: Floats, offset: number, batch: number): Floats {
    const { W } = this.views(params, offset);
    const v = this.views(tangent, offset);
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      this.kernels.jvp(
        W[l],
        v.W[l],
        v.b[l],
        this.activations[l],
        l === 0 ? null : this.tangents[l],
        this.activations[l + 1],
        this.tangents[l + 1],
        batch,
        layer.nIn,
        layer.nOut,
        layer.act,
        this.preActivations[l],
      );
    }
    return this.outputs(batch).jvp;
  }
}
