/**
 * Dense-layer kernels: the only loops over weights in the library. The MLP calls them through this interface,
 * so the WebAssembly SIMD build can replace the TypeScript reference without touching anything above.
 *
 * Conventions: a layer maps x ∈ R^in to y = act(W x + b), W row-major [out × in]. Batches are row-major
 * [batch × features]. Kernels work on float32 or float64 arrays (float64 is used by the gradient checks).
 */
export type Floats = Float32Array | Float64Array;
export type Activation = 'tanh' | 'relu' | 'identity';

export interface DenseKernels {
  readonly name: string;
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
  /** Y = act(X Wᵀ + b). */
  forward(
    W: Floats,
    b: Floats,
    X: Floats,
    Y: Floats,
    batch: number,
    nIn: number,
    nOut: number,
    act: Activation,
  ): void;
  /**
   * Given dY (gradient w.r.t. Y) and the forward output Y: dZ = dY ⊙ act'(Y) written into dY in place, then
   * dW += dZᵀ X, db += Σ_rows dZ, and, when dX is given, dX = dZ W.
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
  ): void;
  /**
   * Forward-mode derivative: given the parameter tangent (vW, vb) and the input tangent vX (null when the input
   * does not depend on the parameters), vY = act'(Y) ⊙ (X vWᵀ + vb + vX Wᵀ).
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
  ): void;
}

/** act'(z) expressed through y = act(z): 1 − y² for tanh, [y > 0] for relu, 1 for identity. */
function derivativeFromOutput(act: Activation, y: number): number {
  if (act === 'tanh') return 1 - y * y;
  if (act === 'relu') return y > 0 ? 1 : 0;
  return 1;
}

/** The plain TypeScript reference kernels. */
export const tsKernels: DenseKernels = {
  name: 'typescript',

  forward(W, b, X, Y, batch, nIn, nOut, act) {
    for (let r = 0; r < batch; r++) {
      const xo = r * nIn;
      const yo = r * nOut;
      for (let o = 0; o < nOut; o++) {
        const wo = o * nIn;
        let z = b[o];
        for (let i = 0; i < nIn; i++) z += W[wo + i] * X[xo + i];
        Y[yo + o] = act === 'tanh' ? Math.tanh(z) : act === 'relu' ? (z > 0 ? z : 0) : z;
      }
    }
  },

  backward(W, X, Y, dY, dW, db, dX, batch, nIn, nOut, act) {
    if (act !== 'identity') {
      for (let k = 0; k < batch * nOut; k++) dY[k] *= derivativeFromOutput(act, Y[k]);
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

  jvp(W, vW, vb, X, vX, Y, vY, batch, nIn, nOut, act) {
    for (let r = 0; r < batch; r++) {
      const xo = r * nIn;
      const yo = r * nOut;
      for (let o = 0; o < nOut; o++) {
        const wo = o * nIn;
        let dz = vb[o];
        for (let i = 0; i < nIn; i++) dz += vW[wo + i] * X[xo + i];
        if (vX !== null) for (let i = 0; i < nIn; i++) dz += W[wo + i] * vX[xo + i];
        vY[yo + o] = dz * derivativeFromOutput(act, Y[yo + o]);
      }
    }
  },
};
