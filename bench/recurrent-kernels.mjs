// Micro-benchmark of the recurrent kernels (issue 16): one LSTM/GRU forward + backward through time per
// minibatch of whole sequences (default 8 sequences × 32 steps, input 4, hidden 64, the CartPoleNoVel zoo
// preset's shape), TypeScript reference vs WebAssembly SIMD kernels. Prints a table and writes
// bench/results/recurrent-kernels.json. Timings are medians of repeated runs; on a shared machine they are
// indicative only. Usage: npm run bench:recurrent-kernels [-- --steps 32 --batch 8 --hidden 64 --input 4]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createWasmKernels, initRecurrent, RecurrentLayer, Rng, tsKernels } from '../dist/internal.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '32' },
    batch: { type: 'string', default: '8' },
    hidden: { type: 'string', default: '64' },
    input: { type: 'string', default: '4' },
    ms: { type: 'string', default: '1500' },
    out: { type: 'string', default: 'bench/results/recurrent-kernels.json' },
  },
});
const T = Number(args.steps);
const B = Number(args.batch);
const H = Number(args.hidden);
const I = Number(args.input);
const budget = Number(args.ms);

/** Median over 5 rounds of the mean time per call (ms) of `fn`, each round about budget/5 ms, after a warm-up. */
function timeIt(fn) {
  for (let i = 0; i < 5; i++) fn();
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    let reps = 0;
    const start = performance.now();
    while (performance.now() - start < budget / 5) {
      fn();
      reps++;
    }
    rounds.push((performance.now() - start) / reps);
  }
  return rounds.sort((a, b) => a - b)[2];
}

const wasm = createWasmKernels();
if (wasm === null) throw new Error('WebAssembly SIMD kernels are unavailable on this engine');
const rows = [];
for (const cell of ['lstm', 'gru']) {
  for (const [name, kernels] of [
    ['typescript', tsKernels],
    ['wasm-simd', wasm],
  ]) {
    const layer = new RecurrentLayer({
      cell,
      inputSize: I,
      hiddenSize: H,
      maxSteps: T,
      maxBatch: B,
      kernels,
    });
    // Parameters and gradients where training keeps them: in wasm memory for the wasm kernels.
    const allocate = (n) => kernels.allocate?.(n) ?? new Float32Array(n);
    const params = allocate(layer.numParams);
    const grads = allocate(layer.numParams);
    const rng = Rng.fromSeed(1);
    initRecurrent(layer, params, 0, rng);
    const x = rng.fillNormal(allocate(T * B * I));
    const starts = new Float32Array(T * B).map(() => (rng.uniform() < 0.03 ? 1 : 0));
    const h0 = rng.fillNormal(allocate(B * H), 0, 0.1);
    const c0 = rng.fillNormal(allocate(B * H), 0, 0.1);
    const dY = rng.fillNormal(allocate(T * B * H));
    const forward = () => layer.forward(params, 0, x, starts, h0, c0, T, B);
    const forwardMs = timeIt(forward);
    // backward reads the last forward's trace and only accumulates into grads, so it can repeat alone.
    forward();
    const backwardMs = timeIt(() => layer.backward(params, grads, 0, dY));
    const bothMs = timeIt(() => {
      forward();
      layer.backward(params, grads, 0, dY);
    });
    rows.push({ cell, kernels: name, forwardMs, backwardMs, forwardBackwardMs: bothMs });
  }
}
for (const cell of ['lstm', 'gru']) {
  const [ts, w] = rows.filter((r) => r.cell === cell);
  w.speedupOverTypescript = ts.forwardBackwardMs / w.forwardBackwardMs;
}

const fmt = (v) => v.toFixed(3).padStart(10);
console.log(
  `Recurrent kernels: ${B} sequences × ${T} steps, input ${I}, hidden ${H} (ms per minibatch, median)`,
);
console.log('cell  kernels       forward   backward  fwd+bwd   speed-up');
for (const r of rows) {
  const speedup = r.speedupOverTypescript === undefined ? '' : `${r.speedupOverTypescript.toFixed(1)}×`;
  console.log(
    `${r.cell.padEnd(5)} ${r.kernels.padEnd(11)}${fmt(r.forwardMs)}${fmt(r.backwardMs)}${fmt(r.forwardBackwardMs)}   ${speedup}`,
  );
}
const result = {
  shape: { steps: T, batch: B, input: I, hidden: H },
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  date: new Date().toISOString(),
  note: 'medians of 5 rounds on a possibly shared machine: indicative only',
  rows,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${args.out}`);
