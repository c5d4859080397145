/**
 * Natural-gradient machinery (Kakade 2001; Schulman et al. 2015): the Fisher information of the policy,
 *   F = (1/B) Σ_b J_bᵀ M_b J_b,   J_b = ∂(distribution inputs of s_b)/∂θ,   M_b the distribution's Fisher metric,
 * applied to a vector without ever forming F (J v by forward mode, M by the distribution, Jᵀ by reverse mode),
 * and conjugate gradient to solve F x = g for the natural gradient x = F⁻¹ g.
 */
import type { ActorCriticPolicy } from '../policies/actor-critic.js';

/**
 * Solves A x = b for symmetric positive-definite A given only x ↦ A x (Hestenes & Stiefel 1952), starting from
 * x = 0, for at most `maxIterations` steps or until the squared residual falls below `residualTolerance`.
 */
export function conjugateGradient(
  matVec: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  maxIterations: number,
  residualTolerance = 1e-10,
): Float64Array {
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b); // residual b − A x
  const p = Float64Array.from(b); // search direction
  const Ap = new Float64Array(n);
  let rr = dot(r, r);
  for (let it = 0; it < maxIterations && rr > residualTolerance; it++) {
    matVec(p, Ap);
    const alpha = rr / dot(p, Ap);
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * Ap[i];
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    rr = rrNew;
  }
  return x;
}

/**
 * v ↦ (F + damping·I) v over the actor parameters, for the observations passed to the constructor (it runs the
 * forward pass once; later calls reuse the cached activations, so do not run the actor on other data between
 * calls).
 */
export class FisherVectorProduct {
  readonly size: number;
  private readonly inputs: Float32Array;
  private readonly tangent: Float32Array;
  private readonly metricTimesJv: Float32Array;

  constructor(
    private readonly policy: ActorCriticPolicy,
    observations: Float32Array,
    private readonly batch: number,
    private readonly damping: number,
    masks: Uint8Array | null = null,
  ) {
    this.size = policy.actorParamCount;
    this.tangent = new Float32Array(policy.numParams);
    this.metricTimesJv = new Float32Array(batch * policy.dist.inputSize);
    // Masked logits have p = 0, so the metric M ignores them and J v needs no mask.
    this.inputs = Float32Array.from(policy.distInputs(observations, batch, masks ?? undefined));
  }

  apply = (v: Float64Array, out: Float64Array): void => {
    const { policy, batch } = this;
    for (let i = 0; i < this.size; i++) this.tangent[i] = v[i];
    const jv = policy.distInputsJvp(this.tangent, batch); // J v
    policy.dist.fisherVectorProduct(this.inputs, jv, batch, this.metricTimesJv); // M J v
    for (let k = 0; k < this.metricTimesJv.length; k++) this.metricTimesJv[k] /= batch;
    policy.zeroGrad();
    policy.backwardActor(this.metricTimesJv, batch); // Jᵀ M J v / B
    for (let i = 0; i < this.size; i++) out[i] = policy.grads[i] + this.damping * v[i];
  };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
