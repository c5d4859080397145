// Learning benchmark: each algorithm's preset on each env (`tuned` where we have one, else `zoo`), 10 seeds (bench/lib/learning.mjs's run: a
// 20-episode deterministic evaluation every budget/20 steps until one reaches the threshold, and one at the end).
// Writes bench/results/runs/<algo>-<env>.json and re-renders bench/results/learning.md from all result files.
// Usage: npm run bench:learn [-- --algos ppo,a2c --envs CartPole-v1 --seeds 1-10 --render-only]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { listPresets } from '../dist/index.js';
import {
  ALGOS,
  mean,
  parseSeeds,
  presetBudget,
  reachedSummary,
  readResults,
  resultFile,
  runCase,
  std,
  TARGETS,
} from './lib/learning.mjs';

const { values: args } = parseArgs({
  options: {
    algos: { type: 'string', default: Object.keys(ALGOS).join(',') },
    envs: { type: 'string', default: Object.keys(TARGETS).join(',') },
    seeds: { type: 'string', default: '1-10' },
    'render-only': { type: 'boolean', default: false },
  },
});

/** The preset benchmarked for an algorithm and env: ours where we retuned the reference's values, else the zoo's. */
const benchmarkPreset = (algo, env) => (listPresets(algo, env).includes('tuned') ? 'tuned' : 'zoo');

if (!args['render-only']) {
  for (const env of args.envs.split(',')) {
    for (const algo of args.algos.split(',')) {
      const { threshold, algos } = TARGETS[env];
      if (!algos.includes(algo)) continue; // no target for this algorithm on this env
      const seeds = parseSeeds(args.seeds);
      const preset = benchmarkPreset(algo, env);
      const budget = presetBudget(algo, env, preset);
      runCase({ algo, env, preset, seeds, budget, threshold, file: resultFile(algo, env, preset) });
    }
  }
}

// Render bench/results/learning.md from the benchmarked preset's result file of each algorithm and env.
const rows = readResults()
  .filter((r) => `bench/results/runs/${r.file}` === resultFile(r.algo, r.env, benchmarkPreset(r.algo, r.env)))
  .sort((a, b) => a.env.localeCompare(b.env) || a.algo.localeCompare(b.algo));
const lines = [
  '# Learning benchmark',
  '',
  "Each algorithm's `tuned` preset where it has one (ours, where the reference's values fell short), else its `zoo`",
  "preset (rl-baselines3-zoo's values), on this machine kind (2 cores), seeds 1–10 unless the row says",
  'otherwise. "Reached" counts the seeds whose 20-episode deterministic evaluation (run every budget/20 steps)',
  'reached the threshold within the budget; the target is met when at least 8 in 10 do. Final: the 20-episode',
  'deterministic evaluation at the end of the budget, mean ± std over seeds; "final ≥ threshold" counts the seeds',
  'whose final evaluation is at the threshold (the parity criterion, bench/results/parity.md). Produced by',
  '`npm run bench:learn` (and `npm run bench:parity`, which shares the result files); raw numbers in',
  '`bench/results/runs/`.',
  '',
  '| env | algo | preset | budget | threshold | seeds | reached | steps to threshold (median) | final ≥ threshold | final eval | train time per run (s) |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const finals = r.seeds.map((s) => s.finalMean);
  const { reached, median } = reachedSummary(r);
  const n = r.seeds.length;
  const met = reached >= Math.ceil(0.8 * n) ? ' ✓' : '';
  const atThreshold = finals.filter((x) => x >= r.threshold).length;
  lines.push(
    `| ${r.env} | ${r.algo} | ${r.preset} | ${r.budget.toLocaleString('en-US')} | ${r.threshold} | ${n} | ${reached}${met} | ${median === null ? '—' : median.toLocaleString('en-US')} | ${atThreshold} | ${mean(finals).toFixed(1)} ± ${std(finals).toFixed(1)} | ${mean(r.seeds.map((s) => s.trainSeconds)).toFixed(1)} |`,
  );
}
writeFileSync('bench/results/learning.md', `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
