// Recurrent benchmark (issue 16): RecurrentPPO's zoo presets (rl-zoo's ppo_lstm.yml) on the partially observed
// tasks, 5 seeds, against feed-forward PPO with CartPole-v1's zoo preset on CartPoleNoVel-v1 (the same values
// without memory), rl-zoo's published scores (benchmark.md, ppo_lstm rows) and sb3-contrib's wall time measured on
// this machine kind (../shared/benchmarks/peers.md). Per run: the final 20-episode deterministic evaluation, the
// steps to the threshold (an evaluation every budget/20 steps, bench/lib/learning.mjs's runSeed) and the training
// wall time. Writes bench/results/runs/recurrent/<case>.json and bench/results/recurrent.md.
// Usage: npm run bench:recurrent [-- --cases cartpole,cartpole-ff,pendulum --seeds 1-5 --render-only]
//        npm run bench:recurrent -- --smoke        (one seed, 2,048 steps per case, nothing written: checks the script)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { presetValues } from '../dist/internal.js';
import { mean, parseSeeds, reachedSummary, runSeed, std } from './lib/learning.mjs';

const CASES = {
  cartpole: {
    algo: 'recurrent-ppo',
    env: 'CartPoleNoVel-v1',
    preset: 'zoo',
    budget: 100_000,
    threshold: 475,
    zoo: '500.0 ± 0.0',
    sb3Seconds: 169,
  },
  'cartpole-ff': {
    algo: 'ppo',
    env: 'CartPoleNoVel-v1',
    preset: null,
    // CartPole-v1's zoo values (its hyperparameters; the budget is the case's), a feed-forward policy
    overrides: presetValues('ppo', { preset: 'zoo', env: 'CartPole-v1' }, 'CartPole-v1'),
    label: 'ppo (CartPole-v1 zoo values, no memory)',
    budget: 100_000,
    threshold: 475,
  },
  pendulum: {
    algo: 'recurrent-ppo',
    env: 'PendulumNoVel-v1',
    preset: 'zoo',
    budget: 100_000,
    threshold: -250,
    zoo: '−217.9 ± 140.1',
  },
  // The zoo values without gSDE: the configuration peers.md timed sb3-contrib with.
  'pendulum-nosde': {
    algo: 'recurrent-ppo',
    env: 'PendulumNoVel-v1',
    preset: 'zoo',
    overrides: { useSde: false, sdeSampleFreq: -1 },
    label: 'recurrent-ppo (zoo without gSDE)',
    budget: 100_000,
    threshold: -250,
    sb3Seconds: 464,
  },
  mountaincar: {
    algo: 'recurrent-ppo',
    env: 'MountainCarNoVel-v0',
    preset: 'zoo',
    budget: 1_000_000,
    threshold: -115,
    zoo: '(not published)',
  },
};

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: 'cartpole,cartpole-ff,pendulum,pendulum-nosde' },
    seeds: { type: 'string', default: '1-5' },
    smoke: { type: 'boolean', default: false },
    'render-only': { type: 'boolean', default: false },
  },
});

const dir = 'bench/results/runs/recurrent';
if (!args.smoke) mkdirSync(dir, { recursive: true });
const names = args['render-only'] ? [] : args.cases.split(',');
for (const name of names) {
  const c = CASES[name];
  if (c === undefined)
    throw new Error(`unknown case ${name}: expected one of ${Object.keys(CASES).join(', ')}`);
  const seeds = args.smoke ? [1] : parseSeeds(args.seeds);
  const budget = args.smoke ? 2048 : c.budget;
  const runs = seeds.map((seed) => {
    const r = runSeed({ ...c, seed, budget, overrides: c.overrides ?? {} });
    console.log(
      `${name} seed ${seed}: final ${r.finalMean.toFixed(1)}, threshold at ${r.stepsToThreshold ?? '—'}, train ${r.trainSeconds.toFixed(1)} s`,
    );
    return r;
  });
  if (args.smoke) continue; // a smoke run checks the script; its numbers mean nothing
  const result = { case: name, ...c, budget, node: process.version, seeds: runs };
  writeFileSync(`${dir}/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
}
if (args.smoke) process.exit(0);

// The table, from every (non-smoke) result file present.
const lines = [
  '# Recurrent benchmark',
  '',
  "RecurrentPPO's `zoo` presets (rl-zoo's ppo_lstm.yml) on the partially observed tasks, and feed-forward PPO with",
  "CartPole-v1's zoo values on CartPoleNoVel-v1. Final: 20-episode deterministic evaluation at the end of the budget,",
  'mean ± std over seeds; "≥ threshold": seeds whose final evaluation reaches it; rl-zoo: its published ppo_lstm',
  'score; sb3-contrib: its wall time on this machine kind (../shared/benchmarks/peers.md). Produced by',
  '`npm run bench:recurrent`; raw numbers in `bench/results/runs/recurrent/`.',
  '',
  '| env | algo | budget | seeds | final eval | ≥ threshold | steps to threshold (median) | train time per run (s) | sb3-contrib (s) | ratio | rl-zoo |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const name of Object.keys(CASES)) {
  let r;
  try {
    r = JSON.parse(readFileSync(`${dir}/${name}.json`, 'utf8'));
  } catch {
    continue;
  }
  const finals = r.seeds.map((s) => s.finalMean);
  const seconds = mean(r.seeds.map((s) => s.trainSeconds));
  const { median } = reachedSummary(r);
  const atThreshold = finals.filter((x) => x >= r.threshold).length;
  lines.push(
    `| ${r.env} | ${r.label ?? `${r.algo} (${r.preset})`} | ${r.budget.toLocaleString('en-US')} | ${r.seeds.length} | ${mean(finals).toFixed(1)} ± ${std(finals).toFixed(1)} | ${atThreshold} (≥ ${r.threshold}) | ${median === null ? '—' : median.toLocaleString('en-US')} | ${seconds.toFixed(1)} | ${r.sb3Seconds ?? '—'} | ${r.sb3Seconds ? `${(seconds / r.sb3Seconds).toFixed(2)}×` : '—'} | ${r.zoo ?? '—'} |`,
  );
}
writeFileSync('bench/results/recurrent.md', `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
