/**
 * LSTM and GRU layers: the gradients of backpropagation through time against central finite differences
 * (float64, episode starts inside the sequences), the episode-start reset, the initialisation, and the wasm
 * SIMD kernels against the TypeScript reference within float32 rounding.
 */
import { describe, expect, it } from 'vitest';
import {
  createWasmKernels,
  type Floats,
  initRecurrent,
  type RecurrentCell,
  RecurrentLayer,
  Rng,
  tsKernels,
  type WasmKernels,
} from '../src/internal.js';

const CELLS: RecurrentCell[] = ['lstm', 'gru'];
const wasm = createWasmKernels() as WasmKernels;
const EPS32 = 2 ** -24;

function randomArray(n: number, rng: Rng, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let k = 0; k < n; k++) a[k] = rng.normal(0, scale);
  return a;
}

/** Episode starts at (t, b) = (0, 0), (2, 1), (T − 1, B − 1) and nowhere else: resets at, inside and at the end. */
function startsFor(T: number, B: number): Uint8Array {
  const starts = new Uint8Array(T * B);
  starts[0] = 1;
  if (T > 2 && B > 1) starts[2 * B + 1] = 1;
  starts[(T - 1) * B + (B - 1)] = 1;
  return starts;
}

interface Problem {
  layer: RecurrentLayer;
  params: Float64Array;
  x: Float64Array;
  starts: Uint8Array;
  h0: Float64Array;
  c0: Float64Array;
  /** L = Σ wY ⊙ Y + Σ wH ⊙ h_T + Σ wC ⊙ c_T. */
  wY: Float64Array;
  wH: Float64Array;
  wC: Float64Array;
  T: number;
  B: number;
}

function makeProblem(cell: RecurrentCell, T: number, B: number, I: number, H: number, seed: number): Problem {
  const rng = Rng.fromSeed(seed);
  const layer = new RecurrentLayer({
    cell,
    inputSize: I,
    hiddenSize: H,
    maxSteps: T,
    maxBatch: B,
    dtype: 'float64',
    kernels: tsKernels,
  });
  const params = randomArray(layer.numParams, rng, 0.6);
  return {
    layer,
    params,
    x: randomArray(T * B * I, rng),
    starts: startsFor(T, B),
    h0: randomArray(B * H, rng, 0.5),
    c0: randomArray(B * H, rng, 0.5),
    wY: randomArray(T * B * H, rng),
    wH: randomArray(B * H, rng),
    wC: randomArray(B * H, rng),
    T,
    B,
  };
}

function loss(p: Problem, params = p.params, x = p.x, h0 = p.h0, c0 = p.c0): number {
  const y = p.layer.forward(params, 0, x, p.starts, h0, c0, p.T, p.B);
  let sum = 0;
  for (let k = 0; k < y.length; k++) sum += p.wY[k] * y[k];
  const hT = p.layer.finalHidden();
  for (let k = 0; k < hT.length; k++) sum += p.wH[k] * hT[k];
  if (p.layer.cell === 'lstm') {
    const cT = p.layer.finalCell();
    for (let k = 0; k < cT.length; k++) sum += p.wC[k] * cT[k];
  }
  return sum;
}

/** Central differences of `loss` w.r.t. every entry of `array` (perturbed in place), step 1e-6. */
function finiteDifferences(p: Problem, array: Float64Array): Float64Array {
  const step = 1e-6;
  const out = new Float64Array(array.length);
  for (let k = 0; k < array.length; k++) {
    const saved = array[k];
    array[k] = saved + step;
    const plus = loss(p);
    array[k] = saved - step;
    const minus = loss(p);
    array[k] = saved;
    out[k] = (plus - minus) / (2 * step);
  }
  return out;
}

/**
 * Central differences have truncation error O(step²·|f'''|) ≈ 1e-12 and rounding error ≈ 1e-16·|L|/step ≈ 1e-9
 * here (|L| ≲ 10); 1e-7 absolute + 1e-6 relative leaves room and still catches any wrong term (they are O(0.01)+).
 */
function expectGradientsClose(analytic: Floats, numeric: Float64Array, what: string): void {
  for (let k = 0; k < numeric.length; k++) {
    const tolerance = 1e-7 + 1e-6 * Math.abs(numeric[k]);
    if (!(Math.abs(analytic[k] - numeric[k]) <= tolerance)) {
      expect.fail(`${what}[${k}]: backward ${analytic[k]} vs finite difference ${numeric[k]}`);
    }
  }
}

describe.each(CELLS)('%s layer', (cell) => {
  it('backward through time matches finite differences for parameters, inputs and initial states (float64)', () => {
    for (const [T, B, I, H] of [
      [5, 3, 3, 5],
      [1, 1, 2, 3],
      [4, 2, 1, 6],
    ]) {
      const p = makeProblem(cell, T, B, I, H, 100 * T + H);
      const { layer } = p;
      loss(p);
      const grads = new Float64Array(layer.numParams);
      const wHcopy = Float64Array.from(p.wH);
      const wCcopy = Float64Array.from(p.wC);
      const result = layer.backward(p.params, grads, 0, p.wY, wHcopy, wCcopy);
      const dX = Float64Array.from(result.input);
      const dh0 = Float64Array.from(result.hidden0);
      const dc0 = Float64Array.from(result.cell0);
      expectGradientsClose(grads, finiteDifferences(p, p.params), `${cell} params (T ${T})`);
      expectGradientsClose(dX, finiteDifferences(p, p.x), `${cell} input`);
      expectGradientsClose(dh0, finiteDifferences(p, p.h0), `${cell} h0`);
      if (cell === 'lstm') expectGradientsClose(dc0, finiteDifferences(p, p.c0), 'lstm c0');
      else expect(dc0.length).toBe(0);
      // A sequence that starts an episode at t = 0 ignores the initial state entirely.
      for (let j = 0; j < H; j++) expect(Math.abs(dh0[j])).toBe(0);
    }
  });

  it('backward accumulates into the gradient buffer', () => {
    const p = makeProblem(cell, 3, 2, 2, 4, 7);
    loss(p);
    const once = new Float64Array(p.layer.numParams);
    p.layer.backward(p.params, once, 0, p.wY);
    const twice = Float64Array.from(once);
    p.layer.backward(p.params, twice, 0, p.wY);
    for (let k = 0; k < once.length; k++) expect(twice[k]).toBeCloseTo(2 * once[k], 12);
  });

  it.each([
    ['float64', 'TypeScript', 14],
    ['float32', 'wasm', 6],
  ] as const)(
    'resets the state at an episode start (%s, %s kernels): the rest equals a fresh run from a zero state',
    (dtype, _kernels, digits) => {
      const T = 6;
      const B = 2;
      const I = 3;
      const H = 5;
      const rng = Rng.fromSeed(3);
      const layer = new RecurrentLayer({
        cell,
        inputSize: I,
        hiddenSize: H,
        maxSteps: T,
        maxBatch: B,
        dtype,
        kernels: dtype === 'float32' ? wasm : tsKernels,
      });
      const toDtype = (a: Float64Array) => (dtype === 'float32' ? Float32Array.from(a) : a);
      const params = toDtype(randomArray(layer.numParams, rng, 0.5));
      const x = toDtype(randomArray(T * B * I, rng));
      const h0 = randomArray(B * H, rng);
      const c0 = randomArray(B * H, rng);
      const starts = new Uint8Array(T * B);
      const k = 3;
      starts[k * B + 1] = 1; // sequence 1 starts a new episode at step 3
      const full = Float64Array.from(layer.forward(params, 0, x, starts, h0, c0, T, B));
      const noReset = Float64Array.from(layer.forward(params, 0, x, new Uint8Array(T * B), h0, c0, T, B));
      const tail = Float64Array.from(
        layer.forward(params, 0, x.subarray(k * B * I), new Uint8Array((T - k) * B), null, null, T - k, B),
      );
      for (let t = k; t < T; t++) {
        for (let j = 0; j < H; j++) {
          expect(full[(t * B + 1) * H + j]).toBeCloseTo(tail[((t - k) * B + 1) * H + j], digits);
        }
      }
      // Before the reset, and in the other sequence, nothing changes; after it, the reset matters.
      for (let i = 0; i < k * B * H; i++) expect(full[i]).toBe(noReset[i]);
      for (let t = 0; t < T; t++)
        for (let j = 0; j < H; j++) expect(full[t * B * H + j]).toBe(noReset[t * B * H + j]);
      expect(Math.abs(full[(k * B + 1) * H] - noReset[(k * B + 1) * H])).toBeGreaterThan(1e-3);
    },
  );

  it('steady-state calls return the same workspace views (no allocation per call)', () => {
    const layer = new RecurrentLayer({ cell, inputSize: 2, hiddenSize: 3, maxSteps: 4, maxBatch: 2 });
    const params = new Float32Array(layer.numParams);
    initRecurrent(layer, params, 0, Rng.fromSeed(1));
    const x = new Float32Array(8 * 2);
    const starts = new Uint8Array(8);
    const first = layer.forward(params, 0, x, starts, null, null, 4, 2);
    expect(layer.forward(params, 0, x, starts, null, null, 4, 2)).toBe(first);
    const grads = new Float32Array(layer.numParams);
    const a = layer.backward(params, grads, 0, new Float32Array(24));
    const b = layer.backward(params, grads, 0, new Float32Array(24));
    expect(b.input).toBe(a.input);
    expect(b.hidden0).toBe(a.hidden0);
  });

  it('refuses sequences longer or batches larger than its workspaces, in one line', () => {
    const layer = new RecurrentLayer({ cell, inputSize: 2, hiddenSize: 3, maxSteps: 4, maxBatch: 2 });
    const params = new Float32Array(layer.numParams);
    expect(() =>
      layer.forward(params, 0, new Float32Array(20), new Uint8Array(10), null, null, 5, 2),
    ).toThrow('RecurrentLayer.forward: invalid steps 5: expected an integer in [1, 4] (maxSteps)');
    expect(() =>
      layer.forward(params, 0, new Float32Array(24), new Uint8Array(12), null, null, 4, 3),
    ).toThrow(/invalid batch 3/);
  });
});

describe('recurrent initialisation', () => {
  it("'orthogonal' (CleanRL): orthonormal columns of weight_ih and weight_hh with gain 1, zero biases, the forget bias on b_if", () => {
    const layer = new RecurrentLayer({ cell: 'lstm', inputSize: 3, hiddenSize: 4, maxSteps: 1, maxBatch: 1 });
    const params = new Float64Array(layer.numParams);
    initRecurrent(layer, params, 0, Rng.fromSeed(5), { forgetBias: 1 });
    const w = layer.weights(params, 0);
    for (const [W, cols] of [
      [w.Wih, 3],
      [w.Whh, 4],
    ] as const) {
      for (let a = 0; a < cols; a++) {
        for (let b = 0; b < cols; b++) {
          let dot = 0;
          for (let r = 0; r < 16; r++) dot += W[r * cols + a] * W[r * cols + b];
          expect(dot).toBeCloseTo(a === b ? 1 : 0, 10);
        }
      }
    }
    expect([...w.bih]).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...w.bhh].every((v) => v === 0)).toBe(true);
  });

  it("'pytorch' (sb3-contrib keeps it): every weight and bias in U(−1/√H, 1/√H)", () => {
    const layer = new RecurrentLayer({ cell: 'gru', inputSize: 3, hiddenSize: 16, maxSteps: 1, maxBatch: 1 });
    const params = new Float64Array(layer.numParams);
    initRecurrent(layer, params, 0, Rng.fromSeed(5), { scheme: 'pytorch' });
    const bound = 1 / 4;
    expect(params.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Math.max(...params)).toBeGreaterThan(0.9 * bound);
    expect(Math.min(...params)).toBeLessThan(-0.9 * bound);
  });
});

/**
 * |σ_wasm(x) − σ(x)| on a 200k-point grid over [−20, 20]: σ = (1 + tanh(x/2))/2 through the vectorised tanh
 * (whose bound is 2e-7), so at most 1e-7 plus two float32 roundings of a number ≤ 1 (2·2⁻²⁴ ≈ 1.2e-7).
 * Measured maximum: 1.04e-7.
 */
const SIGMOID_BOUND = 1.5e-7;
const TANH_BOUND = 2e-7;

describe('wasm recurrent kernels', () => {
  it(`σ through the fast tanh is within ${SIGMOID_BOUND} of the exact logistic function`, () => {
    const n = 200001;
    const x = new Float32Array(n);
    for (let k = 0; k < n; k++) x[k] = -20 + (40 * k) / (n - 1);
    const y = new Float32Array(n);
    wasm.sigmoid(x, y);
    let worst = 0;
    for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(y[k] - 1 / (1 + Math.exp(-x[k]))));
    expect(worst).toBeLessThanOrEqual(SIGMOID_BOUND);
  });

  it('give the same results with parameters in wasm memory (used in place) as with staged copies', () => {
    for (const cell of CELLS) {
      const layer = new RecurrentLayer({
        cell,
        inputSize: 3,
        hiddenSize: 6,
        maxSteps: 5,
        maxBatch: 3,
        kernels: wasm,
      });
      const staged = new Float32Array(layer.numParams);
      initRecurrent(layer, staged, 0, Rng.fromSeed(9), { scheme: 'pytorch' });
      const inPlace = wasm.allocate(layer.numParams);
      inPlace.set(staged);
      const rng = Rng.fromSeed(10);
      const x = Float32Array.from(randomArray(45, rng));
      const starts = new Uint8Array(15).fill(0);
      starts[7] = 1;
      const dY = Float32Array.from(randomArray(90, rng));
      const run = (params: Float32Array, grads: Float32Array) => {
        const y = Float32Array.from(layer.forward(params, 0, x, starts, null, null, 5, 3));
        const dx = Float32Array.from(layer.backward(params, grads, 0, dY).input);
        return [y, grads, dx];
      };
      const a = run(staged, new Float32Array(layer.numParams));
      const b = run(inPlace, wasm.allocate(layer.numParams));
      for (let k = 0; k < a.length; k++) expect([...b[k]]).toEqual([...a[k]]);
    }
  });

  /**
   * Tolerance. Each step's pre-activations are sums of K = I + H + 2 float32 products accumulated in float32
   * (the reference uses float64 and rounds once), so they differ by ≤ K·2⁻²⁴·S with S = Σ|terms|; the
   * activations add their own bounds. Those per-step errors are carried forward through the state with a gain
   * ≤ 1 per step here (|f|, |z| < 1, σ' ≤ 1/4, tanh' ≤ 1), so after T steps the outputs differ by at most
   * T·(K·2⁻²⁴·S + 4·TANH_BOUND). Gradients: the same bound relative to the largest gradient entry, with K the
   * longest sum (T·B rows for the parameter gradients).
   */
  describe.each(CELLS)('%s', (cell) => {
    const cases: [number, number, number, number][] = [];
    for (const H of [5, 13, 64])
      for (const B of [1, 3, 8]) for (const T of [1, 7, 32]) cases.push([T, B, 3, H]);
    cases.push([5, 2, 1, 2], [9, 4, 17, 7]);
    it.each(cases)(
      'T %i, batch %i, input %i, hidden %i: wasm equals the TypeScript reference',
      (T, B, I, H) => {
        const rng = Rng.fromSeed(T * 10007 + B * 101 + H * 7 + I);
        // Workspaces larger than the call (every other case) check that only the first T·B rows are used.
        const spare = (T + B + H) % 2;
        const make = (kernels: typeof tsKernels | WasmKernels) =>
          new RecurrentLayer({
            cell,
            inputSize: I,
            hiddenSize: H,
            maxSteps: T + 3 * spare,
            maxBatch: B + spare,
            kernels,
          });
        const ts = make(tsKernels);
        const fast = make(wasm);
        const params = new Float32Array(ts.numParams);
        initRecurrent(ts, params, 0, rng, { scheme: 'pytorch' });
        const x = Float32Array.from(randomArray(T * B * I, rng));
        const starts = new Uint8Array(T * B).map(() => (rng.uniform() < 0.15 ? 1 : 0));
        const h0 = Float32Array.from(randomArray(B * H, rng, 0.5));
        const c0 = Float32Array.from(randomArray(B * H, rng, 0.5));
        const dY = Float32Array.from(randomArray(T * B * H, rng));
        const dhT = Float32Array.from(randomArray(B * H, rng));
        const dcT = Float32Array.from(randomArray(B * H, rng));

        const yRef = Float32Array.from(ts.forward(params, 0, x, starts, h0, c0, T, B));
        const y = Float32Array.from(fast.forward(params, 0, x, starts, h0, c0, T, B));
        let maxX = 0;
        for (const v of x) maxX = Math.max(maxX, Math.abs(v));
        const S = 2 / Math.sqrt(H) + (I * maxX + H * Math.max(1, 0.5 * 3)) / Math.sqrt(H);
        const K = I + H + 2;
        const forwardTolerance = T * (K * EPS32 * S + 4 * TANH_BOUND);
        const forwardDiff = maxDifference(y, yRef);
        expect(forwardDiff).toBeLessThanOrEqual(forwardTolerance);

        const gRef = new Float32Array(ts.numParams);
        const g = new Float32Array(ts.numParams);
        const ref = ts.backward(params, gRef, 0, dY, dhT, cell === 'lstm' ? dcT : null);
        const dxRef = Float32Array.from(ref.input);
        const dh0Ref = Float32Array.from(ref.hidden0);
        const dc0Ref = Float32Array.from(ref.cell0);
        const got = fast.backward(params, g, 0, dY, dhT, cell === 'lstm' ? dcT : null);
        const backwardK = Math.max(T * B, 4 * H, I + H) + 2;
        for (const [name, a, b] of [
          ['parameters', g, gRef],
          ['input', got.input, dxRef],
          ['h0', got.hidden0, dh0Ref],
          ['c0', got.cell0, dc0Ref],
        ] as const) {
          const scale = Math.max(1, maxAbs(b));
          const tolerance = T * (backwardK * EPS32 * scale + 4 * TANH_BOUND * scale);
          const diff = maxDifference(a, b);
          if (!(diff <= tolerance)) expect.fail(`${cell} ${name}: max difference ${diff} > ${tolerance}`);
        }
      },
    );
  });
});

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return Number.isNaN(worst) ? Infinity : worst;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]));
  return m;
}
