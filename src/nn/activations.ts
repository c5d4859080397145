/**
 * The hidden-layer activations, one number at a time, in float64: the TypeScript reference kernels and
 * `policygrad/inference` both use these (this module imports nothing, so the inference entry stays dependency-free).
 *
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

/**
 * act'(z) given y = act(z) and, for gelu (whose derivative is not a function of its output), z itself:
 * 1 − y² (tanh), [y > 0] (relu), 1 or y + 1 = e^z (elu), Φ(z) + z·φ(z) (gelu), 1 (identity).
 */
export function activationDerivative(act: Activation, y: number, z: number): number {
  switch (act) {
    case 'tanh':
      return 1 - y * y;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'elu':
      return y > 0 ? 1 : y + 1;
    case 'gelu':
      return geluDerivative(z);
    default:
      return 1;
  }
}
