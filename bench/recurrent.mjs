// Recurrent benchmark (issue 16): RecurrentPPO's zoo presets (rl-zoo's ppo_lstm.yml) on the partially observed
// tasks, 5 seeds, against feed-forward PPO with CartPole-v1's zoo preset on CartPoleNoVel-v1 (the same values
// without memory), rl-zoo's published scores (benchmark.md, ppo_lstm rows) and sb3-contrib's wall time measured on
// this machine kind (../shared/benchmarks/peers.md). Per run: the final 20-episode deterministic evaluation, the
// steps to the threshold (an evaluation every budget/20 steps, bench/lib/learning.mjs's runSeed) and the training
// wall time. Writes bench/results/runs/recurrent/<case>.json and bench/results/recurrent.md (the table is rendered
// from every case file present, so cases run by separate invocations end up in one table).
// Usage: npm run bench:recurrent [-- --cases cartpole,cartpole-ff,pendulum --seeds 1-5 --render-only]
//        npm run bench:recurrent -- --env PendulumNoVel-v1          (every case on that env)
//        npm run bench:recurrent -- --env MountainCarNoVel-v0 --part 1/2   (then --part 2/2: half the seeds each;
//          a part merges its seeds into the case file, replacing only those seeds; without --part a run replaces it)
//        npm run bench:recurrent -- --smoke        (one seed, 2,048 steps per case, nothing written: checks the script)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    zoo: '−217.9 ± 140.1', // one agent trained with the preset (gSDE), evaluated over 750 episodes
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
    zoo: 'none published',
  },
};

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string' },
    env: { type: 'string' },
    seeds: { type: 'string', default: '1-5' },
    part: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'render-only': { type: 'boolean', default: false },
  },
});

/** The cases to run: --cases by name, or --env by env id (every case on those envs), else all of them. */
function selectedCases() {
  if (args['render-only']) return [];
  if (args.cases !== undefined && args.env !== undefined) fail('give --cases or --env, not both');
  if (args.env !== undefined) {
    const envs = args.env.split(',');
    const known = [...new Set(Object.values(CASES).map((c) => c.env))];
    for (const env of envs)
      if (!known.includes(env)) fail(`unknown --env ${env}: expected one of ${known.join(', ')}`);
    return Object.keys(CASES).filter((name) => envs.includes(CASES[name].env));
  }
  const names = args.cases === undefined ? Object.keys(CASES) : args.cases.split(',');
  for (const name of names)
    if (CASES[name] === undefined)
      fail(`unknown case ${name}: expected one of ${Object.keys(CASES).join(', ')}`);
  return names;
}

/** --part k/n: the k-th of n near-equal slices of the seeds (1/2 of seeds 1–5 is 1–3, 2/2 is 4–5). */
function seedsOfPart(seeds) {
  if (args.part === undefined) return seeds;
  const match = /^(\d+)\/(\d+)$/.exec(args.part);
  const [k, n] = match === null ? [0, 0] : [Number(match[1]), Number(match[2])];
  if (!(n >= 1 && k >= 1 && k <= n)) fail(`--part ${args.part}: expected k/n with 1 ≤ k ≤ n, e.g. 1/2`);
  const size = Math.ceil(seeds.length / n);
  return seeds.slice((k - 1) * size, k * size);
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

const dir = 'bench/results/runs/recurrent';
if (!args.smoke) mkdirSync(dir, { recursive: true });
for (const name of selectedCases()) {
  const c = CASES[name];
  const seeds = args.smoke ? [1] : seedsOfPart(parseSeeds(args.seeds));
  const budget = args.smoke ? 2048 : c.budget;
  const runs = seeds.map((seed) => {
    const r = runSeed({ ...c, seed, budget, overrides: c.overrides ?? {} });
    console.log(
      `${name} seed ${seed}: final ${r.finalMean.toFixed(1)}, threshold at ${r.stepsToThreshold ?? '—'}, train ${r.trainSeconds.toFixed(1)} s`,
    );
    return r;
  });
  if (args.smoke) continue; // a smoke run checks the script; its numbers mean nothing
  const file = `${dir}/${name}.json`;
  // A part keeps the seeds other parts wrote (same budget), replacing its own.
  const earlier = args.part !== undefined && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
  const kept = earlier?.budget === budget ? earlier.seeds.filter((s) => !seeds.includes(s.seed)) : [];
  const all = [...kept, ...runs].sort((a, b) => a.seed - b.seed);
  const result = { case: name, ...c, budget, node: process.version, seeds: all };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}
if (args.smoke) process.exit(0);

// The table, from every (non-smoke) result file present.
const lines = [
  '# Recurrent benchmark',
  '',
  "RecurrentPPO's `zoo` presets (rl-zoo's ppo_lstm.yml) on the partially observed tasks, and feed-forward PPO with",
  "CartPole-v1's zoo values on CartPoleNoVel-v1. Final: 20-episode deterministic evaluation at the end of the budget,",
  'mean ± std over seeds; "≥ threshold": seeds whose final evaluation reaches it; sb3-contrib: its wall time on this',
  "machine kind (../shared/benchmarks/peers.md). rl-zoo: the ppo_lstm rows of rl-baselines3-zoo's `benchmark.md`",
  "(DLR-RM/rl-baselines3-zoo, commit 02a1a90; `python -m rl_zoo3.benchmark`: one agent trained on the preset's",
  'budget, its deterministic mean ± std episode return over ~150k evaluation steps; 300 episodes on CartPoleNoVel-v1,',
  '750 on PendulumNoVel-v1, with gSDE as the preset has it). It has no MountainCarNoVel-v0 row (its NoVel MountainCar',
  'row is MountainCarContinuousNoVel-v0: 91.5 ± 1.8 after 300k), nor does the sb3 organisation on the Hugging Face hub',
  'publish that agent. Produced by `npm run bench:recurrent`; raw numbers in `bench/results/runs/recurrent/`.',
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
