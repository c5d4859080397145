/**
 * One LSTM or GRU layer over batches of time-major sequences (equations and gate layout: recurrent-kernels.ts,
 * as PyTorch's nn.LSTM / nn.GRU). Its parameters are views into a flat parameter vector, like the MLP's, laid out
 * as PyTorch names them: weight_ih [G·H × I], weight_hh [G·H × H], bias_ih [G·H], bias_hh [G·H].
 *
 * Workspaces are allocated once, for `maxSteps` × `maxBatch`; `forward` and `backward` allocate nothing.
 * `backward` reads what the last `forward` recorded, so call it after the `forward` of the same sequences.
 */
import { PolicygradError, describeValue } from '../errors.js';
import type { Rng } from '../rng.js';
import { defaultKernels } from './backend.js';
import { orthogonal } from './init.js';
import type { DenseKernels, Floats } from './kernels.js';
import {
  gateCount,
  type RecurrentCell,
  type RecurrentGradients,
  type RecurrentKernels,
  type RecurrentShape,
  type RecurrentTrace,
  type RecurrentWeights,
  tsRecurrentKernels,
} from './recurrent-kernels.js';

export interface RecurrentLayerOptions {
  cell: RecurrentCell;
  inputSize: number;
  hiddenSize: number;
  /** The longest sequence `forward` will see (workspaces are sized for it). */
  maxSteps: number;
  /** The most sequences per call. */
  maxBatch: number;
  /** Precision of the workspaces; float64 is for gradient checks. Default 'float32'. */
  dtype?: 'float32' | 'float64';
  /** Dense kernels whose recurrent kernels to use (the wasm kernels have them); default: `defaultKernels()`. */
  kernels?: DenseKernels;
}

/** The recurrent kernels of `kernels` when it has them (the wasm kernels), else the TypeScript reference. */
function recurrentKernelsOf(kernels: DenseKernels): RecurrentKernels {
  const candidate = kernels as Partial<RecurrentKernels>;
  return typeof candidate.recurrentForward === 'function' && typeof candidate.recurrentBackward === 'function'
    ? (kernels as unknown as RecurrentKernels)
    : tsRecurrentKernels;
}

function positiveInteger(name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new PolicygradError(
      `RecurrentLayer: invalid ${name} ${describeValue(value)}: expected a positive integer`,
    );
  }
  return value as number;
}

export class RecurrentLayer {
  readonly cell: RecurrentCell;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly maxSteps: number;
  readonly maxBatch: number;
  readonly numParams: number;
  /** Offsets, relative to the layer's start in the parameter vector, of weight_ih, weight_hh, bias_ih, bias_hh. */
  readonly offsets: { weightIh: number; weightHh: number; biasIh: number; biasHh: number };
  readonly kernels: RecurrentKernels;
  private readonly trace: RecurrentTrace;
  /** The gradient arguments of the kernels; the parameter-gradient views and dhT/dcT are set per call. */
  private readonly grads: RecurrentGradients;
  private readonly weightViews = new WeakMap<Floats, Map<number, RecurrentWeights>>();
  private readonly shape: RecurrentShape;
  private readonly inputGradient: Floats;
  private viewsOf: {
    steps: number;
    batch: number;
    output: Floats;
    dX: Floats;
    dh0: Floats;
    dc0: Floats;
    finalHidden: Floats;
    finalCell: Floats;
  };

  constructor(options: RecurrentLayerOptions) {
    if (options.cell !== 'lstm' && options.cell !== 'gru') {
      throw new PolicygradError(
        `RecurrentLayer: unknown cell ${describeValue(options.cell)}: expected 'lstm' or 'gru'`,
      );
    }
    this.cell = options.cell;
    const I = (this.inputSize = positiveInteger('inputSize', options.inputSize));
    const H = (this.hiddenSize = positiveInteger('hiddenSize', options.hiddenSize));
    const T = (this.maxSteps = positiveInteger('maxSteps', options.maxSteps));
    const B = (this.maxBatch = positiveInteger('maxBatch', options.maxBatch));
    const G = gateCount(this.cell);
    this.offsets = {
      weightIh: 0,
      weightHh: G * H * I,
      biasIh: G * H * (I + H),
      biasHh: G * H * (I + H + 1),
    };
    this.numParams = G * H * (I + H + 2);
    const dense = options.kernels ?? defaultKernels();
    this.kernels = recurrentKernelsOf(dense);
    const float64 = options.dtype === 'float64';
    const make = (n: number): Floats =>
      float64 ? new Float64Array(n) : (dense.allocate?.(n) ?? new Float32Array(n));
    const lstm = this.cell === 'lstm';
    // The GRU has no cell state: its cell-state arrays are placeholders the kernels never touch.
    const cellArray = (n: number) => make(lstm ? n : 1);
    this.trace = {
      X: make(T * B * I),
      starts: make(T * B),
      h0: make(B * H),
      c0: cellArray(B * H),
      Hprev: make(T * B * H),
      Cprev: cellArray(T * B * H),
      gates: make(T * B * 4 * H),
      Y: make(T * B * H),
      C: cellArray(T * B * H),
      tanhC: cellArray(T * B * H),
      pre: make(T * B * 4 * H),
    };
    this.inputGradient = make(T * B * I);
    this.grads = {
      dY: make(T * B * H),
      dX: this.inputGradient,
      dh0: make(B * H),
      dc0: cellArray(B * H),
      dGates: make(T * B * 4 * H),
      work: make(B * H),
      dWih: this.trace.X,
      dWhh: this.trace.X,
      dbih: this.trace.X,
      dbhh: this.trace.X,
      dhT: null,
      dcT: null,
    };
    this.shape = { cell: this.cell, steps: T, batch: B, inputSize: I, hiddenSize: H };
    this.viewsOf = this.makeViews(T, B);
  }

  private makeViews(steps: number, batch: number) {
    const { hiddenSize: H, inputSize: I } = this;
    return {
      steps,
      batch,
      output: this.trace.Y.subarray(0, steps * batch * H),
      dX: this.inputGradient.subarray(0, steps * batch * I),
      dh0: this.grads.dh0.subarray(0, batch * H),
      dc0: this.grads.dc0.subarray(0, this.cell === 'lstm' ? batch * H : 0),
      finalHidden: this.trace.Y.subarray((steps - 1) * batch * H, steps * batch * H),
      finalCell: this.trace.C.subarray(
        this.cell === 'lstm' ? (steps - 1) * batch * H : 0,
        this.cell === 'lstm' ? steps * batch * H : 0,
      ),
    };
  }

  /** Views of the four parameter blocks of a parameter-shaped array whose layer slice starts at `offset`. */
  weights(array: Floats, offset: number): RecurrentWeights {
    let byOffset = this.weightViews.get(array);
    if (byOffset === undefined) {
      byOffset = new Map();
      this.weightViews.set(array, byOffset);
    }
    let views = byOffset.get(offset);
    if (views === undefined) {
      const { weightIh, weightHh, biasIh, biasHh } = this.offsets;
      views = {
        Wih: array.subarray(offset + weightIh, offset + weightHh),
        Whh: array.subarray(offset + weightHh, offset + biasIh),
        bih: array.subarray(offset + biasIh, offset + biasHh),
        bhh: array.subarray(offset + biasHh, offset + this.numParams),
      };
      byOffset.set(offset, views);
    }
    return views;
  }

  private setShape(steps: number, batch: number, caller: string): void {
    if (!Number.isSafeInteger(steps) || steps < 1 || steps > this.maxSteps) {
      throw new PolicygradError(
        `RecurrentLayer.${caller}: invalid steps ${describeValue(steps)}: expected an integer in [1, ${this.maxSteps}] (maxSteps)`,
      );
    }
    if (!Number.isSafeInteger(batch) || batch < 1 || batch > this.maxBatch) {
      throw new PolicygradError(
        `RecurrentLayer.${caller}: invalid batch ${describeValue(batch)}: expected an integer in [1, ${this.maxBatch}] (maxBatch)`,
      );
    }
    this.shape.steps = steps;
    this.shape.batch = batch;
    if (this.viewsOf.steps !== steps || this.viewsOf.batch !== batch)
      this.viewsOf = this.makeViews(steps, batch);
  }

  /**
   * Runs `batch` sequences of `steps` steps: `input` [steps·batch × inputSize] time-major, `episodeStarts`
   * [steps·batch] (1/true where the state resets before that step), the initial states `h0` and, for the LSTM,
   * `c0` [batch × hiddenSize] (null: zero). Returns the outputs h_t [steps·batch × hiddenSize] (a workspace view
   * valid until the next call); `finalHidden`/`finalCell` give the last states.
   */
  forward(
    params: Floats,
    offset: number,
    input: ArrayLike<number>,
    episodeStarts: ArrayLike<number | boolean>,
    h0: ArrayLike<number> | null,
    c0: ArrayLike<number> | null,
    steps: number,
    batch: number,
  ): Floats {
    this.setShape(steps, batch, 'forward');
    const { trace, hiddenSize: H } = this;
    copyInto(trace.X, input, steps * batch * this.inputSize);
    for (let k = 0; k < steps * batch; k++) trace.starts[k] = episodeStarts[k] ? 1 : 0;
    copyInto(trace.h0, h0, batch * H);
    if (this.cell === 'lstm') copyInto(trace.c0, c0, batch * H);
    this.kernels.recurrentForward(this.shape, this.weights(params, offset), trace);
    return this.viewsOf.output;
  }

  /** h_T of the last `forward` [batch × hiddenSize] (a workspace view). */
  finalHidden(): Floats {
    return this.viewsOf.finalHidden;
  }

  /** c_T of the last `forward` (LSTM; a workspace view). */
  finalCell(): Floats {
    if (this.cell !== 'lstm') throw new PolicygradError('RecurrentLayer.finalCell: a GRU has no cell state');
    return this.viewsOf.finalCell;
  }

  /**
   * Backpropagation through time after `forward`: adds ∂L/∂θ into `grads` (same offset as the parameters) given
   * `gradOutput` = ∂L/∂h_t [steps·batch × hiddenSize] and, optionally, ∂L/∂h_T and ∂L/∂c_T. Returns ∂L/∂input,
   * ∂L/∂h0 and ∂L/∂c0 (workspace views; `cell0` is empty for the GRU).
   */
  backward(
    params: Floats,
    grads: Floats,
    offset: number,
    gradOutput: ArrayLike<number>,
    gradFinalHidden: Floats | null = null,
    gradFinalCell: Floats | null = null,
  ): { input: Floats; hidden0: Floats; cell0: Floats } {
    const { steps, batch } = this.shape;
    copyInto(this.grads.dY, gradOutput, steps * batch * this.hiddenSize);
    const g = this.weights(grads, offset);
    const args = this.grads;
    args.dWih = g.Wih;
    args.dWhh = g.Whh;
    args.dbih = g.bih;
    args.dbhh = g.bhh;
    args.dhT = gradFinalHidden;
    args.dcT = this.cell === 'lstm' ? gradFinalCell : null;
    this.kernels.recurrentBackward(this.shape, this.weights(params, offset), this.trace, args);
    return { input: this.viewsOf.dX, hidden0: this.viewsOf.dh0, cell0: this.viewsOf.dc0 };
  }
}

function copyInto(target: Floats, source: ArrayLike<number> | null, n: number): void {
  if (source === null) {
    target.fill(0, 0, n);
    return;
  }
  if (source.length < n) {
    throw new PolicygradError(`RecurrentLayer: an input holds ${source.length} numbers, expected ${n}`);
  }
  for (let k = 0; k < n; k++) target[k] = source[k];
}

export interface RecurrentInitOptions {
  /**
   * 'orthogonal' (default): orthogonal weight_ih and weight_hh with gain 1 and zero biases, as CleanRL's
   * ppo_atari_lstm initialises its nn.LSTM. 'pytorch': U(−1/√H, 1/√H) for every weight and bias, PyTorch's own
   * default, which sb3-contrib's RecurrentActorCriticPolicy keeps (SB3's `init_weights` orthogonalises only
   * nn.Linear and nn.Conv2d modules, so its LSTMs stay at PyTorch's init).
   */
  scheme?: 'orthogonal' | 'pytorch';
  /** Added to the LSTM's forget-gate bias b_if (Jozefowicz et al. 2015 suggest 1). Default 0, as both above. */
  forgetBias?: number;
}

/** Initialises the layer's parameters at `offset` of `params`. */
export function initRecurrent(
  layer: RecurrentLayer,
  params: Floats,
  offset: number,
  rng: Rng,
  { scheme = 'orthogonal', forgetBias = 0 }: RecurrentInitOptions = {},
): void {
  const w = layer.weights(params, offset);
  const G = gateCount(layer.cell);
  const H = layer.hiddenSize;
  if (scheme === 'orthogonal') {
    orthogonal(w.Wih, G * H, layer.inputSize, 1, rng);
    orthogonal(w.Whh, G * H, H, 1, rng);
    w.bih.fill(0);
    w.bhh.fill(0);
  } else if (scheme === 'pytorch') {
    const bound = 1 / Math.sqrt(H);
    for (const block of [w.Wih, w.Whh, w.bih, w.bhh]) {
      for (let k = 0; k < block.length; k++) block[k] = rng.uniform(-bound, bound);
    }
  } else {
    throw new PolicygradError(
      `initRecurrent: unknown scheme ${describeValue(scheme)}: expected 'orthogonal' or 'pytorch'`,
    );
  }
  if (layer.cell === 'lstm') for (let j = 0; j < H; j++) w.bih[H + j] += forgetBias;
}
