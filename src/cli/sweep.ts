/**
 * `policygrad sweep spec.yaml`: every config of the spec on every seed, each trial a normal run directory under
 * `<out>/trials/`, then `summary.json`, the ranked table and `best.yaml`. Locally (the default) trials run in
 * `--parallel K` child processes; with `--redis URL` they are BullMQ jobs that `policygrad worker` processes run
 * anywhere, their results shipped back through Redis (src/node/sweep/redis-sweep.ts).
 *
 * `<out>/sweep.json` records the plan and `<out>/status.json` the trials' progress (rewritten each second a trial moved),
 * which `policygrad sweep --status <out>` prints.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describeValue, PolicygradError } from '../errors.js';
import { createAlgorithm } from '../algos/registry.js';
import { loadEnvEngine } from '../envs/load-engine.js';
import { writeFileAtomically } from '../node/run-dir.js';
import { Asha, rungSteps } from '../node/sweep/asha.js';
import { nodePorts } from '../node/ports.js';
import { LocalSweep, type PlannedTrial } from '../node/sweep/local.js';
import {
  connectWithRetry,
  givenTlsFlag,
  parseRedisUrl,
  type RedisTlsFlags,
  tlsFilesOf,
} from '../node/redis-connection.js';
import { loadRedisPackages } from '../node/sweep/redis-names.js';
import { RedisSweep } from '../node/sweep/redis-sweep.js';
import { pendingTrial, type TrialState } from '../node/sweep/record.js';
import {
  bestConfigYaml,
  buildSummary,
  formatParam,
  formatRankedTable,
  formatTable,
  type SweepInfo,
  type SweepSummary,
} from '../node/sweep/summary.js';
import { checkCreatableDirectory } from './destinations.js';
import { readSweepSpec, type SweepSpec, sweepTrials, trialConfig } from './sweep-spec.js';

export interface SweepCommandOptions extends RedisTlsFlags {
  parallel?: number;
  out?: string;
  redis?: string;
  /** Resolved module URLs (`--import`), imported by every trial process. */
  import?: string[];
  /** The library version recorded in each run's config.json. */
  version: string;
}

export interface SweepOutput {
  line(text: string): void;
  /** The live table: redrawn in place on a terminal, else its count line now and then. */
  table(states: readonly TrialState[], timesteps: number): void;
  /** A trial ended (a line in logs; a terminal sees it in the table). */
  ended(text: string): void;
}

/** On a terminal the table is redrawn in place; otherwise lines as trials end and a count every 10 s. */
export function consoleSweepOutput(isTerminal: boolean): SweepOutput {
  let drawn = 0;
  let lastPlain = 0;
  return {
    line: (text) => {
      drawn = 0;
      console.log(text);
    },
    table: (states, timesteps) => {
      if (isTerminal) {
        // Redrawn in place, so it must fit the screen: the running trials first, then the ended ones.
        const text = formatProgress(states, timesteps, Math.max(4, (process.stdout.rows ?? 40) - 6));
        const up = drawn > 0 ? `\x1b[${drawn}F\x1b[0J` : '';
        process.stdout.write(`${up}${text}\n`);
        drawn = text.split('\n').length;
      } else if (performance.now() - lastPlain > 10_000) {
        lastPlain = performance.now();
        console.log(formatCounts(states));
      }
    },
    ended: (text) => {
      if (!isTerminal) console.log(text);
    },
  };
}

/** How often status.json is rewritten and the live table redrawn. */
const REFRESH_MS = 1000;

export async function runSweep(
  specPath: string,
  options: SweepCommandOptions,
  output: SweepOutput,
): Promise<SweepSummary> {
  if (options.redis !== undefined && options.parallel !== undefined) {
    throw new PolicygradError(
      'sweep: --parallel is for local sweeps; with --redis, each worker has --concurrency',
    );
  }
  const tlsFlag = givenTlsFlag(options);
  if (options.redis === undefined && tlsFlag !== undefined) {
    throw new PolicygradError(`sweep: ${tlsFlag} is for --redis rediss://… (a Redis sweep)`);
  }
  const spec = readSweepSpec(specPath);
  const out = options.out ?? join('sweeps', spec.name);
  checkSweepDirectory(out);
  const planned = await planTrials(spec, out, options.version);
  const info: SweepInfo = {
    name: spec.name,
    algo: spec.algo,
    env: spec.env,
    ...(spec.preset === undefined ? {} : { preset: spec.preset }),
    config: spec.config,
    timesteps: spec.timesteps,
    seeds: spec.seeds,
    backend: 'local',
  };
  const parallel = options.parallel ?? availableParallelism();
  const redis = options.redis === undefined ? null : await openRedis(options.redis, options, output);
  if (redis !== null) info.backend = redis.target.describe;
  mkdirSync(join(out, 'trials'), { recursive: true });
  writeJson(join(out, 'sweep.json'), {
    ...info,
    spec,
    trials: planned.map((p) => ({
      id: p.state.id,
      config: p.state.config,
      params: p.state.params,
      seed: p.state.seed,
    })),
  });
  const states = planned.map((p) => p.state);
  const configs = new Set(states.map((s) => s.config)).size;
  const where =
    redis === null
      ? `${parallel} at a time`
      : `queued on ${redis.target.describe} for policygrad worker processes`;
  output.line(
    `sweep ${spec.name}: ${spec.algo} on ${spec.env}, ${configs} config${configs === 1 ? '' : 's'} × ${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'} = ${states.length} trials of ${spec.timesteps.toLocaleString('en-US')} steps, ${where} → ${out}`,
  );

  const asha = spec.asha === null ? null : new Asha({ ...spec.asha, timesteps: spec.timesteps });
  const sweep =
    redis === null
      ? new LocalSweep(planned, { parallel, imports: options.import ?? [], asha })
      : await RedisSweep.open(
          redis.packages,
          redis.target.options,
          planned,
          `${spec.name}-${randomBytes(4).toString('hex')}`,
          redis.client,
          { say: (line) => output.line(line), asha },
        );
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted === null) {
      output.line(`${signal}: launching no more trials; running trials checkpoint and stop`);
    }
    interrupted ??= signal;
    sweep.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reported = new Set<string>();
  let written = '';
  const refresh = () => {
    // Rewritten only when a trial moved (a rename every second costs a disk flush on some file systems).
    const now = JSON.stringify(states);
    if (now !== written) {
      written = now;
      writeJson(join(out, 'status.json'), {
        name: spec.name,
        updated: new Date().toISOString(),
        trials: states,
      });
    }
    for (const s of states) {
      if (s.status === 'pending' || s.status === 'running' || reported.has(s.id)) continue;
      reported.add(s.id);
      const evaluation = s.finalEval === null ? '' : `, final eval ${s.finalEval.toFixed(1)}`;
      output.ended(
        `trial ${s.id} ${s.status} at step ${s.step}${evaluation} (${(s.wallTimeS ?? 0).toFixed(1)} s)`,
      );
    }
    output.table(states, spec.timesteps);
  };
  const timer = setInterval(refresh, REFRESH_MS);
  try {
    await sweep.run();
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await redis?.client.quit();
  }
  refresh();
  const summary = buildSummary(
    info,
    states,
    interrupted === null ? 'completed' : 'interrupted',
    'best.yaml',
    asha,
  );
  writeJson(join(out, 'summary.json'), summary);
  const best = bestConfigYaml(summary);
  if (best !== null) writeFileAtomically(join(out, 'best.yaml'), best);
  output.line(formatRankedTable(summary));
  for (const failed of summary.trials.filter((t) => t.status === 'failed')) {
    output.line(`trial ${failed.id} failed: ${failed.error?.split('\n')[0]}`);
  }
  output.line(
    `${interrupted === null ? 'done' : 'interrupted (partial summary)'}: ${join(out, 'summary.json')}` +
      (best === null
        ? ''
        : `; best config: ${join(out, 'best.yaml')} (policygrad train --config ${join(out, 'best.yaml')})`),
  );
  if (interrupted !== null) process.exitCode = interrupted === 'SIGINT' ? 130 : 143;
  // As Ray Tune's raise_on_failed_trial: a script that runs a sweep learns that a trial failed.
  else if (summary.trials.some((t) => t.status === 'failed')) process.exitCode = 1;
  return summary;
}

/** The Redis server of `--redis`, connected (with retries); the packages loaded on demand. */
async function openRedis(url: string, tls: RedisTlsFlags, output: SweepOutput) {
  const packages = await loadRedisPackages('policygrad sweep --redis');
  const target = parseRedisUrl(url, process.env, tlsFilesOf(tls));
  const client = await connectWithRetry(packages.ioredis, target, (line) => output.line(line));
  return { packages, target, client };
}

/** A sweep never overwrites: an existing, non-empty directory is refused. */
function checkSweepDirectory(out: string): void {
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new PolicygradError(
      `sweep directory ${out} already exists; sweeps never overwrite: choose another --out (e.g. --out ${out}-2)`,
    );
  }
  checkCreatableDirectory(out, 'sweep directory');
}

/**
 * Every trial's task, after building each config once: a value the algorithm refuses in combination (a batch
 * size that does not divide the rollout), an unknown env, is reported before any trial runs.
 */
async function planTrials(spec: SweepSpec, out: string, version: string): Promise<PlannedTrial[]> {
  await loadEnvEngine(spec.env);
  const trials = sweepTrials(spec);
  const checked = new Set<number>();
  return trials.map((trial) => {
    const config = trialConfig(spec, trial);
    if (!checked.has(trial.config)) {
      checked.add(trial.config);
      try {
        // With the trials' ports (vectorEnv 'async' included); its envs are closed at once.
        createAlgorithm(spec.algo, config, nodePorts).env.close();
      } catch (error) {
        if (!(error instanceof PolicygradError)) throw error;
        const params = Object.entries(trial.params).map(([k, v]) => `${k}=${describeValue(v)}`);
        throw new PolicygradError(
          `sweep config ${trial.config}${params.length > 0 ? ` (${params.join(', ')})` : ''}: ${error.message}`,
        );
      }
    }
    const runDir = join(out, 'trials', trial.id);
    const state = pendingTrial({ ...trial, runDir });
    return {
      state,
      header: {
        library: 'policygrad',
        version,
        algo: spec.algo,
        env: spec.env,
        seed: trial.seed,
        totalTimesteps: spec.timesteps,
        sweep: { name: spec.name, trial: trial.id, config: trial.config, params: trial.params },
      },
      task: {
        algo: spec.algo as PlannedTrial['task']['algo'],
        env: spec.env,
        seed: trial.seed,
        timesteps: spec.timesteps,
        checkpointEvery: spec.checkpointEvery,
        config,
        // Early stopping: the trial waits at each rung for the sweep's verdict (src/node/sweep/trial.ts).
        ...(spec.asha === null ? {} : { rungs: rungSteps({ ...spec.asha, timesteps: spec.timesteps }) }),
      },
    };
  });
}

/** The live table: one row per trial (at most `maxRows`: running first, then ended, then pending), and a count line. */
export function formatProgress(
  states: readonly TrialState[],
  timesteps: number,
  maxRows = Number.POSITIVE_INFINITY,
): string {
  const keys = [...new Set(states.flatMap((s) => Object.keys(s.params)))];
  const order = (s: TrialState) => (s.status === 'running' ? 0 : s.status === 'pending' ? 2 : 1);
  const shown =
    states.length <= maxRows ? states : [...states].sort((a, b) => order(a) - order(b)).slice(0, maxRows);
  const rows = shown.map((s) => [
    s.id,
    ...keys.map((k) => formatParam(s.params[k])),
    s.status,
    `${Math.round((100 * Math.min(s.step, timesteps)) / timesteps)}%`,
    s.lastReturn === null ? '—' : s.lastReturn.toFixed(1),
    s.finalEval === null ? '—' : s.finalEval.toFixed(1),
  ]);
  const hidden = states.length - shown.length;
  return (
    formatTable(['trial', ...keys, 'status', 'steps', 'return', 'final eval'], rows) +
    (hidden > 0 ? `\n… ${hidden} more (policygrad sweep --status shows all)` : '') +
    `\n${formatCounts(states)}`
  );
}

function formatCounts(states: readonly TrialState[]): string {
  const count = (status: string) => states.filter((s) => s.status === status).length;
  const pruned = count('pruned') > 0 ? `, ${count('pruned')} pruned` : '';
  return `${count('completed')}/${states.length} completed, ${count('running')} running, ${count('failed')} failed${pruned}, ${count('pending')} pending`;
}

/** `policygrad sweep --status DIR`: the trials' progress from status.json (and the summary once written). */
export function sweepStatus(dir: string): string {
  const path = existsSync(dir) ? dir : join('sweeps', dir);
  const statusFile = join(path, 'status.json');
  if (!existsSync(join(path, 'sweep.json'))) {
    throw new PolicygradError(
      `no sweep at ${dir}: expected ${join(dir, 'sweep.json')} (written when a sweep starts)`,
    );
  }
  const sweep = readJson(join(path, 'sweep.json')) as { name: string; timesteps: number };
  if (!existsSync(statusFile)) return `sweep ${sweep.name}: starting (no trial has reported yet)`;
  const status = readJson(statusFile) as { updated: string; trials: TrialState[] };
  const lines = [
    `sweep ${sweep.name} (as of ${status.updated})`,
    formatProgress(status.trials, sweep.timesteps),
  ];
  const summaryFile = join(path, 'summary.json');
  if (existsSync(summaryFile)) {
    const summary = readJson(summaryFile) as SweepSummary;
    lines.push(`summary (${summary.status}):`, formatRankedTable(summary));
  }
  return lines.join('\n');
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PolicygradError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function writeJson(file: string, value: unknown): void {
  writeFileAtomically(file, `${JSON.stringify(value, null, 2)}\n`);
}
