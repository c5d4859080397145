/**
 * A tanh-squashed diagonal Gaussian for bounded (Box) action spaces — SB3's `SquashedDiagGaussianDistribution`
 * (the `squash_output` option), as used by SAC (Haarnoja et al. 2018, appendix C):
 *
 *   u ~ N(μ, diag σ²),   a = tanh(u) ∈ (−1, 1)^D,
 *   log π(a) = log N(u; μ, σ) − Σ_d log(1 − a_d² + ε),   u = atanh(a),   ε = 1e-6 (SB3's epsilon)
 *
 * The second term is the log-determinant of the Jacobian of tanh (d tanh/du = 1 − tanh²). The policy rescales a
 * from [−1, 1] to the Box bounds (low + (a + 1)(high − low)/2), so actions never need clipping.
 *
 * Inputs are [μ | log σ] as for `DiagGaussian`. Given a, the correction does not depend on the inputs, so the
 * gradient of log π is the Gaussian's at u. KL and the Fisher metric are the Gaussian's: KL is invariant under the
 * bijection tanh. The entropy has no closed form (SB3 returns None and PPO then uses −log π(a) of the sampled
 * action); here it is computed deterministically, H = H_N(σ) + Σ_d E_u[log(1 − tanh² u_d + ε)], with the
 * expectation by Gauss–Hermite quadrature, so it is an exact function of the inputs with an exact gradient.
 */
import type { Floats } from '../nn/kernels.js';
import type { Rng } from '../rng.js';
import { DiagGaussian, type Distribution } from './distributions.js';

/** SB3's epsilon in the log-det-Jacobian correction. */
export const SQUASH_EPSILON = 1e-6;
/** SB3's TanhBijector clamps actions to [−1 + eps, 1 − eps] (float32 machine epsilon) before atanh. */
const ATANH_CLAMP = 1 - 1.1920928955078125e-7;
const QUADRATURE_NODES = 40;

/** atanh of an action clamped into the open interval (SB3's TanhBijector.inverse). */
export function inverseSquash(a: number): number {
  const x = Math.min(Math.max(a, -ATANH_CLAMP), ATANH_CLAMP);
  return 0.5 * (Math.log1p(x) - Math.log1p(-x));
}

/** log(1 − tanh² u + ε): the log-det-Jacobian of tanh at u, with SB3's ε. */
function logJacobian(u: number): number {
  const t = Math.tanh(u);
  return Math.log(1 - t * t + SQUASH_EPSILON);
}

/** d/du log(1 − tanh² u + ε). */
function logJacobianSlope(u: number): number {
  const t = Math.tanh(u);
  return (-2 * t * (1 - t * t)) / (1 - t * t + SQUASH_EPSILON);
}

/**
 * Nodes and weights of n-point Gauss–Hermite quadrature (∫ e^{−x²} f(x) dx ≈ Σ w_k f(x_k)): Newton's method on
 * the orthonormal Hermite recurrence from the standard initial guesses (Press et al., Numerical Recipes §4.6).
 */
export function gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const piToMinusQuarter = Math.PI ** -0.25;
  let z = 0;
  for (let i = 0; i < (n + 1) >> 1; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * nodes[0];
    else if (i === 3) z = 1.91 * z - 0.91 * nodes[1];
    else z = 2 * z - nodes[i - 2];
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p1 = piToMinusQuarter;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      derivative = Math.sqrt(2 * n) * p2;
      const previous = z;
      z = previous - p1 / derivative;
      if (Math.abs(z - previous) <= 1e-14 * Math.max(1, Math.abs(z))) break;
    }
    nodes[i] = z;
    nodes[n - 1 - i] = -z;
    weights[i] = weights[n - 1 - i] = 2 / (derivative * derivative);
  }
  return { nodes, weights };
}

const { nodes: GH_NODES, weights: GH_WEIGHTS } = gaussHermite(QUADRATURE_NODES);

/** A diagonal Gaussian squashed by tanh; inputs [μ | log σ], actions in (−1, 1)^D. */
export class SquashedDiagGaussian implements Distribution {
  readonly inputSize: number;
  private readonly gaussian: DiagGaussian;
  /** Scratch: the pre-squash actions u = atanh(a) of a batch. */
  private unsquashed = new Float64Array(0);

  constructor(readonly actionSize: number) {
    this.inputSize = 2 * actionSize;
    this.gaussian = new DiagGaussian(actionSize);
  }

  /** a ← tanh(a), in place (n numbers). */
  squash(values: Floats, n: number): void {
    for (let k = 0; k < n; k++) values[k] = Math.tanh(values[k]);
  }

  private unsquash(actions: Floats, batch: number): Float64Array {
    const n = batch * this.actionSize;
    if (this.unsquashed.length < n) this.unsquashed = new Float64Array(n);
    for (let k = 0; k < n; k++) this.unsquashed[k] = inverseSquash(actions[k]);
    return this.unsquashed;
  }

  sample(inputs: Floats, batch: number, rng: Rng, actions: Floats): void {
    this.gaussian.sample(inputs, batch, rng, actions);
    this.squash(actions, batch * this.actionSize);
  }

  /** tanh(μ): the most likely pre-squash value, squashed (SB3's mode). */
  mode(inputs: Floats, batch: number, actions: Floats): void {
    this.gaussian.mode(inputs, batch, actions);
    this.squash(actions, batch * this.actionSize);
  }

  logProb(inputs: Floats, actions: Floats, batch: number, out: Floats): void {
    this.gaussian.logProb(inputs, this.unsquash(actions, batch), batch, out);
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      let correction = 0;
      for (let d = 0; d < D; d++) {
        const a = actions[b * D + d];
        correction += Math.log(1 - a * a + SQUASH_EPSILON);
      }
      out[b] -= correction;
    }
  }

  /** H = Σ_d ½ + ½ log 2π + log σ_d + E[log(1 − tanh² u_d + ε)], u_d = μ_d + √2 σ_d x (Gauss–Hermite). */
  entropy(inputs: Floats, batch: number, out: Floats): void {
    this.gaussian.entropy(inputs, batch, out);
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < D; d++) {
        const mean = inputs[b * 2 * D + d];
        const spread = Math.SQRT2 * Math.exp(inputs[b * 2 * D + D + d]);
        let expectation = 0;
        for (let k = 0; k < QUADRATURE_NODES; k++) {
          expectation += GH_WEIGHTS[k] * logJacobian(mean + spread * GH_NODES[k]);
        }
        out[b] += expectation / Math.sqrt(Math.PI);
      }
    }
  }

  kl(oldInputs: Floats, newInputs: Floats, batch: number, out: Floats): void {
    this.gaussian.kl(oldInputs, newInputs, batch, out);
  }

  gradLogProb(inputs: Floats, actions: Floats, batch: number, weights: Floats, out: Floats): void {
    this.gaussian.gradLogProb(inputs, this.unsquash(actions, batch), batch, weights, out);
  }

  /** ∂/∂μ E f(u) = E f'(u); ∂/∂ log σ E f(u) = E f'(u)·√2 σ x (differentiating under the quadrature). */
  gradEntropy(inputs: Floats, batch: number, weights: Floats, out: Floats): void {
    this.gaussian.gradEntropy(inputs, batch, weights, out);
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      const w = weights[b] / Math.sqrt(Math.PI);
      if (w === 0) continue;
      for (let d = 0; d < D; d++) {
        const mean = inputs[b * 2 * D + d];
        const spread = Math.SQRT2 * Math.exp(inputs[b * 2 * D + D + d]);
        let dMean = 0;
        let dLogStd = 0;
        for (let k = 0; k < QUADRATURE_NODES; k++) {
          const slope = GH_WEIGHTS[k] * logJacobianSlope(mean + spread * GH_NODES[k]);
          dMean += slope;
          dLogStd += slope * spread * GH_NODES[k];
        }
        out[b * 2 * D + d] += w * dMean;
        out[b * 2 * D + D + d] += w * dLogStd;
      }
    }
  }

  gradKl(oldInputs: Floats, newInputs: Floats, batch: number, weights: Floats, out: Floats): void {
    this.gaussian.gradKl(oldInputs, newInputs, batch, weights, out);
  }

  fisherVectorProduct(inputs: Floats, v: Floats, batch: number, out: Floats): void {
    this.gaussian.fisherVectorProduct(inputs, v, batch, out);
  }
}
