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
 * head), log σ = 0; without `orthogonalInit`, PyTorch's default for nn.Linear (SB3's `ortho_init=False`).
 *
 * Box actions (Gaussian policies), as SB3 offers them:
 * - the default: log σ a free parameter vector (state-independent), initialised to `logStdInit`;
 * - `stateDependentStd`: the actor outputs [μ | log σ]; log σ is clamped to [LOG_STD_MIN, LOG_STD_MAX] = [−20, 2]
 *   (SB3's SAC bounds; zero gradient outside), and its output biases start at `logStdInit`;
 * - `useSde`: gSDE (see gsde.ts): σ_d(s)² = Σ_j z_j(s)² s_jd² + ε from the actor's last hidden layer z and a learned
 *   matrix of log σ, and noise z(s)ᵀE from exploration matrices E redrawn by `resetNoise`;
 * - `squashOutput`: a tanh-squashed Gaussian (see squashed-gaussian.ts); actions in (−1, 1), which the rollout
 *   rescales to the Box bounds instead of clipping.
 * Layout with gSDE: [actor (mean) | log σ matrix (F × D, or F × 1 without fullStd) | critic].
 */
import { type Box, Discrete, MultiDiscrete, type Space } from '../envs/spaces.js';
import { describeValue, PolicygradError } from '../errors.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../nn/activations.js';
import { hiddenAndHeadGains, initMLP } from '../nn/init.js';
import { defaultKernels } from '../nn/backend.js';
import type { DenseKernels, Floats } from '../nn/kernels.js';
import type { CriticThread } from './critic-thread.js';
import { refuseRenamedOptions } from '../options.js';
import { MLP } from '../nn/mlp.js';
import type { Rng } from '../rng.js';
import { Categorical, DiagGaussian, type Distribution } from './distributions.js';
import { StateDependentNoise } from './gsde.js';
import { SquashedDiagGaussian } from './squashed-gaussian.js';
import { createFusedAct, type FusedAct } from './fused-act.js';

/** Bounds of a state-dependent log σ (SB3's SAC: LOG_STD_MIN, LOG_STD_MAX). */
export const LOG_STD_MIN = -20;
export const LOG_STD_MAX = 2;

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
  /** gSDE (SB3's `use_sde`) for Box actions. Default false. */
  useSde?: boolean;
  /** gSDE: one log σ per (feature, action) pair (default true) or per feature (SB3's `full_std`). */
  fullStd?: boolean;
  /** gSDE: expln instead of exp for σ (SB3's `use_expln`). Default false. */
  useExpln?: boolean;
  /** A tanh-squashed Gaussian, actions rescaled to the Box bounds (SB3's `squash_output`). Default false. */
  squashOutput?: boolean;
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
  /** gSDE and its options (absent in files written before gSDE: false). */
  useSde?: boolean;
  fullStd?: boolean;
  useExpln?: boolean;
  /** tanh-squashed Gaussian (absent in older files: false). */
  squashOutput?: boolean;
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
  /** gSDE's noise and σ parameterisation, or null. */
  readonly sde: StateDependentNoise | null;
  /** Whether actions are tanh-squashed into (−1, 1) (rescaled to the Box bounds by the rollout). */
  readonly squashOutput: boolean;
  readonly obsDim: number;
  readonly spec: PolicySpec;
  /** Parameters of the policy (actor and log σ): indices [0, actorParamCount). */
  readonly actorParamCount: number;
  readonly criticOffset: number;
  /**
   * Where the loss loop runs the critic's half of each minibatch (policies/critic-thread.ts), set by the run that
   * owns this policy when it trains on two threads; null: one thread. Only with separate networks.
   */
  criticThread: CriticThread | null = null;
  /**
   * Whether `act` may run as one WebAssembly call (policies/fused-act.ts) where the policy allows it: same results
   * as the JavaScript path, which stays the reference (set false to take it).
   */
  fusedAct = true;
  private readonly actorOffset: number;
  private readonly logStdOffset: number;
  private readonly stateDependentStd: boolean;
  private capacity = 0;
  private distInputBuffer = new Float32Array(0);
  private headGradBuffer = new Float32Array(0);
  private valueBuffer = new Float32Array(0);
  private jvpBuffer = new Float32Array(0);
  /** Rows × log σ outputs: 1 where the state-dependent log σ was clamped (its gradient is then 0). */
  private clampedBuffer = new Uint8Array(0);
  private logStdView: Float32Array | null = null;
  /** The fused act, made at the first `act` (null: this policy acts on the JavaScript path). */
  private fusedActor: FusedAct | null | undefined = undefined;
  private logStdGradView: Float32Array | null = null;

  constructor(options: ActorCriticOptions, rng: Rng) {
    refuseRenamedOptions(options, 'ActorCriticPolicy');
    const { observationSpace, actionSpace } = options;
    const netArch = resolveNetArch(options.netArch ?? [64, 64]);
    const activation = resolveActivation(options.activation ?? 'tanh');
    this.obsDim = observationSpace.size;
    checkGaussianOptions(options, actionSpace);
    this.squashOutput = options.squashOutput === true;
    this.dist = distributionFor(actionSpace, { squashOutput: this.squashOutput });
    const gaussian = !(this.dist instanceof Categorical);
    this.stateDependentStd = options.stateDependentStd === true && gaussian;
    const useSde = options.useSde === true && gaussian;
    this.spec = {
      netArch,
      activation,
      sharedTrunk: options.sharedTrunk === true,
      stateDependentStd: this.stateDependentStd,
      useSde,
      fullStd: useSde ? (options.fullStd ?? true) : true,
      useExpln: useSde ? options.useExpln === true : false,
      squashOutput: this.squashOutput,
    };
    // The actor outputs all distribution inputs, except a state-independent log σ kept as free parameters
    // (or gSDE's, computed from the features).
    const actorOut = gaussian && !this.stateDependentStd ? this.dist.actionSize : this.dist.inputSize;
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
    // gSDE's features: the input of the actor's last layer (its last hidden layer, the trunk's output, or the
    // observations when there are no hidden layers), as SB3's latent_pi.
    this.sde = useSde
      ? new StateDependentNoise({
          actionSize: this.dist.actionSize,
          featureSize: this.actor.sizes[this.actor.sizes.length - 2],
          fullStd: this.spec.fullStd,
          useExpln: this.spec.useExpln,
        })
      : null;
    const logStdCount =
      this.sde !== null
        ? this.sde.paramCount
        : gaussian && !this.stateDependentStd
          ? this.dist.actionSize
          : 0;
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
      if (this.trunk !== null) initLikePyTorch(this.trunk, this.params, 0, rng);
      initLikePyTorch(this.actor, this.params, this.actorOffset, rng);
      initLikePyTorch(this.critic, this.params, this.criticOffset, rng);
    }
    this.params.fill(options.logStdInit ?? 0, this.logStdOffset, this.logStdOffset + logStdCount);
    if (this.stateDependentStd) {
      // log σ ≈ its output bias at the start (the head's weights are small): start it at logStdInit.
      const head = this.actor.layers[this.actor.layers.length - 1];
      const biases = this.actorOffset + head.bOffset + this.dist.actionSize;
      this.params.fill(options.logStdInit ?? 0, biases, biases + this.dist.actionSize);
    }
  }

  /** The learned log σ block (gSDE's matrix, or the state-independent vector): a view of `params`. */
  private get logStdParams(): Float32Array {
    this.logStdView ??= this.params.subarray(this.logStdOffset, this.actorParamCount);
    return this.logStdView;
  }

  /** Its gradient: a view of `grads`. */
  private get logStdGrads(): Float32Array {
    this.logStdGradView ??= this.grads.subarray(this.logStdOffset, this.actorParamCount);
    return this.logStdGradView;
  }

  /** gSDE's features for the last `distInputs` batch: the input of the actor's last layer. */
  private sdeFeatures(batch: number): Floats {
    return this.actor.layerInput(this.actor.layers.length - 1, batch);
  }

  /**
   * gSDE: draws new exploration matrices, one per env (SB3's `reset_noise(n_envs)`). The rollout calls it at the
   * start of every rollout and every `sdeSampleFreq` steps. A no-op without gSDE.
   */
  resetNoise(count: number, rng: Rng): void {
    this.sde?.resample(this.logStdParams, count, rng);
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
    this.clampedBuffer = new Uint8Array(batch * this.dist.actionSize);
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
    if (this.sde !== null) {
      this.sde.distInputs(out, this.sdeFeatures(batch), this.logStdParams, batch, inputs);
    } else if (this.stateDependentStd) {
      inputs.set(out);
      const D = this.dist.actionSize;
      for (let b = 0; b < batch; b++) {
        for (let d = 0; d < D; d++) {
          const raw = out[b * 2 * D + D + d];
          const clamped = Math.min(Math.max(raw, LOG_STD_MIN), LOG_STD_MAX);
          this.clampedBuffer[b * D + d] = clamped === raw ? 0 : 1;
          inputs[b * 2 * D + D + d] = clamped;
        }
      }
    } else if (this.isFreeLogStd) {
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
    if (this.sde !== null || this.isFreeLogStd || this.stateDependentStd) {
      const D = this.dist.actionSize;
      const width = this.actor.outputSize;
      const headGrad = this.headGradBuffer.subarray(0, batch * width);
      for (let b = 0; b < batch; b++) {
        for (let d = 0; d < D; d++) {
          headGrad[b * width + d] = gradInputs[b * 2 * D + d];
          const gradLogStd = gradInputs[b * 2 * D + D + d];
          if (this.stateDependentStd) {
            headGrad[b * width + D + d] = this.clampedBuffer[b * D + d] === 1 ? 0 : gradLogStd;
          } else if (this.sde === null) this.grads[this.logStdOffset + d] += gradLogStd;
        }
      }
      if (this.sde !== null) {
        this.sde.backward(gradInputs, this.sdeFeatures(batch), this.logStdParams, batch, this.logStdGrads);
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
    if (this.sde !== null) {
      const D = this.dist.actionSize;
      for (let b = 0; b < batch; b++) for (let d = 0; d < D; d++) tangent[b * 2 * D + d] = out[b * D + d];
      const count = this.sde.paramCount;
      const tangentLogStd = v.subarray(this.logStdOffset, this.logStdOffset + count);
      this.sde.jvp(this.sdeFeatures(batch), this.logStdParams, tangentLogStd, batch, tangent);
    } else if (this.stateDependentStd) {
      tangent.set(out);
      for (let k = 0; k < batch * this.dist.actionSize; k++) {
        if (this.clampedBuffer[k] === 1) {
          const D = this.dist.actionSize;
          tangent[Math.floor(k / D) * 2 * D + D + (k % D)] = 0;
        }
      }
    } else if (this.isFreeLogStd) {
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
    if (this.fusedAct) {
      if (this.fusedActor === undefined) this.fusedActor = createFusedAct(this, this.logStdOffset);
      if (this.fusedActor?.act(observations, batch, rng, out, deterministic, mask) === true) return;
    }
    const inputs = this.distInputs(observations, batch, mask);
    this.chooseActions(inputs, batch, rng, deterministic, out.actions);
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
    const batch = checkPredictInput(observation, this.obsDim, this.dist.inputSize, deterministic, rng, mask);
    const inputs = this.distInputs(observation, batch, mask);
    const actions = new Float32Array(batch * this.dist.actionSize);
    if (!deterministic && this.sde !== null && !this.sde.sampled) this.resetNoise(1, rng as Rng);
    this.chooseActions(inputs, batch, rng as Rng, deterministic, actions);
    return batch === 1 && this.dist instanceof Categorical && this.dist.actionSize === 1
      ? actions[0]
      : actions;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** Whether log σ is a free parameter vector (a Gaussian policy without gSDE or a state-dependent σ). */
  private get isFreeLogStd(): boolean {
    return this.sde === null && !this.stateDependentStd && !(this.dist instanceof Categorical);
  }

  /**
   * The mode, or a sample: gSDE adds z(s)ᵀE to the mean (then squashes, with `squashOutput`), every other
   * distribution samples itself. Runs after `distInputs` of the same batch (gSDE reads its features).
   */
  private chooseActions(
    inputs: Floats,
    batch: number,
    rng: Rng,
    deterministic: boolean,
    actions: Floats,
  ): void {
    if (deterministic) this.dist.mode(inputs, batch, actions);
    else if (this.sde === null) this.dist.sample(inputs, batch, rng, actions);
    else {
      const D = this.dist.actionSize;
      for (let b = 0; b < batch; b++) for (let d = 0; d < D; d++) actions[b * D + d] = inputs[b * 2 * D + d];
      this.sde.addNoise(this.sdeFeatures(batch), batch, actions);
      if (this.dist instanceof SquashedDiagGaussian) this.dist.squash(actions, batch * D);
    }
  }
}

/**
 * `predict`'s arguments checked (a whole number of observations, a generator for a sample, one mask entry per
 * logit of each observation); returns the number of observations.
 */
export function checkPredictInput(
  observation: Floats,
  obsDim: number,
  logits: number,
  deterministic: boolean,
  rng: Rng | undefined,
  mask: ArrayLike<number> | undefined,
): number {
  if (observation.length === 0 || observation.length % obsDim !== 0) {
    throw new PolicygradError(
      `predict: observation of length ${observation.length} is not a multiple of the observation size ${obsDim}`,
    );
  }
  if (!deterministic && rng === undefined)
    throw new PolicygradError('predict: a stochastic action needs { rng }');
  const batch = observation.length / obsDim;
  if (mask !== undefined && mask.length !== batch * logits) {
    throw new PolicygradError(
      `predict: the action mask has ${mask.length} entries; expected ${batch * logits} (one per action${batch > 1 ? ', per observation' : ''})`,
    );
  }
  return batch;
}

/** SB3's refusals: gSDE and squashing need Box actions; gSDE has its own σ, so not with stateDependentStd. */
function checkGaussianOptions(options: ActorCriticOptions, actionSpace: Space): void {
  const box = actionSpace?.type === 'Box';
  if (options.useSde === true && !box) {
    throw new PolicygradError(
      `useSde: gSDE needs a Box (continuous) action space, not ${String(actionSpace)}`,
    );
  }
  if (options.squashOutput === true && !box) {
    throw new PolicygradError(
      `squashOutput: a squashed Gaussian needs a Box action space, not ${String(actionSpace)}`,
    );
  }
  if (options.squashOutput === true) {
    const { low, high } = actionSpace as Box;
    for (let d = 0; d < low.length; d++) {
      if (!Number.isFinite(low[d]) || !Number.isFinite(high[d])) {
        throw new PolicygradError(
          `squashOutput: the action space's bounds must be finite to rescale tanh's (−1, 1) onto them; dimension ${d} is [${low[d]}, ${high[d]}]`,
        );
      }
    }
  }
  if (options.useSde === true && options.stateDependentStd === true) {
    throw new PolicygradError(
      'useSde and stateDependentStd both make σ depend on the state: choose one (gSDE computes σ from the features)',
    );
  }
  if (options.useSde !== true && (options.fullStd === false || options.useExpln === true)) {
    throw new PolicygradError(
      `${options.fullStd === false ? 'fullStd' : 'useExpln'} is a gSDE option: set useSde: true as well, or leave it out`,
    );
  }
}

/** PyTorch's default nn.Linear initialisation: W and b ~ U(−1/√fan_in, 1/√fan_in) (SB3 with ortho_init=False). */
export function initLikePyTorch(mlp: MLP, params: Floats, offset: number, rng: Rng): void {
  for (const layer of mlp.layers) {
    const bound = 1 / Math.sqrt(layer.nIn);
    const end = offset + layer.bOffset + layer.nOut;
    for (let k = offset + layer.wOffset; k < end; k++) params[k] = rng.uniform(-bound, bound);
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
export function distributionFor(
  space: Space,
  { squashOutput = false }: { squashOutput?: boolean } = {},
): Distribution {
  if (space instanceof Discrete) return new Categorical(space.n);
  if (space instanceof MultiDiscrete) return new Categorical(space.nvec);
  if (space.type === 'Box') {
    const size = (space as Box).size;
    return squashOutput ? new SquashedDiagGaussian(size) : new DiagGaussian(size);
  }
  throw new PolicygradError(
    `no policy distribution for action space ${describeValue(space?.toString())}: expected Discrete, MultiDiscrete or Box`,
  );
}
