/**
 * Recurrent-layer kernels (LSTM and GRU over a whole sequence), the TypeScript reference. The WebAssembly SIMD
 * build (assembly/kernels.ts, `recurrentForward`/`recurrentBackward`) implements the same interface and must
 * equal it within float32 rounding (test/recurrent-kernels.test.ts).
 *
 * Gate layout and equations as PyTorch's nn.LSTM / nn.GRU (one layer), with weights W_ih [G·H × I],
 * W_hh [G·H × H] and biases b_ih, b_hh [G·H], the gates stacked in PyTorch's order:
 *
 *   LSTM (G = 4; i, f, g, o):
 *     i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
 *     g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
 *     c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
 *   GRU (G = 3; r, z, n):
 *     r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))      (the reset gate multiplies W_hn h + b_hn, as PyTorch)
 *     h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Sequences are time-major: row t·B + b of every [T·B × ·] array is step t of sequence b. Episode starts reset
 * the state as sb3-contrib's `RecurrentActorCriticPolicy._process_sequence` does: before step t the previous
 * state is multiplied by (1 − start[t, b]), so a sequence that starts an episode begins from zero, whatever the
 * initial state given (at t = 0 too). The masked previous states are what the trace keeps.
 */
import type { Floats } from './kernels.js';

export type RecurrentCell = 'lstm' | 'gru';

/** Number of stacked gates: 4 for the LSTM (i, f, g, o), 3 for the GRU (r, z, n). */
export function gateCount(cell: RecurrentCell): number {
  return cell === 'lstm' ? 4 : 3;
}

export interface RecurrentWeights {
  Wih: Floats;
  Whh: Floats;
  bih: Floats;
  bhh: Floats;
}

/** What `recurrentForward` reads and records for `recurrentBackward`. Every array is row-major, time-major. */
export interface RecurrentTrace {
  /** [T·B × I] the inputs. */
  X: Floats;
  /** [T·B] 1 where step t of sequence b starts an episode (the state is reset before it), else 0. */
  starts: Floats;
  /** [B × H] the initial hidden state; `c0` the initial cell state (LSTM only). */
  h0: Floats;
  c0: Floats;
  /** [T·B × H] the (masked) previous hidden state of each step; `Cprev` the previous cell state (LSTM). */
  Hprev: Floats;
  Cprev: Floats;
  /** [T·B × 4H] per step: LSTM i, f, g, o (after their activations); GRU r, z, n and W_hn h + b_hn. */
  gates: Floats;
  /** [T·B × H] the outputs h_t; `C` the cell states c_t and `tanhC` = tanh(c_t) (LSTM only). */
  Y: Floats;
  C: Floats;
  tanhC: Floats;
  /** [T·B × 4H] workspace (the kernels' pre-activations). */
  pre: Floats;
}

/** What `recurrentBackward` reads (dY, dhT, dcT), accumulates into (the parameter gradients) and writes. */
export interface RecurrentGradients {
  /** [T·B × H] ∂L/∂h_t from above (not modified). */
  dY: Floats;
  /** [B × H] ∂L/∂h_T and ∂L/∂c_T from beyond the sequence, or null for zero. */
  dhT: Floats | null;
  dcT: Floats | null;
  /** Accumulated: += the gradients of the parameters. */
  dWih: Floats;
  dWhh: Floats;
  dbih: Floats;
  dbhh: Floats;
  /** Written: [T·B × I] ∂L/∂x_t (null to skip), [B × H] ∂L/∂h_0 and ∂L/∂c_0 (LSTM). */
  dX: Floats | null;
  dh0: Floats;
  dc0: Floats;
  /** [T·B × 4H] workspace: the gradients of the gate pre-activations. */
  dGates: Floats;
  /** [B × H] workspace. */
  work: Floats;
}

export interface RecurrentShape {
  cell: RecurrentCell;
  steps: number;
  batch: number;
  inputSize: number;
  hiddenSize: number;
}

export interface RecurrentKernels {
  readonly name: string;
  recurrentForward(shape: RecurrentShape, weights: RecurrentWeights, trace: RecurrentTrace): void;
  recurrentBackward(
    shape: RecurrentShape,
    weights: RecurrentWeights,
    trace: RecurrentTrace,
    grads: RecurrentGradients,
  ): void;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Σ_k W[row, k]·v[k] for W row-major with `cols` columns. */
function dot(W: Floats, row: number, cols: number, v: Floats, vOffset: number): number {
  let s = 0;
  const w = row * cols;
  for (let k = 0; k < cols; k++) s += W[w + k] * v[vOffset + k];
  return s;
}

/** Gate row k's pre-activation at `row`: b_ih + b_hh + W_ih x + W_hh h_prev. */
function preActivation(
  { Wih, Whh, bih, bhh }: RecurrentWeights,
  { X, Hprev }: RecurrentTrace,
  row: number,
  k: number,
  I: number,
  H: number,
): number {
  return bih[k] + bhh[k] + dot(Wih, k, I, X, row * I) + dot(Whh, k, H, Hprev, row * H);
}

function forwardStepLstm(
  { batch: B, inputSize: I, hiddenSize: H }: RecurrentShape,
  weights: RecurrentWeights,
  trace: RecurrentTrace,
  t: number,
): void {
  const { Cprev, gates, Y, C, tanhC } = trace;
  for (let b = 0; b < B; b++) {
    const row = t * B + b;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(preActivation(weights, trace, row, j, I, H));
      const f = sigmoid(preActivation(weights, trace, row, H + j, I, H));
      const g = Math.tanh(preActivation(weights, trace, row, 2 * H + j, I, H));
      const o = sigmoid(preActivation(weights, trace, row, 3 * H + j, I, H));
      const gr = row * 4 * H;
      gates[gr + j] = i;
      gates[gr + H + j] = f;
      gates[gr + 2 * H + j] = g;
      gates[gr + 3 * H + j] = o;
      // Read back the stored (possibly float32) gates so that c, tanh c and h follow from what backward sees.
      const c = gates[gr + H + j] * Cprev[row * H + j] + gates[gr + j] * gates[gr + 2 * H + j];
      C[row * H + j] = c;
      tanhC[row * H + j] = Math.tanh(C[row * H + j]);
      Y[row * H + j] = gates[gr + 3 * H + j] * tanhC[row * H + j];
    }
  }
}

function forwardStepGru(
  { batch: B, inputSize: I, hiddenSize: H }: RecurrentShape,
  { Wih, Whh, bih, bhh }: RecurrentWeights,
  trace: RecurrentTrace,
  t: number,
): void {
  const { X, Hprev, gates, Y } = trace;
  for (let b = 0; b < B; b++) {
    const row = t * B + b;
    const gr = row * 4 * H;
    for (let j = 0; j < H; j++) {
      const xr = bih[j] + dot(Wih, j, I, X, row * I);
      const xz = bih[H + j] + dot(Wih, H + j, I, X, row * I);
      const xn = bih[2 * H + j] + dot(Wih, 2 * H + j, I, X, row * I);
      const hr = bhh[j] + dot(Whh, j, H, Hprev, row * H);
      const hz = bhh[H + j] + dot(Whh, H + j, H, Hprev, row * H);
      gates[gr + 3 * H + j] = bhh[2 * H + j] + dot(Whh, 2 * H + j, H, Hprev, row * H);
      gates[gr + j] = sigmoid(xr + hr);
      gates[gr + H + j] = sigmoid(xz + hz);
      gates[gr + 2 * H + j] = Math.tanh(xn + gates[gr + j] * gates[gr + 3 * H + j]);
      const z = gates[gr + H + j];
      Y[row * H + j] = (1 - z) * gates[gr + 2 * H + j] + z * Hprev[row * H + j];
    }
  }
}

/** Hprev[t] = (1 − start[t])·h_{t−1} (h_{−1} = h0), and likewise for the LSTM's cell state. */
function maskPreviousState(shape: RecurrentShape, trace: RecurrentTrace, t: number): void {
  const { batch: B, hiddenSize: H, cell } = shape;
  const { starts, h0, c0, Hprev, Cprev, Y, C } = trace;
  for (let b = 0; b < B; b++) {
    const keep = 1 - starts[t * B + b];
    const row = (t * B + b) * H;
    const previous = ((t - 1) * B + b) * H;
    for (let j = 0; j < H; j++) {
      Hprev[row + j] = keep * (t === 0 ? h0[b * H + j] : Y[previous + j]);
      if (cell === 'lstm') Cprev[row + j] = keep * (t === 0 ? c0[b * H + j] : C[previous + j]);
    }
  }
}

/**
 * Backward through one LSTM step: given dh = dY[t] + (carried dh) and the carried dc, the pre-activation
 * gradients da_i = dc·g·i(1−i), da_f = dc·c_prev·f(1−f), da_g = dc·i·(1−g²), da_o = dh·tanh c·o(1−o) with
 * dc = dc_carried + dh·o·(1 − tanh² c); then dc_prev = dc·f and dh_prev = W_hhᵀ da, both masked by (1 − start).
 */
function backwardStepLstm(
  { batch: B, hiddenSize: H }: RecurrentShape,
  { Whh }: RecurrentWeights,
  trace: RecurrentTrace,
  grads: RecurrentGradients,
  t: number,
): void {
  const { gates, Cprev, tanhC, starts } = trace;
  const { dY, dh0, dc0, dGates } = grads;
  for (let b = 0; b < B; b++) {
    const row = t * B + b;
    const keep = 1 - starts[row];
    const gr = row * 4 * H;
    for (let j = 0; j < H; j++) {
      const i = gates[gr + j];
      const f = gates[gr + H + j];
      const g = gates[gr + 2 * H + j];
      const o = gates[gr + 3 * H + j];
      const tc = tanhC[row * H + j];
      const dh = dY[row * H + j] + dh0[b * H + j];
      const dc = dc0[b * H + j] + dh * o * (1 - tc * tc);
      dGates[gr + j] = dc * g * i * (1 - i);
      dGates[gr + H + j] = dc * Cprev[row * H + j] * f * (1 - f);
      dGates[gr + 2 * H + j] = dc * i * (1 - g * g);
      dGates[gr + 3 * H + j] = dh * tc * o * (1 - o);
      dc0[b * H + j] = keep * dc * f;
    }
    for (let k = 0; k < H; k++) {
      let s = 0;
      for (let q = 0; q < 4 * H; q++) s += dGates[gr + q] * Whh[q * H + k];
      dh0[b * H + k] = keep * s;
    }
  }
}

/**
 * Backward through one GRU step: dn = dh·(1 − z), dz = dh·(h_prev − n), da_n = dn·(1 − n²), d(W_hn h + b_hn) =
 * da_n·r, da_r = da_n·(W_hn h + b_hn)·r(1−r), da_z = dz·z(1−z); dh_prev = dh·z + W_hh,rᵀ da_r + W_hh,zᵀ da_z +
 * W_hnᵀ d(W_hn h + b_hn), masked by (1 − start). dGates row: [da_r, da_z, da_n, d(W_hn h + b_hn)].
 */
function backwardStepGru(
  { batch: B, hiddenSize: H }: RecurrentShape,
  { Whh }: RecurrentWeights,
  trace: RecurrentTrace,
  grads: RecurrentGradients,
  t: number,
): void {
  const { gates, Hprev, starts } = trace;
  const { dY, dh0, dGates, work } = grads;
  for (let b = 0; b < B; b++) {
    const row = t * B + b;
    const keep = 1 - starts[row];
    const gr = row * 4 * H;
    for (let j = 0; j < H; j++) {
      const r = gates[gr + j];
      const z = gates[gr + H + j];
      const n = gates[gr + 2 * H + j];
      const hn = gates[gr + 3 * H + j];
      const dh = dY[row * H + j] + dh0[b * H + j];
      const dan = dh * (1 - z) * (1 - n * n);
      dGates[gr + j] = dan * hn * r * (1 - r);
      dGates[gr + H + j] = dh * (Hprev[row * H + j] - n) * z * (1 - z);
      dGates[gr + 2 * H + j] = dan;
      dGates[gr + 3 * H + j] = dan * r;
      work[b * H + j] = dh * z;
    }
    for (let k = 0; k < H; k++) {
      let s = work[b * H + k];
      for (let q = 0; q < 2 * H; q++) s += dGates[gr + q] * Whh[q * H + k];
      for (let q = 0; q < H; q++) s += dGates[gr + 3 * H + q] * Whh[(2 * H + q) * H + k];
      dh0[b * H + k] = keep * s;
    }
  }
}

/**
 * The parameter and input gradients from the pre-activation gradients of every step at once:
 * dW_ih += Σ_rows da_xᵀ x, db_ih += Σ_rows da_x, dW_hh += Σ_rows da_hᵀ h_prev, db_hh += Σ_rows da_h and
 * dX = da_x W_ih, where da_x = da_h = dGates (LSTM) or da_x = [da_r, da_z, da_n], da_h = [da_r, da_z, d(hn)] (GRU).
 */
function parameterGradients(
  { cell, steps: T, batch: B, inputSize: I, hiddenSize: H }: RecurrentShape,
  { Wih }: RecurrentWeights,
  trace: RecurrentTrace,
  grads: RecurrentGradients,
): void {
  const G = gateCount(cell);
  const { X, Hprev } = trace;
  const { dGates, dWih, dWhh, dbih, dbhh, dX } = grads;
  /** Column of dGates feeding hidden-side gate q·H + j: the GRU's n row reads d(hn) in block 3. */
  const hiddenColumn = (k: number) => (cell === 'gru' && k >= 2 * H ? k + H : k);
  for (let k = 0; k < G * H; k++) {
    let sb = 0;
    let sbh = 0;
    for (let row = 0; row < T * B; row++) {
      sb += dGates[row * 4 * H + k];
      sbh += dGates[row * 4 * H + hiddenColumn(k)];
    }
    dbih[k] += sb;
    dbhh[k] += sbh;
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let row = 0; row < T * B; row++) s += dGates[row * 4 * H + k] * X[row * I + i];
      dWih[k * I + i] += s;
    }
    for (let i = 0; i < H; i++) {
      let s = 0;
      for (let row = 0; row < T * B; row++) s += dGates[row * 4 * H + hiddenColumn(k)] * Hprev[row * H + i];
      dWhh[k * H + i] += s;
    }
  }
  if (dX === null) return;
  for (let row = 0; row < T * B; row++) {
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let k = 0; k < G * H; k++) s += dGates[row * 4 * H + k] * Wih[k * I + i];
      dX[row * I + i] = s;
    }
  }
}

/** The plain TypeScript reference (float32 or float64 arrays; float64 is for the gradient checks). */
export const tsRecurrentKernels: RecurrentKernels = {
  name: 'typescript',

  recurrentForward(shape, weights, trace) {
    for (let t = 0; t < shape.steps; t++) {
      maskPreviousState(shape, trace, t);
      if (shape.cell === 'lstm') forwardStepLstm(shape, weights, trace, t);
      else forwardStepGru(shape, weights, trace, t);
    }
  },

  recurrentBackward(shape, weights, trace, grads) {
    const n = shape.batch * shape.hiddenSize;
    // dh0 and dc0 carry ∂L/∂h and ∂L/∂c backwards through time; they hold ∂L/∂h_0, ∂L/∂c_0 at the end.
    for (let k = 0; k < n; k++) {
      grads.dh0[k] = grads.dhT === null ? 0 : grads.dhT[k];
      if (shape.cell === 'lstm') grads.dc0[k] = grads.dcT === null ? 0 : grads.dcT[k];
    }
    for (let t = shape.steps - 1; t >= 0; t--) {
      if (shape.cell === 'lstm') backwardStepLstm(shape, weights, trace, grads, t);
      else backwardStepGru(shape, weights, trace, grads, t);
    }
    parameterGradients(shape, weights, trace, grads);
  },
};
