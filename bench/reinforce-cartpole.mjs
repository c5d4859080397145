// REINFORCE (reward-to-go + learned value baseline) on CartPole-v1, one run per seed.
// Each run trains until a 20-episode deterministic evaluation reaches 475 (evaluations start once the
// training mean return of an iteration reaches 475) or the step budget runs out.
// Usage: npm run bench:reinforce [-- --seeds 1,2,3,4,5 --max-steps 500000 --out bench/results/reinforce-cartpole.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Reinforce } from '../dist/index.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5' },
    'max-steps': { type: 'string', default: '500000' },
    out: { type: 'string', default: 'bench/results/reinforce-cartpole.json' },
  },
});
const seeds = args.seeds.split(',').map(Number);
const maxSteps = Number(args['max-steps']);
// The tuned REINFORCE preset (src/algos/presets.ts): reward-to-go + value baseline, 8 envs × 256 steps.
const config = { env: 'CartPole-v1', preset: 'zoo' };

const results = [];
for (const seed of seeds) {
  const algo = new Reinforce({ ...config, seed });
  const start = performance.now();
  let solved = null;
  let lastEval = null;
  algo.learn({
    totalTimesteps: maxSteps,
    callback: (m) => {
      if ((m.episodeReturnMean ?? 0) < 475) return true;
      const returns = algo.evaluate(20);
      lastEval = returns.reduce((a, b) => a + b, 0) / returns.length;
      if (lastEval >= 475) {
        solved = { steps: m.step, iterations: m.iteration, evalMean: lastEval };
        return false;
      }
      return true;
    },
  });
  const seconds = (performance.now() - start) / 1000;
  const row = {
    seed,
    solved: solved !== null,
    steps: solved?.steps ?? null,
    evalMean: solved?.evalMean ?? lastEval,
    seconds,
  };
  results.push(row);
  console.log(
    `seed ${seed}: ${row.solved ? `solved at ${row.steps} steps` : `not solved in ${maxSteps} steps`}, eval mean ${row.evalMean?.toFixed(1) ?? 'n/a'}, ${seconds.toFixed(1)} s`,
  );
}
const solvedCount = results.filter((r) => r.solved).length;
console.log(
  `\n| seed | solved | steps to ≥ 475 (20-episode deterministic eval) | eval mean | wall time (s) |`,
);
console.log('|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.seed} | ${r.solved ? 'yes' : 'no'} | ${r.steps ?? '—'} | ${r.evalMean?.toFixed(1) ?? '—'} | ${r.seconds.toFixed(1)} |`,
  );
}
console.log(`\n${solvedCount}/${results.length} seeds solved`);
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  JSON.stringify(
    { benchmark: 'reinforce-cartpole', config, maxSteps, node: process.version, results },
    null,
    2,
  ),
);
