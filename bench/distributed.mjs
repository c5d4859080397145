// Distributed benchmark (issue 17 §4): IMPALA/APPO with actor threads on this machine, and over Redis on loopback.
//
//  local:  APPO and IMPALA CartPole-v1 (zoo presets, 2 actor threads) per seed: wall time and steps until a
//          20-episode deterministic evaluation (every budget/20 steps) reaches 475, and the final evaluation;
//  cheetah: APPO HalfCheetah-v5 (zoo preset, 2 actor threads) for 1M steps per --cheetah-seeds seed: wall time,
//          env steps/s, final 10-episode deterministic evaluation with frozen normalisation (as bench:mujoco's),
//          beside PPO's row (bench:mujoco --timing's, from bench/results/runs/timing-mujoco.json; --ppo runs it
//          here too). Target (issue 17): ≤ 65 s with evaluation ≥ 1400 on this 2-core machine.
//  redis:  a private redis-server on 127.0.0.1 (a free port, a random password in its config, never on a command
//          line), the learner in this process and 1, 2, 3 actor processes (`policygrad actor`): env steps/s trained,
//          chunk latency (the stream entry's id is its XADD time in ms; measured when the learner takes it), bytes
//          per env step (header + payload), Redis CPU seconds per 100k steps (INFO cpu).
//
// Writes bench/results/distributed.json and prints the tables. `--quick` runs each case tiny (a smoke test).
// Usage: npm run bench:distributed [-- --quick --seeds 1-5 --only local|cheetah|redis --cheetah-seeds 1,2,3 --ppo]
// The HalfCheetah case alone (≈ 1 min per seed on a quiet machine): npm run bench:distributed -- --only cheetah
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import '../dist/envs/builtin.js';
import { loadEnvEngine } from '../dist/envs/load-engine.js';
import { PPO } from '../dist/index.js';
import { DistributedRun, redisLearner } from '../dist/node/distributed.js';
import { PASSWORD_VARIABLE, parseRedisUrl } from '../dist/node/redis-connection.js';
import { connectRedis } from '../dist/node/redis-transport.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '1-5' },
    only: { type: 'string' },
    'cheetah-seeds': { type: 'string', default: '1,2,3' },
    ppo: { type: 'boolean', default: false },
  },
});
const seeds = (() => {
  const [a, b] = args.seeds.split('-').map(Number);
  return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
})();
const quick = args.quick;
const mean = (xs) => (xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length);
const evalMean = (run, episodes) => mean(run.evaluate(episodes));

/** Trains until the budget; every budget/20 steps a 20-episode evaluation; records when it first reaches 475. */
async function toThreshold(algo, seed, budget) {
  const run = new DistributedRun(algo, { env: 'CartPole-v1', preset: 'zoo', seed });
  const start = performance.now();
  let next = budget / 20;
  let reached = null;
  let evalSeconds = 0;
  await run.learn({
    totalTimesteps: budget,
    callback: (row) => {
      if (row.step < next || reached !== null) return true;
      next += budget / 20;
      const t = performance.now();
      const score = evalMean(run, 20);
      evalSeconds += (performance.now() - t) / 1000;
      if (score >= 475) {
        reached = {
          step: row.step,
          seconds: (t - start) / 1000 - evalSeconds + (performance.now() - t) / 1000,
        };
        return false;
      }
      return true;
    },
  });
  return {
    seed,
    reached,
    final: evalMean(run, 20),
    seconds: (performance.now() - start) / 1000 - evalSeconds,
  };
}

async function local() {
  const results = {};
  for (const [algo, budget] of [
    ['appo', quick ? 4_000 : 200_000],
    ['impala', quick ? 4_000 : 500_000],
  ]) {
    results[`${algo}-CartPole-v1`] = [];
    for (const seed of seeds) {
      const r = await toThreshold(algo, seed, budget);
      results[`${algo}-CartPole-v1`].push(r);
      console.log(
        `${algo} CartPole-v1 seed ${seed}: ${r.reached === null ? `not at 475 within ${budget} steps` : `475 at step ${r.reached.step} after ${r.reached.seconds.toFixed(1)} s`}; final ${r.final.toFixed(1)}`,
      );
    }
  }
  return results;
}

/** APPO's zoo preset on HalfCheetah-v5 with actor threads, 1M steps per seed, beside PPO's row. */
async function cheetah() {
  await loadEnvEngine('HalfCheetah-v5');
  const steps = quick ? 8_192 : 1_000_000;
  const rows = [];
  const row = (label, r) =>
    console.log(
      `| ${label} | ${r.seed} | ${r.seconds.toFixed(1)} | ${Math.round(r.steps / r.seconds).toLocaleString('en-US')} | ${r.final.toFixed(0)} |`,
    );
  console.log(
    `HalfCheetah-v5, ${steps.toLocaleString('en-US')} steps (target: APPO ≤ 65 s, evaluation ≥ 1400)`,
  );
  console.log('| run | seed | wall s | env steps/s | 10-episode evaluation |');
  console.log('|---|---|---|---|---|');
  for (const seed of args['cheetah-seeds'].split(',').map(Number)) {
    const run = new DistributedRun('appo', { env: 'HalfCheetah-v5', preset: 'zoo', seed });
    const start = performance.now();
    const history = await run.learn({ totalTimesteps: steps });
    const seconds = (performance.now() - start) / 1000;
    const r = {
      seed,
      steps: run.numTimesteps,
      seconds,
      final: evalMean(run, 10),
      policyLagMean: mean(history.map((h) => h.policyLagMean)),
      staleChunks: history.at(-1)?.staleChunks ?? 0,
    };
    rows.push(r);
    row('APPO zoo, 2 actor threads', r);
  }
  let ppo = null;
  if (args.ppo) {
    const model = new PPO({ env: 'HalfCheetah-v5', preset: 'zoo', seed: 1 });
    const start = performance.now();
    model.learn({ totalTimesteps: steps });
    const seconds = (performance.now() - start) / 1000;
    ppo = { seed: 1, steps, seconds, final: mean(model.evaluate(10)), source: 'this run' };
  } else {
    const timing = join(root, 'bench', 'results', 'runs', 'timing-mujoco.json');
    if (existsSync(timing)) {
      const { steps: s, run } = JSON.parse(readFileSync(timing, 'utf8'));
      ppo = {
        seed: run.seed,
        steps: s,
        seconds: run.seconds,
        final: run.evaluation,
        source: 'timing-mujoco.json',
      };
    }
  }
  if (ppo !== null) row(`PPO zoo, one thread (${ppo.source})`, ppo);
  return { appo: rows, ppo };
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** A private redis-server: loopback, a free port, the password in a 0600 config file, no persistence. */
async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'policygrad-bench-redis-'));
  const password = randomBytes(24).toString('hex');
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      `bind 127.0.0.1`,
      `port ${port}`,
      `protected-mode yes`,
      `requirepass ${password}`,
      `save ""`,
      `appendonly no`,
      `dir ${dir}`,
    ].join('\n'),
    { mode: 0o600 },
  );
  const server = spawn('/usr/bin/redis-server', [conf], { stdio: 'ignore' });
  await sleep(300); // redis-server binds within milliseconds; the first command retries otherwise
  const stop = () => {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `redis://127.0.0.1:${port}/0`, password, stop };
}

async function redisCpuSeconds(client) {
  const info = String(await client.call('INFO', 'cpu'));
  const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function redis() {
  const { url, password, stop } = await startRedis();
  process.env[PASSWORD_VARIABLE] = password;
  const target = parseRedisUrl(url);
  const results = [];
  const log = () => {};
  try {
    const client = await connectRedis(target, 'bench:distributed', log);
    for (const actors of [1, 2, 3]) {
      const runId = `bench-${actors}-${Date.now()}`;
      const steps = quick ? 8_000 : 200_000;
      const run = new DistributedRun(
        'appo',
        { env: 'CartPole-v1', preset: 'zoo', seed: 1, numActors: 0 },
        redisLearner(target, { log }),
        runId,
      );
      const latencies = [];
      let bytes = 0;
      let transitions = 0;
      const take = run.learner.take.bind(run.learner);
      run.learner.take = (raw) => {
        latencies.push(Date.now() - Number(raw.id.split('-')[0]));
        bytes += (raw.header?.length ?? 0) + (raw.payload?.byteLength ?? 0);
        const header = JSON.parse(String(raw.header));
        transitions += header.steps * header.numEnvs;
        take(raw);
      };
      const processes = Array.from({ length: actors }, () =>
        spawn(
          process.execPath,
          [join(root, 'dist', 'cli', 'main.js'), 'actor', '--redis', url, '--run-id', runId],
          {
            env: process.env,
            stdio: 'ignore',
          },
        ),
      );
      const cpuBefore = await redisCpuSeconds(client);
      const start = performance.now();
      await run.learn({ totalTimesteps: steps });
      const seconds = (performance.now() - start) / 1000;
      const cpu = (await redisCpuSeconds(client)) - cpuBefore;
      await Promise.all(processes.map((p) => new Promise((resolve) => p.on('exit', resolve))));
      latencies.sort((a, b) => a - b);
      const row = {
        actors,
        steps: run.numTimesteps,
        seconds,
        stepsPerSecond: run.numTimesteps / seconds,
        latencyMedianMs: latencies[Math.floor(latencies.length / 2)],
        latencyP95Ms: latencies[Math.floor(latencies.length * 0.95)],
        bytesPerStep: bytes / transitions,
        redisCpuSecondsPer100k: (cpu / run.numTimesteps) * 100_000,
        final: evalMean(run, 10),
      };
      results.push(row);
      console.log(
        `redis, ${actors} actor process(es): ${row.stepsPerSecond.toFixed(0)} steps/s, latency median ${row.latencyMedianMs} ms (p95 ${row.latencyP95Ms}), ${row.bytesPerStep.toFixed(1)} B/step, Redis CPU ${row.redisCpuSecondsPer100k.toFixed(2)} s per 100k steps, evaluation ${row.final.toFixed(1)}`,
      );
    }
    await client.quit();
  } finally {
    stop();
  }
  return results;
}

// `--only PART` replaces that part of the results file and keeps the others (each part is measured on its own).
const resultsFile = join(root, 'bench', 'results', 'distributed.json');
const previous =
  !quick && args.only !== undefined && existsSync(resultsFile)
    ? JSON.parse(readFileSync(resultsFile, 'utf8'))
    : {};
const out = { ...previous, date: new Date().toISOString(), quick, seeds };
if (args.only === undefined || args.only === 'local') out.local = await local();
if (args.only === undefined || args.only === 'cheetah') out.cheetah = await cheetah();
if (args.only === undefined || args.only === 'redis') out.redis = await redis();
if (!quick) {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log('wrote bench/results/distributed.json');
}
process.exit(0);
