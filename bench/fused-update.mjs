// Fused PPO minibatch update (issue 20, item 2): the time of one minibatch step — forward of actor and critic,
// loss heads, backward, global-norm clipping, Adam — on the JavaScript path (accumulateLoss with PPO's terms,
// clipGradNorm, Adam.step: a wasm call per network forward and per layer backward, the heads in JavaScript) and as
// one WebAssembly call (createFusedPPOStep), on the same wasm kernels and the same minibatches. Both paths give
// the same bits (test/fused-ppo.test.ts); this measures only their speed. Writes bench/results/fused-update.json.
// Usage: npm run bench:fused-update [-- --minibatches 200] [-- --rounds 5] [-- --batch 128]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  accumulateLoss,
  Adam,
  clipGradNorm,
  createFusedPPOStep,
  createWasmKernels,
  Discrete,
  LossScratch,
  normalize,
  ppoLoss,
  Rng,
} from '../dist/internal.js';
import { casePolicy, FUSED_CASES, median } from './lib/fused-cases.mjs';

const { values: args } = parseArgs({
  options: {
    minibatches: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '128' },
  },
});
const minibatches = Number(args.minibatches);
const rounds = Number(args.rounds);
const batch = Number(args.batch);

/** PPO's config as CleanRL's and rl-zoo's runs use it: clipped surrogate, c_H = 0.01, ½-MSE, clip 0.5. */
const CONFIG = {
  objective: 'clip',
  entCoef: 0.01,
  vfCoef: 0.5,
  klBetaInit: 1,
  valueLoss: 'cleanrl',
  clipRangeVf: null,
  maxGradNorm: 0.5,
  targetKl: null,
};

/** A policy, its Adam and a fused step over one random minibatch of `batch` rows (in wasm memory). */
function setUp(c, kernels) {
  const policy = casePolicy(c, kernels);
  const optimizer = new Adam(policy.numParams, 3e-4, { epsilon: 1e-5, kernels });
  const fused = createFusedPPOStep(policy, optimizer, batch, CONFIG);
  if (fused === null) throw new Error(`${c.name}: no fused step`);
  const rng = Rng.fromSeed(4);
  const mb = fused.minibatch;
  mb.size = batch;
  for (let k = 0; k < batch * c.obs; k++) mb.observations[k] = rng.normal(0, 1);
  const discrete = c.action instanceof Discrete;
  for (let k = 0; k < batch * policy.dist.actionSize; k++) {
    mb.actions[k] = discrete ? rng.integer(0, c.action.n) : rng.normal(0, 1);
  }
  for (let b = 0; b < batch; b++) {
    mb.oldLogProbs[b] = discrete ? Math.log(0.5) : -policy.dist.actionSize;
    mb.advantages[b] = rng.normal(0, 1);
    mb.returns[b] = rng.normal(0, 1);
    mb.oldValues[b] = 0;
  }
  return { policy, optimizer, fused, mb };
}

function timeMinibatches(step) {
  for (let i = 0; i < 20; i++) step(); // warm-up
  const start = performance.now();
  for (let i = 0; i < minibatches; i++) step();
  return ((performance.now() - start) * 1000) / minibatches; // µs per minibatch
}

const kernels = createWasmKernels();
if (kernels === null) throw new Error('WebAssembly SIMD kernels are unavailable here');
const results = { batch, minibatches, rounds, date: new Date().toISOString().slice(0, 10), cases: [] };
for (const c of FUSED_CASES) {
  const js = setUp(c, kernels);
  const fast = setUp(c, kernels);
  const { loss, policySurrogate } = ppoLoss(CONFIG);
  policySurrogate.clipRange = 0.2;
  const scratch = new LossScratch();
  const rows = { ...js.mb, oldDistInputs: null, advantages: js.fused.normalized };
  // Exactly what createPPOUpdate runs per minibatch on each path, the advantages' normalisation included.
  const jsStep = () => {
    rows.advantages.set(js.mb.advantages);
    normalize(rows.advantages);
    js.policy.zeroGrad();
    accumulateLoss(js.policy, rows, loss, scratch);
    clipGradNorm(js.policy.grads, CONFIG.maxGradNorm);
    js.optimizer.step(js.policy.params, js.policy.grads);
  };
  const fusedStep = () => {
    fast.fused.normalized.set(fast.mb.advantages);
    normalize(fast.fused.normalized);
    fast.fused.step(fast.fused.normalized, batch, 0.2);
  };
  const jsTimes = [];
  const fusedTimes = [];
  for (let r = 0; r < rounds; r++) {
    jsTimes.push(timeMinibatches(jsStep));
    fusedTimes.push(timeMinibatches(fusedStep));
  }
  const row = {
    case: c.name,
    jsMicroseconds: Number(median(jsTimes).toFixed(1)),
    fusedMicroseconds: Number(median(fusedTimes).toFixed(1)),
  };
  row.speedup = Number((row.jsMicroseconds / row.fusedMicroseconds).toFixed(2));
  results.cases.push(row);
  console.log(
    `${c.name}, ${batch} rows: JS path ${row.jsMicroseconds} µs, fused ${row.fusedMicroseconds} µs per minibatch (${row.speedup}×; medians of ${rounds} rounds of ${minibatches})`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/fused-update.json', `${JSON.stringify(results, null, 2)}\n`);
