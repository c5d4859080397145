// MuJoCo benchmark (issue 7): PPO (CleanRL's ppo_continuous_action defaults) and TRPO (rl-zoo's MuJoCo values) on
// HalfCheetah-v5, Hopper-v5 and Walker2d-v5, 3 seeds × 1M steps. Reports the mean of the last 100 training episode
// returns, a 10-episode deterministic evaluation with frozen normalisation, wall time and steps/s; writes
// bench/results/mujoco.md and bench/results/runs/mujoco-<algo>-<env>.json.
// Usage: npm run bench:mujoco [-- --algos ppo,trpo --envs HalfCheetah-v5 --seeds 1,2,3 --steps 1000000]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadMujoco, PPO, TRPO } from '../dist/internal-node.js';

const { values: args } = parseArgs({
  options: {
    algos: { type: 'string', default: 'ppo,trpo' },
    envs: { type: 'string', default: 'HalfCheetah-v5,Hopper-v5,Walker2d-v5' },
    seeds: { type: 'string', default: '1,2,3' },
    steps: { type: 'string', default: '1000000' },
    'render-only': { type: 'boolean', default: false },
    // Time PPO on HalfCheetah-v5 alone (nothing else running) for the wall-time target; writes
    // bench/results/runs/timing-mujoco.json and leaves the 3-seed results untouched.
    timing: { type: 'boolean', default: false },
  },
});
const ALGOS = { ppo: PPO, trpo: TRPO };
const TARGETS = { 'HalfCheetah-v5': 1400, 'Hopper-v5': 2000, 'Walker2d-v5': 2000 };
const CLEANRL = { 'HalfCheetah-v5': '1443 ± 46', 'Hopper-v5': '2383 ± 272', 'Walker2d-v5': '2288 ± 572' };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

function runSeed(algo, env, seed, steps) {
  const start = performance.now();
  const model = new ALGOS[algo]({ env, preset: 'zoo', seed });
  // Per-iteration (mean, count) of finished episodes, to average the last 100 training episodes.
  const iterations = [];
  model.learn({
    totalTimesteps: steps,
    callback: (m) => {
      if (m.episodeReturnMean !== null) iterations.push({ mean: m.episodeReturnMean, count: m.episodes });
    },
  });
  const seconds = (performance.now() - start) / 1000;
  let remaining = 100;
  let sum = 0;
  let counted = 0;
  for (let i = iterations.length - 1; i >= 0 && remaining > 0; i--) {
    const n = iterations[i].count - (i > 0 ? iterations[i - 1].count : 0);
    const take = Math.min(n, remaining);
    sum += take * iterations[i].mean;
    counted += take;
    remaining -= take;
  }
  const evaluation = mean(model.evaluate(10));
  const last100 = counted > 0 ? sum / counted : Number.NaN;
  console.log(
    `${algo} ${env} seed ${seed}: last-100 ${last100.toFixed(0)}, eval ${evaluation.toFixed(0)}, ${seconds.toFixed(0)} s`,
  );
  return { seed, last100, evaluation, seconds, stepsPerSecond: steps / seconds };
}

if (args.timing) {
  await loadMujoco();
  const run = runSeed('ppo', 'HalfCheetah-v5', 1, Number(args.steps));
  writeFileSync(
    'bench/results/runs/timing-mujoco.json',
    JSON.stringify(
      { algo: 'ppo', env: 'HalfCheetah-v5', steps: Number(args.steps), node: process.version, run },
      null,
      2,
    ) + '\n',
  );
} else if (!args['render-only']) {
  await loadMujoco();
  mkdirSync('bench/results/runs', { recursive: true });
  const steps = Number(args.steps);
  for (const env of args.envs.split(',')) {
    for (const algo of args.algos.split(',')) {
      const runs = args.seeds.split(',').map((s) => runSeed(algo, env, Number(s), steps));
      writeFileSync(
        `bench/results/runs/mujoco-${algo}-${env}.json`,
        JSON.stringify({ algo, env, steps, node: process.version, runs }, null, 2) + '\n',
      );
    }
  }
}

const results = readdirSync('bench/results/runs')
  .filter((f) => f.startsWith('mujoco-'))
  .map((f) => JSON.parse(readFileSync(`bench/results/runs/${f}`, 'utf8')))
  .sort((a, b) => a.env.localeCompare(b.env) || a.algo.localeCompare(b.algo));
const rows = results.map((r) => {
  const last = r.runs.map((x) => x.last100);
  const evals = r.runs.map((x) => x.evaluation);
  const target = r.algo === 'ppo' ? `≥ ${TARGETS[r.env]}` : 'within 20% of PPO';
  return `| ${r.env} | ${r.algo} | ${r.steps.toLocaleString('en-US')} | ${mean(last).toFixed(0)} ± ${std(last).toFixed(0)} | ${mean(evals).toFixed(0)} ± ${std(evals).toFixed(0)} | ${target} | ${CLEANRL[r.env] ?? '—'} | ${mean(r.runs.map((x) => x.seconds)).toFixed(0)} | ${Math.round(mean(r.runs.map((x) => x.stepsPerSecond))).toLocaleString('en-US')} |`;
});
// CleanRL's ppo_continuous_action on HalfCheetah, 1M steps, on this machine kind (../shared/benchmarks/peers.md).
const CLEANRL_SECONDS = 759;
function timingLines() {
  let timing;
  try {
    timing = JSON.parse(readFileSync('bench/results/runs/timing-mujoco.json', 'utf8'));
  } catch {
    return [];
  }
  const { seconds, last100, evaluation } = timing.run;
  return [
    `Wall time of PPO on HalfCheetah-v5, ${timing.steps.toLocaleString('en-US')} steps, seed 1, alone on the machine`,
    `(\`npm run bench:mujoco -- --timing\`): **${seconds.toFixed(0)} s** (last-100 ${last100.toFixed(0)}, eval ${evaluation.toFixed(0)});`,
    `CleanRL's \`ppo_continuous_action.py\` takes ${CLEANRL_SECONDS} s for the same 1M steps on the same machine kind, so this is`,
    `${(CLEANRL_SECONDS / seconds).toFixed(1)}× faster (target: at least 5×, i.e. ≤ ${(CLEANRL_SECONDS / 5).toFixed(0)} s). The wall times in the table are`,
    'with two runs sharing the 2 cores.',
    '',
  ];
}

writeFileSync(
  'bench/results/mujoco.md',
  [
    '# MuJoCo benchmark',
    '',
    "PPO with CleanRL's `ppo_continuous_action` defaults and TRPO with rl-baselines3-zoo's MuJoCo values, each",
    "algorithm's `zoo` preset, on the v5 envs (mujoco-js, MuJoCo 3.3.8 with the contact-margin patch), one run per core.",
    'Last-100: mean return of the last 100 training episodes (normalisation on); eval: 10 deterministic episodes with',
    'the normaliser frozen; mean ± std over seeds. CleanRL reports its PPO at 1M steps for comparison. Produced by',
    '`npm run bench:mujoco`; raw numbers in `bench/results/runs/mujoco-*.json`.',
    '',
    '| env | algo | steps | last-100 return | eval return | target | CleanRL PPO | wall time per run (s) | steps/s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...timingLines(),
  ].join('\n'),
);
console.log(readFileSync('bench/results/mujoco.md', 'utf8'));
