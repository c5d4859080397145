/**
 * The WebAssembly SIMD kernels equal the TypeScript reference within float32 rounding.
 *
 * Tolerance: the reference accumulates in float64 and rounds once; the wasm kernels accumulate K products in
 * float32, so each output may differ by at most ≈ K·2⁻²⁴·Σ|terms| (the standard bound for recursive
 * summation). Σ|terms| is computed by running the reference on |inputs| with the identity activation; the
 * activation's own approximation error adds at most its bound (measured below), times the activation's Lipschitz
 * constant for the rounding of z (1 for tanh, relu and elu; max gelu' = 1.129 for gelu). Derivatives: the wasm
 * act'(z) is within DERIVATIVE_BOUND of the reference's, which adds DERIVATIVE_BOUND·|what it multiplies|.
 */
import { describe, expect, it } from 'vitest';
import {
  activate,
  type Activation,
  activationDerivative,
  Adam,
  createWasmKernels,
  MLP,
  Rng,
  tsKernels,
  type WasmKernels,
} from '../src/internal.js';

const EPS32 = 2 ** -24;
const TANH_BOUND = 2e-7; // measured maximum 1.48e-7 (bench on a 200k-point grid over [−12, 12])
/** |elu_wasm(z) − elu(z)| ≤ ELU_BOUND: measured maximum 4.5e-8 on a 500k-point grid over [−30, 30]. */
const ELU_BOUND = 1e-7;
/** |gelu_wasm(z) − gelu(z)| ≤ GELU_BOUND·max(1, |z|): measured maximum 1.09e-7 (same grid). */
const GELU_BOUND = 2e-7;
/**
 * Bound on |act'_wasm(z) − act'(z)| beyond float32 rounding. tanh, relu and elu compute it from y = act(z) as
 * the reference does; gelu's Φ(z) + z·φ(z): measured maximum 1.6e-7 on the grid of the derivative test below.
 */
const DERIVATIVE_BOUND: Record<Activation, number> = {
  tanh: 0,
  relu: 0,
  elu: 0,
  gelu: 3e-7,
  identity: 0,
};
const LIPSCHITZ: Record<Activation, number> = { tanh: 1, relu: 1, elu: 1, gelu: 1.13, identity: 1 };

/** The bound on the activation's own error at z. */
function activationBound(act: Activation, z: number): number {
  if (act === 'tanh') return TANH_BOUND;
  if (act === 'elu') return ELU_BOUND;
  if (act === 'gelu') return GELU_BOUND * Math.max(1, Math.abs(z));
  return 0;
}
const kernels = createWasmKernels() as WasmKernels;

function random(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal(0, 1);
  return a;
}

function abs(a: Float32Array): Float32Array {
  return a.map(Math.abs);
}

/** An array of the same contents either in JS memory or in wasm memory (used in place by the kernels). */
function place(a: Float32Array, inWasm: boolean): Float32Array {
  if (!inWasm) return a.slice();
  const w = kernels.allocate(a.length);
  w.set(a);
  return w;
}

function expectClose(
  actual: Float32Array,
  expected: Float32Array,
  scale: Float32Array,
  terms: number,
  extra: (i: number) => number = () => 0,
) {
  for (let i = 0; i < expected.length; i++) {
    const tolerance = (terms + 2) * EPS32 * scale[i] + extra(i) + 1e-30;
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
      expect.fail(`element ${i}: wasm ${actual[i]} vs reference ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}

const shapes: [number, number, number][] = [
  [1, 4, 64],
  [8, 64, 64],
  [7, 5, 3],
  [13, 9, 11],
  [256, 64, 2],
  [33, 64, 1],
  [5, 1, 6],
  [64, 17, 30],
];

describe('wasm kernels', () => {
  it('are available on this engine', () => {
    expect(kernels).not.toBeNull();
    expect(kernels.name).toBe('wasm-simd');
  });

  describe.each<Activation>(['tanh', 'relu', 'elu', 'gelu', 'identity'])('%s', (act) => {
    const lipschitz = LIPSCHITZ[act];
    const derivativeBound = DERIVATIVE_BOUND[act];
    it.each(shapes)(
      'forward, backward and jvp equal the reference (batch %i, %i → %i)',
      (batch, nIn, nOut) => {
        const rng = Rng.fromSeed(batch * 1000 + nIn * 10 + nOut);
        const W = random(nOut * nIn, rng);
        const b = random(nOut, rng);
        const X = random(batch * nIn, rng);
        const dY = random(batch * nOut, rng);
        const vW = random(nOut * nIn, rng);
        const vb = random(nOut, rng);
        const vX = random(batch * nIn, rng);

        for (const inWasm of [false, true]) {
          // forward (Z: the pre-activations, kept by gelu layers)
          const Yref = new Float32Array(batch * nOut);
          const Zref = new Float32Array(batch * nOut);
          tsKernels.forward(W, b, X, Yref, batch, nIn, nOut, act, Zref);
          const Y = place(new Float32Array(batch * nOut), inWasm);
          const Z = place(new Float32Array(batch * nOut), inWasm);
          kernels.forward(place(W, inWasm), place(b, inWasm), place(X, inWasm), Y, batch, nIn, nOut, act, Z);
          const forwardScale = new Float32Array(batch * nOut);
          tsKernels.forward(abs(W), abs(b), abs(X), forwardScale, batch, nIn, nOut, 'identity');
          expectClose(
            Y,
            Yref,
            forwardScale.map((v) => lipschitz * v),
            nIn,
            (i) => activationBound(act, Zref[i]),
          );
          if (act === 'gelu') expectClose(Z, Zref, forwardScale, nIn);
          else expect(Z.every((v) => v === 0)).toBe(true); // untouched

          // backward, from the reference's Y so both see the same activations
          const dWref = random(nOut * nIn, Rng.fromSeed(1));
          const dbRef = random(nOut, Rng.fromSeed(2));
          const dXref = new Float32Array(batch * nIn);
          const dW = place(dWref, inWasm);
          const db = place(dbRef, inWasm);
          const dX = place(new Float32Array(batch * nIn), inWasm);
          const dYw = place(dY, inWasm);
          const dYref = dY.slice();
          tsKernels.backward(W, X, Yref, dYref, dWref, dbRef, dXref, batch, nIn, nOut, act, Zref);
          kernels.backward(
            place(W, inWasm),
            place(X, inWasm),
            place(Yref, inWasm),
            dYw,
            dW,
            db,
            dX,
            batch,
            nIn,
            nOut,
            act,
            place(Zref, inWasm),
          );
          const sW = abs(random(nOut * nIn, Rng.fromSeed(1)));
          const sb = abs(random(nOut, Rng.fromSeed(2)));
          const sX = new Float32Array(batch * nIn);
          tsKernels.backward(abs(W), abs(X), Yref, abs(dY), sW, sb, sX, batch, nIn, nOut, 'identity');
          // dZ = dY ⊙ act'(z) first; the products then add their accumulation error to that of dZ.
          const dZerror = (i: number) => derivativeBound * Math.abs(dY[i]);
          expectClose(dYw, dYref, abs(dY), 1, dZerror);
          const propagated = (sums: Float32Array) => (i: number) => derivativeBound * sums[i];
          expectClose(dW, dWref, sW, batch, propagated(sW));
          expectClose(db, dbRef, sb, batch, propagated(sb));
          expectClose(dX, dXref, sX, nOut, propagated(sX));

          // backward without the input gradient (first layer)
          const dW2 = place(new Float32Array(nOut * nIn), inWasm);
          const db2 = place(new Float32Array(nOut), inWasm);
          kernels.backward(
            place(W, inWasm),
            place(X, inWasm),
            place(Yref, inWasm),
            place(dY, inWasm),
            dW2,
            db2,
            null,
            batch,
            nIn,
            nOut,
            act,
            place(Zref, inWasm),
          );
          const dW2ref = new Float32Array(nOut * nIn);
          const db2ref = new Float32Array(nOut);
          tsKernels.backward(W, X, Yref, dY.slice(), dW2ref, db2ref, null, batch, nIn, nOut, act, Zref);
          expectClose(dW2, dW2ref, sW, batch, propagated(sW));

          // jvp with and without the input tangent
          for (const withInput of [true, false]) {
            const vYref = new Float32Array(batch * nOut);
            tsKernels.jvp(W, vW, vb, X, withInput ? vX : null, Yref, vYref, batch, nIn, nOut, act, Zref);
            const vY = place(new Float32Array(batch * nOut), inWasm);
            kernels.jvp(
              place(W, inWasm),
              place(vW, inWasm),
              place(vb, inWasm),
              place(X, inWasm),
              withInput ? place(vX, inWasm) : null,
              place(Yref, inWasm),
              vY,
              batch,
              nIn,
              nOut,
              act,
              place(Zref, inWasm),
            );
            const sY = new Float32Array(batch * nOut);
            tsKernels.jvp(
              abs(W),
              abs(vW),
              abs(vb),
              abs(X),
              withInput ? abs(vX) : null,
              Yref.map(() => 0),
              sY,
              batch,
              nIn,
              nOut,
              'identity',
            );
            expectClose(vY, vYref, sY, 2 * nIn + 1, propagated(sY));
          }
        }
      },
    );
  });

  it.each([
    [4, 64, 64],
    [8, 64, 64],
    [12, 32, 48],
    [16, 4, 64],
    [4, 64, 2],
  ])(
    'a batch of %i rows (%i → %i) gives each row bit for bit as a batch of one does, whichever form of the product the batch takes',
    (batch, nIn, nOut) => {
      // Small batches compute the layer product as Cᵀ = W·Xᵀ (no copy of W), batches of one through a transposed
      // W; both add the products of each output in the order k = 0, 1, …, so the rounding is the same.
      const rng = Rng.fromSeed(batch + nIn + nOut);
      const W = place(random(nOut * nIn, rng), true);
      const b = place(random(nOut, rng), true);
      const X = place(random(batch * nIn, rng), true);
      const vW = place(random(nOut * nIn, rng), true);
      const Y = place(new Float32Array(batch * nOut), true);
      const vY = place(new Float32Array(batch * nOut), true);
      kernels.forward(W, b, X, Y, batch, nIn, nOut, 'tanh');
      kernels.jvp(W, vW, b, X, null, Y, vY, batch, nIn, nOut, 'tanh');
      const y = place(new Float32Array(nOut), true);
      const vy = place(new Float32Array(nOut), true);
      for (let r = 0; r < batch; r++) {
        const x = X.subarray(r * nIn, (r + 1) * nIn);
        kernels.forward(W, b, x, y, 1, nIn, nOut, 'tanh');
        kernels.jvp(W, vW, b, x, null, y, vy, 1, nIn, nOut, 'tanh');
        expect(y).toEqual(Y.subarray(r * nOut, (r + 1) * nOut));
        expect(vy).toEqual(vY.subarray(r * nOut, (r + 1) * nOut));
      }
    },
  );

  it(`tanh is within ${TANH_BOUND} of Math.tanh everywhere (dense grid, tails and special values)`, () => {
    const values: number[] = [
      0, -0, 1e-30, -1e-30, 1e-8, 0.25, -0.25, 0.2499999, 9, -9, 10, 50, -50, 1e30, -1e30,
    ];
    for (let x = -12; x <= 12; x += 1 / 4096) values.push(x);
    const src = Float32Array.from(values);
    const dst = new Float32Array(src.length);
    kernels.tanh(src, dst);
    let worst = 0;
    for (let i = 0; i < src.length; i++) worst = Math.max(worst, Math.abs(dst[i] - Math.tanh(src[i])));
    expect(worst).toBeLessThanOrEqual(TANH_BOUND);
    // Odd symmetry, signed zero, saturation and NaN propagation.
    expect(dst.every((v) => Math.abs(v) <= 1)).toBe(true);
    const special = Float32Array.from([-0, Infinity, -Infinity, NaN, 0.5, -0.5, 3]);
    const out = new Float32Array(special.length);
    kernels.tanh(special, out);
    expect(Object.is(out[0], -0)).toBe(true);
    expect([out[1], out[2]]).toEqual([1, -1]);
    expect(out[3]).toBeNaN();
    expect(out[5]).toBe(-out[4]);
  });

  it('elu and gelu, and the derivatives of all four activations, are within their bounds of the float64 definitions (dense grid over [−30, 30])', () => {
    const values: number[] = [0, 1e-30, -1e-30, 1e-8, -1e-8, 12.727922, -12.727922, 1e30, -1e30];
    for (let x = -30; x <= 30; x += 1 / 1024) values.push(x);
    const z = Float32Array.from(values);
    const n = z.length;
    for (const act of ['tanh', 'relu', 'elu', 'gelu'] as const) {
      // Elementwise, through a 1 → 1 layer with W = 1, b = 0: forward gives act(z), backward with dY = 1 act'(z).
      const one = Float32Array.of(1);
      const Y = new Float32Array(n);
      const Z = new Float32Array(n);
      kernels.forward(one, Float32Array.of(0), z, Y, n, 1, 1, act, Z);
      const dY = new Float32Array(n).fill(1);
      kernels.backward(one, z, Y, dY, new Float32Array(1), new Float32Array(1), null, n, 1, 1, act, Z);
      let worst = 0;
      let worstDerivative = 0;
      for (let i = 0; i < n; i++) {
        if (Math.abs(z[i]) > 1e29) continue; // saturation, checked below
        const y = activate(act, z[i]);
        worst = Math.max(worst, Math.abs(Y[i] - y) / activationBound(act, z[i] || 1) || 0);
        // tanh, relu, elu: the derivative as a function of the (float32) output the kernel produced.
        const exact = activationDerivative(act, Y[i], z[i]);
        worstDerivative = Math.max(worstDerivative, Math.abs(dY[i] - exact));
      }
      if (act !== 'tanh') expect(worst, act).toBeLessThanOrEqual(1); // tanh: its own test below
      expect(worstDerivative, `${act}'`).toBeLessThanOrEqual(DERIVATIVE_BOUND[act] + 4 * EPS32);
    }
    // Saturation and NaN propagation.
    const special = Float32Array.from([1e30, -1e30, NaN, 0]);
    const elu = new Float32Array(4);
    const gelu = new Float32Array(4);
    kernels.activate('elu', special, elu);
    kernels.activate('gelu', special, gelu);
    expect(Array.from(elu.subarray(0, 2))).toEqual([1e30 * 1.0000000150474662, -1]);
    expect(gelu[0]).toBe(special[0]);
    expect(Math.abs(gelu[1])).toBeLessThan(1e-5);
    expect([elu[2], gelu[2]]).toEqual([NaN, NaN]);
    expect([elu[3], gelu[3]]).toEqual([0, 0]);
  });

  it('Adam gives bit-identical parameters to the TypeScript loop (same float64 operations in the same order)', () => {
    for (const size of [1, 2, 7, 4481]) {
      const rng = Rng.fromSeed(size);
      const start = random(size, rng);
      const reference = new Adam(size, 3e-3, { epsilon: 1e-5, kernels: tsKernels });
      const fast = new Adam(size, 3e-3, { epsilon: 1e-5, kernels });
      const a = start.slice();
      const b = kernels.allocate(size);
      b.set(start);
      const c = start.slice(); // a JS-memory array through the wasm path (staged)
      const staged = new Adam(size, 3e-3, { epsilon: 1e-5, kernels });
      for (let t = 0; t < 5; t++) {
        const g = random(size, rng);
        reference.step(a, g);
        fast.step(b, g);
        staged.step(c, g);
      }
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(Array.from(c)).toEqual(Array.from(a));
      expect(fast.getState()).toEqual(reference.getState());
    }
  });

  it('matmul equals a float64 product within float32 accumulation error', () => {
    const rng = Rng.fromSeed(3);
    const [M, K, N] = [37, 53, 29];
    const A = random(M * K, rng);
    const B = random(K * N, rng);
    const C = new Float32Array(M * N);
    kernels.matmul(A, B, C, M, K, N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let exact = 0;
        let scale = 0;
        for (let k = 0; k < K; k++) {
          exact += A[m * K + k] * B[k * N + n];
          scale += Math.abs(A[m * K + k] * B[k * N + n]);
        }
        expect(Math.abs(C[m * N + n] - exact)).toBeLessThanOrEqual((K + 2) * EPS32 * scale);
      }
    }
  });

  it('keeps allocated arrays valid when the memory grows, and reuses released blocks', () => {
    const k = createWasmKernels() as WasmKernels;
    const small = k.allocate(100);
    small.fill(7);
    const pagesBefore = k.memory.buffer.byteLength;
    const big = k.allocate(4_000_000); // 16 MB: the memory must grow
    expect(k.memory.buffer.byteLength).toBeGreaterThan(pagesBefore);
    expect(small.length).toBe(100);
    expect(small.every((v) => v === 7)).toBe(true);
    expect(k.owns(small) && k.owns(big)).toBe(true);
    k.release(small);
    const again = k.allocate(50);
    expect(again.byteOffset).toBe(small.byteOffset);
    expect(again.every((v) => v === 0)).toBe(true);
    expect(k.owns(new Float32Array(4))).toBe(false);
    expect(k.owns(new Float32Array(new SharedArrayBuffer(64)))).toBe(false); // another shared buffer
    expect(k.owns(new Float32Array(k.memory.buffer, 1024, 4))).toBe(true); // a fresh view of the memory
  });

  it.each<[Activation, number[]]>([
    ['tanh', [4, 64, 64, 2]],
    ['relu', [5, 37, 30, 3]],
    ['gelu', [5, 37, 30, 3]],
    ['tanh', [4, 64, 1]],
  ])(
    'an MLP (%s, %j) whose parameters live in wasm memory runs its forward pass as one call, bit for bit the layer-by-layer pass, also after a larger batch regrows its workspaces',
    (act, sizes) => {
      // Parameters in JavaScript memory cannot be planned (the kernels would copy them), so that MLP goes layer by
      // layer; the reference kernels bound both.
      const planned = new MLP({ sizes, kernels, hiddenActivation: act });
      const layered = new MLP({ sizes, kernels, hiddenActivation: act });
      const reference = new MLP({ sizes, kernels: tsKernels, hiddenActivation: act });
      const rng = Rng.fromSeed(11);
      const params = random(planned.numParams, rng).map((v) => v * 0.2);
      const wasmParams = place(params, true);
      for (const batch of [4, 37, 4, 50]) {
        const x = random(batch * sizes[0], rng);
        const y = planned.forward(wasmParams, 0, x, batch).slice();
        expect(y).toEqual(layered.forward(params, 0, x, batch).slice());
        const yRef = reference.forward(params, 0, x, batch);
        for (let i = 0; i < y.length; i++)
          expect(Math.abs(y[i] - yRef[i])).toBeLessThan(2e-5 * (1 + Math.abs(yRef[i])));
        // backward reads the workspaces the planned pass wrote
        const g = place(new Float32Array(params.length), true);
        const gLayered = new Float32Array(params.length);
        const gradOut = random(batch * sizes[sizes.length - 1], rng);
        planned.backward(wasmParams, g, 0, gradOut, batch);
        layered.backward(params, gLayered, 0, gradOut, batch);
        expect(g).toEqual(gLayered);
      }
    },
  );

  it.each<[Activation, number[]]>([
    ['tanh', [4, 64, 64, 2]],
    ['relu', [5, 37, 30, 3]],
    ['elu', [4, 64, 64, 2]],
    ['elu', [5, 37, 30, 3]],
    ['gelu', [4, 64, 64, 2]],
    ['gelu', [5, 37, 30, 3]],
  ])(
    'an MLP with %s hidden layers %j on the wasm kernels computes what it computes on the reference kernels',
    (act, sizes) => {
      const reference = new MLP({ sizes, kernels: tsKernels, hiddenActivation: act });
      const fast = new MLP({ sizes, kernels, hiddenActivation: act });
      const rng = Rng.fromSeed(9);
      const params = random(reference.numParams, rng).map((v) => v * 0.2);
      const batch = 37;
      const x = random(batch * sizes[0], rng);
      const yRef = reference.forward(params, 0, x, batch).slice();
      const y = fast.forward(params, 0, x, batch).slice();
      for (let i = 0; i < y.length; i++)
        expect(Math.abs(y[i] - yRef[i])).toBeLessThan(2e-5 * (1 + Math.abs(yRef[i])));
      const gRef = new Float32Array(params.length);
      const g = new Float32Array(params.length);
      const gradOut = random(batch * sizes[3], rng);
      reference.backward(params, gRef, 0, gradOut, batch);
      fast.backward(params, g, 0, gradOut, batch);
      let scale = 0;
      for (const v of gRef) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - gRef[i])).toBeLessThan(1e-4 * scale);
      const tangent = random(params.length, rng);
      const jRef = reference.jvp(params, tangent, 0, batch).slice();
      const j = fast.jvp(params, tangent, 0, batch);
      const jScale = Math.max(...Array.from(jRef, Math.abs));
      for (let i = 0; i < j.length; i++) expect(Math.abs(j[i] - jRef[i])).toBeLessThan(1e-4 * jScale);
    },
  );
});
