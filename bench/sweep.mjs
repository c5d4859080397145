// Sweep benchmark (issue 18): a 16-trial PPO CartPole-v1 sweep (learning rate × clip range × 4 seeds, 50k steps each)
// through the built CLI: wall time locally with --parallel 1 and 2, and through a private Redis with one and two
// `policygrad worker` processes (--concurrency 1 each); plus the queue's own cost per job (BullMQ, no-op jobs).
// Targets: two workers ≥ 1.8× one worker on a 2-core machine; queue overhead < 100 ms per trial.
// Usage: npm run bench:sweep [-- --tiny]   (--tiny: 2 trials × 2,048 steps, to check the script itself)
// Writes bench/results/sweep.json (not for --tiny).
// `-- --cpu`: instead, where the CPU goes in the Redis sweep with two workers (CPU seconds, which a loaded machine
// measures as well as a quiet one, unlike wall time): the submitter, redis-server (with its busiest commands), each
// worker process and its trial processes; prints a table, writes nothing. `--profile DIR` adds a CPU profile of
// the submitter (node --cpu-prof) in DIR.
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis } from './lib/redis.mjs';

const { values: args } = parseArgs({
  options: {
    tiny: { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const SPEC = args.tiny
  ? 'algo: ppo\nenv: CartPole-v1\npreset: zoo\ntimesteps: 2048\nseeds: [1, 2]\nconfig: { nSteps: 256, numEnvs: 2 }\n'
  : 'algo: ppo\nenv: CartPole-v1\npreset: zoo\ntimesteps: 50000\nseeds: [1, 2, 3, 4]\ngrid: { learningRate: [0.001, 0.0003], clipRange: [0.1, 0.2] }\n';
const QUEUE_JOBS = args.tiny ? 20 : 500;

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-bench-sweep-'));
const specFile = join(work, 'spec.yaml');
writeFileSync(specFile, SPEC);

function start(argv, env = {}) {
  const child = spawn('node', ['dist/cli/main.js', ...argv], { cwd: root, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Runs one sweep to its end; its wall time in seconds and its summary. */
async function timedSweep(name, extra, env) {
  const out = join(work, name);
  const t0 = performance.now();
  const sweep = start(['sweep', specFile, '--out', out, ...extra], env);
  const code = await sweep.exited;
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${name}: sweep exited with ${code}:\n${sweep.output()}`);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const trialS = summary.trials.map((t) => t.wallTimeS);
  return {
    wallS,
    trials: summary.trials.length,
    meanTrialS: trialS.reduce((a, b) => a + b, 0) / trialS.length,
  };
}

async function redisCase(redis, workers) {
  const env = { POLICYGRAD_REDIS_PASSWORD: redis.password };
  const url = `redis://127.0.0.1:${redis.port}`;
  const running = Array.from({ length: workers }, () =>
    start(['worker', '--redis', url, '--concurrency', '1'], env),
  );
  while (!running.every((w) => w.output().includes('taking sweep trials'))) {
    await sleep(50);
  }
  try {
    return await timedSweep(`redis-${workers}`, ['--redis', url], env);
  } finally {
    for (const w of running) w.child.kill('SIGTERM');
    await Promise.all(running.map((w) => w.exited));
  }
}

/** BullMQ's own cost per job: no-op jobs added in bulk, one worker, time to the last completion over the count. */
async function queueOverheadMs(redis) {
  const connection = { host: '127.0.0.1', port: redis.port, password: redis.password };
  const queue = new Queue('bench-overhead', { connection, prefix: 'policygrad-bench' });
  let done = 0;
  let finish;
  const all = new Promise((resolve) => (finish = resolve));
  const worker = new Worker('bench-overhead', async () => null, {
    connection: { ...connection, maxRetriesPerRequest: null },
    prefix: 'policygrad-bench',
    concurrency: 1,
  });
  worker.on('completed', () => {
    if (++done === QUEUE_JOBS) finish();
  });
  await worker.waitUntilReady();
  const t0 = performance.now();
  await queue.addBulk(Array.from({ length: QUEUE_JOBS }, (_, i) => ({ name: 'noop', data: { i } })));
  await all;
  const ms = (performance.now() - t0) / QUEUE_JOBS;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return ms;
}

/** CPU seconds (user + system) of a live process from /proc: its own, and its reaped children's. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = (i) => Number(fields[i]) / CLOCK_TICKS;
  return { own: ticks(11) + ticks(12), children: ticks(13) + ticks(14) };
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

async function cpuAccounting(redis) {
  const env = { POLICYGRAD_REDIS_PASSWORD: redis.password };
  const url = `redis://127.0.0.1:${redis.port}`;
  const workers = [0, 1].map(() => start(['worker', '--redis', url, '--concurrency', '1'], env));
  while (!workers.every((w) => w.output().includes('taking sweep trials'))) await sleep(50);
  const client = new Redis({ port: redis.port, password: redis.password });
  await client.config('RESETSTAT');
  const redisBefore = cpuSeconds(redis.pid).own;
  const workersBefore = workers.map((w) => cpuSeconds(w.child.pid));
  // The submitter under GNU time: its CPU seconds at exit, everything included (the last summary write too).
  const timeFile = join(work, 'submitter-time');
  const out = join(work, 'cpu');
  const profile = args.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', args.profile];
  const t0 = performance.now();
  const submitter = spawn(
    '/usr/bin/time',
    [
      '-o',
      timeFile,
      '-f',
      '%U %S',
      'node',
      ...profile,
      'dist/cli/main.js',
      'sweep',
      specFile,
      '--redis',
      url,
      '--out',
      out,
    ],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const code = await new Promise((resolve) => submitter.on('exit', resolve));
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`the sweep exited with ${code}`);
  await sleep(500); // the workers' last lines
  const redisS = cpuSeconds(redis.pid).own - redisBefore;
  const workerS = workers.map((w, i) => {
    const now = cpuSeconds(w.child.pid);
    return { own: now.own - workersBefore[i].own, trials: now.children - workersBefore[i].children };
  });
  const stats = await client.info('commandstats');
  await client.quit();
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  const submitterS = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  const trials = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).trials.length;
  const row = (name, s) => console.log(`| ${name} | ${s.toFixed(2)} | ${(s / trials).toFixed(3)} |`);
  console.log(
    `sweep CPU accounting: ${trials} trials through Redis, 2 workers (wall ${wallS.toFixed(1)} s, not meaningful on a loaded machine)`,
  );
  console.log('| process | CPU s | CPU s per trial |');
  console.log('| --- | ---: | ---: |');
  row('submitter (sweep --redis)', submitterS[0] + submitterS[1]);
  row('redis-server', redisS);
  row('submitter + redis-server', submitterS[0] + submitterS[1] + redisS);
  workerS.forEach((w, i) => {
    row(`worker ${i + 1} process`, w.own);
    row(`worker ${i + 1} trial processes`, w.trials);
  });
  const commands = [...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)]
    .map(([, name, calls, usec]) => ({ name, calls: Number(calls), s: Number(usec) / 1e6 }))
    .sort((a, b) => b.s - a.s);
  console.log(
    'redis-server, busiest commands (their own time):',
    commands
      .slice(0, 8)
      .map((c) => `${c.name} ${c.calls} calls ${c.s.toFixed(2)} s`)
      .join('; '),
  );
}

if (args.cpu) {
  const redis = await startRedis();
  try {
    await cpuAccounting(redis);
  } finally {
    await redis.stop();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

const results = {
  spec: SPEC,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  cases: {},
};
const redis = await startRedis();
try {
  results.cases['local --parallel 1'] = await timedSweep('local-1', ['--parallel', '1']);
  results.cases['local --parallel 2'] = await timedSweep('local-2', ['--parallel', '2']);
  results.cases['redis, 1 worker'] = await redisCase(redis, 1);
  results.cases['redis, 2 workers'] = await redisCase(redis, 2);
  results.queueOverheadMsPerJob = await queueOverheadMs(redis);
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}
const local1 = results.cases['local --parallel 1'];
const redis1 = results.cases['redis, 1 worker'];
results.redisOverheadMsPerTrial = ((redis1.wallS - local1.wallS) * 1000) / redis1.trials;
results.speedupTwoWorkers = redis1.wallS / results.cases['redis, 2 workers'].wallS;
results.speedupParallel2 = local1.wallS / results.cases['local --parallel 2'].wallS;

console.log(
  `sweep benchmark: ${local1.trials} trials (${args.tiny ? 'tiny: 2,048 steps' : '50,000 steps'} each), ${availableParallelism()} cores`,
);
console.log('| run | wall time (s) | mean trial (s) | speedup vs 1 |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, r] of Object.entries(results.cases)) {
  const base = name.startsWith('local') ? local1.wallS : redis1.wallS;
  console.log(
    `| ${name} | ${r.wallS.toFixed(1)} | ${r.meanTrialS.toFixed(2)} | ${(base / r.wallS).toFixed(2)}× |`,
  );
}
console.log(`queue overhead (BullMQ, no-op jobs): ${results.queueOverheadMsPerJob.toFixed(2)} ms per job`);
console.log(`Redis path vs local, 1 at a time: ${results.redisOverheadMsPerTrial.toFixed(0)} ms per trial`);
// A tiny run checks the script; its numbers say nothing (startup dominates), so only the full run is recorded.
if (!args.tiny) {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const file = join(root, 'bench', 'results', 'sweep.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
