/**
 * The hidden-layer activations, one number at a time, in float64, for the TypeScript reference kernels. The
 * functions themselves are defined in src/inference.ts, whose built file must import nothing (so a page can copy
 * it alone); defining them there once keeps training and `policygrad/inference` computing the same thing.
 */
import { type Activation, geluDerivative } from '../inference.js';

export {
  type Activation,
  activate,
  gelu,
  geluDerivative,
  HIDDEN_ACTIVATIONS,
  type HiddenActivation,
  normalCdf,
} from '../inference.js';

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
