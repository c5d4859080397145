/**
 * Generalized State-Dependent Exploration (gSDE; Raffin, Kober & Stulp 2021, "Smooth Exploration for Robotic
 * Reinforcement Learning", CoRL; SB3's `StateDependentNoiseDistribution` and `use_sde`).
 *
 * The action is the mean plus noise that is a linear function of the policy's features z(s) (the actor's last
 * hidden layer): a = μ(s) + z(s)ᵀ E, with an exploration matrix E [F × D] drawn per env, E_jd ~ N(0, s_jd²), and
 * kept for several steps (`sdeSampleFreq`), so the same state gives the same noise and exploration is smooth.
 * Given s, a is Gaussian with independent components:
 *
 *   a_d ~ N(μ_d, σ_d²),   σ_d² = Σ_j z_j² s_jd² + ε   (ε = 1e-6, SB3's epsilon, keeps σ > 0 when z = 0)
 *
 * so the distribution is a `DiagGaussian` whose per-sample log σ_d = ½ log(Σ_j z_j² s_jd² + ε) is computed here
 * from the features and the learned matrix ℓ of log standard deviations: s_jd = exp(ℓ_jd), or with `useExpln`
 * s = exp(ℓ) for ℓ ≤ 0 and log1p(ℓ + ε) + 1 above (the paper's expln, which grows only logarithmically).
 * `fullStd`: ℓ is [F × D]; otherwise [F × 1], one value per feature shared by every action dimension.
 *
 * The features are detached, as in SB3's ActorCriticPolicy (stable_baselines3/common/policies.py builds the
 * distribution with `"learn_features": False`, so `proba_distribution` uses `latent_sde.detach()`; only SAC's
 * actor can learn them): the loss reaches σ only through ℓ,
 * and the actor's hidden layers learn from the mean alone. The hyperparameters rl-zoo tuned for gSDE were tuned
 * with that gradient, which is why it is kept. Consequently `backward` and `jvp` here differentiate log σ w.r.t. ℓ
 * only:
 *
 *   ∂ log σ_d / ∂ℓ_jd = z_j² s_jd s'_jd / σ_d²    (s' = ds/dℓ: s for exp; s for ℓ ≤ 0, 1/(1 + ℓ + ε) above for expln)
 *
 * (summed over d when ℓ is shared, `fullStd: false`). For natural gradients, the Fisher metric of a Gaussian in
 * (μ_d, log σ_d) is diag(1/σ_d², 2) whatever makes σ depend on the state: E[(∂_μ log p)²] = E[(a − μ)²]/σ⁴ = 1/σ²,
 * E[(∂_{log σ} log p)²] = E[(x² − 1)²] = 2 (x standard normal), cross terms odd in x. The Fisher in parameters is
 * Jᵀ diag(1/σ², 2) J with J the Jacobian of (μ, log σ) given above (and the mean network's), which is the Hessian
 * of KL(π_old ‖ π_θ) at θ_old with the features held fixed.
 */
import type { Floats } from '../nn/kernels.js';
import type { Rng } from '../rng.js';
import { encodeFloats, decodeFloatsInto } from '../encoding.js';
import { describeValue, PolicygradError } from '../errors.js';

/** SB3's epsilon (in σ² and in expln). */
export const SDE_EPSILON = 1e-6;

export interface StateDependentNoiseOptions {
  actionSize: number;
  /** Width of the features z (the actor's last hidden layer). */
  featureSize: number;
  /** One log σ per (feature, action) pair (default, SB3's `full_std=True`), or one per feature. */
  fullStd?: boolean;
  /** expln instead of exp for s = s(ℓ) (SB3's `use_expln`). */
  useExpln?: boolean;
}

/** The exploration matrices between rollouts (for checkpoints). */
export interface StateDependentNoiseState {
  /** Number of matrices (one per env). */
  count: number;
  /** The matrices, [count × F × D] float64, little-endian, base64. */
  matrices: string;
}

export class StateDependentNoise {
  readonly actionSize: number;
  readonly featureSize: number;
  readonly fullStd: boolean;
  readonly useExpln: boolean;
  /** Number of learned log σ values: F × D, or F with `fullStd: false`. */
  readonly paramCount: number;
  /** The exploration matrices [count × F × D]; row i of a batch uses matrix i (matrix 0 when counts differ). */
  private matrices = new Float64Array(0);
  private count = 0;
  /** Scratch per learned value: s², and s·s' (∂(s²)/∂ℓ / 2), filled by `prepare` once per call. */
  private readonly stdSquared: Float64Array;
  private readonly stdSlope: Float64Array;

  constructor(options: StateDependentNoiseOptions) {
    this.actionSize = options.actionSize;
    this.featureSize = options.featureSize;
    this.fullStd = options.fullStd ?? true;
    this.useExpln = options.useExpln ?? false;
    this.paramCount = this.featureSize * (this.fullStd ? this.actionSize : 1);
    this.stdSquared = new Float64Array(this.paramCount);
    this.stdSlope = new Float64Array(this.paramCount);
  }

  /** s(ℓ)² and s(ℓ)·s'(ℓ) for every learned value (the loops below then need no exp). */
  private prepare(logStd: Floats): void {
    for (let k = 0; k < this.paramCount; k++) {
      const s = this.std(logStd[k]);
      this.stdSquared[k] = s * s;
      this.stdSlope[k] = s * this.stdDerivative(logStd[k]);
    }
  }

  /** s(ℓ): exp, or expln. */
  std(logStd: number): number {
    if (!this.useExpln || logStd <= 0) return Math.exp(logStd);
    return Math.log1p(logStd + SDE_EPSILON) + 1;
  }

  /** ds/dℓ. */
  stdDerivative(logStd: number): number {
    if (!this.useExpln || logStd <= 0) return Math.exp(logStd);
    return 1 / (1 + logStd + SDE_EPSILON);
  }

  /** Index of ℓ_jd in the parameter block. */
  private paramIndex(j: number, d: number): number {
    return this.fullStd ? j * this.actionSize + d : j;
  }

  /** σ_d² = Σ_j z_j² s_jd² + ε for row b (after `prepare`). */
  private variance(features: Floats, b: number, d: number): number {
    const F = this.featureSize;
    let variance = SDE_EPSILON;
    for (let j = 0; j < F; j++) {
      const z = features[b * F + j];
      variance += z * z * this.stdSquared[this.paramIndex(j, d)];
    }
    return variance;
  }

  /** Writes [μ | log σ] rows into `out` from the means [B × D], the features [B × F] and ℓ. */
  distInputs(means: Floats, features: Floats, logStd: Floats, batch: number, out: Floats): void {
    const D = this.actionSize;
    this.prepare(logStd);
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < D; d++) {
        out[b * 2 * D + d] = means[b * D + d];
        out[b * 2 * D + D + d] = 0.5 * Math.log(this.variance(features, b, d));
      }
    }
  }

  /** Adds ∂L/∂ℓ into `gradLogStd` given ∂L/∂(distribution inputs) `gradInputs` (only the log σ half is read). */
  backward(gradInputs: Floats, features: Floats, logStd: Floats, batch: number, gradLogStd: Floats): void {
    const D = this.actionSize;
    const F = this.featureSize;
    this.prepare(logStd);
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < D; d++) {
        const g = gradInputs[b * 2 * D + D + d];
        if (g === 0) continue;
        const scale = g / this.variance(features, b, d);
        for (let j = 0; j < F; j++) {
          const z = features[b * F + j];
          const k = this.paramIndex(j, d);
          gradLogStd[k] += scale * z * z * this.stdSlope[k];
        }
      }
    }
  }

  /** out_{b,d} = Σ_j ∂ log σ_{b,d}/∂ℓ_jd · tangent_jd: the log σ half of J v (written into [B × 2D] rows). */
  jvp(features: Floats, logStd: Floats, tangent: Floats, batch: number, out: Floats): void {
    const D = this.actionSize;
    const F = this.featureSize;
    this.prepare(logStd);
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < D; d++) {
        let sum = 0;
        for (let j = 0; j < F; j++) {
          const z = features[b * F + j];
          const k = this.paramIndex(j, d);
          sum += z * z * this.stdSlope[k] * tangent[k];
        }
        out[b * 2 * D + D + d] = sum / this.variance(features, b, d);
      }
    }
  }

  /** Draws `count` exploration matrices, E_jd ~ N(0, s(ℓ_jd)²) (SB3's `sample_weights` / `reset_noise`). */
  resample(logStd: Floats, count: number, rng: Rng): void {
    const F = this.featureSize;
    const D = this.actionSize;
    if (this.matrices.length !== count * F * D) this.matrices = new Float64Array(count * F * D);
    this.count = count;
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < F; j++) {
        for (let d = 0; d < D; d++) {
          this.matrices[(i * F + j) * D + d] = this.std(logStd[this.paramIndex(j, d)]) * rng.normal();
        }
      }
    }
  }

  /** Whether matrices have been drawn. */
  get sampled(): boolean {
    return this.count > 0;
  }

  /** actions_b += z_bᵀ E_b (E_0 for every row when the batch is not one row per matrix, as SB3). */
  addNoise(features: Floats, batch: number, actions: Floats): void {
    if (this.count === 0) {
      throw new PolicygradError('gSDE: no exploration matrix drawn yet (call resetNoise first)');
    }
    const F = this.featureSize;
    const D = this.actionSize;
    const perRow = batch === this.count;
    for (let b = 0; b < batch; b++) {
      const base = (perRow ? b : 0) * F * D;
      for (let d = 0; d < D; d++) {
        let noise = 0;
        for (let j = 0; j < F; j++) noise += features[b * F + j] * this.matrices[base + j * D + d];
        actions[b * D + d] += noise;
      }
    }
  }

  getState(): StateDependentNoiseState {
    return { count: this.count, matrices: encodeFloats(this.matrices) };
  }

  /** Restores matrices saved with `getState()` (validated: they must fit this policy). */
  setState(state: StateDependentNoiseState): void {
    const count = state?.count;
    if (!Number.isSafeInteger(count) || count < 0 || typeof state.matrices !== 'string') {
      throw new PolicygradError(
        `invalid gSDE state ${describeValue(state)}: expected { count: a non-negative integer, matrices: base64 }`,
      );
    }
    const matrices = new Float64Array(count * this.featureSize * this.actionSize);
    decodeFloatsInto(state.matrices, matrices, 'gSDE exploration matrices');
    this.matrices = matrices;
    this.count = count;
  }
}
