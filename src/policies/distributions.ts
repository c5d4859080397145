/**
 * Action distributions over batches, parameterised by the policy network's outputs ("distribution inputs"),
 * with everything the algorithms need in closed form: sampling, mode, log-probability, entropy,
 * KL(old‖new), the gradient of each w.r.t. the distribution inputs, and the Fisher metric in input space (for
 * natural gradients: F = Jᵀ M J with J the network Jacobian).
 *
 * Layouts (row-major, one row per sample):
 * - `Categorical(sizes)`: inputs are logits [B × Σ sizes]; one categorical per component (MultiDiscrete is
 *   several independent components); actions [B × components]. A masked logit (−∞, see `maskLogits`) has
 *   probability 0 and receives zero gradient.
 * - `DiagGaussian(D)`: inputs are [B × 2D] = [mean | log σ]; actions [B × D].
 *
 * Gradient methods *add* `weights[b] · ∂f_b/∂inputs_b` into `out`, so a loss Σ_b w_b f_b is one call.
 */
import { PolicygradError } from '../errors.js';
import type { Floats } from '../nn/kernels.js';
import type { Rng } from '../rng.js';

export interface Distribution {
  /** Distribution inputs per sample. */
  readonly inputSize: number;
  /** Numbers per action. */
  readonly actionSize: number;
  sample(inputs: Floats, batch: number, rng: Rng, actions: Floats): void;
  mode(inputs: Floats, batch: number, actions: Floats): void;
  logProb(inputs: Floats, actions: Floats, batch: number, out: Floats): void;
  entropy(inputs: Floats, batch: number, out: Floats): void;
  /** KL(old ‖ new) per sample. */
  kl(oldInputs: Floats, newInputs: Floats, batch: number, out: Floats): void;
  gradLogProb(inputs: Floats, actions: Floats, batch: number, weights: Floats, out: Floats): void;
  gradEntropy(inputs: Floats, batch: number, weights: Floats, out: Floats): void;
  /** Gradient of KL(old ‖ new) w.r.t. the new inputs. */
  gradKl(oldInputs: Floats, newInputs: Floats, batch: number, weights: Floats, out: Floats): void;
  /** out_b = M(inputs_b) · v_b, with M the Fisher information of the distribution in input coordinates. */
  fisherVectorProduct(inputs: Floats, v: Floats, batch: number, out: Floats): void;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Categorical distributions from logits; several independent components for MultiDiscrete. */
export class Categorical implements Distribution {
  readonly inputSize: number;
  readonly actionSize: number;
  readonly sizes: readonly number[];
  private readonly offsets: number[];
  /** Scratch for one component's probabilities and log-probabilities. */
  private readonly p: Float64Array;
  private readonly logp: Float64Array;
  private readonly q: Float64Array;
  private readonly logq: Float64Array;

  constructor(sizes: number | readonly number[]) {
    this.sizes = typeof sizes === 'number' ? [sizes] : [...sizes];
    this.offsets = [];
    let offset = 0;
    for (const n of this.sizes) {
      this.offsets.push(offset);
      offset += n;
    }
    this.inputSize = offset;
    this.actionSize = this.sizes.length;
    const largest = Math.max(...this.sizes);
    this.p = new Float64Array(largest);
    this.logp = new Float64Array(largest);
    this.q = new Float64Array(largest);
    this.logq = new Float64Array(largest);
  }

  /** Sets the logits of disallowed actions to −∞; `mask` [B × inputSize] holds 1 for allowed, 0 for masked. */
  maskLogits(logits: Floats, mask: ArrayLike<number>, batch: number): void {
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < this.sizes.length; c++) {
        const base = b * this.inputSize + this.offsets[c];
        let allowed = 0;
        for (let i = 0; i < this.sizes[c]; i++) {
          if (mask[base + i] === 0) logits[base + i] = Number.NEGATIVE_INFINITY;
          else allowed++;
        }
        if (allowed === 0) {
          throw new PolicygradError(
            `the action mask allows no action${this.sizes.length > 1 ? ` in component ${c}` : ''} (row ${b}): at least one entry must be 1`,
          );
        }
      }
    }
  }

  /** Softmax and log-softmax of component c of sample b into (p, logp); returns the component size. */
  private softmax(inputs: Floats, b: number, c: number, p: Float64Array, logp: Float64Array): number {
    const n = this.sizes[c];
    const base = b * this.inputSize + this.offsets[c];
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) if (inputs[base + i] > max) max = inputs[base + i];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.exp(inputs[base + i] - max);
      p[i] = e;
      sum += e;
    }
    const logSum = max + Math.log(sum);
    const inverse = 1 / sum;
    for (let i = 0; i < n; i++) {
      logp[i] = inputs[base + i] - logSum;
      p[i] *= inverse;
    }
    return n;
  }

  /** log Σ_i exp(z_i) of component c of sample b (stable: the largest logit factored out). */
  private logSumExp(inputs: Floats, b: number, c: number): number {
    const n = this.sizes[c];
    const base = b * this.inputSize + this.offsets[c];
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) if (inputs[base + i] > max) max = inputs[base + i];
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(inputs[base + i] - max);
    return max + Math.log(sum);
  }

  sample(inputs: Floats, batch: number, rng: Rng, actions: Floats): void {
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < this.sizes.length; c++) {
        const n = this.softmax(inputs, b, c, this.p, this.logp);
        let u = rng.uniform();
        let chosen = -1;
        for (let i = 0; i < n; i++) {
          if (this.p[i] === 0) continue;
          chosen = i; // the last allowed action absorbs rounding in the cumulative sum
          u -= this.p[i];
          if (u < 0) break;
        }
        actions[b * this.actionSize + c] = chosen;
      }
    }
  }

  mode(inputs: Floats, batch: number, actions: Floats): void {
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < this.sizes.length; c++) {
        const base = b * this.inputSize + this.offsets[c];
        let best = 0;
        for (let i = 1; i < this.sizes[c]; i++) if (inputs[base + i] > inputs[base + best]) best = i;
        actions[b * this.actionSize + c] = best;
      }
    }
  }

  /** log π(a) = Σ_c log softmax(z_c)[a_c]. */
  logProb(inputs: Floats, actions: Floats, batch: number, out: Floats): void {
    for (let b = 0; b < batch; b++) {
      let total = 0;
      for (let c = 0; c < this.sizes.length; c++) {
        const logit = inputs[b * this.inputSize + this.offsets[c] + actions[b * this.actionSize + c]];
        total += logit - this.logSumExp(inputs, b, c);
      }
      out[b] = total;
    }
  }

  /** H = −Σ_c Σ_i p_i log p_i (masked actions contribute 0). */
  entropy(inputs: Floats, batch: number, out: Floats): void {
    for (let b = 0; b < batch; b++) {
      let h = 0;
      for (let c = 0; c < this.sizes.length; c++) {
        const n = this.softmax(inputs, b, c, this.p, this.logp);
        for (let i = 0; i < n; i++) if (this.p[i] > 0) h -= this.p[i] * this.logp[i];
      }
      out[b] = h;
    }
  }

  /** KL(p_old ‖ p_new) = Σ_i p_old,i (log p_old,i − log p_new,i). */
  kl(oldInputs: Floats, newInputs: Floats, batch: number, out: Floats): void {
    for (let b = 0; b < batch; b++) {
      let total = 0;
      for (let c = 0; c < this.sizes.length; c++) {
        const n = this.softmax(oldInputs, b, c, this.p, this.logp);
        this.softmax(newInputs, b, c, this.q, this.logq);
        for (let i = 0; i < n; i++) if (this.p[i] > 0) total += this.p[i] * (this.logp[i] - this.logq[i]);
      }
      out[b] = total;
    }
  }

  /** ∂ log π(a)/∂z = onehot(a) − p. */
  gradLogProb(inputs: Floats, actions: Floats, batch: number, weights: Floats, out: Floats): void {
    for (let b = 0; b < batch; b++) {
      const w = weights[b];
      if (w === 0) continue;
      for (let c = 0; c < this.sizes.length; c++) {
        const n = this.softmax(inputs, b, c, this.p, this.logp);
        const base = b * this.inputSize + this.offsets[c];
        for (let i = 0; i < n; i++) out[base + i] -= w * this.p[i];
        out[base + actions[b * this.actionSize + c]] += w;
      }
    }
  }

  /** ∂H/∂z_i = −p_i (log p_i + H). */
  gradEntropy(inputs: Floats, batch: number, weights: Floats, out: Floats): void {
    for (let b = 0; b < batch; b++) {
      const w = weights[b];
      if (w === 0) continue;
      for (let c = 0; c < this.sizes.length; c++) {
        const n = this.softmax(inputs, b, c, this.p, this.logp);
        let h = 0;
        for (let i = 0; i < n; i++) if (this.p[i] > 0) h -= this.p[i] * this.logp[i];
        const base = b * this.inputSize + this.offsets[c];
        for (let i = 0; i < n; i++) if (this.p[i] > 0) out[base + i] -= w * this.p[i] * (this.logp[i] + h);
      }
    }
  }

  /** ∂KL(p_old ‖ p_new)/∂z_new = p_new − p_old. */
  gradKl(oldInputs: Floats, newInputs: Floats, batch: number, weights: Floats, out: Floats): void {
    for (let b = 0; b < batch; b++) {
      const w = weights[b];
      if (w === 0) continue;
      for (let c = 0; c < this.sizes.length; c++) {
        const n = this.softmax(oldInputs, b, c, this.p, this.logp);
        this.softmax(newInputs, b, c, this.q, this.logq);
        const base = b * this.inputSize + this.offsets[c];
        for (let i = 0; i < n; i++) out[base + i] += w * (this.q[i] - this.p[i]);
      }
    }
  }

  /** M = diag(p) − p pᵀ per component: (M v)_i = p_i (v_i − Σ_j p_j v_j). */
  fisherVectorProduct(inputs: Floats, v: Floats, batch: number, out: Floats): void {
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < this.sizes.length; c++) {
        const n = this.softmax(inputs, b, c, this.p, this.logp);
        const base = b * this.inputSize + this.offsets[c];
        let pv = 0;
        for (let i = 0; i < n; i++) if (this.p[i] > 0) pv += this.p[i] * v[base + i];
        for (let i = 0; i < n; i++) out[base + i] = this.p[i] > 0 ? this.p[i] * (v[base + i] - pv) : 0;
      }
    }
  }
}

/** Diagonal Gaussian over R^D from [mean | log σ] per sample. */
export class DiagGaussian implements Distribution {
  readonly inputSize: number;

  constructor(readonly actionSize: number) {
    this.inputSize = 2 * actionSize;
  }

  sample(inputs: Floats, batch: number, rng: Rng, actions: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < D; d++) {
        const mean = inputs[b * 2 * D + d];
        const logStd = inputs[b * 2 * D + D + d];
        actions[b * D + d] = mean + Math.exp(logStd) * rng.normal();
      }
    }
  }

  mode(inputs: Floats, batch: number, actions: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) for (let d = 0; d < D; d++) actions[b * D + d] = inputs[b * 2 * D + d];
  }

  /** log π(a) = Σ_d −(a_d − μ_d)²/(2σ_d²) − log σ_d − ½ log 2π. */
  logProb(inputs: Floats, actions: Floats, batch: number, out: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      let total = 0;
      for (let d = 0; d < D; d++) {
        const logStd = inputs[b * 2 * D + D + d];
        const z = (actions[b * D + d] - inputs[b * 2 * D + d]) / Math.exp(logStd);
        total += -0.5 * z * z - logStd - 0.5 * LOG_2PI;
      }
      out[b] = total;
    }
  }

  /** H = Σ_d (½ + ½ log 2π + log σ_d). */
  entropy(inputs: Floats, batch: number, out: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      let total = 0;
      for (let d = 0; d < D; d++) total += 0.5 + 0.5 * LOG_2PI + inputs[b * 2 * D + D + d];
      out[b] = total;
    }
  }

  /** KL(old ‖ new) = Σ_d log(σ_n/σ_o) + (σ_o² + (μ_o − μ_n)²)/(2σ_n²) − ½. */
  kl(oldInputs: Floats, newInputs: Floats, batch: number, out: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      let total = 0;
      for (let d = 0; d < D; d++) {
        const muO = oldInputs[b * 2 * D + d];
        const muN = newInputs[b * 2 * D + d];
        const lsO = oldInputs[b * 2 * D + D + d];
        const lsN = newInputs[b * 2 * D + D + d];
        const varN = Math.exp(2 * lsN);
        total += lsN - lsO + (Math.exp(2 * lsO) + (muO - muN) ** 2) / (2 * varN) - 0.5;
      }
      out[b] = total;
    }
  }

  /** ∂ log π/∂μ = (a − μ)/σ², ∂ log π/∂ log σ = (a − μ)²/σ² − 1. */
  gradLogProb(inputs: Floats, actions: Floats, batch: number, weights: Floats, out: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      const w = weights[b];
      if (w === 0) continue;
      for (let d = 0; d < D; d++) {
        const std = Math.exp(inputs[b * 2 * D + D + d]);
        const z = (actions[b * D + d] - inputs[b * 2 * D + d]) / std;
        out[b * 2 * D + d] += (w * z) / std;
        out[b * 2 * D + D + d] += w * (z * z - 1);
      }
    }
  }

  /** ∂H/∂μ = 0, ∂H/∂ log σ = 1. */
  gradEntropy(_inputs: Floats, batch: number, weights: Floats, out: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) for (let d = 0; d < D; d++) out[b * 2 * D + D + d] += weights[b];
  }

  /** ∂KL/∂μ_n = (μ_n − μ_o)/σ_n², ∂KL/∂ log σ_n = 1 − (σ_o² + (μ_o − μ_n)²)/σ_n². */
  gradKl(oldInputs: Floats, newInputs: Floats, batch: number, weights: Floats, out: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      const w = weights[b];
      if (w === 0) continue;
      for (let d = 0; d < D; d++) {
        const muO = oldInputs[b * 2 * D + d];
        const muN = newInputs[b * 2 * D + d];
        const varO = Math.exp(2 * oldInputs[b * 2 * D + D + d]);
        const varN = Math.exp(2 * newInputs[b * 2 * D + D + d]);
        out[b * 2 * D + d] += (w * (muN - muO)) / varN;
        out[b * 2 * D + D + d] += w * (1 - (varO + (muO - muN) ** 2) / varN);
      }
    }
  }

  /** In (μ, log σ) coordinates the Fisher metric is diag(1/σ², 2). */
  fisherVectorProduct(inputs: Floats, v: Floats, batch: number, out: Floats): void {
    const D = this.actionSize;
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < D; d++) {
        const varN = Math.exp(2 * inputs[b * 2 * D + D + d]);
        out[b * 2 * D + d] = v[b * 2 * D + d] / varN;
        out[b * 2 * D + D + d] = 2 * v[b * 2 * D + D + d];
      }
    }
  }
}
