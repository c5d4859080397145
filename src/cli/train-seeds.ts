/**
 * `policygrad train --seeds 1,2,3`: one config trained on several seeds in this process, on `--parallel` worker
 * threads (default: min(seeds, cores)), each thread training its share of the seeds one after another
 * (src/node/seed-threads.ts; a seed may be split between two threads when the seeds do not divide evenly). Each
 * seed's run directory is the one `policygrad train --seed N` would write — the same config.json, metrics.csv
 * rows (but the wall-clock columns), checkpoints and final policy — under the default name
 * `runs/<algo>-<env>-seed<N>`, or `<--out>/seed<N>` (as a sweep names its trials `…-seed<N>`). Ctrl-C stops every
 * running seed after a checkpoint (each resumes alone with `train --resume DIR`); seeds not started yet are not
 * started.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { checkSeedAlgorithm, checkSeeds, seedRunConfig } from '../algos/seeds.js';
import { createAlgorithm } from '../algos/registry.js';
import { loadEnvEngine } from '../envs/load-engine.js';
import { describeValue, PolicygradError } from '../errors.js';
import { describeKernels, setDefaultKernels } from '../nn/backend.js';
import { nodePorts } from '../node/ports.js';
import { startSeedThreads } from '../node/seed-threads.js';
import { pendingTrial, TrialRecorder, type TrialState } from '../node/sweep/record.js';
import type { TrialTask } from '../node/sweep/trial.js';
import { resolveRun } from './run-options.js';
import { handlingSignals } from './signals.js';
import {
  checkRunDirectory,
  defaultRunDirectory,
  runBudget,
  runHeader,
  type TrainCommandOptions,
  type TrainOutput,
  updateThreadsOption,
} from './train.js';

export interface TrainSeedsCommandOptions extends TrainCommandOptions {
  /** The --seeds list as typed: comma-separated non-negative integers. */
  seeds: string;
}

/** `--seeds 1,2,3` → [1, 2, 3]; one line for anything else (a repeat, a gap, a negative or fractional seed). */
export function parseSeedList(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (!parts.every((part) => /^\d+$/.test(part))) {
    throw new PolicygradError(
      `invalid --seeds ${describeValue(text)}: expected a comma-separated list of non-negative integers, such as 1,2,3`,
    );
  }
  return checkSeeds(parts.map(Number));
}

/** Flags that make no sense with several seeds, refused in one line each (never silently ignored). */
function checkSeedsFlags(options: TrainSeedsCommandOptions): void {
  if (options.seed !== undefined) {
    throw new PolicygradError(
      `--seed and --seeds are exclusive: give every seed in --seeds (--seeds ${options.seed},…)`,
    );
  }
  if (options.resume !== undefined) {
    throw new PolicygradError(
      `--resume continues one run directory, --seeds starts several: resume each seed's run with policygrad train --resume DIR`,
    );
  }
}

export async function runTrainSeeds(
  options: TrainSeedsCommandOptions,
  output: TrainOutput,
): Promise<{ runs: { seed: number; dir: string; meanReturn: number | null }[]; interrupted: boolean }> {
  checkSeedsFlags(options);
  const seeds = parseSeedList(options.seeds);
  if (options.kernels !== undefined) {
    if (options.kernels !== 'wasm' && options.kernels !== 'typescript') {
      throw new PolicygradError(
        `invalid --kernels ${describeValue(options.kernels)}: expected 'wasm' or 'typescript'`,
      );
    }
    setDefaultKernels(options.kernels); // the seed threads take this thread's choice
  }
  const runs = seeds.map((seed) => resolveRun({ ...options, seed }));
  const { algo, env, presetLabel } = runs[0];
  checkSeedAlgorithm(algo);
  const given = (['actors', 'redis', 'runId'] as const).filter((key) => options[key] !== undefined);
  if (given.length > 0) {
    throw new PolicygradError(
      `--${given[0] === 'runId' ? 'run-id' : given[0]} applies to impala and appo only; --algo is ${algo}`,
    );
  }
  const dirs = runs.map((run) =>
    options.out === undefined ? defaultRunDirectory(run) : join(options.out, `seed${run.seed}`),
  );
  for (const dir of dirs) checkRunDirectory(dir, options.force === true);
  const totalTimesteps = runBudget(options, runs[0]);
  const every = options.checkpointEvery ?? Math.max(1, Math.round(totalTimesteps / 10));
  const parallel = Math.min(options.parallel ?? availableParallelism(), seeds.length);
  const updateThreads = updateThreadsOption(options);
  if (parallel > 1 && updateThreads.threads === 2) {
    throw new PolicygradError(
      `--threads 2 gives each run both cores, but --seeds runs ${parallel} at a time: add --parallel 1 (or leave --threads out: runs beside each other take one thread each)`,
    );
  }
  await loadEnvEngine(env);
  // The config is checked here, once, before any thread starts (a mistake is one line, not one per seed).
  const probe = createAlgorithm(algo, { ...runs[0].config, threads: 1 }, nodePorts);
  probe.env.close();
  probe.close?.();

  output.line(
    `${runs[0].fileNote === undefined ? '' : `${runs[0].fileNote}\n`}${algo} on ${env} (preset ${presetLabel}, seeds ${seeds.join(',')}, kernels ${describeKernels()}) for ${totalTimesteps.toLocaleString('en-US')} steps each, ${parallel} at a time → ${dirs.join(', ')}`,
  );
  const states = runs.map(({ seed }, index) =>
    pendingTrial({ id: `seed${seed}`, config: 0, params: {}, seed, runDir: dirs[index] }),
  );
  const recorders = runs.map(
    (run, index) => new TrialRecorder(states[index], runHeader(options, run, totalTimesteps)),
  );
  const tasks = runs.map(({ seed, config }): TrialTask => ({
    algo: algo as TrialTask['algo'],
    env,
    seed,
    timesteps: totalTimesteps,
    checkpointEvery: every,
    config: seedRunConfig({ ...config, ...updateThreads }, seed, parallel),
  }));

  const progress = seedProgress(states, totalTimesteps, output);
  const threads = startSeedThreads(tasks, {
    parallel,
    imports: options.import ?? [],
    onEvent: (index, event) => {
      try {
        recorders[index].handle(event);
      } catch (error) {
        // A run directory that cannot be written (disk full): that seed fails with the reason, the others go on.
        recorders[index].fail(`cannot record ${event.type}: ${(error as Error).message}`);
      }
      if (event.type === 'row') progress.update(index);
      else if (event.type !== 'begin' && event.type !== 'checkpoint') output.line(describeEnd(states[index]));
    },
  });
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    threads.stop();
  };
  await handlingSignals(onSignal, () => threads.finished);
  const notStarted = states.filter((s) => s.status === 'pending').map((s) => s.seed);
  if (notStarted.length > 0) {
    output.line(`not started: seed${notStarted.length === 1 ? '' : 's'} ${notStarted.join(',')}`);
  }
  if (interrupted !== null) {
    process.exitCode = interrupted === 'SIGINT' ? 130 : 143;
  } else if (states.some((s) => s.status === 'failed')) {
    process.exitCode = 1;
  }
  return {
    runs: states.map((s) => ({ seed: s.seed, dir: s.runDir, meanReturn: s.finalEval })),
    interrupted: interrupted !== null,
  };
}

/** A seed's closing line: done (with the final evaluation), stopped (how to resume), or failed (why). */
function describeEnd(state: TrialState): string {
  const steps = state.step.toLocaleString('en-US');
  switch (state.status) {
    case 'completed':
      return `seed ${state.seed} done: ${steps} steps; 10 deterministic evaluation episodes, mean return ${(state.finalEval ?? Number.NaN).toFixed(1)}; saved ${state.runDir}/final/policy.json`;
    case 'stopped':
      return `seed ${state.seed} stopped at step ${steps}; checkpoint saved; continue with: policygrad train --resume ${state.runDir}`;
    default:
      return `seed ${state.seed} failed: ${state.error ?? 'unknown error'}`;
  }
}

/**
 * The progress of every seed: on a terminal one redrawn line with each seed's share; in logs a line per seed, at
 * most every `output.interval` ms per seed.
 */
function seedProgress(
  states: readonly TrialState[],
  totalTimesteps: number,
  output: TrainOutput,
): { update(index: number): void } {
  const lastPrint = states.map(() => Number.NEGATIVE_INFINITY); // the first row of each seed is shown
  const percent = (s: TrialState) => Math.round((100 * Math.min(s.step, totalTimesteps)) / totalTimesteps);
  const returnOf = (s: TrialState) => (s.lastReturn === null ? '—' : s.lastReturn.toFixed(1));
  const perSeed = output.interval >= 1000; // plain lines (logs, CI)
  return {
    update(index) {
      const now = performance.now();
      const last = perSeed ? lastPrint[index] : Math.max(...lastPrint);
      if (now - last < output.interval) return;
      if (perSeed) {
        lastPrint[index] = now;
        const s = states[index];
        output.progress(
          `seed ${s.seed}: ${Math.min(s.step, totalTimesteps).toLocaleString('en-US')}/${totalTimesteps.toLocaleString('en-US')} steps (${percent(s)}%) | return ${returnOf(s)}`,
          percent(s) / 100,
        );
        return;
      }
      lastPrint.fill(now);
      const total = states.reduce((sum, s) => sum + Math.min(s.step, totalTimesteps), 0);
      output.progress(
        states.map((s) => `seed ${s.seed} ${percent(s)}% ${returnOf(s)}`).join(' | '),
        total / (totalTimesteps * states.length),
      );
    },
  };
}
