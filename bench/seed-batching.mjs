// Would batched kernels over seeds pay? (issue 20, item 4.) For K seeds training the same 4-64-64 tanh actor
// (2 logits) and critic (1 value) on minibatches of 128 rows (CleanRL's PPO CartPole configuration), this times
//   separate: K × (forward + backward of every layer), each seed on its own weights — what K runs do today;
//   one call: forward + backward of every layer over K × 128 rows on one weight set — the same arithmetic in one
//             call per layer, the lower bound of a kernel that takes all K weight sets at once (a batched kernel
//             does the same multiply-adds; it can only save the per-call cost and keep the loops longer).
// Prints microseconds per minibatch for both and the share a batched kernel could save at most.
// Usage: npm run bench:seed-batching [-- --seeds 5] [-- --ms 6000] [-- --out bench/results/seed-batching.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createWasmKernels, Rng } from '../dist/internal.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '128' },
    ms: { type: 'string', default: '6000' },
    out: { type: 'string', default: 'bench/results/seed-batching.json' },
  },
});
const K = Number(args.seeds);
const BATCH = Number(args.batch);
const MS = Number(args.ms);
const kernels = createWasmKernels();
if (kernels === null) throw new Error('WebAssembly SIMD kernels are unavailable here');

/** [nIn, nOut] of the actor's and the critic's layers. */
const NETS = [
  [
    [4, 64],
    [64, 64],
    [64, 2],
  ],
  [
    [4, 64],
    [64, 64],
    [64, 1],
  ],
];

/** One network's weights, gradients and activations for `rows` rows, in the kernels' memory. */
function network(layers, rows, rng) {
  const fill = (a) => {
    for (let i = 0; i < a.length; i++) a[i] = rng.normal(0, 0.3);
    return a;
  };
  const input = fill(kernels.allocate(rows * layers[0][0]));
  return layers.map(([nIn, nOut], index) => ({
    nIn,
    nOut,
    act: index === layers.length - 1 ? 'identity' : 'tanh',
    W: fill(kernels.allocate(nIn * nOut)),
    b: fill(kernels.allocate(nOut)),
    dW: kernels.allocate(nIn * nOut),
    db: kernels.allocate(nOut),
    X: index === 0 ? input : null,
    Y: kernels.allocate(rows * nOut),
    dY: kernels.allocate(rows * nOut),
    dX: index === 0 ? null : kernels.allocate(rows * nIn),
  }));
}

function chain(net) {
  for (let i = 1; i < net.length; i++) net[i].X = net[i - 1].Y;
  return net;
}

/** Forward and backward of every layer of `net` over `rows` rows (the loss gradient: dY = Y at the output). */
function pass(net, rows) {
  for (const l of net) kernels.forward(l.W, l.b, l.X, l.Y, rows, l.nIn, l.nOut, l.act);
  const last = net[net.length - 1];
  last.dY.set(last.Y);
  for (let i = net.length - 1; i >= 0; i--) {
    const l = net[i];
    kernels.backward(l.W, l.X, l.Y, l.dY, l.dW, l.db, l.dX, rows, l.nIn, l.nOut, l.act);
    if (i > 0) net[i - 1].dY.set(l.dX);
  }
}

/** Microseconds per call of `fn` over about `ms` milliseconds. */
function timeOnce(fn, ms) {
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    calls++;
  }
  return ((performance.now() - start) * 1000) / calls;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Each function's microseconds per call, medians of 9 rounds that time them in turn (so that a shared machine's
 * load, which changes by the second, weighs on them alike), and the median of the rounds' ratios to the first.
 */
function timeInTurn(fns) {
  for (const fn of fns) for (let i = 0; i < 100; i++) fn();
  const rounds = Array.from({ length: 9 }, () => fns.map((fn) => timeOnce(fn, MS / 9 / fns.length)));
  return {
    micros: fns.map((_, k) => median(rounds.map((r) => r[k]))),
    ratios: fns.map((_, k) => median(rounds.map((r) => r[k] / r[0]))),
  };
}

const rng = Rng.fromSeed(1);
const separate = Array.from({ length: K }, () => NETS.map((layers) => chain(network(layers, BATCH, rng))));
const stacked = NETS.map((layers) => chain(network(layers, K * BATCH, rng)));
const { micros, ratios } = timeInTurn([
  () => {
    for (const nets of separate) for (const net of nets) pass(net, BATCH);
  },
  () => {
    for (const net of stacked) pass(net, K * BATCH);
  },
  () => {
    for (const net of separate[0]) pass(net, BATCH);
  },
]);
const [separateMicros, oneCallMicros, singleMicros] = micros;
const result = {
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  date: new Date().toISOString().slice(0, 10),
  seeds: K,
  batch: BATCH,
  networks: '4-64-64 tanh actor (2 logits) and critic (1 value)',
  microsecondsPerMinibatch: {
    oneSeed: Number(singleMicros.toFixed(1)),
    separate: Number(separateMicros.toFixed(1)),
    oneCall: Number(oneCallMicros.toFixed(1)),
  },
  /** 1 − (one call / separate), the median of the rounds' ratios. */
  savedAtMost: Number((1 - ratios[1]).toFixed(3)),
};
console.log(
  `${K} seeds × batch ${BATCH}, actor + critic forward and backward: one seed ${result.microsecondsPerMinibatch.oneSeed} µs; ` +
    `${K} separate ${result.microsecondsPerMinibatch.separate} µs; one call over ${K * BATCH} rows ${result.microsecondsPerMinibatch.oneCall} µs ` +
    `(a batched kernel saves at most ${(100 * result.savedAtMost).toFixed(1)}%)`,
);
mkdirSync('bench/results', { recursive: true });
writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${args.out}`);
