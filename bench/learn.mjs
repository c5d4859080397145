// Learning benchmark: each algorithm's `zoo` preset on each env, 5 seeds. A 20-episode deterministic evaluation
// runs every `budget / 20` steps (steps to threshold = the first one that reaches it) and at the end of the budget
// (the final score). Writes benchmarks/results/<algo>-<env>.json and re-renders benchmarks/learning.md from all
// result files. Usage: npm run bench:learn [-- --algos ppo,a2c --envs CartPole-v1 --seeds 1,2,3,4,5]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { A2C, NPG, PPO, Reinforce, TRPO } from '../dist/index.js';

export const TARGETS = {
  'CartPole-v1': {
    threshold: 475,
    budgets: { ppo: 100_000, a2c: 500_000, trpo: 100_000, npg: 100_000, reinforce: 500_000 },
  },
  'Acrobot-v1': { threshold: -100, budgets: { ppo: 1_000_000, a2c: 500_000, trpo: 200_000, npg: 200_000 } },
  'MountainCar-v0': {
    threshold: -115,
    budgets: { ppo: 1_000_000, a2c: 1_000_000, trpo: 200_000, npg: 200_000 },
  },
  'MountainCarContinuous-v0': {
    threshold: 90,
    budgets: { ppo: 100_000, a2c: 300_000, trpo: 100_000, npg: 100_000 },
  },
  'Pendulum-v1': { threshold: -250, budgets: { ppo: 200_000, a2c: 1_000_000, trpo: 200_000, npg: 200_000 } },
};
const ALGOS = { ppo: PPO, a2c: A2C, trpo: TRPO, npg: NPG, reinforce: Reinforce };

const { values: args } = parseArgs({
  options: {
    algos: { type: 'string', default: Object.keys(ALGOS).join(',') },
    envs: { type: 'string', default: Object.keys(TARGETS).join(',') },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    'render-only': { type: 'boolean', default: false },
  },
});

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

function runSeed(algo, env, seed, { threshold, budget }) {
  const model = new ALGOS[algo]({ env, preset: 'zoo', seed });
  const interval = budget / 20;
  let nextEval = interval;
  let stepsToThreshold = null;
  let evalSeconds = 0;
  const start = performance.now();
  model.learn({
    totalTimesteps: budget,
    callback: (m) => {
      if (m.step < nextEval || stepsToThreshold !== null) return true;
      nextEval += interval;
      const t = performance.now();
      const score = mean(model.evaluate(20));
      evalSeconds += (performance.now() - t) / 1000;
      if (score >= threshold) stepsToThreshold = m.step;
      return true;
    },
  });
  const t = performance.now();
  const finalReturns = model.evaluate(20);
  evalSeconds += (performance.now() - t) / 1000;
  const seconds = (performance.now() - start) / 1000;
  return {
    seed,
    finalMean: mean(finalReturns),
    stepsToThreshold,
    trainSeconds: seconds - evalSeconds,
    seconds,
  };
}

if (!args['render-only']) {
  mkdirSync('benchmarks/results', { recursive: true });
  for (const env of args.envs.split(',')) {
    for (const algo of args.algos.split(',')) {
      const target = TARGETS[env];
      const budget = target.budgets[algo];
      if (budget === undefined) continue; // no target for this algorithm on this env
      const seeds = args.seeds
        .split(',')
        .map(Number)
        .map((seed) => {
          const r = runSeed(algo, env, seed, { threshold: target.threshold, budget });
          console.log(
            `${algo} ${env} seed ${seed}: final ${r.finalMean.toFixed(1)}, threshold at ${r.stepsToThreshold ?? '—'}, ${r.seconds.toFixed(1)} s`,
          );
          return r;
        });
      const file = `benchmarks/results/${algo}-${env}.json`;
      writeFileSync(
        file,
        JSON.stringify(
          { algo, env, preset: 'zoo', threshold: target.threshold, budget, node: process.version, seeds },
          null,
          2,
        ),
      );
    }
  }
}

// Render benchmarks/learning.md from every result file.
const rows = readdirSync('benchmarks/results')
  .filter((f) => f.endsWith('.json') && !f.startsWith('mujoco-') && !f.startsWith('timing-')) // bench/mujoco.mjs's
  .map((f) => JSON.parse(readFileSync(`benchmarks/results/${f}`, 'utf8')))
  .sort((a, b) => a.env.localeCompare(b.env) || a.algo.localeCompare(b.algo));
const lines = [
  '# Learning benchmark',
  '',
  'Each algorithm\'s `zoo` preset, 5 or 10 seeds, on this machine kind (2 cores, one run per core). "Reached" counts',
  'the seeds whose 20-episode deterministic evaluation (run every budget/20 steps) reached the threshold within the',
  'budget, of the seeds run; the target is met when at least 4 of 5 (8 of 10) do. Final: the 20-episode',
  'deterministic evaluation at the end of the budget, mean ± std over seeds. Produced by `npm run bench:learn`; raw',
  'numbers in `benchmarks/results/`.',
  '',
  '| env | algo | budget | threshold | reached | steps to threshold (median) | final eval | train time per run (s) |',
  '|---|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const finals = r.seeds.map((s) => s.finalMean);
  const reached = r.seeds
    .filter((s) => s.stepsToThreshold !== null)
    .map((s) => s.stepsToThreshold)
    .sort((a, b) => a - b);
  const median =
    reached.length > 0 ? reached[Math.floor((reached.length - 1) / 2)].toLocaleString('en-US') : '—';
  const met = reached.length >= 0.8 * r.seeds.length ? ' ✓' : '';
  lines.push(
    `| ${r.env} | ${r.algo} | ${r.budget.toLocaleString('en-US')} | ${r.threshold} | ${reached.length} of ${r.seeds.length}${met} | ${median} | ${mean(finals).toFixed(1)} ± ${std(finals).toFixed(1)} | ${mean(r.seeds.map((s) => s.trainSeconds)).toFixed(1)} |`,
  );
}
writeFileSync('benchmarks/learning.md', `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
