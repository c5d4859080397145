/**
 * Dense-layer kernels: the only loops over weights in the library. The MLP calls them through this interface,
 * so the WebAssembly SIMD build can replace the TypeScript reference without touching anything above.
 *
 * Conventions: a layer maps x ∈ R^in to y = act(W x + b), W row-major [out × in]. Batches are row-major
 * [batch × features]. Kernels work on float32 or float64 arrays (float64 is used by the gradient checks).
 *
 * Activations are chosen per layer (src/nn/activations.ts). tanh, relu and elu have derivatives that are
 * functions of their output y, so backward and jvp read Y; gelu's is not, so a gelu layer also keeps its
 * pre-activation z = X Wᵀ + b: `forward` writes it to `Z` and `backward`/`jvp` read it there (Z is needed only
 * for gelu; pass null otherwise).
 */
import { type Activation, activate, activationDerivative } from './activations.js';

export type Floats = Float32Array | Float64Array;
export type { Activation };

/** One layer of a network's forward pass, for `DenseKernels.planForward`. */
export interface NetworkLayer {
  W: Floats;
  b: Floats;
  X: Floats;
  Y: Floats;
  Z: Floats | null;
  nIn: number;
  nOut: number;
  act: Activation;
}

/** A layer's arrays for a training pass: the forward pass's and its gradients' (dY = ∂L/∂Y, dX = ∂L/∂X). */
export interface TrainingLayer extends NetworkLayer {
  dW: Floats;
  db: Floats;
  dY: Floats;
  dX: Floats;
}

/** A network's forward pass prepared by `planForward` (opaque to its callers). */
export interface NetworkPlan {
  readonly layerCount: number;
}

export interface DenseKernels {
  readonly name: string;
  /**
   * Prepares a whole network's forward pass — `forward` of each layer in turn, each layer's Y the next one's X —
   * so that `forwardPlanned` runs it as one call; null when these kernels cannot (arrays they would copy). The plan
   * holds the arrays themselves: it is valid while they are, and `releasePlan` frees it. Optional.
   */
  planForward?(layers: readonly NetworkLayer[]): NetworkPlan | null;
  /** Runs a plan from `planForward` on the first `batch` rows (the same numbers as the layer-by-layer calls). */
  forwardPlanned?(plan: NetworkPlan, batch: number): void;
  releasePlan?(plan: NetworkPlan): void;
  /**
   * A zeroed float32 array placed where these kernels read it without copying (wasm memory for the wasm
   * kernels). Optional: callers fall back to `new Float32Array(length)`.
   */
  allocate?(length: number): Float32Array;
  /** Gives an array from `allocate` back; it must not be used afterwards. */
  release?(array: Float32Array): void;
  /** A zeroed float64 array placed like `allocate`'s (for optimizer moments). */
  allocateFloat64?(length: number): Float64Array;
  /**
   * One Adam step over float32 parameters with float64 moments m, v (see `Adam` in optim.ts for the rule):
   * θ ← θ − stepSize·m / (√v / sqrtCorrection2 + ε) after updating m and v.
   */
  adamStep?(
    params: Float32Array,
    grads: Float32Array,
    m: Float64Array,
    v: Float64Array,
    stepSize: number,
    beta1: number,
    beta2: number,
    sqrtCorrection2: number,
    epsilon: number,
  ): void;
  /** Y = act(X Wᵀ + b); for gelu also Z = X Wᵀ + b (Z is ignored for the other activations). */
  forward(
    W: Floats,
    b: Floats,
    X: Floats,
    Y: Floats,
    batch: number,
    nIn: number,
    nOut: number,
    act: Activation,
    Z?: Floats | null,
  ): void;
  /**
   * Given dY (gradient w.r.t. Y) and the forward output Y (and pre-activation Z for gelu): dZ = dY ⊙ act'(z)
   * written into dY in place, then dW += dZᵀ X, db += Σ_rows dZ, and, when dX is given, dX = dZ W.
   */
  backward(
    W: Floats,
    X: Floats,
    Y: Floats,
    dY: Floats,
    dW: Floats,
    db: Floats,
    dX: Floats | null,
    batch: number,
    nIn: number,
    nOut: number,
    act: Activation,
    Z?: Floats | null,
  ): void;
  /**
   * Forward-mode derivative: given the parameter tangent (vW, vb) and the input tangent vX (null when the input
   * does not depend on the parameters), vY = act'(z) ⊙ (X vWᵀ + vb + vX Wᵀ) (Z as in `backward`).
   */
  jvp(
    W: Floats,
    vW: Floats,
    vb: Floats,
    X: Floats,
    vX: Floats | null,
    Y: Floats,
    vY: Floats,
    batch: number,
    nIn: number,
    nOut: number,
    act: Activation,
    Z?: Floats | null,
  ): void;
}

/** The pre-activations of a gelu layer, which it cannot do without; null for every other activation. */
function preActivations(act: Activation, Z: Floats | null | undefined): Floats | null {
  if (act !== 'gelu') return null;
  if (Z === null || Z === undefined) {
    throw new Error('dense kernels: a gelu layer needs its pre-activation array Z');
  }
  return Z;
}

/** The plain TypeScript reference kernels. */
export const tsKernels: DenseKernels = {
  name: 'typescript',

  forward(W, b, X, Y, batch, nIn, nOut, act, Z) {
    const pre = preActivations(act, Z);
    if (pre !== null) {
      // gelu: z = X Wᵀ + b kept in Z for backward and jvp, then Y = gelu(Z) (as the wasm kernels do).
      tsKernels.forward(W, b, X, pre, batch, nIn, nOut, 'identity');
      for (let k = 0; k < batch * nOut; k++) Y[k] = activate(act, pre[k]);
      return;
    }
    for (let r = 0; r < batch; r++) {
      const xo = r * nIn;
      const yo = r * nOut;
      for (let o = 0; o < nOut; o++) {
        const wo = o * nIn;
        let z = b[o];
        for (let i = 0; i < nIn; i++) z += W[wo + i] * X[xo + i];
        Y[yo + o] = act === 'tanh' ? Math.tanh(z) : activate(act, z);
      }
    }
  },

  backward(W, X, Y, dY, dW, db, dX, batch, nIn, nOut, act, Z) {
    const pre = preActivations(act, Z);
    if (act !== 'identity') {
      for (let k = 0; k < batch * nOut; k++) dY[k] *= activationDerivative(act, Y[k], pre?.[k] ?? 0);
    }
    for (let r = 0; r < batch; r++) {
      const xo = r * nIn;
      const yo = r * nOut;
      for (let o = 0; o < nOut; o++) {
        const dz = dY[yo + o];
        if (dz === 0) continue;
        db[o] += dz;
        const wo = o * nIn;
        for (let i = 0; i < nIn; i++) dW[wo + i] += dz * X[xo + i];
      }
    }
    if (dX !== null) {
      dX.fill(0, 0, batch * nIn);
      for (let r = 0; r < batch; r++) {
        const xo = r * nIn;
        const yo = r * nOut;
        for (let o = 0; o < nOut; o++) {
          const dz = dY[yo + o];
          if (dz === 0) continue;
          const wo = o * nIn;
          for (let i = 0; i < nIn; i++) dX[xo + i] += dz * W[wo + i];
        }
      }
    }
  },

  jvp(W, vW, vb, X, vX, Y, vY, batch, nIn, nOut, act, Z) {
    const pre = preActivations(act, Z);
    for (let r = 0; r < batch; r++) {
      const xo = r * nIn;
      const yo = r * nOut;
      for (let o = 0; o < nOut; o++) {
        const wo = o * nIn;
        let dz = vb[o];
        for (let i = 0; i < nIn; i++) dz += vW[wo + i] * X[xo + i];
        if (vX !== null) for (let i = 0; i < nIn; i++) dz += W[wo + i] * vX[xo + i];
        vY[yo + o] = dz * activationDerivative(act, Y[yo + o], pre?.[yo + o] ?? 0);
      }
    }
  },
};
