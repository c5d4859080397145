import { describe, expect, it } from 'vitest';
import {
  activate,
  type Activation,
  Adam,
  clipGradNorm,
  constantSchedule,
  createWasmKernels,
  gelu,
  geluDerivative,
  globalNorm,
  initMLP,
  linearSchedule,
  MLP,
  orthogonal,
  RMSprop,
  Rng,
  SGD,
  tsKernels,
  type WasmKernels,
} from '../src/internal.js';

const H = 1e-6; // central-difference step in float64: truncation ~H², rounding ~1e-16/H, both far below 1e-7

function randomArray(n: number, rng: Rng, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal(0, scale));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

describe.each<Activation>(['tanh', 'relu', 'elu', 'gelu', 'identity'])('MLP with %s hidden layers', (act) => {
  const sizes = [3, 5, 4, 2];
  const batch = 6;
  const offset = 7; // the MLP lives inside a larger parameter vector
  const setup = () => {
    const rng = Rng.fromSeed(1);
    const mlp = new MLP({
      sizes,
      hiddenActivation: act,
      outputActivation: act === 'identity' ? 'identity' : 'tanh',
      dtype: 'float64',
    });
    const params = randomArray(offset + mlp.numParams + 3, rng, 0.7);
    const input = randomArray(batch * sizes[0], rng);
    const weights = randomArray(batch * sizes[3], rng); // L = Σ weights ⊙ output
    const loss = (p: Float64Array, x: Float64Array) => {
      return dot(mlp.forward(p, offset, x, batch), weights);
    };
    return { rng, mlp, params, input, weights, loss };
  };

  it('backward matches central finite differences for the parameters and the input (float64)', () => {
    const { mlp, params, input, weights, loss } = setup();
    const grads = new Float64Array(params.length);
    mlp.forward(params, offset, input, batch);
    const gradInput = Float64Array.from(mlp.backward(params, grads, offset, weights, batch));
    const numeric = new Float64Array(params.length);
    for (let i = offset; i < offset + mlp.numParams; i++) {
      const p = params.slice();
      p[i] += H;
      const up = loss(p, input);
      p[i] -= 2 * H;
      numeric[i] = (up - loss(p, input)) / (2 * H);
    }
    expect(maxRelativeError(grads, numeric)).toBeLessThan(1e-6);
    expect(grads[0]).toBe(0); // nothing written outside the MLP's slice
    const numericInput = input.map((_, i) => {
      const x = input.slice();
      x[i] += H;
      const up = loss(params, x);
      x[i] -= 2 * H;
      return (up - loss(params, x)) / (2 * H);
    });
    expect(maxRelativeError(gradInput, numericInput)).toBeLessThan(1e-6);
  });

  it('backward accumulates into the gradient buffer', () => {
    const { mlp, params, input, weights } = setup();
    const once = new Float64Array(params.length);
    mlp.forward(params, offset, input, batch);
    mlp.backward(params, once, offset, weights, batch);
    const twice = new Float64Array(params.length);
    for (let k = 0; k < 2; k++) {
      mlp.forward(params, offset, input, batch);
      mlp.backward(params, twice, offset, weights, batch);
    }
    expect(
      maxRelativeError(
        twice,
        once.map((g) => 2 * g),
      ),
    ).toBeLessThan(1e-12);
  });

  it('jvp matches the central finite difference of the output along a parameter direction', () => {
    const { rng, mlp, params, input } = setup();
    const tangent = randomArray(params.length, rng);
    mlp.forward(params, offset, input, batch);
    const jv = Float64Array.from(mlp.jvp(params, tangent, offset, batch));
    const plus = params.map((p, i) => p + H * tangent[i]);
    const minus = params.map((p, i) => p - H * tangent[i]);
    const yPlus = Float64Array.from(mlp.forward(plus, offset, input, batch));
    const yMinus = Float64Array.from(mlp.forward(minus, offset, input, batch));
    const numeric = yPlus.map((y, k) => (y - yMinus[k]) / (2 * H));
    expect(maxRelativeError(jv, numeric)).toBeLessThan(1e-6);
  });

  it('jvp and backward are adjoint: ⟨w, J v⟩ = ⟨Jᵀ w, v⟩', () => {
    const { rng, mlp, params, input, weights } = setup();
    const tangent = randomArray(params.length, rng);
    mlp.forward(params, offset, input, batch);
    const jv = mlp.jvp(params, tangent, offset, batch);
    const left = dot(jv, weights);
    const grads = new Float64Array(params.length);
    mlp.backward(params, grads, offset, weights, batch);
    const right = dot(grads, tangent);
    expect(Math.abs(left - right)).toBeLessThan(1e-10 * Math.max(1, Math.abs(left)));
  });

  it('float32 agrees with float64 within float32 rounding', () => {
    const { mlp, params, input, weights } = setup();
    const mlp32 = new MLP({
      sizes,
      hiddenActivation: act,
      outputActivation: act === 'identity' ? 'identity' : 'tanh',
    });
    const p32 = Float32Array.from(params);
    const x32 = Float32Array.from(input);
    const y64 = Float64Array.from(mlp.forward(Float64Array.from(p32), offset, Float64Array.from(x32), batch));
    const y32 = mlp32.forward(p32, offset, x32, batch);
    expect(maxRelativeError(y32, y64)).toBeLessThan(1e-5);
    const g64 = new Float64Array(params.length);
    mlp.backward(Float64Array.from(p32), g64, offset, weights, batch);
    const g32 = new Float32Array(params.length);
    mlp32.backward(p32, g32, offset, Float32Array.from(weights), batch);
    expect(maxRelativeError(g32, g64)).toBeLessThan(1e-5);
  });
});

/** [z, gelu(z), gelu'(z)] from mpmath at 30 digits (z·ncdf(z), ncdf(z) + z·npdf(z)), rounded to float64. */
const GELU_TABLE = [
  [-12, -2.1317785344932147e-32, -2.5578956616748956e-31],
  [-6, -5.9195258702261885e-9, -3.5468709453902015e-8],
  [-3.5, -0.0008142017766243376, -0.002821760353624635],
  [-2.8284271247461903, -0.006615316251384093, -0.018328117863568413],
  [-1, -0.15865525393145705, -0.0833154705876863],
  [-0.1, -0.0460172162722971, 0.4204769079752698],
  [0, 0, 0.5],
  [0.001, 0.000500398942213911, 0.5007978842948414],
  [0.5, 0.34573123063700656, 0.8674951246561629],
  [1, 0.8413447460685429, 1.0833154705876864],
  [2.5, 2.4844758366855597, 1.037611085908145],
  [2.8284271247461903, 2.821811808494806, 1.0183281178635684],
  [4, 3.9998733150326675, 1.0005036496612265],
  [8, 7.999999999999995, 1.0000000000000397],
];

describe('activations', () => {
  it('gelu is the exact z·Φ(z) (erf form, PyTorch nn.GELU default), with its derivative, to float64 precision', () => {
    for (const [z, value, slope] of GELU_TABLE) {
      // relative to the value, except near zero crossings (absolute 1e-16 there)
      expect(Math.abs(gelu(z) - value), `gelu(${z})`).toBeLessThanOrEqual(1e-14 * Math.abs(value) + 1e-16);
      expect(Math.abs(geluDerivative(z) - slope), `gelu'(${z})`).toBeLessThanOrEqual(1e-14 * Math.abs(slope));
    }
  });

  it.each([
    ['typescript', tsKernels, 0],
    ['wasm-simd', createWasmKernels() as WasmKernels, 2e-7], // the vectorised activations' bounds
  ] as const)(
    'a %s dense layer applies its activation: W = I, b = 0 gives act(x)',
    (_name, kernels, tolerance) => {
      const x = GELU_TABLE.map(([z]) => z).filter((z) => z > -10);
      const n = x.length;
      const expected: Record<string, (z: number, k: number) => number> = {
        tanh: Math.tanh,
        relu: (z) => Math.max(z, 0),
        elu: (z) => (z > 0 ? z : Math.expm1(z)),
        gelu: (_z, k) => GELU_TABLE[k + 1][1], // x skips the first row
      };
      for (const act of ['tanh', 'relu', 'elu', 'gelu'] as const) {
        const layer = new MLP({ sizes: [n, n], outputActivation: act, kernels });
        const params = new Float32Array(layer.numParams);
        for (let k = 0; k < n; k++) params[k * n + k] = 1;
        const y = layer.forward(params, 0, Float32Array.from(x), 1);
        x.forEach((z, k) => {
          const want = expected[act](Math.fround(z), k);
          expect(Math.abs(y[k] - want), `${act}(${z})`).toBeLessThanOrEqual(
            tolerance * Math.max(1, Math.abs(z)) + 4e-7 * Math.abs(want),
          );
        });
      }
    },
  );

  it('an MLP refuses an activation it does not know (never silently the identity)', () => {
    expect(() => new MLP({ sizes: [2, 3, 1], hiddenActivation: 'swish' as never })).toThrow(
      /^MLP: unknown activation "swish": expected one of tanh, relu, elu, gelu, identity$/,
    );
  });

  it('elu is z for z > 0 and e^z − 1 otherwise (α = 1, as nn.ELU)', () => {
    expect(activate('elu', 2.5)).toBe(2.5);
    expect(activate('elu', -1)).toBe(Math.expm1(-1));
    expect(activate('elu', -1e-10)).toBe(Math.expm1(-1e-10));
  });
});

describe('MLP', () => {
  it('lays parameters out layer by layer and validates sizes', () => {
    const mlp = new MLP({ sizes: [4, 64, 64, 2] });
    expect(mlp.numParams).toBe(4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    expect(() => new MLP({ sizes: [4] })).toThrow(/invalid sizes \[4\]/);
  });

  it('handles batches larger than any seen before by growing its workspace', () => {
    const mlp = new MLP({ sizes: [2, 3, 1] });
    const params = Float32Array.from({ length: mlp.numParams }, (_, i) => Math.sin(i));
    const one = Float32Array.from(mlp.forward(params, 0, Float32Array.of(0.5, -1), 1));
    const many = mlp.forward(params, 0, Float32Array.of(0.5, -1, 0.5, -1, 0.5, -1), 3);
    expect(Array.from(many)).toEqual([one[0], one[0], one[0]]);
  });

  it('reuses its workspaces: steady-state calls return the same views (no allocation per call)', () => {
    const mlp = new MLP({ sizes: [2, 3, 1] });
    const params = new Float32Array(mlp.numParams).fill(0.1);
    const grads = new Float32Array(mlp.numParams);
    const x = Float32Array.of(1, 2, 3, 4);
    const y1 = mlp.forward(params, 0, x, 2);
    const d1 = mlp.backward(params, grads, 0, Float32Array.of(1, 1), 2);
    const j1 = mlp.jvp(params, grads, 0, 2);
    expect(mlp.forward(params, 0, x, 2)).toBe(y1);
    expect(mlp.backward(params, grads, 0, Float32Array.of(1, 1), 2)).toBe(d1);
    expect(mlp.jvp(params, grads, 0, 2)).toBe(j1);
  });
});

describe('orthogonal initialisation', () => {
  it.each([
    [5, 3],
    [3, 5],
    [4, 4],
  ])('a %i×%i matrix has orthonormal rows or columns times the gain', (rows, cols) => {
    const w = new Float64Array(rows * cols);
    orthogonal(w, rows, cols, 2, Rng.fromSeed(3));
    const n = Math.min(rows, cols);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let k = 0; k < Math.max(rows, cols); k++) {
          dot += rows >= cols ? w[k * cols + a] * w[k * cols + b] : w[a * cols + k] * w[b * cols + k];
        }
        expect(dot).toBeCloseTo(a === b ? 4 : 0, 10);
      }
    }
  });

  it('initMLP uses the gain per layer and zero biases', () => {
    const mlp = new MLP({ sizes: [3, 8, 2] });
    const params = new Float32Array(mlp.numParams).fill(9);
    initMLP(mlp, params, 0, [Math.SQRT2, 0.01], Rng.fromSeed(0));
    const head = mlp.layers[1];
    const w = params.subarray(head.wOffset, head.wOffset + 16);
    const rowNorm = Math.hypot(...w.subarray(0, 8));
    expect(rowNorm).toBeCloseTo(0.01, 6);
    expect(Array.from(params.subarray(head.bOffset, head.bOffset + 2))).toEqual([0, 0]);
  });
});

describe('optimizers', () => {
  it('SGD with momentum follows v ← μv + g, θ ← θ − lr·v', () => {
    const opt = new SGD(1, 0.1, 0.9);
    const p = Float64Array.of(1);
    opt.step(p, Float64Array.of(2));
    opt.step(p, Float64Array.of(2));
    expect(p[0]).toBeCloseTo(1 - 0.1 * 2 - 0.1 * (0.9 * 2 + 2), 12);
  });

  it('Adam: the first step moves each parameter by lr·sign(g) (bias correction), then follows the moments', () => {
    const opt = new Adam(2, 0.01, { epsilon: 1e-8 });
    const p = Float64Array.of(1, 1);
    opt.step(p, Float64Array.of(3, -0.5));
    expect(p[0]).toBeCloseTo(1 - 0.01, 7);
    expect(p[1]).toBeCloseTo(1 + 0.01, 7);
    opt.step(p, Float64Array.of(1, -0.5));
    const m = 0.9 * (0.1 * 3) + 0.1 * 1;
    const v = 0.999 * (0.001 * 9) + 0.001 * 1;
    const expected = 1 - 0.01 - (0.01 * m) / (1 - 0.81) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(p[0]).toBeCloseTo(expected, 10);
  });

  it('RMSprop, PyTorch style and TensorFlow style (ε inside the root, average starting at ones)', () => {
    const torch = new RMSprop(1, 0.1, { alpha: 0.9, epsilon: 0.01 });
    const tf = new RMSprop(1, 0.1, { alpha: 0.9, epsilon: 0.01, tensorflowStyle: true });
    const a = Float64Array.of(0);
    const b = Float64Array.of(0);
    torch.step(a, Float64Array.of(2));
    tf.step(b, Float64Array.of(2));
    expect(a[0]).toBeCloseTo(-0.2 / (Math.sqrt(0.1 * 4) + 0.01), 12);
    expect(b[0]).toBeCloseTo(-0.2 / Math.sqrt(0.9 * 1 + 0.1 * 4 + 0.01), 12);
  });

  it("RMSprop with given square averages (A3C's shared statistics) uses and updates them as they are", () => {
    const shared = new Float32Array(new SharedArrayBuffer(8)).fill(1); // TensorFlow's start, set by the owner
    const options = { alpha: 0.9, epsilon: 0.01, tensorflowStyle: true, squareAverages: shared };
    const first = new RMSprop(2, 0.1, options);
    const second = new RMSprop(2, 0.1, options); // another worker: the same statistics, not reset
    const p = Float32Array.of(0, 0);
    first.step(p, Float32Array.of(2, 0));
    const average = 0.9 * 1 + 0.1 * 4;
    expect(shared[0]).toBeCloseTo(average, 6);
    expect(p[0]).toBeCloseTo(-0.2 / Math.sqrt(average + 0.01), 6); // the unrounded average, as before the store
    second.step(p, Float32Array.of(0, 0));
    expect(shared[0]).toBeCloseTo(0.9 * average, 6);
    expect(shared[1]).toBeCloseTo(0.81, 6);
    expect(() => new RMSprop(3, 0.1, options)).toThrow(
      /^RMSprop: squareAverages holds 2 values for 3 parameters$/,
    );
  });

  it('optimizer state round-trips through JSON and resumes identically', () => {
    const a = new Adam(3, 0.01);
    const p = Float64Array.of(1, 2, 3);
    a.step(p, Float64Array.of(0.1, 0.2, 0.3));
    const b = new Adam(3, 0.01);
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    const q = p.slice();
    a.step(p, Float64Array.of(0.3, 0.2, 0.1));
    b.step(q, Float64Array.of(0.3, 0.2, 0.1));
    expect(Array.from(q)).toEqual(Array.from(p));
    expect(() => b.setState(new SGD(3, 0.1).getState())).toThrow(/invalid optimizer state/);
  });

  it('clipGradNorm scales to the max norm and reports the norm before clipping', () => {
    const g = Float64Array.of(3, 4);
    expect(clipGradNorm(g, 1)).toBe(5);
    expect(globalNorm(g)).toBeCloseTo(1, 5);
    const small = Float64Array.of(0.3, 0.4);
    clipGradNorm(small, 1);
    expect(Array.from(small)).toEqual([0.3, 0.4]);
  });

  it('schedules: constant and linear in the remaining progress', () => {
    expect(constantSchedule(3)(0.2)).toBe(3);
    const lin = linearSchedule(1e-3, 0);
    expect(lin(1)).toBeCloseTo(1e-3, 15);
    expect(lin(0.5)).toBeCloseTo(5e-4, 15);
    expect(lin(0)).toBe(0);
  });
});
