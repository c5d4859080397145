// Box2D benchmark (issue 19): env steps/s of each Box2D env alone (random policy), PPO zoo LunarLander-v3 end to
// end against Stable-Baselines3's wall time on the same preset (../shared/benchmarks/peers.md: 688 s for 1M steps),
// and the learning rows (5 seeds, 20-episode deterministic evaluation at the end). Prints a table and writes
// bench/results/box2d.md and bench/results/box2d/*.json.
// Usage: npm run bench:box2d [-- --part speed,timing,learn] [--timesteps N] [--seeds 1-5] [--rows ppo:LunarLander-v3,…]
//   --part speed      env steps/s (--env-steps per env, default 20000)
//   --part timing     PPO zoo LunarLander-v3, seed 1, --timesteps steps (default 1M): wall time, s per 1M steps
//   --part learn      the learning rows, each for --timesteps steps (default: the 1M for LunarLander, the
//                     zoo's 5M for BipedalWalker, rl-zoo's 200k for A2C and TRPO). A row's file keeps the seeds
//                     earlier runs wrote with the same budget, replacing only the seeds run now (so seeds can run
//                     in separate processes: --seeds 1-3, then --seeds 4-5)
// Without --part, the table is printed from the files already written.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadEnvEngine, make, Rng } from '../dist/index.js';
import { mean, parseSeeds, runSeed, std } from './lib/learning.mjs';

const { values: args } = parseArgs({
  options: {
    part: { type: 'string', default: '' },
    timesteps: { type: 'string' },
    seeds: { type: 'string', default: '1-5' },
    rows: { type: 'string' },
    'env-steps': { type: 'string', default: '20000' },
  },
});
const parts = new Set(args.part.split(',').filter(Boolean));
const OUT = 'bench/results/box2d';
const ENVS = ['LunarLander-v3', 'LunarLanderContinuous-v3', 'BipedalWalker-v3', 'BipedalWalkerHardcore-v3'];
/** The learning rows: algorithm, env, success threshold, default budget, rl-zoo's published score. */
const ROWS = [
  { algo: 'ppo', env: 'LunarLander-v3', threshold: 200, budget: 1_000_000, zoo: '242.1 ± 31.8 (1M)' },
  {
    algo: 'ppo',
    env: 'LunarLanderContinuous-v3',
    threshold: 200,
    budget: 1_000_000,
    zoo: '270.9 ± 32.1 (1M)',
  },
  { algo: 'ppo', env: 'BipedalWalker-v3', threshold: 250, budget: 5_000_000, zoo: '287.9 ± 2.4 (5M)' },
  // A2C and TRPO at rl-zoo's own budget (their presets' n_timesteps), so the scores compare with its table.
  { algo: 'a2c', env: 'LunarLander-v3', threshold: 200, budget: 200_000, zoo: '155.8 ± 80.4 (200k)' },
  { algo: 'trpo', env: 'LunarLander-v3', threshold: 200, budget: 200_000, zoo: '133.2 ± 112.2 (200k)' },
];
/** Stable-Baselines3 PPO zoo LunarLander, 1M steps, on this machine kind (../shared/benchmarks/peers.md). */
const SB3_SECONDS = 688;
const WARMUP_STEPS = 5000;

const write = (name, value) => {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/${name}`, `${JSON.stringify(value, null, 2)}\n`);
};
const read = (name) => {
  try {
    return JSON.parse(readFileSync(`${OUT}/${name}`, 'utf8'));
  } catch {
    return null;
  }
};

for (const env of ENVS) await loadEnvEngine(env);

if (parts.has('speed')) {
  const steps = Number(args['env-steps']);
  const envs = ENVS.map((id) => {
    const env = make(id);
    const rng = Rng.fromSeed(1);
    let episodes = 0;
    const run = (n) => {
      for (let t = 0; t < n; t++) {
        const { terminated, truncated } = env.step(env.actionSpace.sample(rng));
        if (terminated || truncated) {
          episodes += 1;
          env.reset();
        }
      }
    };
    env.reset({ seed: 1 });
    run(WARMUP_STEPS); // compiled by the JIT before timing
    episodes = 0;
    const start = performance.now();
    run(steps);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `${id}: ${Math.round(steps / seconds).toLocaleString('en-US')} steps/s (${episodes} episodes)`,
    );
    return { id, steps, episodes, seconds, stepsPerSecond: steps / seconds };
  });
  write('speed.json', { node: process.version, policy: 'uniform random (actionSpace.sample)', envs });
}

if (parts.has('timing')) {
  const steps = Number(args.timesteps ?? 1_000_000);
  const run = runSeed({
    algo: 'ppo',
    env: 'LunarLander-v3',
    preset: 'zoo',
    seed: 1,
    threshold: 200,
    budget: steps,
  });
  const secondsPer1M = (run.trainSeconds / steps) * 1_000_000;
  console.log(
    `ppo LunarLander-v3 zoo, ${steps} steps: ${run.seconds.toFixed(1)} s (training ${run.trainSeconds.toFixed(1)} s → ${secondsPer1M.toFixed(0)} s per 1M; SB3 ${SB3_SECONDS} s)`,
  );
  write('timing.json', {
    algo: 'ppo',
    env: 'LunarLander-v3',
    steps,
    node: process.version,
    secondsPer1M,
    run,
  });
}

if (parts.has('learn')) {
  const seeds = parseSeeds(args.seeds);
  const chosen =
    args.rows === undefined ? ROWS : ROWS.filter((r) => args.rows.split(',').includes(`${r.algo}:${r.env}`));
  for (const row of chosen) {
    const budget = Number(args.timesteps ?? row.budget);
    const runs = seeds.map((seed) => {
      const r = runSeed({
        algo: row.algo,
        env: row.env,
        preset: 'zoo',
        seed,
        threshold: row.threshold,
        budget,
      });
      console.log(
        `${row.algo} ${row.env} seed ${seed}: final ${r.finalMean.toFixed(1)}, ${r.seconds.toFixed(0)} s`,
      );
      return r;
    });
    const name = `${row.algo}-${row.env}.json`;
    const earlier = read(name);
    const kept = earlier?.budget === budget ? earlier.seeds.filter((s) => !seeds.includes(s.seed)) : [];
    const all = [...kept, ...runs].sort((a, b) => a.seed - b.seed);
    write(name, { ...row, budget, node: process.version, seeds: all });
  }
}

const lines = [
  '# Box2D benchmark',
  '',
  'Produced by `npm run bench:box2d`; raw numbers in `bench/results/box2d/*.json`.',
  '',
];
const speed = read('speed.json');
if (speed !== null) {
  lines.push(
    `Env steps/s, each env alone, uniformly random actions, ${speed.envs[0].steps.toLocaleString('en-US')} steps after ${WARMUP_STEPS.toLocaleString('en-US')} untimed (\`-- --part speed\`):`,
    '',
    '| env | steps/s | episodes |',
    '|---|---|---|',
    ...speed.envs.map(
      (e) => `| ${e.id} | ${Math.round(e.stepsPerSecond).toLocaleString('en-US')} | ${e.episodes} |`,
    ),
    '',
  );
}
const timing = read('timing.json');
if (timing !== null) {
  const ratio = timing.secondsPer1M / SB3_SECONDS;
  lines.push(
    `PPO zoo LunarLander-v3, seed 1, ${timing.steps.toLocaleString('en-US')} steps (\`-- --part timing\`): ${timing.run.seconds.toFixed(1)} s,`,
    `training ${timing.run.trainSeconds.toFixed(1)} s → **${timing.secondsPer1M.toFixed(0)} s per 1M steps**; Stable-Baselines3 takes ${SB3_SECONDS} s for 1M`,
    `on the same preset and machine kind: ${ratio.toFixed(2)}× its wall time (target ≤ 0.25×).`,
    '',
  );
}
/**
 * Stable-Baselines3 (sb3-contrib for TRPO) on the same entry, seeds and protocol, run here with
 * bench/lib/sb3_zoo.py: bench/results/reference/ALGO-ENV.jsonl, one JSON line per seed; '—' when not run.
 */
function sb3Reference(r) {
  let text;
  try {
    text = readFileSync(`bench/results/reference/${r.algo}-${r.env}.jsonl`, 'utf8');
  } catch {
    return '—';
  }
  const finals = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line).finalMean);
  const passed = finals.filter((x) => x >= r.threshold).length;
  return `${mean(finals).toFixed(1)} ± ${std(finals).toFixed(1)} (${passed} / ${finals.length})`;
}

const learned = readdirSync(OUT, { withFileTypes: true })
  .filter((f) => f.isFile() && /^(ppo|a2c|trpo)-.*\.json$/.test(f.name))
  .map((f) => read(f.name));
if (learned.length > 0) {
  lines.push(
    'Learning (`-- --part learn`): zoo preset, final 20-episode deterministic evaluation per seed.',
    '',
    '| algo | env | steps | seeds ≥ threshold | final eval (mean ± std over seeds) | SB3 here, same seeds and protocol (seeds ≥ threshold) | rl-zoo | wall time per seed (s) |',
    '|---|---|---|---|---|---|---|---|',
    ...learned.map((r) => {
      const finals = r.seeds.map((s) => s.finalMean);
      const passed = finals.filter((x) => x >= r.threshold).length;
      return `| ${r.algo} | ${r.env} | ${r.budget.toLocaleString('en-US')} | ${passed} / ${finals.length} (≥ ${r.threshold}) | ${mean(finals).toFixed(1)} ± ${std(finals).toFixed(1)} | ${sb3Reference(r)} | ${r.zoo} | ${mean(r.seeds.map((s) => s.seconds)).toFixed(0)} |`;
    }),
    '',
  );
}
writeFileSync('bench/results/box2d.md', lines.join('\n'));
console.log(readFileSync('bench/results/box2d.md', 'utf8'));
