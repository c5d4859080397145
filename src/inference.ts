/**
 * `policygrad/inference`: run a trained policy anywhere, with no dependency at all (not even the rest of this
 * package): `loadPolicy(json).act(observation)` returns the deterministic action the policy takes, in the env's
 * own units (a Discrete index with its start, or a Box action clipped to its bounds; a tanh-squashed policy's
 * tanh(μ) rescaled to the bounds). A gSDE policy's deterministic action is its mean, so its noise parameters are
 * not needed here. The observation is the raw
 * env observation; the training-time observation normalisation stored in the file is applied here.
 *
 * The JSON is what `policygrad export` (or `exportPolicy`) writes. This module re-implements the small forward
 * pass it needs (dense layers) in plain TypeScript so a game or a web page can embed it alone: it imports nothing.
 *
 * Recurrent policies (RecurrentPPO's LSTM/GRU): the policy keeps its memory between calls, one state per
 * `InferencePolicy` instance — `act(observation)` advances it, `reset()` clears it at the start of every episode
 * (load one instance per agent, or keep each agent's `state` and put it back). The state is float32 like the
 * training kernels'; the gates are computed exactly (Math.exp, Math.tanh), so actions equal training's up to
 * float32 rounding.
 *
 * The activations are defined here, one number at a time in float64, and the library's reference kernels use
 * these same functions (src/nn/activations.ts re-exports them), so a policy acts here as it acted in training:
 * - tanh, relu: as PyTorch's nn.Tanh, nn.ReLU.
 * - elu: nn.ELU with α = 1: z for z > 0, e^z − 1 otherwise.
 * - gelu: nn.GELU's default, the exact form z·Φ(z) with Φ the standard normal CDF (Hendrycks & Gimpel 2016),
 *   not the tanh approximation.
 */

/** The activations a policy's hidden layers accept (rl-zoo's `activation_fn`: nn.Tanh, nn.ReLU, nn.ELU, nn.GELU). */
export const HIDDEN_ACTIVATIONS = ['tanh', 'relu', 'elu', 'gelu'] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];
/** Every activation a dense layer can apply: a hidden one, or none (output layers). */
export type Activation = HiddenActivation | 'identity';

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erfc(x) for x ≥ 0 to ~1e-15 (absolute). Below 2: 1 − erf(x) with erf's Maclaurin series
 * erf x = (2/√π) Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)) (terms stay below 10 there, so little cancellation). From 2 on:
 * Laplace's continued fraction erfc x = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), 50 levels
 * evaluated bottom-up (relative error < 1e-15 at x = 2, fewer levels needed beyond).
 */
function erfcNonNegative(x: number): number {
  if (x < 2) {
    const x2 = x * x;
    let power = x; // (−1)ⁿ x^(2n+1) / n!
    let sum = x;
    for (let n = 1; n < 60; n++) {
      power *= -x2 / n;
      const term = power / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - 2 * INV_SQRT_PI * sum;
  }
  let fraction = x;
  for (let k = 50; k >= 1; k--) fraction = x + k / 2 / fraction;
  return (Math.exp(-x * x) * INV_SQRT_PI) / fraction;
}

/** Φ(z), the standard normal CDF, accurate in absolute terms and relatively in the lower tail. */
export function normalCdf(z: number): number {
  const tail = 0.5 * erfcNonNegative(Math.abs(z) * SQRT_HALF); // Φ(−|z|)
  return z < 0 ? tail : 1 - tail;
}

export function gelu(z: number): number {
  return z * normalCdf(z);
}

/** d/dz z·Φ(z) = Φ(z) + z·φ(z). */
export function geluDerivative(z: number): number {
  return normalCdf(z) + z * Math.exp(-0.5 * z * z) * INV_SQRT_2PI;
}

/** act(z) for one number. */
export function activate(act: Activation, z: number): number {
  switch (act) {
    case 'tanh':
      return Math.tanh(z);
    case 'relu':
      return z > 0 ? z : 0;
    case 'elu':
      return z > 0 ? z : Math.expm1(z);
    case 'gelu':
      return gelu(z);
    default:
      return z;
  }
}

interface SpaceDescription {
  type: string;
  n?: number;
  start?: number | number[];
  nvec?: number[];
  shape?: number[];
  low?: (number | string)[];
  high?: (number | string)[];
}

/** The fields of a policy file this module reads. */
export interface InferencePolicyFile {
  format: string;
  version: number;
  env?: string;
  observationSpace: SpaceDescription;
  actionSpace: SpaceDescription;
  spec: {
    /** 'recurrent' for a recurrent policy (then `cell`, `hiddenSize`, `encoder` too). */
    kind?: 'recurrent';
    cell?: 'lstm' | 'gru';
    hiddenSize?: number;
    encoder?: number[];
    /** Hidden widths of the actor (pi) and the critic (vf); files from before netArch have `hiddenSizes`. */
    netArch?: { pi: number[]; vf: number[] };
    hiddenSizes?: number[];
    activation: HiddenActivation;
    sharedTrunk?: boolean;
    stateDependentStd?: boolean;
    useSde?: boolean;
    squashOutput?: boolean;
  };
  normalization: { obsRms: { mean: number[]; var: number[] } } | null;
  params: string;
}

interface Dense {
  nIn: number;
  nOut: number;
  offset: number;
  activate: boolean;
}

const NORMALIZATION_EPSILON = 1e-8; // VecNormalize's ε
const NORMALIZATION_CLIP = 10; // VecNormalize's observation clip

function fail(message: string): never {
  throw new Error(`policygrad/inference: ${message}`);
}

function decodeParams(text: string): Float32Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (bytes.length % 4 !== 0) fail('the parameters are not a whole number of float32 values');
  return new Float32Array(bytes.buffer);
}

function bound(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Layers of an MLP with the given widths starting at `offset` (W [out × in] then b [out] per layer). */
function layers(sizes: number[], offset: number, activateLast: boolean): { layers: Dense[]; end: number } {
  const out: Dense[] = [];
  let at = offset;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const last = l + 2 === sizes.length;
    out.push({ nIn: sizes[l], nOut: sizes[l + 1], offset: at, activate: !last || activateLast });
    at += sizes[l] * sizes[l + 1] + sizes[l + 1];
  }
  return { layers: out, end: at };
}

/** An LSTM or GRU cell's place in the parameters (PyTorch's layout, see src/nn/recurrent-kernels.ts). */
interface Cell {
  lstm: boolean;
  inputSize: number;
  hiddenSize: number;
  /** Offsets of weight_ih, weight_hh, bias_ih, bias_hh. */
  wih: number;
  whh: number;
  bih: number;
  bhh: number;
}

function cellAt(kind: string | undefined, inputSize: number, hiddenSize: number, offset: number) {
  if (kind !== 'lstm' && kind !== 'gru')
    fail(`unknown cell ${JSON.stringify(kind)}: expected 'lstm' or 'gru'`);
  if (!Number.isSafeInteger(hiddenSize) || hiddenSize <= 0)
    fail('the recurrent spec has no valid hiddenSize');
  const rows = (kind === 'lstm' ? 4 : 3) * hiddenSize;
  const whh = offset + rows * inputSize;
  const bih = whh + rows * hiddenSize;
  const cell: Cell = { lstm: kind === 'lstm', inputSize, hiddenSize, wih: offset, whh, bih, bhh: bih + rows };
  return { cell, end: bih + 2 * rows };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export class InferencePolicy {
  /** Numbers in one observation. */
  readonly observationSize: number;
  private readonly params: Float32Array;
  /** The encoder (recurrent policies) or the shared trunk: layers before the actor (or its cell). */
  private readonly trunk: Dense[];
  /** A recurrent policy's cell, with its state (h, and c for the LSTM), else null. */
  private readonly cell: Cell | null = null;
  private readonly hidden: Float32Array;
  private readonly cellState: Float32Array;
  private readonly actor: Dense[];
  private readonly activation: HiddenActivation;
  private readonly squashOutput: boolean;
  private readonly kind: 'discrete' | 'multi-discrete' | 'box';
  private readonly sizes: number[];
  private readonly starts: number[];
  private readonly low: number[];
  private readonly high: number[];
  private readonly mean: number[] | null;
  private readonly scale: number[] | null;

  constructor(file: InferencePolicyFile) {
    if (file?.format !== 'policygrad-policy' || file.version !== 1) {
      fail(`not a policygrad policy file (format ${String(file?.format)}, version ${String(file?.version)})`);
    }
    const { spec, observationSpace, actionSpace } = file;
    this.observationSize = (observationSpace.shape ?? []).reduce((a, b) => a * b, 1);
    this.params = decodeParams(file.params);
    if (!HIDDEN_ACTIVATIONS.includes(spec.activation)) {
      fail(
        `unknown activation ${JSON.stringify(spec.activation)}: expected one of ${HIDDEN_ACTIVATIONS.join(', ')}`,
      );
    }
    this.activation = spec.activation;
    this.squashOutput = spec.squashOutput === true;
    const action = actionSpace;
    if (action.type === 'Discrete') {
      this.kind = 'discrete';
      this.sizes = [action.n as number];
      this.starts = [Number(action.start ?? 0)];
      this.low = this.high = [];
    } else if (action.type === 'MultiDiscrete') {
      this.kind = 'multi-discrete';
      this.sizes = [...(action.nvec as number[])];
      this.starts = (action.start as number[] | undefined) ?? this.sizes.map(() => 0);
      this.low = this.high = [];
    } else if (action.type === 'Box') {
      this.kind = 'box';
      this.sizes = [(action.shape ?? []).reduce((a, b) => a * b, 1)];
      this.starts = [];
      this.low = (action.low ?? []).map(bound);
      this.high = (action.high ?? []).map(bound);
    } else {
      fail(`unsupported action space ${action.type}`);
    }
    const actionSize = this.sizes.reduce((a, b) => a + b, 0);
    const actorOut =
      this.kind === 'box' ? (spec.stateDependentStd ? 2 * this.sizes[0] : this.sizes[0]) : actionSize;
    // The actor's widths (with a shared trunk, the trunk's).
    const hidden = spec.netArch?.pi ?? spec.hiddenSizes;
    if (!Array.isArray(hidden)) fail('the policy spec gives no network widths (netArch)');
    let actorEnd: number;
    const H = spec.hiddenSize ?? 0;
    this.hidden = new Float32Array(spec.kind === 'recurrent' ? H : 0);
    this.cellState = new Float32Array(spec.kind === 'recurrent' && spec.cell === 'lstm' ? H : 0);
    if (spec.kind === 'recurrent') {
      // [encoder | actor cell | actor MLP | …]: the rest (log σ, the critic) is not needed to act.
      const widths = spec.encoder ?? [];
      const encoder = layers([this.observationSize, ...widths], 0, true);
      this.trunk = encoder.layers;
      const features = widths.length > 0 ? widths[widths.length - 1] : this.observationSize;
      const cell = cellAt(spec.cell, features, H, encoder.end);
      this.cell = cell.cell;
      const actor = layers([H, ...hidden, actorOut], cell.end, false);
      this.actor = actor.layers;
      actorEnd = actor.end;
    } else if (spec.sharedTrunk) {
      const trunk = layers([this.observationSize, ...hidden], 0, true);
      this.trunk = trunk.layers;
      const actor = layers([hidden[hidden.length - 1], actorOut], trunk.end, false);
      this.actor = actor.layers;
      actorEnd = actor.end;
    } else {
      this.trunk = [];
      const actor = layers([this.observationSize, ...hidden, actorOut], 0, false);
      this.actor = actor.layers;
      actorEnd = actor.end;
    }
    if (this.params.length < actorEnd) fail('the parameters do not fit the described network');
    const rms = file.normalization?.obsRms;
    this.mean = rms ? rms.mean : null;
    this.scale = rms ? rms.var.map((v) => Math.sqrt(v + NORMALIZATION_EPSILON)) : null;
  }

  /**
   * The deterministic action for one raw observation; for Discrete/MultiDiscrete actions an optional `mask` (1
   * allowed, 0 not: the env's `action_mask`) restricts the choice to the allowed actions.
   */
  act(observation: ArrayLike<number>, mask?: ArrayLike<number>): number | number[] {
    if (observation.length !== this.observationSize) {
      fail(`observation of length ${observation.length}, expected ${this.observationSize}`);
    }
    const logits = this.sizes.reduce((a, b) => a + b, 0);
    if (mask !== undefined && (this.kind === 'box' || mask.length !== logits)) {
      fail(
        this.kind === 'box'
          ? 'action masks need a Discrete or MultiDiscrete action space'
          : `the action mask has ${mask.length} entries, expected ${logits}`,
      );
    }
    let x = Array.from(observation);
    if (this.mean !== null && this.scale !== null) {
      const { mean, scale } = this;
      // float32, as the training pipeline stores normalised observations
      x = x.map((v, i) =>
        Math.fround(Math.min(Math.max((v - mean[i]) / scale[i], -NORMALIZATION_CLIP), NORMALIZATION_CLIP)),
      );
    }
    for (const layer of this.trunk) x = this.dense(layer, x);
    if (this.cell !== null) x = this.step(this.cell, x);
    for (const layer of this.actor) x = this.dense(layer, x);
    if (this.kind === 'box' && this.squashOutput) {
      // tanh(μ) in float32 like the training pipeline's actions, then rescaled from [−1, 1] to the bounds.
      return x
        .slice(0, this.sizes[0])
        .map((v, i) => this.low[i] + 0.5 * (Math.fround(Math.tanh(v)) + 1) * (this.high[i] - this.low[i]));
    }
    if (this.kind === 'box') {
      return x.slice(0, this.sizes[0]).map((v, i) => Math.min(Math.max(v, this.low[i]), this.high[i]));
    }
    const actions: number[] = [];
    let at = 0;
    this.sizes.forEach((n, c) => {
      let best = -1;
      for (let i = 0; i < n; i++) {
        if (mask !== undefined && !mask[at + i]) continue;
        if (best < 0 || x[at + i] > x[at + best]) best = i;
      }
      if (best < 0)
        fail(`the action mask allows no action${this.sizes.length > 1 ? ` in component ${c}` : ''}`);
      actions.push(best + this.starts[c]);
      at += n;
    });
    return this.kind === 'discrete' ? actions[0] : actions;
  }

  /** A recurrent policy: forgets the episode (call it before each episode's first `act`). No-op otherwise. */
  reset(): void {
    this.hidden.fill(0);
    this.cellState.fill(0);
  }

  /** A recurrent policy's state (h, then c for the LSTM), a copy; empty for a feed-forward policy. */
  get state(): Float32Array {
    const out = new Float32Array(this.hidden.length + this.cellState.length);
    out.set(this.hidden);
    out.set(this.cellState, this.hidden.length);
    return out;
  }

  /** Puts back a `state` read earlier (several agents sharing one policy: save and restore each one's). */
  set state(value: ArrayLike<number>) {
    if (value.length !== this.hidden.length + this.cellState.length) {
      fail(`a state of ${value.length} numbers, expected ${this.hidden.length + this.cellState.length}`);
    }
    for (let j = 0; j < this.hidden.length; j++) this.hidden[j] = value[j];
    for (let j = 0; j < this.cellState.length; j++) this.cellState[j] = value[this.hidden.length + j];
  }

  /** One step of the cell from the kept state (PyTorch's nn.LSTM / nn.GRU equations); returns h_t. */
  private step(cell: Cell, x: number[]): number[] {
    const { params, hidden: h, cellState: c } = this;
    const H = cell.hiddenSize;
    const I = cell.inputSize;
    const gates = cell.lstm ? 4 : 3;
    const pre = new Array<number>(gates * H);
    const hh = new Array<number>(gates * H); // W_hh h + b_hh (the GRU's candidate needs it apart)
    for (let k = 0; k < gates * H; k++) {
      let zi = params[cell.bih + k];
      for (let i = 0; i < I; i++) zi += params[cell.wih + k * I + i] * x[i];
      let zh = params[cell.bhh + k];
      for (let j = 0; j < H; j++) zh += params[cell.whh + k * H + j] * h[j];
      pre[k] = zi;
      hh[k] = zh;
    }
    if (cell.lstm) {
      for (let j = 0; j < H; j++) {
        const i = sigmoid(pre[j] + hh[j]);
        const f = sigmoid(pre[H + j] + hh[H + j]);
        const g = Math.tanh(pre[2 * H + j] + hh[2 * H + j]);
        const o = sigmoid(pre[3 * H + j] + hh[3 * H + j]);
        c[j] = f * c[j] + i * g; // stored as float32, as in training
        h[j] = o * Math.tanh(c[j]);
      }
    } else {
      for (let j = 0; j < H; j++) {
        const r = sigmoid(pre[j] + hh[j]);
        const z = sigmoid(pre[H + j] + hh[H + j]);
        const n = Math.tanh(pre[2 * H + j] + r * hh[2 * H + j]);
        h[j] = (1 - z) * n + z * h[j];
      }
    }
    return Array.from(h);
  }

  /** y = act(W x + b), rounded to float32 after each layer like the training kernels. */
  private dense(layer: Dense, x: number[]): number[] {
    const { params } = this;
    const y = new Array<number>(layer.nOut);
    const biases = layer.offset + layer.nIn * layer.nOut;
    for (let o = 0; o < layer.nOut; o++) {
      let z = params[biases + o];
      const row = layer.offset + o * layer.nIn;
      for (let i = 0; i < layer.nIn; i++) z += params[row + i] * x[i];
      if (layer.activate) z = activate(this.activation, z);
      y[o] = Math.fround(z);
    }
    return y;
  }
}

/** A policy from the JSON text or object that `policygrad export` writes. */
export function loadPolicy(json: string | InferencePolicyFile): InferencePolicy {
  let file: InferencePolicyFile;
  try {
    file = typeof json === 'string' ? (JSON.parse(json) as InferencePolicyFile) : json;
  } catch (error) {
    fail(`the policy is not valid JSON (${(error as Error).message})`);
  }
  return new InferencePolicy(file);
}
