/** `policygrad train`: builds the algorithm from presets, a config file and --set overrides, trains, saves. */
import { presetTimesteps } from '../algos/presets.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { type Algorithm, createAlgorithm, type ThreadedAlgorithm } from '../algos/registry.js';
import type { IterationStats } from '../rollouts/iteration.js';
import { describeKernels, setDefaultKernels } from '../nn/backend.js';
import { describeValue, PolicygradError } from '../errors.js';
import { LocalRedisActors } from './redis-local-actors.js';
import { policyFileOf } from '../algos/persistence.js';
import { divergence, DIVERGENCE_HINT } from '../algos/divergence.js';
import { loadEnvEngine } from '../envs/load-engine.js';
import { VERSION } from '../version.js';
import type { DistributedAlgorithm } from '../algos/learner.js';
import {
  DistributedRun,
  isDistributedAlgorithm,
  redisLearner,
  type TransportFactory,
} from '../node/distributed.js';
import { nodePorts } from '../node/ports.js';
import {
  givenTlsFlag,
  parseRedisUrl,
  type RedisTarget,
  type RedisTlsFlags,
  TLS_FLAGS,
  tlsFilesOf,
} from '../node/redis-connection.js';
import { checkRunId } from '../node/redis-transport.js';
import { RunDirectory } from '../node/run-dir.js';
import { checkCreatableDirectory } from './destinations.js';
import { envModulesFor } from './imports.js';
import { checkResumeFlags } from './resume-check.js';
import { type ResolvedRun, resolveRun } from './run-options.js';

export interface TrainCommandOptions extends RedisTlsFlags {
  /** Undefined: from --set or --config, else 'ppo' (see run-options.ts). */
  algo?: string;
  /** Undefined: from --set or --config, else 'CartPole-v1'. */
  env?: string;
  /** A preset name, 'none', or undefined for 'zoo' when the algorithm has one for the env. */
  preset?: string;
  config?: string;
  set: string[];
  timesteps?: number;
  /** Undefined: from --set or --config, else 0. */
  seed?: number;
  nEnvs?: number;
  out?: string;
  force?: boolean;
  /** 'wasm' or 'typescript'; default: wasm where the engine supports it. */
  kernels?: string;
  /** With --seeds (src/cli/train-seeds.ts): runs at once on worker threads; refused without it. */
  parallel?: number;
  /** Threads of each update: '1', '2' or 'auto' (a run option: not in config.json; results do not depend on it). */
  threads?: string;
  /** Continue the run in this directory from its newest checkpoint. */
  resume?: string;
  /** Environment steps between checkpoints (default: a tenth of the budget). */
  checkpointEvery?: number;
  /** Modules imported before the run (resolved by `--import`); recorded in config.json, given to the workers. */
  import?: string[];
  /** IMPALA/APPO: actor threads on this machine (the config's numActors). */
  actors?: number;
  /**
   * IMPALA/APPO: a Redis URL (may hold a password: never written anywhere); actors join through it. With it, the
   * TLS files of `RedisTlsFlags` (never written anywhere either).
   */
  redis?: string;
  /** IMPALA/APPO with Redis: the run's id, which namespaces its keys. */
  runId?: string;
}

/** Where output goes: `line` for lasting lines; `progress` for the status, redrawn in place on a terminal. */
export interface TrainOutput {
  line(text: string): void;
  progress(text: string, fraction: number): void;
  /** Milliseconds between progress updates. */
  interval: number;
}

/** Plain lines every 2 s (logs, CI), or one redrawn line with a bar every 0.2 s on a terminal. */
export function consoleOutput(isTerminal: boolean): TrainOutput {
  if (!isTerminal) return { line: (t) => console.log(t), progress: (t) => console.log(t), interval: 2000 };
  let open = false;
  return {
    interval: 200,
    line: (t) => {
      if (open) process.stdout.write('\n');
      open = false;
      console.log(t);
    },
    progress: (t, fraction) => {
      const width = 20;
      const filled = Math.round(fraction * width);
      process.stdout.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${t}`);
      open = true;
    },
  };
}

/** Every algorithm the CLI trains: the Trainer's, A3C's coordinator on worker threads, IMPALA/APPO's learner. */
type Model = Algorithm | ThreadedAlgorithm | DistributedRun;

/**
 * Why this model's state cannot be checkpointed (envs stepped on worker threads cannot be snapshotted; A3C's
 * workers hold theirs), found by taking one before training; null when it can. Without the probe the run would
 * fail at its first checkpoint.
 */
function snapshotProblem(model: Model): string | null {
  try {
    model.checkpoint();
    return null;
  } catch (error) {
    if (error instanceof PolicygradError) return error.message;
    throw error;
  }
}

/** Milliseconds of training between returns to the event loop (so SIGINT/SIGTERM are seen promptly). */
const SLICE_MS = 200;

export async function runTrain(
  options: TrainCommandOptions,
  output: TrainOutput,
): Promise<{ dir: string; meanReturn: number; interrupted: boolean }> {
  const print = (text: string) => output.line(text);
  if (options.parallel !== undefined) {
    throw new PolicygradError(
      '--parallel is the number of seeds trained at once: give the seeds with --seeds (e.g. --seeds 1,2,3)',
    );
  }
  if (options.kernels !== undefined) {
    if (options.kernels !== 'wasm' && options.kernels !== 'typescript') {
      throw new PolicygradError(
        `invalid --kernels ${describeValue(options.kernels)}: expected 'wasm' or 'typescript'`,
      );
    }
    setDefaultKernels(options.kernels);
  }
  const threads = updateThreadsOption(options);
  const setup =
    options.resume === undefined
      ? await startRun(options, threads)
      : await resumeRun(options.resume, options, threads);
  const { run, model, algo, totalTimesteps } = setup;
  const out = run.path;
  print(setup.headline);

  const every = options.checkpointEvery ?? Math.max(1, Math.round(totalTimesteps / 10));
  let nextCheckpoint = setup.startStep + every;
  let lastCheckpoint: string | null = setup.checkpointFile;
  const problem = snapshotProblem(model);
  const checkpointable = problem === null;
  if (problem !== null) print(`no checkpoints in this run: ${problem}`);
  const saveCheckpoint = () => {
    if (checkpointable) lastCheckpoint = run.saveCheckpoint(model.checkpoint());
  };

  let lastPrint = 0;
  let printedFinal = false; // several rows may reach the budget (A3C's workers each report once more)
  let latestReturn: number | null = null;
  /** One iteration's row: checked, appended to metrics.csv, shown, and a checkpoint when one is due. */
  const record = (metrics: IterationStats) => {
    checkFinite(metrics, model.policy.params, lastCheckpoint, out);
    run.appendMetrics(metrics);
    if (metrics.episodeReturnMean !== null) latestReturn = metrics.episodeReturnMean;
    const now = performance.now();
    const final = metrics.step >= totalTimesteps;
    if (now - lastPrint > output.interval || (final && !printedFinal)) {
      printedFinal ||= final;
      lastPrint = now;
      // The last iteration may end past the budget (whole rollouts): the counter stops at the budget,
      // and the closing line says how many steps were taken.
      const shown = Math.min(metrics.step, totalTimesteps);
      const fraction = shown / totalTimesteps;
      const eta = fraction > 0 ? (metrics.timeSeconds * (1 - fraction)) / fraction : 0;
      output.progress(
        `${shown.toLocaleString('en-US')}/${totalTimesteps.toLocaleString('en-US')} steps (${(100 * fraction).toFixed(0)}%)` +
          ` | return ${latestReturn === null ? '—' : latestReturn.toFixed(1)} | ${Math.round(metrics.sps)} steps/s | eta ${formatSeconds(eta)}`,
        fraction,
      );
    }
    if (metrics.step >= nextCheckpoint && !final) {
      saveCheckpoint();
      nextCheckpoint = metrics.step + every;
    }
  };

  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    // Workers that run on their own threads (A3C) stop now; their last reports end the iteration awaited.
    if ('stop' in model) void model.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let actors: LocalRedisActors | null = null;
  let finished = false;
  try {
    actors = await startLocalActors(model, options, run, print);
    if (model.numTimesteps < totalTimesteps) {
      // Fresh: the whole budget. Resumed: the steps left, which keeps the saved schedule (extended to the
      // budget when --timesteps raised it).
      model.begin(
        options.resume === undefined
          ? { totalTimesteps }
          : { totalTimesteps: totalTimesteps - model.numTimesteps, resetProgress: false },
      );
      let sliceStart = performance.now();
      while (!model.done && interrupted === null) {
        record(await model.iterate()); // a row, or (A3C) the promise of the workers' next report
        // Return to the event loop now and then, between two iterations, to see SIGINT/SIGTERM.
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
    }
    finished = true;
  } finally {
    if ('stop' in model) await model.stop(); // threads end with the loop, the shared parameters in `policy`
    await actors?.stop(finished && interrupted === null); // after the run is marked done: they exit on their own
    if ('close' in model) model.close?.(); // the update's second thread, if it has one
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted !== null) {
    const signal: NodeJS.Signals = interrupted;
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
    if (checkpointable) {
      saveCheckpoint();
      print(
        `${signal}: stopped; checkpoint saved (${lastCheckpoint}); continue with: policygrad train --resume ${out}`,
      );
    } else {
      // No checkpoints (A3C; envs on worker threads): keep what was learned.
      const file = run.saveFinalPolicy(policyFileOf(model, algo));
      print(
        `${signal}: stopped at step ${model.numTimesteps.toLocaleString('en-US')} of ${totalTimesteps.toLocaleString('en-US')}; final policy saved (${file}); this run cannot be resumed (it has no checkpoints)`,
      );
    }
    return { dir: out, meanReturn: Number.NaN, interrupted: true };
  }
  saveCheckpoint();

  run.saveFinalPolicy(policyFileOf(model, algo));
  const returns = model.evaluate(10);
  const meanReturn = returns.reduce((a, b) => a + b, 0) / returns.length;
  const steps = model.numTimesteps;
  const rounded =
    steps > totalTimesteps
      ? ` (the last iteration's rollout rounds the ${totalTimesteps.toLocaleString('en-US')}-step budget up)`
      : '';
  print(
    `done: ${steps.toLocaleString('en-US')} steps${rounded}; 10 deterministic evaluation episodes, mean return ${meanReturn.toFixed(1)}; saved ${out}/final/policy.json`,
  );
  return { dir: out, meanReturn, interrupted: false };
}

interface RunSetup {
  run: RunDirectory;
  model: Model;
  algo: string;
  totalTimesteps: number;
  startStep: number;
  checkpointFile: string | null;
  headline: string;
}

/** `--threads` as the run option `threads` (RunOptions in src/algos/trainer.ts); {} when not given. */
export function updateThreadsOption(options: TrainCommandOptions): { threads?: 1 | 2 | 'auto' } {
  const given = options.threads;
  if (given === undefined) return {};
  const threads = given === '1' ? 1 : given === '2' ? 2 : given === 'auto' ? 'auto' : null;
  if (threads === null) {
    throw new PolicygradError(`invalid --threads ${describeValue(given)}: expected 1, 2 or auto`);
  }
  return { threads };
}

/** The refusal of `--threads` where the model has no two-thread update to choose (A3C, IMPALA, APPO). */
function checkThreadsFlag(algo: string, threads: { threads?: unknown }): void {
  if (threads.threads !== undefined && (algo === 'a3c' || isDistributedAlgorithm(algo))) {
    throw new PolicygradError(
      `--threads applies to the synchronous algorithms; ${algo} runs its workers on threads of its own (${algo === 'a3c' ? '--set numWorkers=N' : '--actors N'})`,
    );
  }
}

/** ', update threads 2 (actor | critic)' for the headline, where the model says. */
function threadsNote(model: Model): string {
  return 'updateThreads' in model && typeof model.updateThreads === 'string'
    ? `, update threads ${model.updateThreads}`
    : '';
}

/** A new run: algorithm, env, seed and config resolved once (run-options.ts); a fresh run directory. */
async function startRun(
  options: TrainCommandOptions,
  threads: { threads?: 1 | 2 | 'auto' },
): Promise<RunSetup> {
  const resolved = resolveRun(options);
  const { algo, env, seed, presetLabel } = resolved;
  checkThreadsFlag(algo, threads);
  const config: Record<string, unknown> = {
    ...resolved.config,
    ...envModulesFor(algo, options.import ?? []),
    // With --redis, --actors starts actor processes here (startLocalActors), not actor threads.
    ...(options.actors === undefined || options.redis !== undefined ? {} : { numActors: options.actors }),
  };
  const out = options.out ?? defaultRunDirectory(resolved);
  checkRunDirectory(out, options.force === true);
  const transport = distributedTransport(algo, options);
  await loadEnvEngine(env);
  // IMPALA and APPO run their actors on worker threads or other processes (Node only): not in the core's registry.
  const model: Model = isDistributedAlgorithm(algo)
    ? new DistributedRun(algo, config, transport.factory, transport.runId)
    : createAlgorithm(algo, { ...config, ...threads }, nodePorts);
  const totalTimesteps = runBudget(options, resolved);
  // Redis first: a refused password, an untrusted certificate or a taken run id leaves no run directory behind.
  if (model instanceof DistributedRun && transport.kind === 'redis') await model.connect();
  let run: RunDirectory;
  try {
    run = RunDirectory.create(out, { force: options.force === true });
  } catch (error) {
    if (model instanceof DistributedRun) await model.stop();
    throw error;
  }
  run.writeConfig({
    ...runHeader(options, resolved, totalTimesteps),
    // The transport and run id, never the Redis URL (it may hold a password) nor the TLS files' paths: --resume
    // takes them again. The server as messages show it and which TLS flags were given, for resume's message.
    ...(isDistributedAlgorithm(algo) ? { transport: transport.kind, runId: transport.runId } : {}),
    ...(transport.redis === undefined ? {} : { redis: transport.redis }),
    config: model.config,
  });
  return {
    run,
    model,
    algo,
    totalTimesteps,
    startStep: 0,
    checkpointFile: null,
    headline: `${resolved.fileNote === undefined ? '' : `${resolved.fileNote}\n`}${algo} on ${env} (preset ${presetLabel}, seed ${seed}, kernels ${describeKernels()}${threadsNote(model)}) for ${totalTimesteps.toLocaleString('en-US')} steps → ${out}`,
  };
}

/** `runs/<algo>-<env>-seed<s>`: where a run goes without --out. */
export function defaultRunDirectory({ algo, env, seed }: ResolvedRun): string {
  return `runs/${algo}-${env}-seed${seed}`;
}

/** The budget: --timesteps, else an rl-zoo file's n_timesteps, else the preset's, else 100k. */
export function runBudget(options: TrainCommandOptions, resolved: ResolvedRun): number {
  return (
    options.timesteps ??
    resolved.fileTimesteps ??
    presetTimesteps(resolved.algo, resolved.env, resolved.config.preset) ??
    100_000
  );
}

/** What config.json records before the resolved config (the library, the run's identity and budget, imports). */
export function runHeader(options: TrainCommandOptions, resolved: ResolvedRun, totalTimesteps: number) {
  const { algo, env, seed } = resolved;
  return {
    library: 'policygrad' as const,
    version: VERSION,
    algo,
    env,
    seed,
    totalTimesteps,
    ...(options.import === undefined || options.import.length === 0 ? {} : { imports: options.import }),
  };
}

/** What config.json records of a Redis connection: the server without its password, the TLS flags' names. */
interface SavedRedis {
  server: string;
  tlsFlags: string[];
}

/** The IMPALA/APPO transport flags given (as the user typed them): refused for the other algorithms. */
function refuseDistributedFlags(algo: string, options: TrainCommandOptions): void {
  if (isDistributedAlgorithm(algo)) return;
  const given = (['actors', 'redis', 'runId'] as const)
    .filter((key) => options[key] !== undefined)
    .map((key) => `--${key === 'runId' ? 'run-id' : key}`);
  const tls = givenTlsFlag(options);
  if (tls !== undefined) given.push(tls);
  if (given.length > 0) {
    throw new PolicygradError(`${given.join(', ')} apply to impala and appo only; --algo is ${algo}`);
  }
}

/** The `--redis` server with its TLS files (read and checked now, before anything is built or written). */
function redisTarget(url: string, options: TrainCommandOptions): { target: RedisTarget; saved: SavedRedis } {
  const target = parseRedisUrl(url, process.env, tlsFilesOf(options));
  const files = tlsFilesOf(options);
  const tlsFlags = (Object.keys(TLS_FLAGS) as (keyof typeof TLS_FLAGS)[])
    .filter((key) => files[key] !== undefined)
    .map((key) => TLS_FLAGS[key]);
  return { target, saved: { server: target.describe, tlsFlags } };
}

/**
 * How an IMPALA/APPO learner meets its actors: threads here (the default), or Redis (`--redis URL --run-id R`).
 * The flags are refused for the other algorithms (never a silently ignored flag).
 */
function distributedTransport(
  algo: string,
  options: TrainCommandOptions,
): {
  kind: 'local' | 'redis';
  factory: TransportFactory | undefined;
  runId: string;
  redis?: SavedRedis;
} {
  refuseDistributedFlags(algo, options);
  if (!isDistributedAlgorithm(algo)) return { kind: 'local', factory: undefined, runId: 'local' };
  if (options.redis === undefined) {
    if (options.runId !== undefined) {
      throw new PolicygradError('--run-id names a Redis run: give --redis URL with it (or leave both out)');
    }
    const tls = givenTlsFlag(options);
    if (tls !== undefined) {
      throw new PolicygradError(`${tls} is for --redis rediss://… (actors through Redis)`);
    }
    return { kind: 'local', factory: undefined, runId: 'local' };
  }
  if (options.runId === undefined) {
    throw new PolicygradError(
      '--redis needs --run-id NAME: the id that namespaces the run in Redis and that its actors give',
    );
  }
  const runId = checkRunId(options.runId);
  const { target, saved } = redisTarget(options.redis, options);
  return { kind: 'redis', factory: redisLearner(target), runId, redis: saved };
}

/**
 * `--redis URL --actors K`: K actor processes on this machine (src/cli/redis-local-actors.ts), started once the
 * learner has connected and published the run's config; null for any other run.
 */
async function startLocalActors(
  model: Model,
  options: TrainCommandOptions,
  run: RunDirectory,
  print: (line: string) => void,
): Promise<LocalRedisActors | null> {
  const count = options.actors ?? 0;
  if (!(model instanceof DistributedRun) || options.redis === undefined || count === 0) return null;
  await model.connect(); // a resumed run connects here; a new one has already
  const runId = options.runId ?? (run.readConfig() as SavedRunConfig).runId ?? 'local';
  return new LocalRedisActors(count, { ...options, redis: options.redis, runId }, print);
}

/**
 * Refuses an existing, non-empty run directory (unless --force) before anything is built, naming both fixes in
 * the form the user typed the command (`npm run train -- …` when started through npm); checks it can be created.
 */
export function checkRunDirectory(out: string, force: boolean): void {
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new PolicygradError(`--out ${out} is a file, not a directory; choose another --out`);
  }
  if (!force && existsSync(out) && readdirSync(out).length > 0) {
    const command = process.env.npm_lifecycle_event === 'train' ? 'npm run train --' : 'policygrad train';
    throw new PolicygradError(
      `run directory ${out} already exists; pass --force to overwrite it (${command} --force), or --out to choose another (${command} --out runs/NEW-NAME)`,
    );
  }
  checkCreatableDirectory(out, 'run directory');
}

interface SavedRunConfig {
  algo?: string;
  env?: string;
  seed?: number;
  totalTimesteps?: number;
  /** IMPALA/APPO: how the learner met its actors, and the run id. */
  transport?: string;
  runId?: string;
  redis?: SavedRedis;
  config?: Record<string, unknown>;
}

/**
 * An IMPALA/APPO run to resume: with actor threads as before, or through Redis again (its URL and TLS files are
 * never saved, as the URL may hold a password: `--redis` and the TLS flags give them again, as the first time);
 * the run id is the saved one.
 */
function resumedDistributedRun(
  path: string,
  algo: DistributedAlgorithm,
  config: Record<string, unknown>,
  saved: SavedRunConfig,
  options: TrainCommandOptions,
): DistributedRun {
  const runId = saved.runId ?? 'local';
  if (options.runId !== undefined && options.runId !== runId) {
    throw new PolicygradError(
      `cannot resume ${path} with --run-id ${options.runId}: the run's id is ${runId}`,
    );
  }
  if (options.actors !== undefined && saved.transport !== 'redis' && options.actors !== config.numActors) {
    throw new PolicygradError(
      `cannot resume ${path} with --actors ${options.actors}: the run has ${String(config.numActors)} (a resumed run keeps its saved config)`,
    );
  }
  if (saved.transport === 'redis') {
    const before = saved.redis;
    const flags =
      before === undefined ? '' : [before.server, ...before.tlsFlags.map((f) => `${f} FILE`)].join(' ');
    if (options.redis === undefined) {
      throw new PolicygradError(
        `cannot resume ${path} without --redis URL${before === undefined ? '' : ` (it used --redis ${flags})`}: connection flags are never saved (the URL may hold a password); give them again`,
      );
    }
    const now = redisTarget(options.redis, options);
    // Only for a TLS server again: a run may move to another Redis, with or without TLS.
    const missing =
      now.target.options.tls === undefined
        ? []
        : (before?.tlsFlags ?? []).filter((flag) => !now.saved.tlsFlags.includes(flag));
    if (missing.length > 0) {
      throw new PolicygradError(
        `cannot resume ${path} without ${missing.map((f) => `${f} FILE`).join(' ')}: the run used ${missing.length === 1 ? 'it' : 'them'} and TLS files are never saved; give them again`,
      );
    }
    return new DistributedRun(algo, config, redisLearner(now.target, { resume: true }), checkRunId(runId));
  }
  if (options.redis !== undefined) {
    throw new PolicygradError(
      `cannot resume ${path} with --redis: the run's actors are threads on this machine`,
    );
  }
  const tls = givenTlsFlag(options);
  if (tls !== undefined) {
    throw new PolicygradError(
      `cannot resume ${path} with ${tls}: the run's actors are threads on this machine`,
    );
  }
  return new DistributedRun(algo, config, undefined, runId);
}

/**
 * `--resume DIR`: the run's saved config and its newest checkpoint; metrics after the checkpoint are dropped.
 * Flags that would change the run are refused; `--timesteps` above the saved budget extends it.
 */
async function resumeRun(
  path: string,
  options: TrainCommandOptions,
  threads: { threads?: 1 | 2 | 'auto' },
): Promise<RunSetup> {
  const run = RunDirectory.open(path);
  const saved = run.readConfig() as SavedRunConfig;
  const { algo, env, totalTimesteps: savedBudget, config } = saved;
  if (typeof algo !== 'string' || typeof env !== 'string' || typeof savedBudget !== 'number' || !config) {
    throw new PolicygradError(
      `cannot resume ${path}: its config.json lacks algo, env, totalTimesteps or config`,
    );
  }
  checkThreadsFlag(algo, threads);
  checkResumeFlags(path, options, { algo, env, seed: saved.seed, config });
  refuseDistributedFlags(algo, options);
  const totalTimesteps = options.timesteps ?? savedBudget;
  if (totalTimesteps < savedBudget) {
    throw new PolicygradError(
      `cannot resume ${path} with --timesteps ${totalTimesteps}: the run's budget is ${savedBudget}; a resumed run can be extended (a larger --timesteps), not shortened`,
    );
  }
  checkCreatableDirectory(path, 'run directory');
  await loadEnvEngine(env);
  const model: Model = isDistributedAlgorithm(algo)
    ? resumedDistributedRun(path, algo, config, saved, options)
    : createAlgorithm(algo, { ...config, ...threads }, nodePorts);
  const problem = snapshotProblem(model);
  if (problem !== null) throw new PolicygradError(`cannot resume ${path}: ${problem}`);
  const { file, checkpoint } = run.latestCheckpoint();
  model.restoreCheckpoint(checkpoint); // validates format, algorithm and env before anything is written
  const { step, iteration } = checkpoint as { step: number; iteration: number };
  run.truncateMetrics(iteration);
  let extended = '';
  if (totalTimesteps > savedBudget) {
    run.writeConfig({ ...saved, totalTimesteps, extendedFrom: savedBudget });
    extended = `; budget extended from ${savedBudget.toLocaleString('en-US')} to ${totalTimesteps.toLocaleString('en-US')} steps (recorded in config.json)`;
  }
  return {
    run,
    model,
    algo,
    totalTimesteps,
    startStep: step,
    checkpointFile: file,
    headline: `resuming ${algo} on ${env} from ${file} (step ${step.toLocaleString('en-US')} of ${totalTimesteps.toLocaleString('en-US')}, kernels ${describeKernels()}${threadsNote(model)})${extended}`,
  };
}

/** Stops training with a clear error when a loss or a parameter is no longer a finite number. */
function checkFinite(
  row: object,
  params: ArrayLike<number>,
  lastCheckpoint: string | null,
  out: string,
): void {
  const problem = divergence(row, params);
  if (problem !== null) {
    const metrics = row as Record<string, unknown>;
    throw new PolicygradError(
      `iteration ${String(metrics.iteration)} (step ${String(metrics.step)}): ${problem}; training stopped` +
        (lastCheckpoint === null
          ? ' (no checkpoint was written yet)'
          : `; the last good checkpoint is ${lastCheckpoint} (policygrad train --resume ${out})`) +
        `. ${DIVERGENCE_HINT}`,
    );
  }
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
