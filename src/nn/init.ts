/**
 * Parameter initialisation as Stable-Baselines3 and CleanRL do it: orthogonal weights (Saxe et al. 2014) scaled
 * by a per-layer gain — √2 for hidden layers, 0.01 for the policy head, 1 for the value head — and zero biases.
 */
import type { Rng } from '../rng.js';
import type { Floats } from './kernels.js';
import type { MLP } from './mlp.js';

/**
 * Fills `out` (row-major [rows × cols]) with a random matrix with orthonormal rows or columns (whichever are
 * fewer), times `gain`: QR of a Gaussian matrix with the signs fixed so R has a positive diagonal, as
 * `torch.nn.init.orthogonal_`. Modified Gram–Schmidt yields exactly that Q.
 */
export function orthogonal(out: Floats, rows: number, cols: number, gain: number, rng: Rng): void {
  const transpose = rows < cols;
  const m = transpose ? cols : rows; // m ≥ n: orthonormalise the n columns of an m × n matrix
  const n = transpose ? rows : cols;
  const a = new Float64Array(m * n); // column-major: column j at a[j*m .. j*m + m)
  for (let k = 0; k < a.length; k++) a[k] = rng.normal();
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    for (let k = 0; k < j; k++) {
      const ck = k * m;
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[ck + i] * a[cj + i];
      for (let i = 0; i < m; i++) a[cj + i] -= dot * a[ck + i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[cj + i] * a[cj + i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) a[cj + i] /= norm;
  }
  // Q is m × n; the weight is Q (rows × cols) or Qᵀ when rows < cols.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (transpose ? a[r * m + c] : a[c * m + r]);
    }
  }
}

/** Orthogonal weights with `gains[l]` for layer l, zero biases, for the MLP whose parameters start at `offset`. */
export function initMLP(mlp: MLP, params: Floats, offset: number, gains: readonly number[], rng: Rng): void {
  mlp.layers.forEach((layer, l) => {
    const gain = gains[Math.min(l, gains.length - 1)];
    const W = params.subarray(offset + layer.wOffset, offset + layer.wOffset + layer.nIn * layer.nOut);
    orthogonal(W, layer.nOut, layer.nIn, gain, rng);
    params.fill(0, offset + layer.bOffset, offset + layer.bOffset + layer.nOut);
  });
}

/** SB3's gains for an MLP with `numLayers` layers: √2 for hidden layers, `headGain` for the last. */
export function hiddenAndHeadGains(numLayers: number, headGain: number): number[] {
  return Array.from({ length: numLayers }, (_, l) => (l + 1 === numLayers ? headGain : Math.SQRT2));
}
