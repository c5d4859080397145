// Fused batched act (issue 20, item 2): the time of one ActorCriticPolicy.act — forward of actor and critic, the
// head's sample, its log-probability, the value — on the JavaScript path (a wasm call per network, the head in
// JavaScript) and as one WebAssembly call (policies/fused-act.ts), on the same wasm kernels, observations and
// seeds, at the rollout's batch sizes (one row per env). Both paths give the same bits (test/fused-act.test.ts);
// this measures only their speed. Writes bench/results/fused-act.json.
// Usage: npm run bench:fused-act [-- --calls 2000] [-- --rounds 5]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createWasmKernels, Rng } from '../dist/internal.js';
import { casePolicy, FUSED_CASES, median } from './lib/fused-cases.mjs';

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } },
});
const calls = Number(args.calls);
const rounds = Number(args.rounds);

const BATCHES = [4, 16, 64];

const kernels = createWasmKernels();
if (kernels === null) throw new Error('WebAssembly SIMD kernels are unavailable here');

function setUp(c, batch, fused) {
  const policy = casePolicy(c, kernels);
  policy.fusedAct = fused;
  const data = Rng.fromSeed(4);
  const observations = Float32Array.from({ length: batch * c.obs }, () => data.normal(0, 1));
  const out = {
    actions: new Float32Array(batch * policy.dist.actionSize),
    logProbs: new Float32Array(batch),
    values: new Float32Array(batch),
  };
  const rng = Rng.fromSeed(5);
  return () => policy.act(observations, batch, rng, out);
}

function timeCalls(act) {
  for (let i = 0; i < 100; i++) act(); // warm-up
  const start = performance.now();
  for (let i = 0; i < calls; i++) act();
  return ((performance.now() - start) * 1000) / calls; // µs per act
}

const results = { calls, rounds, date: new Date().toISOString().slice(0, 10), cases: [] };
for (const c of FUSED_CASES) {
  for (const batch of BATCHES) {
    const js = setUp(c, batch, false);
    const fused = setUp(c, batch, true);
    const jsTimes = [];
    const fusedTimes = [];
    for (let r = 0; r < rounds; r++) {
      jsTimes.push(timeCalls(js));
      fusedTimes.push(timeCalls(fused));
    }
    const row = {
      case: c.name,
      batch,
      jsMicroseconds: Number(median(jsTimes).toFixed(2)),
      fusedMicroseconds: Number(median(fusedTimes).toFixed(2)),
    };
    row.speedup = Number((row.jsMicroseconds / row.fusedMicroseconds).toFixed(2));
    results.cases.push(row);
    console.log(
      `${c.name}, batch ${batch}: JS path ${row.jsMicroseconds} µs, fused ${row.fusedMicroseconds} µs per act (${row.speedup}×; medians of ${rounds} rounds of ${calls})`,
    );
  }
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/fused-act.json', `${JSON.stringify(results, null, 2)}\n`);
