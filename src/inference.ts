/**
 * `policygrad/inference`: run a trained policy anywhere, with no dependency at all (not even the rest of this
 * package): `loadPolicy(json).act(observation)` returns the deterministic action the policy takes, in the env's
 * own units (a Discrete index with its start, or a Box action clipped to its bounds; a tanh-squashed policy's
 * tanh(μ) rescaled to the bounds). A gSDE policy's deterministic action is its mean, so its noise parameters are
 * not needed here. The observation is the raw
 * env observation; the training-time observation normalisation stored in the file is applied here.
 *
 * The JSON is what `policygrad export` (or `exportPolicy`) writes. This module re-implements the small forward
 * pass it needs (dense layers, tanh/relu) in plain TypeScript so a game or a web page can embed it alone.
 */

type Activation = 'tanh' | 'relu';

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
    hiddenSizes: number[];
    activation: Activation;
    sharedTrunk: boolean;
    stateDependentStd: boolean;
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

export class InferencePolicy {
  /** Numbers in one observation. */
  readonly observationSize: number;
  private readonly params: Float32Array;
  private readonly trunk: Dense[];
  private readonly actor: Dense[];
  private readonly activation: Activation;
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
    const hidden = spec.hiddenSizes;
    let actorEnd: number;
    if (spec.sharedTrunk) {
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
    for (const layer of [...this.trunk, ...this.actor]) x = this.dense(layer, x);
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

  /** y = act(W x + b), rounded to float32 after each layer like the training kernels. */
  private dense(layer: Dense, x: number[]): number[] {
    const { params } = this;
    const y = new Array<number>(layer.nOut);
    const biases = layer.offset + layer.nIn * layer.nOut;
    for (let o = 0; o < layer.nOut; o++) {
      let z = params[biases + o];
      const row = layer.offset + o * layer.nIn;
      for (let i = 0; i < layer.nIn; i++) z += params[row + i] * x[i];
      if (layer.activate) z = this.activation === 'tanh' ? Math.tanh(z) : Math.max(z, 0);
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
