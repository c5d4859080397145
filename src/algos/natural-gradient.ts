/**
 * Natural-gradient machinery (Kakade 2001; Schulman et al. 2015): the Fisher information of the policy,
 *   F = (1/B) Σ_b J_bᵀ M_b J_b,   J_b = ∂(distribution inputs of s_b)/∂θ,   M_b the distribution's Fisher metric,
 * applied to a vector without ever forming F (J v by forward mode, M by the distribution, Jᵀ by reverse mode),
 * and conjugate gradient to solve F x = g for the natural gradient x = F⁻¹ g.
 */
import type { ActorCriticPolicy } from '../policies/actor-critic.js';

/** The vectors conjugate gradient works in, for a system of `size` unknowns: allocate once, reuse per solve. */
export interface ConjugateGradientScratch {
  x: Float64Array;
  r: Float64Array;
  p: Float64Array;
  Ap: Float64Array;
}

export function allocateConjugateGradient(size: number): ConjugateGradientScratch {
  return {
    x: new Float64Array(size),
    r: new Float64Array(size),
    p: new Float64Array(size),
    Ap: new Float64Array(size),
  };
}

/**
 * Solves A x = b for symmetric positive-definite A given only x ↦ A x (Hestenes & Stiefel 1952), starting from
 * x = 0, for at most `maxIterations` steps or until the squared residual falls below `residualTolerance`. Returns
 * x, which is `scratch.x` when a scratch is given (overwritten by the next solve).
 */
export function conjugateGradient(
  matVec: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  maxIterations: number,
  residualTolerance = 1e-10,
  { x, r, p, Ap }: ConjugateGradientScratch = allocateConjugateGradient(b.length),
): Float64Array {
  const n = b.length;
  x.fill(0);
  r.set(b); // residual b − A x
  p.set(b); // search direction
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
 * v ↦ (F + damping·I) v over the actor parameters, for the batch of observations given to the constructor or to
 * `setBatch` (each runs the forward pass once; later calls reuse the cached activations, so do not run the actor
 * on other data between calls). One instance serves every iteration of a run: its arrays are allocated once.
 */
export class FisherVectorProduct {
  readonly size: number;
  private readonly inputs: Float32Array;
  private readonly tangent: Float32Array;
  private readonly metricTimesJv: Float32Array;

  /** `observations` null: no batch yet (call `setBatch` before `apply`). */
  constructor(
    private readonly policy: ActorCriticPolicy,
    observations: Float32Array | null,
    private readonly batch: number,
    private readonly damping: number,
    masks: Uint8Array | null = null,
  ) {
    this.size = policy.actorParamCount;
    this.tangent = new Float32Array(policy.numParams);
    this.metricTimesJv = new Float32Array(batch * policy.dist.inputSize);
    this.inputs = new Float32Array(batch * policy.dist.inputSize);
    if (observations !== null) this.setBatch(observations, masks);
  }

  /** The Fisher of another batch of `batch` observations [batch × obsDim] (with its action masks, if any). */
  setBatch(observations: Float32Array, masks: Uint8Array | null = null): void {
    // Masked logits have p = 0, so the metric M ignores them and J v needs no mask.
    this.inputs.set(this.policy.distInputs(observations, this.batch, masks ?? undefined));
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
