/**
 * An actor-critic policy: an actor MLP whose outputs parameterise the action distribution, and a critic MLP
 * V(s), all parameters in one flat Float32Array laid out as [actor | log σ (Box actions) | critic].
 * With `sharedTrunk` the two share their hidden layers: [trunk | actor head | log σ | critic head], and the
 * gradients of both losses flow into the trunk (for algorithms with one combined loss, such as A2C and PPO).
 * Sizes as SB3's `net_arch`: one list for both networks, or `{ pi, vf }` for the actor's and the critic's.
 *
 * Losses never go through autodiff: an algorithm computes the gradient of its loss w.r.t. the distribution
 * inputs (`Distribution.grad*`) or the values, and `backwardActor` / `backwardCritic` carry it into `grads`.
 * Initialisation follows SB3: orthogonal, gains √2 (hidden, whatever the activation), 0.01 (policy head), 1 (value
 * head), log σ = 0.
 */
import { type Box, Discrete, MultiDiscrete, type Space } from '../envs/spaces.js';
import { describeValue, PolicygradError } from '../errors.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../nn/activations.js';
import { hiddenAndHeadGains, initMLP } from '../nn/init.js';
import { defaultKernels } from '../nn/backend.js';
import type { DenseKernels, Floats } from '../nn/kernels.js';
import { refuseRenamedOptions } from '../options.js';
import { MLP } from '../nn/mlp.js';
import type { Rng } from '../rng.js';
import { Categorical, DiagGaussian, type Distribution } from './distributions.js';

export interface ActorCriticOptions {
  observationSpace: Box;
  actionSpace: Space;
  /**
   * Hidden layer widths: one list for both networks, or `{ pi, vf }` for the actor (policy) and the critic (value
   * function) apart, as SB3's `net_arch=dict(pi=…, vf=…)`. Default [64, 64].
   */
  netArch?: NetArch;
  /** Activation of every hidden layer: tanh (default, SB3's for on-policy algorithms), relu, elu or gelu. */
  activation?: HiddenActivation;
  /** Initial log standard deviation of a Gaussian policy. Default 0. */
  logStdInit?: number;
  /** Gaussian log σ produced by the actor network instead of a free parameter vector. Default false. */
  stateDependentStd?: boolean;
  /** Orthogonal initialisation (SB3/CleanRL). Default true; otherwise small Gaussian weights. */
  orthogonalInit?: boolean;
  /** Actor and critic share their hidden layers (one trunk, two linear heads). Default false. */
  sharedTrunk?: boolean;
  /** Dense kernels of both networks. Default: `defaultKernels()` (WebAssembly SIMD where available). */
  kernels?: DenseKernels;
}

/** Hidden layer widths: one list for both networks, or the actor's (pi) and the critic's (vf). */
export type NetArch = readonly number[] | { readonly pi: readonly number[]; readonly vf: readonly number[] };

/** What it takes to rebuild the same network (with the spaces): saved with the parameters. */
export interface PolicySpec {
  netArch: { pi: number[]; vf: number[] };
  activation: HiddenActivation;
  sharedTrunk: boolean;
  stateDependentStd: boolean;
}

export interface ActResult {
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
}

export class ActorCriticPolicy {
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** The shared hidden layers, or null for separate networks. */
  readonly trunk: MLP | null;
  /** The actor network (the actor head when the trunk is shared). */
  readonly actor: MLP;
  /** The critic network (the critic head when the trunk is shared). */
  readonly critic: MLP;
  readonly dist: Distribution;
  readonly obsDim: number;
  readonly spec: PolicySpec;
  /** Parameters of the policy (actor and log σ): indices [0, actorParamCount). */
  readonly actorParamCount: number;
  readonly criticOffset: number;
  private readonly actorOffset: number;
  private readonly logStdOffset: number;
  private readonly stateDependentStd: boolean;
  private capacity = 0;
  private distInputBuffer = new Float32Array(0);
  private headGradBuffer = new Float32Array(0);
  private valueBuffer = new Float32Array(0);
  private jvpBuffer = new Float32Array(0);

  constructor(options: ActorCriticOptions, rng: Rng) {
    refuseRenamedOptions(options, 'ActorCriticPolicy');
    const { observationSpace, actionSpace } = options;
    const netArch = resolveNetArch(options.netArch ?? [64, 64]);
    const activation = resolveActivation(options.activation ?? 'tanh');
    this.obsDim = observationSpace.size;
    this.dist = distributionFor(actionSpace);
    this.stateDependentStd = options.stateDependentStd === true && this.dist instanceof DiagGaussian;
    this.spec = {
      netArch,
      activation,
      sharedTrunk: options.sharedTrunk === true,
      stateDependentStd: this.stateDependentStd,
    };
    // The actor outputs all distribution inputs, except a state-independent log σ kept as free parameters.
    const actorOut =
      this.dist instanceof DiagGaussian && !this.stateDependentStd
        ? this.dist.actionSize
        : this.dist.inputSize;
    const kernels = options.kernels ?? defaultKernels();
    const { pi, vf } = netArch;
    if (options.sharedTrunk === true) {
      if (pi.length === 0) throw new PolicygradError('sharedTrunk needs at least one hidden layer');
      if (pi.length !== vf.length || pi.some((width, l) => width !== vf[l])) {
        throw new PolicygradError(
          `sharedTrunk shares the hidden layers, so netArch must be one list; got pi ${describeValue(pi)}, vf ${describeValue(vf)}`,
        );
      }
      const width = pi[pi.length - 1];
      this.trunk = new MLP({
        sizes: [this.obsDim, ...pi],
        hiddenActivation: activation,
        outputActivation: activation,
        kernels,
      });
      this.actor = new MLP({ sizes: [width, actorOut], kernels });
      this.critic = new MLP({ sizes: [width, 1], kernels });
    } else {
      this.trunk = null;
      const hidden = { hiddenActivation: activation, kernels };
      this.actor = new MLP({ sizes: [this.obsDim, ...pi, actorOut], ...hidden });
      this.critic = new MLP({ sizes: [this.obsDim, ...vf, 1], ...hidden });
    }
    this.actorOffset = this.trunk?.numParams ?? 0;
    this.logStdOffset = this.actorOffset + this.actor.numParams;
    const logStdCount =
      this.dist instanceof DiagGaussian && !this.stateDependentStd ? this.dist.actionSize : 0;
    this.actorParamCount = this.logStdOffset + logStdCount;
    this.criticOffset = this.actorParamCount;
    // In the kernels' own memory where they have one, so the networks read them without a copy.
    const numParams = this.actorParamCount + this.critic.numParams;
    this.params = kernels.allocate?.(numParams) ?? new Float32Array(numParams);
    this.grads = kernels.allocate?.(numParams) ?? new Float32Array(numParams);

    if (options.orthogonalInit ?? true) {
      if (this.trunk !== null) {
        initMLP(this.trunk, this.params, 0, hiddenAndHeadGains(pi.length, Math.SQRT2), rng);
      }
      const { actor, critic } = this;
      initMLP(actor, this.params, this.actorOffset, hiddenAndHeadGains(actor.layers.length, 0.01), rng);
      initMLP(critic, this.params, this.criticOffset, hiddenAndHeadGains(critic.layers.length, 1), rng);
    } else {
      for (let i = 0; i < this.params.length; i++) this.params[i] = rng.normal(0, 0.1);
    }
    this.params.fill(options.logStdInit ?? 0, this.logStdOffset, this.logStdOffset + logStdCount);
  }

  /** Whether actor and critic share their hidden layers. */
  get sharedTrunk(): boolean {
    return this.trunk !== null;
  }

  /** Input of a head: the trunk's features, or the observations themselves. */
  private headInput(observations: Floats, batch: number): Floats {
    return this.trunk === null ? observations : this.trunk.forward(this.params, 0, observations, batch);
  }

  /** Carries a head's input gradient on into the trunk (nothing to do for separate networks). */
  private backwardTrunk(gradFeatures: Floats, batch: number): void {
    if (this.trunk !== null) this.trunk.backward(this.params, this.grads, 0, gradFeatures, batch);
  }

  get numParams(): number {
    return this.params.length;
  }

  private ensureCapacity(batch: number): void {
    if (batch <= this.capacity) return;
    this.distInputBuffer = new Float32Array(batch * this.dist.inputSize);
    this.headGradBuffer = new Float32Array(batch * this.actor.outputSize);
    this.valueBuffer = new Float32Array(batch);
    this.jvpBuffer = new Float32Array(batch * this.dist.inputSize);
    this.capacity = batch;
  }

  /**
   * Distribution inputs [batch × dist.inputSize] for the observations (logits, or [mean | log σ]); optional
   * `mask` [batch × logits] (1 allowed, 0 masked) for Categorical policies. A workspace view, valid until the next
   * call; `backwardActor` must follow the `distInputs` of the same batch.
   */
  distInputs(observations: Floats, batch: number, mask?: ArrayLike<number>): Float32Array {
    this.ensureCapacity(batch);
    const out = this.actor.forward(this.params, this.actorOffset, this.headInput(observations, batch), batch);
    const inputs = this.distInputBuffer.subarray(0, batch * this.dist.inputSize);
    if (this.dist instanceof DiagGaussian && !this.stateDependentStd) {
      const D = this.dist.actionSize;
      for (let b = 0; b < batch; b++) {
        for (let d = 0; d < D; d++) {
          inputs[b * 2 * D + d] = out[b * D + d];
          inputs[b * 2 * D + D + d] = this.params[this.logStdOffset + d];
        }
      }
    } else {
      inputs.set(out);
    }
    if (mask !== undefined) {
      if (!(this.dist instanceof Categorical))
        throw new PolicygradError('action masks need a Discrete or MultiDiscrete action space');
      this.dist.maskLogits(inputs, mask, batch);
    }
    return inputs;
  }

  /**
   * Adds ∂L/∂θ_actor into `grads`, given ∂L/∂(distribution inputs) of the last `distInputs` batch. With a shared
   * trunk, the trunk's cached activations are those of the last `distInputs` or `values` call: pass the same
   * observations to both before calling the backward methods.
   */
  backwardActor(gradInputs: Floats, batch: number): void {
    if (this.dist instanceof DiagGaussian && !this.stateDependentStd) {
      const D = this.dist.actionSize;
      const headGrad = this.headGradBuffer.subarray(0, batch * D);
      for (let b = 0; b < batch; b++) {
        for (let d = 0; d < D; d++) {
          headGrad[b * D + d] = gradInputs[b * 2 * D + d];
          this.grads[this.logStdOffset + d] += gradInputs[b * 2 * D + D + d];
        }
      }
      this.backwardTrunk(
        this.actor.backward(this.params, this.grads, this.actorOffset, headGrad, batch),
        batch,
      );
    } else {
      this.backwardTrunk(
        this.actor.backward(this.params, this.grads, this.actorOffset, gradInputs, batch),
        batch,
      );
    }
  }

  /**
   * J·v: the directional derivative of the distribution inputs along the parameter tangent `v` (laid out like
   * `params`; its actor part is used), for the batch of the last `distInputs` call. With the distribution's
   * Fisher metric M and `backwardActor`, it gives the Fisher-vector product Jᵀ M J v of natural gradients.
   */
  distInputsJvp(v: Floats, batch: number): Float32Array {
    if (this.trunk !== null)
      throw new PolicygradError('natural gradients need separate actor and critic networks');
    const out = this.actor.jvp(this.params, v, this.actorOffset, batch);
    const tangent = this.jvpBuffer.subarray(0, batch * this.dist.inputSize);
    if (this.dist instanceof DiagGaussian && !this.stateDependentStd) {
      const D = this.dist.actionSize;
      for (let b = 0; b < batch; b++) {
        for (let d = 0; d < D; d++) {
          tangent[b * 2 * D + d] = out[b * D + d];
          tangent[b * 2 * D + D + d] = v[this.logStdOffset + d];
        }
      }
    } else {
      tangent.set(out);
    }
    return tangent;
  }

  /** V(s) for the observations (a workspace view, valid until the next call). */
  values(observations: Floats, batch: number): Float32Array {
    this.ensureCapacity(batch);
    const out = this.critic.forward(
      this.params,
      this.criticOffset,
      this.headInput(observations, batch),
      batch,
    );
    const values = this.valueBuffer.subarray(0, batch);
    values.set(out);
    return values;
  }

  /** Adds ∂L/∂θ_critic into `grads`, given ∂L/∂V of the last `values` batch. */
  backwardCritic(gradValues: Floats, batch: number): void {
    this.backwardTrunk(
      this.critic.backward(this.params, this.grads, this.criticOffset, gradValues, batch),
      batch,
    );
  }

  /** Samples actions (or takes the mode when deterministic) with their log-probabilities and values. */
  /** Acts for a batch; `mask` [batch × logits] (1 allowed, 0 masked) restricts a Categorical policy's choices. */
  act(
    observations: Floats,
    batch: number,
    rng: Rng,
    out: ActResult,
    deterministic = false,
    mask?: ArrayLike<number>,
  ): void {
    const inputs = this.distInputs(observations, batch, mask);
    if (deterministic) this.dist.mode(inputs, batch, out.actions);
    else this.dist.sample(inputs, batch, rng, out.actions);
    this.dist.logProb(inputs, out.actions, batch, out.logProbs);
    out.values.set(this.values(observations, batch));
  }

  /**
   * The action for one observation (or a batch: length a multiple of the observation size): an integer for a
   * Discrete space and one observation, otherwise a Float32Array of actions, row-major.
   */
  predict(
    observation: Floats,
    {
      deterministic = true,
      rng,
      mask,
    }: { deterministic?: boolean; rng?: Rng; mask?: ArrayLike<number> } = {},
  ): number | Float32Array {
    if (observation.length === 0 || observation.length % this.obsDim !== 0) {
      throw new PolicygradError(
        `predict: observation of length ${observation.length} is not a multiple of the observation size ${this.obsDim}`,
      );
    }
    if (!deterministic && rng === undefined)
      throw new PolicygradError('predict: a stochastic action needs { rng }');
    const batch = observation.length / this.obsDim;
    if (mask !== undefined && mask.length !== batch * this.dist.inputSize) {
      throw new PolicygradError(
        `predict: the action mask has ${mask.length} entries; expected ${batch * this.dist.inputSize} (one per action${batch > 1 ? ', per observation' : ''})`,
      );
    }
    const inputs = this.distInputs(observation, batch, mask);
    const actions = new Float32Array(batch * this.dist.actionSize);
    if (deterministic) this.dist.mode(inputs, batch, actions);
    else this.dist.sample(inputs, batch, rng as Rng, actions);
    return batch === 1 && this.dist instanceof Categorical && this.dist.actionSize === 1
      ? actions[0]
      : actions;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }
}

/** Options of every algorithm's `predict`. */
export interface PredictOptions {
  /** The most likely action (default) or a sample. */
  deterministic?: boolean;
  /** For Discrete/MultiDiscrete actions: 1 where an action is allowed, 0 where masked (the env's `action_mask`). */
  mask?: ArrayLike<number>;
}

/** What a `netArch` may be, for error messages. */
export const NET_ARCH_EXPECTED =
  'a list of positive integers for both networks, e.g. [64, 64], or { pi: [64, 64], vf: [256, 256] } for the actor and the critic';

function isWidths(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((w) => Number.isSafeInteger(w) && (w as number) > 0);
}

/** A list of widths for both networks (SB3 ≥ 1.8), or `{ pi, vf }` with each network's own, and nothing else. */
export function isNetArch(value: unknown): value is NetArch {
  if (isWidths(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const { pi, vf, ...rest } = value as Record<string, unknown>;
  return isWidths(pi) && isWidths(vf) && Object.keys(rest).length === 0;
}

/** A `netArch` as { pi, vf } (copies), or a one-line error. */
export function resolveNetArch(value: unknown): { pi: number[]; vf: number[] } {
  if (!isNetArch(value)) {
    throw new PolicygradError(`netArch ${describeValue(value)} is invalid: expected ${NET_ARCH_EXPECTED}`);
  }
  return 'pi' in value ? { pi: [...value.pi], vf: [...value.vf] } : { pi: [...value], vf: [...value] };
}

/** A hidden-layer activation, or a one-line error listing the accepted ones. */
export function resolveActivation(value: unknown): HiddenActivation {
  if ((HIDDEN_ACTIVATIONS as readonly unknown[]).includes(value)) return value as HiddenActivation;
  throw new PolicygradError(
    `activation ${describeValue(value)} is not supported: expected one of ${HIDDEN_ACTIVATIONS.join(', ')}`,
  );
}

/** The distribution for an action space: Categorical (Discrete, MultiDiscrete) or DiagGaussian (Box). */
export function distributionFor(space: Space): Distribution {
  if (space instanceof Discrete) return new Categorical(space.n);
  if (space instanceof MultiDiscrete) return new Categorical(space.nvec);
  if (space.type === 'Box') return new DiagGaussian((space as Box).size);
  throw new PolicygradError(
    `no policy distribution for action space ${describeValue(space?.toString())}: expected Discrete, MultiDiscrete or Box`,
  );
}
