/**
 * One sweep trial, run to its end or to a stop: the algorithm built from a validated task, trained with a
 * checkpoint every `checkpointEvery` steps, then its final policy and a deterministic evaluation (10 episodes, as
 * `policygrad train` reports). Everything it produces leaves as `TrialEvent`s, so whoever runs it decides where
 * they go: the local sweep writes them into a run directory, a Redis worker ships them to the submitting machine.
 *
 * A task may carry a checkpoint to resume from; because resume is exact (src/algos/checkpoint.ts), a trial
 * resumed on another machine produces the rows an uninterrupted run would.
 */
import { z } from 'zod';
import { PolicygradError } from '../../errors.js';
import { policyFileOf } from '../../algos/persistence.js';
import { divergence, DIVERGENCE_HINT } from '../../algos/divergence.js';
import { type Algorithm, createAlgorithm } from '../../algos/registry.js';
import { loadEnvEngine } from '../../envs/load-engine.js';
import type { PolicyFile } from '../../policies/serialize.js';
import { importEnvModules } from '../env-modules.js';
import { MAX_RUNGS } from './asha.js';
import { nodePorts } from '../ports.js';

/** What a trial process is asked to run: validated on arrival (it may come from another machine). */
export const trialTaskSchema = z.strictObject({
  algo: z.enum(['ppo', 'a2c', 'trpo', 'npg', 'reinforce', 'recurrent-ppo', 'recurrent-a2c']),
  env: z.string().min(1),
  seed: z.number().int().nonnegative(),
  timesteps: z.number().int().positive(),
  checkpointEvery: z.number().int().positive(),
  /** The algorithm config (env, preset and seed included); the algorithm validates it. */
  config: z.record(z.string(), z.unknown()),
  /** A checkpoint of this trial to continue from (validated by the algorithm's restoreCheckpoint). */
  resume: z.unknown().optional(),
  /**
   * With `resume`: the step of the next periodic checkpoint, as the stopped trial had it (its `stopped` event), so
   * that the continued trial checkpoints where an uninterrupted one would; default: the resumed step + every.
   */
  nextCheckpoint: z.number().int().positive().optional(),
  /**
   * Early stopping's rungs (steps, ascending; src/node/sweep/asha.ts): the first row at or past a rung carries it,
   * and the trial waits for the sweep's verdict (`awaitVerdict`) before training on. So a pruned trial stops at the
   * rung, as a Ray Tune trial waits at each report, and the rungs see the trials in the same order however long
   * the verdict takes to come back (from another machine, through Redis).
   */
  rungs: z.array(z.number().int().positive()).max(MAX_RUNGS).optional(),
});
export type TrialTask = z.infer<typeof trialTaskSchema>;

export type TrialEvent =
  /** The trial started (or resumed after `resumedFrom`): the resolved config, as `train` records it. */
  | {
      type: 'begin';
      config: Record<string, unknown>;
      resumedFrom: { step: number; iteration: number } | null;
    }
  /**
   * One iteration's metrics row (the row `metrics.csv` gets). `rung`: the row is the trial's first at or past that
   * rung (the highest it reached), and the trial waits for the sweep's verdict before training on.
   */
  | { type: 'row'; row: Record<string, unknown>; rung?: number }
  /**
   * A checkpoint, serialised once where it is taken (`json`); `last` when the trial stops or finishes next. Through
   * Redis only the last one travels with its `json` to the submitting side (the others stay under the trial's key,
   * for a worker that takes the trial over), so there `json` may be absent.
   */
  | {
      type: 'checkpoint';
      checkpoint: { step: number; iteration: number };
      json?: string;
      last?: boolean;
    }
  /** The budget is used: the final policy and the mean return of 10 deterministic evaluation episodes. */
  | { type: 'done'; finalEval: number; steps: number; policy: PolicyFile }
  /** Stopped on request after a checkpoint at `steps`; `nextCheckpoint` continues its checkpoint schedule. */
  | { type: 'stopped'; steps: number; nextCheckpoint?: number }
  /** A user error (bad config, unknown env: retrying cannot help) or a crash. */
  | { type: 'error'; message: string; userError: boolean };

const count = z.number().int().nonnegative();
const progress = z.looseObject({ step: count, iteration: count });

/**
 * A `TrialEvent` that arrived from elsewhere (a worker, through Redis): checked before it touches a run directory
 * (a checkpoint's step names its file, a row's cells must be numbers).
 */
export const trialEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('begin'),
    config: z.record(z.string(), z.unknown()),
    resumedFrom: progress.nullable(),
  }),
  z.strictObject({
    type: z.literal('row'),
    row: z.record(z.string(), z.unknown()).and(z.looseObject({ step: count })),
    rung: count.optional(),
  }),
  z.strictObject({
    type: z.literal('checkpoint'),
    checkpoint: z.strictObject({ step: count, iteration: count }),
    json: z.string().optional(),
    last: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('done'),
    finalEval: z.number(),
    steps: count,
    policy: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({ type: z.literal('stopped'), steps: count, nextCheckpoint: count.optional() }),
  z.strictObject({ type: z.literal('error'), message: z.string(), userError: z.boolean() }),
]);

/** Milliseconds of training between returns to the event loop: a stop request is seen, and the events (queued on
 * the IPC channel while training runs) leave, at least this often. */
const SLICE_MS = 50;
const EVAL_EPISODES = 10;

/**
 * How a trial hears from whoever runs it: `shouldStop` is polled between iterations; `awaitVerdict(rung)`
 * resolves when the sweep has read the row that reached `rung` (a prune arrives as a stop request first):
 * `again` when the row had nothing to judge (no episode finished yet), so the next row carries the rung again.
 * Without `awaitVerdict` (seed runs have no rungs) the trial never waits.
 */
export interface TrialControl {
  shouldStop: () => boolean;
  awaitVerdict?: (rung: number) => Promise<RungVerdict>;
}

/** What a trial waiting at a rung hears: judged (go on, or a stop came first), or `again` (nothing to judge yet). */
export type RungVerdict = 'judged' | 'again';

/**
 * Runs `task` (unvalidated input) and reports through `emit`, told to stop or go on by `control`.
 * Never throws: a failure is the last event.
 */
export async function runTrial(
  task: unknown,
  imports: readonly string[],
  emit: (event: TrialEvent) => void,
  control: TrialControl,
): Promise<void> {
  try {
    await train(parseTask(task), imports, emit, control);
  } catch (error) {
    const userError = error instanceof PolicygradError;
    const message =
      error instanceof Error ? (userError ? error.message : String(error.stack)) : String(error);
    emit({ type: 'error', message, userError });
  }
}

export function parseTask(task: unknown): TrialTask {
  const parsed = trialTaskSchema.safeParse(task);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PolicygradError(`invalid trial task: '${issue.path.map(String).join('.')}' ${issue.message}`);
}

/**
 * A trial's run options: its config with one update thread (trials share the machine's cores) and, unless it names
 * its own, `envModules`: the modules this process imported (resolved), which an async vector env's worker threads
 * import too (registrations are per thread), as `policygrad train --import` records them.
 */
export function trialRunConfig(
  config: Record<string, unknown>,
  imported: readonly string[] = [],
): Record<string, unknown> {
  const own = Array.isArray(config.envModules) && config.envModules.length > 0;
  return { ...config, threads: 1, ...(own || imported.length === 0 ? {} : { envModules: [...imported] }) };
}

async function train(
  task: TrialTask,
  imports: readonly string[],
  emit: (event: TrialEvent) => void,
  control: TrialControl,
): Promise<void> {
  const imported = await importEnvModules(imports);
  await loadEnvEngine(task.env);
  if (task.config.env !== task.env || task.config.seed !== task.seed) {
    throw new PolicygradError('invalid trial task: config.env and config.seed must equal env and seed');
  }
  // nodePorts: a trial runs like `policygrad train`, `vectorEnv: 'async'` on worker threads included. One update
  // thread: a sweep's trials run side by side (--parallel, several workers per machine) and share the cores, as
  // several seeds do (the two-thread update took local --parallel 2 from 1.84× to 1.29× one trial at a time).
  const model = createAlgorithm(task.algo, trialRunConfig(task.config, imported), nodePorts);
  try {
    await trainModel(model, task, emit, control);
  } finally {
    model.env.close(); // an async vector env's worker threads end with the trial
    model.close?.(); // and the update's second thread (`threads`), if it has one
  }
}

/** The highest rung `step` reached, removed from `rungs` with the lower ones (each is judged once), or null. */
function rungReached(rungs: number[], step: number): number | null {
  let reached: number | null = null;
  while (rungs.length > 0 && rungs[0] <= step) reached = rungs.shift() ?? null;
  return reached;
}

/**
 * As `policygrad train` drives a run (src/cli/train.ts): `begin` once, then `iterate()` until the schedule is
 * used, a checkpoint when one is due (and before stopping or finishing).
 */
async function trainModel(
  model: Algorithm,
  task: TrialTask,
  emit: (event: TrialEvent) => void,
  { shouldStop, awaitVerdict }: TrialControl,
): Promise<void> {
  let resumedFrom: { step: number; iteration: number } | null = null;
  if (task.resume !== undefined) {
    model.restoreCheckpoint(task.resume); // validates format, algorithm and env first
    const { step, iteration } = task.resume as { step: number; iteration: number };
    resumedFrom = { step, iteration };
  }
  emit({ type: 'begin', config: model.config as Record<string, unknown>, resumedFrom });
  const checkpoint = (last = false) => {
    const saved = model.checkpoint();
    const { step, iteration } = saved;
    emit({ type: 'checkpoint', checkpoint: { step, iteration }, json: JSON.stringify(saved), last });
  };

  const { timesteps, checkpointEvery } = task;
  // Rungs at or below the resumed step were judged before (by the rows of the run this one continues).
  const rungs =
    awaitVerdict === undefined
      ? []
      : (task.rungs ?? []).filter((r) => r > model.numTimesteps).sort((a, b) => a - b);
  let nextCheckpoint = task.nextCheckpoint ?? (resumedFrom?.step ?? 0) + checkpointEvery;
  if (model.numTimesteps < timesteps) {
    // Fresh: the whole budget. Resumed: the steps left, keeping the saved schedule.
    model.begin(
      resumedFrom === null
        ? { totalTimesteps: timesteps }
        : { totalTimesteps: timesteps - model.numTimesteps, resetProgress: false },
    );
    let sliceStart = performance.now();
    while (!model.done) {
      const row = model.iterate();
      // As `policygrad train`: a diverged iteration ends the trial before its row is written.
      const problem = divergence(row, model.policy.params);
      if (problem !== null) {
        throw new PolicygradError(
          `iteration ${row.iteration} (step ${row.step}): ${problem}; training stopped (its checkpoints are in the run directory). ${DIVERGENCE_HINT}`,
        );
      }
      const rung = rungReached(rungs, row.step);
      emit(rung === null ? { type: 'row', row } : { type: 'row', row, rung });
      if (rung !== null && awaitVerdict !== undefined && (await awaitVerdict(rung)) === 'again') {
        rungs.unshift(rung);
      }
      if (row.step >= nextCheckpoint && !model.done) {
        checkpoint();
        nextCheckpoint = row.step + checkpointEvery;
      }
      // Pruned at a rung its last row reached: stopped all the same (not evaluated, not a completed trial).
      if (shouldStop() && (!model.done || rung !== null)) {
        checkpoint(true);
        emit({ type: 'stopped', steps: model.numTimesteps, nextCheckpoint });
        return;
      }
      // Return to the event loop now and then, between two iterations: stop requests arrive, events leave.
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }
  checkpoint(true);
  const policy = policyFileOf(model, task.algo);
  const returns = model.evaluate(EVAL_EPISODES);
  const finalEval = returns.reduce((a, b) => a + b, 0) / returns.length;
  emit({ type: 'done', finalEval, steps: model.numTimesteps, policy });
}
