// Speed benchmark (issue 6): rollout throughput, minibatch update time (TypeScript vs WebAssembly SIMD kernels),
// achieved GFLOP/s, and end-to-end wall time of three reference runs against Stable-Baselines3 and CleanRL on the
// same machine (../shared/benchmarks/peers.md). Prints a table and writes bench/results/speed.json.
// Usage: npm run bench [-- --quick] [-- --only rollout,update,matmul,async,e2e,manyseeds] [-- --seeds 1,2,3]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  accumulateLoss,
  ActorCriticPolicy,
  Adam,
  allocateMinibatch,
  clipGradNorm,
  createAlgorithm,
  createFusedPPOStep,
  createWasmKernels,
  describeKernels,
  LossScratch,
  makeVec,
  normalize,
  ppoLoss,
  RolloutBuffer,
  RolloutCollector,
  Rng,
  setDefaultKernels,
  tsKernels,
} from '../dist/internal.js';
import { AsyncVectorEnv, nodePorts } from '../dist/node.js';
import { learnSeeds } from '../dist/internal-node.js';
import './lib/slow-env.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'rollout,update,threads,matmul,async,e2e,manyseeds' },
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'bench/results/speed.json' },
    // Threads of each update in the end-to-end runs: 1, 2 or auto (what a Node user gets by default).
    threads: { type: 'string', default: 'auto' },
  },
});
const threads = args.threads === 'auto' ? 'auto' : Number(args.threads);
const parts = new Set(args.only.split(','));
const seeds = args.seeds.split(',').map(Number);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const results = {
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  kernels: describeKernels(),
  date: new Date().toISOString().slice(0, 10),
};

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns microseconds per call. */
function timeIt(fn, ms = 1000, warmup = 50) {
  for (let i = 0; i < warmup; i++) fn();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    reps++;
  }
  return ((performance.now() - start) / reps) * 1000;
}

// 1. Rollout: CartPole-v1, 8 envs, the 64-64 actor-critic acting (one batched forward per vector step).
if (parts.has('rollout')) {
  setDefaultKernels('wasm');
  const env = makeVec('CartPole-v1', 8, {}, { copy: false });
  const policy = new ActorCriticPolicy(
    { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace },
    Rng.fromSeed(1),
  );
  const collector = new RolloutCollector(env, policy, Rng.fromSeed(2), 1);
  const buffer = new RolloutBuffer(256, 8, env.obsDim, policy.dist.actionSize);
  for (let i = 0; i < 20; i++) collector.collectSteps(buffer);
  const total = args.quick ? 200_000 : 1_000_000;
  const start = performance.now();
  for (let steps = 0; steps < total; steps += buffer.size) collector.collectSteps(buffer);
  const seconds = (performance.now() - start) / 1000;
  results.rollout = { env: 'CartPole-v1', numEnvs: 8, stepsPerSecond: Math.round(total / seconds) };
  console.log(
    `rollout (CartPole-v1, 8 envs, 64-64 policy acting): ${results.rollout.stepsPerSecond.toLocaleString('en-US')} env steps/s`,
  );
}

// 2. One PPO minibatch update (surrogate + value loss gradients of the 64-64 tanh actor and critic, gradient
// clipping, Adam), TypeScript reference kernels vs wasm kernels.
const FLOPS_PER_SAMPLE = (() => {
  // forward (all layers) + weight gradients (all layers) + input gradients (all but the first layer), ×2 flops/MAC
  const layers = (out) => [
    [4, 64],
    [64, 64],
    [64, out],
  ];
  let macs = 0;
  for (const out of [2, 1]) {
    for (const [i, [nIn, nOut]] of layers(out).entries()) macs += nIn * nOut * (i === 0 ? 2 : 3);
  }
  return 2 * macs;
})();

/**
 * µs per PPO minibatch update on `kernels`: the JavaScript path, or with `fused` the one-call wasm step
 * (src/algos/fused-ppo.ts) that PPO takes on one update thread; both give the same numbers.
 */
function updateTime(kernels, batch, fused = false) {
  const env = makeVec('CartPole-v1', 1);
  const policy = new ActorCriticPolicy(
    { observationSpace: env.singleObservationSpace, actionSpace: env.singleActionSpace, kernels },
    Rng.fromSeed(3),
  );
  const rng = Rng.fromSeed(4);
  const optimizer = new Adam(policy.numParams, 3e-4, { epsilon: 1e-5, kernels });
  // Exactly what PPO's update runs per minibatch (createPPOUpdate, objective 'clip', SB3's defaults but c_H = 0):
  // the minibatch's advantages normalised, accumulateLoss of PPO's terms, the global norm clip, the Adam step.
  const lossConfig = {
    objective: 'clip',
    entCoef: 0,
    vfCoef: 0.5,
    klBetaInit: 1,
    valueLoss: 'sb3',
    clipRangeVf: null,
    maxGradNorm: 0.5,
    targetKl: null,
  };
  const fusedStep = fused ? createFusedPPOStep(policy, optimizer, batch, lossConfig) : null;
  if (fused && fusedStep === null) throw new Error('the fused update is unavailable on these kernels');
  const mb = fusedStep?.minibatch ?? allocateMinibatch(batch, 4, 1, 2);
  mb.size = batch;
  for (let k = 0; k < batch * 4; k++) mb.observations[k] = rng.normal(0, 1);
  for (let b = 0; b < batch; b++) {
    mb.actions[b] = rng.integer(0, 2);
    mb.oldLogProbs[b] = Math.log(0.5);
    mb.advantages[b] = rng.normal(0, 1);
    mb.returns[b] = rng.normal(0, 1);
  }
  mb.oldDistInputs = null;
  const { loss, policySurrogate } = ppoLoss(lossConfig);
  policySurrogate.clipRange = 0.2;
  const scratch = new LossScratch();
  const normalized = fusedStep?.normalized ?? new Float64Array(batch);
  const rows = { ...mb, advantages: normalized };
  return timeIt(
    () => {
      normalized.set(mb.advantages.subarray(0, batch));
      normalize(normalized);
      if (fusedStep !== null) {
        fusedStep.step(normalized, batch, 0.2);
        return;
      }
      policy.zeroGrad();
      accumulateLoss(policy, rows, loss, scratch);
      clipGradNorm(policy.grads, 0.5);
      optimizer.step(policy.params, policy.grads);
    },
    args.quick ? 300 : 1500,
    kernels === tsKernels ? 3 : 50,
  );
}

if (parts.has('update')) {
  const wasm = createWasmKernels();
  results.update = [];
  for (const batch of [64, 256, 1024]) {
    const ts = updateTime(tsKernels, batch);
    const fast = updateTime(wasm, batch);
    const fused = updateTime(wasm, batch, true);
    const row = {
      batch,
      typescriptMicroseconds: Math.round(ts),
      wasmMicroseconds: Math.round(fast),
      wasmFusedMicroseconds: Math.round(fused),
      speedup: Number((ts / fast).toFixed(1)),
      wasmGflops: Number(((FLOPS_PER_SAMPLE * batch) / fast / 1e3).toFixed(1)),
    };
    results.update.push(row);
    console.log(
      `update, batch ${batch}: typescript ${row.typescriptMicroseconds} µs, wasm ${row.wasmMicroseconds} µs (${row.speedup}×, ${row.wasmGflops} GFLOP/s), wasm fused ${row.wasmFusedMicroseconds} µs`,
    );
  }
}

// 3. The kernel's own throughput on a large product.
if (parts.has('matmul')) {
  const kernels = createWasmKernels();
  const n = 512;
  const rng = Rng.fromSeed(5);
  const A = kernels.allocate(n * n).map(() => rng.normal(0, 1));
  const B = kernels.allocate(n * n).map(() => rng.normal(0, 1));
  const a = kernels.allocate(n * n);
  const b = kernels.allocate(n * n);
  a.set(A);
  b.set(B);
  const c = kernels.allocate(n * n);
  const us = timeIt(() => kernels.matmul(a, b, c, n, n, n), args.quick ? 300 : 1500, 5);
  results.matmul = { n, gflops: Number(((2 * n ** 3) / us / 1e3).toFixed(1)) };
  console.log(`matmul ${n}×${n}×${n}: ${results.matmul.gflops} GFLOP/s (one core)`);
}

// 4. AsyncVectorEnv vs SyncVectorEnv: 8 envs, random actions, for env steps of increasing cost.
if (parts.has('async')) {
  results.asyncVectorEnv = [];
  const envModules = [pathToFileURL('bench/lib/slow-env.mjs').href];
  for (const stepMicroseconds of [0, 20, 100]) {
    const row = { stepMicroseconds };
    for (const kind of ['sync', 'async']) {
      const options = { stepMicroseconds };
      const env =
        kind === 'sync'
          ? makeVec('SlowCartPole-v0', 8, options, { copy: false })
          : new AsyncVectorEnv('SlowCartPole-v0', 8, options, { copy: false, envModules });
      env.reset({ seed: 1 });
      const actions = new Int32Array(8);
      const rng = Rng.fromSeed(1);
      const vectorSteps = stepMicroseconds === 0 ? 20_000 : 1_000;
      const run = (count) => {
        for (let t = 0; t < count; t++) {
          for (let i = 0; i < 8; i++) actions[i] = rng.integer(0, 2);
          env.step(actions);
        }
      };
      run(vectorSteps / 10);
      const start = performance.now();
      run(vectorSteps);
      row[`${kind}StepsPerSecond`] = Math.round((vectorSteps * 8) / ((performance.now() - start) / 1000));
      env.close();
    }
    row.speedup = Number((row.asyncStepsPerSecond / row.syncStepsPerSecond).toFixed(2));
    results.asyncVectorEnv.push(row);
    console.log(
      `vector env, 8 envs, step cost ${stepMicroseconds} µs: sync ${row.syncStepsPerSecond.toLocaleString('en-US')} steps/s, async (2 workers) ${row.asyncStepsPerSecond.toLocaleString('en-US')} steps/s (${row.speedup}×)`,
    );
  }
}

// 5. End to end, as the peers were measured: env construction to the end of training, final evaluation apart.
const RUNS = [
  {
    name: 'PPO CartPole-v1, zoo preset, 100k',
    algo: 'ppo',
    preset: 'zoo',
    steps: 100_000,
    target: 6.5,
    peer: 19.7,
  },
  {
    name: "PPO CartPole-v1, CleanRL's defaults, 500k",
    algo: 'ppo',
    preset: 'cleanrl',
    steps: 500_000,
    target: 25,
    peer: 76.5,
  },
  {
    name: 'A2C CartPole-v1, zoo preset, 500k',
    algo: 'a2c',
    preset: 'zoo',
    steps: 500_000,
    target: 15,
    peer: 44.7,
  },
];
// Two-thread updates: one 128-row PPO minibatch (forward, loss terms, backward) on one thread and on two (the
// critic's passes on a worker thread), and the hand-off's round trip (src/node/critic-thread.ts).
if (parts.has('threads')) {
  const rows = 128;
  const batch = {
    size: rows,
    observations: new Float32Array(rows * 4).map((_, i) => Math.sin(i * 0.37)),
    actions: new Float32Array(rows).map((_, i) => i % 2),
    advantages: new Float64Array(rows).map((_, i) => Math.cos(i)),
    oldLogProbs: new Float64Array(rows).fill(Math.log(0.5)),
    returns: new Float64Array(rows).map((_, i) => Math.sin(i)),
  };
  const { loss } = ppoLoss({
    objective: 'clip',
    entCoef: 0,
    vfCoef: 0.5,
    klBetaInit: 1,
    valueLoss: 'cleanrl',
    clipRangeVf: null,
  });
  const minibatch = (count) => {
    const model = createAlgorithm(
      'ppo',
      { env: 'CartPole-v1', preset: 'cleanrl', seed: 1, threads: count },
      nodePorts,
    );
    const scratch = new LossScratch();
    const samples = [];
    for (let k = 0; k < (args.quick ? 500 : 5000); k++) {
      const start = performance.now();
      model.policy.zeroGrad();
      accumulateLoss(model.policy, batch, loss, scratch);
      samples.push((performance.now() - start) * 1000);
    }
    const thread = model.policy.criticThread;
    const trips = thread === null ? [] : Array.from({ length: 1000 }, () => thread.roundTripMicros());
    const threads = model.updateThreads;
    model.close();
    samples.sort((a, b) => a - b);
    trips.sort((a, b) => a - b);
    return { samples, trips, threads };
  };
  const one = minibatch(1);
  const two = minibatch(2);
  const stat = (xs, q) => Number(xs[Math.floor(q * (xs.length - 1))].toFixed(1));
  results.threads = {
    minibatchMicros: {
      oneThread: { min: stat(one.samples, 0), median: stat(one.samples, 0.5) },
      twoThreads: { min: stat(two.samples, 0), median: stat(two.samples, 0.5), threads: two.threads },
    },
    handOffRoundTripMicros: {
      p10: stat(two.trips, 0.1),
      median: stat(two.trips, 0.5),
      p90: stat(two.trips, 0.9),
    },
  };
  const m = results.threads.minibatchMicros;
  const h = results.threads.handOffRoundTripMicros;
  console.log(
    `PPO minibatch of ${rows} rows: 1 thread median ${m.oneThread.median} µs (min ${m.oneThread.min}); 2 threads (${two.threads}) median ${m.twoThreads.median} µs (min ${m.twoThreads.min}); hand-off round trip median ${h.median} µs (p10 ${h.p10}, p90 ${h.p90})`,
  );
}

if (parts.has('e2e')) {
  setDefaultKernels('wasm');
  results.endToEnd = [];
  for (const run of RUNS) {
    const times = [];
    const finals = [];
    let updateThreads = '';
    for (const seed of seeds) {
      const start = performance.now();
      const model = createAlgorithm(
        run.algo,
        { env: 'CartPole-v1', preset: run.preset, seed, threads },
        nodePorts,
      );
      model.learn({ totalTimesteps: args.quick ? run.steps / 10 : run.steps });
      times.push((performance.now() - start) / 1000);
      updateThreads = model.updateThreads;
      model.close();
      const returns = model.evaluate(20, { deterministic: true });
      finals.push(returns.reduce((x, y) => x + y, 0) / returns.length);
    }
    const row = {
      run: run.name,
      seeds,
      updateThreads,
      seconds: times.map((t) => Number(t.toFixed(2))),
      medianSeconds: Number(median(times).toFixed(2)),
      finalReturns: finals,
      medianFinalReturn: median(finals),
      target: run.target,
      peerSeconds: run.peer,
      speedupOverPeer: Number((run.peer / median(times)).toFixed(1)),
    };
    results.endToEnd.push(row);
    console.log(
      `${run.name} (update threads ${updateThreads}): median ${row.medianSeconds} s (${row.seconds.join(', ')}), final eval ${row.medianFinalReturn}, ${row.speedupOverPeer}× the peer's ${run.peer} s (target ≤ ${run.target} s)`,
    );
  }
}

// 6. Five seeds of CleanRL's PPO configuration in one process (worker threads, min(seeds, cores) at a time), from
// the call to the five trained models, against PureJaxRL's five-seed vmap on this machine (19.9 s run + 6.6 s
// compile, ../shared/benchmarks/peers.md); each seed's final evaluation is 20 deterministic episodes.
if (parts.has('manyseeds')) {
  setDefaultKernels('wasm');
  const manySeeds = [1, 2, 3, 4, 5];
  const steps = args.quick ? 50_000 : 500_000;
  const start = performance.now();
  const runs = await learnSeeds('ppo', { env: 'CartPole-v1', preset: 'cleanrl' }, manySeeds, {
    totalTimesteps: steps,
  });
  const seconds = (performance.now() - start) / 1000;
  const finals = runs.map(({ model }) => {
    const returns = model.evaluate(20, { deterministic: true });
    return returns.reduce((x, y) => x + y, 0) / returns.length;
  });
  const parallel = Math.min(manySeeds.length, cpus().length);
  results.manySeeds = {
    run: "PPO CartPole-v1, CleanRL's defaults, 500k, 5 seeds in one process",
    seeds: manySeeds,
    timesteps: steps,
    parallel,
    seconds: Number(seconds.toFixed(2)),
    finalReturns: finals,
    minFinalReturn: Math.min(...finals),
    target: 15,
    peer: 'PureJaxRL vmap over 5 seeds: 19.9 s run + 6.6 s compile',
    peerSeconds: 26.5,
  };
  console.log(
    `${results.manySeeds.run}: ${results.manySeeds.seconds} s on ${parallel} threads (${steps.toLocaleString('en-US')} steps each), final evals ${finals.join(', ')} (target ≤ 15 s, every seed ≥ 475; PureJaxRL 19.9 s + 6.6 s compile)`,
  );
}

if (!args.quick) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(args.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${args.out}`);
}
