/**
 * The WebAssembly SIMD kernels equal the TypeScript reference within float32 rounding.
 *
 * Tolerance: the reference accumulates in float64 and rounds once; the wasm kernels accumulate K products in
 * float32, so each output may differ by at most ≈ K·2⁻²⁴·Σ|terms| (the standard bound for recursive
 * summation). Σ|terms| is computed by running the reference on |inputs| with the identity activation; the tanh
 * approximation adds at most its own bound (TANH_BOUND, measured below), and tanh/relu are 1-Lipschitz.
 */
import { describe, expect, it } from 'vitest';
import {
  type Activation,
  Adam,
  createWasmKernels,
  MLP,
  Rng,
  tsKernels,
  type WasmKernels,
} from '../src/index.js';

const EPS32 = 2 ** -24;
const TANH_BOUND = 2e-7; // measured maximum 1.48e-7 (bench on a 200k-point grid over [−12, 12])
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
  extra = 0,
) {
  for (let i = 0; i < expected.length; i++) {
    const tolerance = (terms + 2) * EPS32 * scale[i] + extra + 1e-30;
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

  describe.each<Activation>(['tanh', 'relu', 'identity'])('%s', (act) => {
    const extra = act === 'tanh' ? TANH_BOUND : 0;
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
          // forward
          const Yref = new Float32Array(batch * nOut);
          tsKernels.forward(W, b, X, Yref, batch, nIn, nOut, act);
          const Y = place(new Float32Array(batch * nOut), inWasm);
          kernels.forward(place(W, inWasm), place(b, inWasm), place(X, inWasm), Y, batch, nIn, nOut, act);
          const forwardScale = new Float32Array(batch * nOut);
          tsKernels.forward(abs(W), abs(b), abs(X), forwardScale, batch, nIn, nOut, 'identity');
          expectClose(Y, Yref, forwardScale, nIn, extra);

          // backward, from the reference's Y so both see the same activations
          const dWref = random(nOut * nIn, Rng.fromSeed(1));
          const dbRef = random(nOut, Rng.fromSeed(2));
          const dXref = new Float32Array(batch * nIn);
          const dW = place(dWref, inWasm);
          const db = place(dbRef, inWasm);
          const dX = place(new Float32Array(batch * nIn), inWasm);
          const dYw = place(dY, inWasm);
          const dYref = dY.slice();
          tsKernels.backward(W, X, Yref, dYref, dWref, dbRef, dXref, batch, nIn, nOut, act);
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
          );
          const sW = abs(random(nOut * nIn, Rng.fromSeed(1)));
          const sb = abs(random(nOut, Rng.fromSeed(2)));
          const sX = new Float32Array(batch * nIn);
          tsKernels.backward(abs(W), abs(X), Yref, abs(dY), sW, sb, sX, batch, nIn, nOut, 'identity');
          expectClose(dYw, dYref, abs(dY), 1);
          expectClose(dW, dWref, sW, batch);
          expectClose(db, dbRef, sb, batch);
          expectClose(dX, dXref, sX, nOut);

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
          );
          const dW2ref = new Float32Array(nOut * nIn);
          const db2ref = new Float32Array(nOut);
          tsKernels.backward(W, X, Yref, dY.slice(), dW2ref, db2ref, null, batch, nIn, nOut, act);
          expectClose(dW2, dW2ref, sW, batch);

          // jvp with and without the input tangent
          for (const withInput of [true, false]) {
            const vYref = new Float32Array(batch * nOut);
            tsKernels.jvp(W, vW, vb, X, withInput ? vX : null, Yref, vYref, batch, nIn, nOut, act);
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
            expectClose(vY, vYref, sY, 2 * nIn + 1);
          }
        }
      },
    );
  });

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

  it('an MLP on the wasm kernels computes what it computes on the reference kernels', () => {
    const sizes = [4, 64, 64, 2];
    const reference = new MLP({ sizes, kernels: tsKernels });
    const fast = new MLP({ sizes, kernels });
    const rng = Rng.fromSeed(9);
    const params = random(reference.numParams, rng).map((v) => v * 0.2);
    const batch = 37;
    const x = random(batch * 4, rng);
    const yRef = reference.forward(params, 0, x, batch).slice();
    const y = fast.forward(params, 0, x, batch).slice();
    for (let i = 0; i < y.length; i++)
      expect(Math.abs(y[i] - yRef[i])).toBeLessThan(2e-5 * (1 + Math.abs(yRef[i])));
    const gRef = new Float32Array(params.length);
    const g = new Float32Array(params.length);
    const gradOut = random(batch * 2, rng);
    reference.backward(params, gRef, 0, gradOut, batch);
    fast.backward(params, g, 0, gradOut, batch);
    let scale = 0;
    for (const v of gRef) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - gRef[i])).toBeLessThan(1e-4 * scale);
  });
});
