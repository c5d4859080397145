/**
 * Several seeds' runs in one process, on Node's worker threads (src/node/seed-worker.ts), each run trained as a
 * sweep trial is (`runTrial`, src/node/sweep/trial.ts: rows, checkpoints when due, the final checkpoint, policy
 * and evaluation). Every `TrialEvent` comes back here tagged with its run's index: `policygrad train --seeds`
 * writes them into run directories (as the local sweep does), the `seeds` port (`nodeSeedThreads`, for
 * `learnSeeds`) collects each run's rows and final checkpoint.
 *
 * Who trains what: each thread trains its share of the seeds one after another, and when the seeds do not divide
 * evenly among the threads, one seed per thread boundary is split in two at a step count (McNaughton's
 * wrap-around rule for preemptive scheduling): five equal runs on two threads take 2.5 runs' time instead of 3. The
 * first part of a split seed runs at the start of one thread and ends with a checkpoint, handed (in memory) to the
 * thread that trains the rest at its end; the part before always ends before the part after starts, and resume is
 * exact (src/algos/checkpoint.ts), so the seed's rows, checkpoints and parameters are those of one uninterrupted run.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { MetricsRow } from '../algos/registry.js';
import type { Checkpoint } from '../algos/checkpoint.js';
import type { SeedRunResult, SeedThreads } from '../algos/seeds.js';
import { PolicygradError } from '../errors.js';
import { defaultKernels } from '../nn/backend.js';
import { resolveEnvModule } from './env-modules.js';
import type { TrialEvent, TrialTask } from './sweep/trial.js';
import { startWatchedWorker } from './watched-worker.js';

/** The shared stop flag's index in the control words. */
export const SEED_STOP = 0;

/**
 * One piece of a thread's work: run `index` from its start (`from: 'start'`) or from the checkpoint its first part
 * handed over (`'handoff'`), to its end or (`until`) to the first iteration that reaches that step.
 */
export interface SeedPiece {
  index: number;
  from: 'start' | 'handoff';
  until: number | null;
}

/**
 * Each thread's pieces for `count` runs of `budget` steps on `threads` threads: McNaughton's wrap-around over a
 * capacity of count × budget / threads steps per thread (never below one run); a run that straddles two threads
 * starts on the later thread (its first piece) and ends on the earlier one (its last piece, after that thread's
 * whole runs). With fewer runs than threads, one run per thread.
 */
export function planSeedPieces(count: number, budget: number, threads: number): SeedPiece[][] {
  const used = Math.max(1, Math.min(threads, count));
  const plan: SeedPiece[][] = Array.from({ length: used }, () => []);
  const capacity = Math.max(budget, (count * budget) / used);
  let thread = 0;
  let filled = 0;
  for (let index = 0; index < count; index++) {
    const room = capacity - filled;
    if (budget <= room + 1e-9 || thread === used - 1) {
      plan[thread].push({ index, from: 'start', until: null });
      filled += budget;
    } else {
      const first = Math.round(budget - room); // steps trained on the next thread, first
      plan[thread].push({ index, from: 'handoff', until: null });
      thread++;
      plan[thread].push({ index, from: 'start', until: first });
      filled = first;
    }
    if (filled >= capacity - 1e-9 && thread < used - 1) {
      thread++;
      filled = 0;
    }
  }
  return plan;
}

/** What a seed worker is started with. */
export interface SeedWorkerData {
  tasks: TrialTask[];
  /** This thread's pieces, in order. */
  pieces: SeedPiece[];
  imports: string[];
  /** The dense kernels: the starting thread's default (`--kernels`); a new thread would pick WebAssembly's. */
  kernels: 'wasm' | 'typescript';
  /** Int32 word SEED_STOP. */
  control: SharedArrayBuffer;
}

/** The checkpoint that ends a split run's first piece, and where its checkpoint schedule stood. */
export interface SeedHandoff {
  /** Where the checkpoint was taken, and the checkpoint serialised (as the trial's `checkpoint` event has it). */
  checkpoint: { step: number; iteration: number };
  json: string;
  nextCheckpoint: number | undefined;
}

/**
 * A message from a seed worker: an event of run `index`; the handoff of a split run's first piece; or a request
 * for that handoff, answered with `{ index, handoff }` (null: the run has nothing left to train).
 */
export type SeedWorkerMessage =
  | { type: 'event'; index: number; event: TrialEvent }
  | { type: 'handoff'; index: number; handoff: SeedHandoff; steps: number }
  | { type: 'need'; index: number };

export interface SeedThreadsRun {
  /** Asks each running run to checkpoint and stop (it then reports `stopped`); runs not started never start. */
  stop(): void;
  /** Resolves once every thread has exited. */
  readonly finished: Promise<void>;
}

/** Where the compiled worker script is: next to this module, or in dist/ when this module runs from src/. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/node/seed-worker.js', here)
    : new URL('./seed-worker.js', here);
}

/** Starts up to `parallel` threads on `tasks` (every task has the same budget), as `planSeedPieces` shares them. */
export function startSeedThreads(
  tasks: readonly TrialTask[],
  options: {
    parallel: number;
    imports: readonly string[];
    onEvent: (index: number, event: TrialEvent) => void;
  },
): SeedThreadsRun {
  const control = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const words = new Int32Array(control);
  const plan = planSeedPieces(tasks.length, tasks[0]?.timesteps ?? 1, options.parallel);
  /** Handoffs not taken yet (by run), and the threads waiting for one. */
  const handoffs = new Map<number, SeedHandoff & { steps: number }>();
  const waiting = new Map<number, Worker>();
  /** Runs that ended in their first piece (done, failed): nothing is handed over. */
  const ended = new Set<number>();
  const answer = (index: number) => {
    const worker = waiting.get(index);
    if (worker === undefined) return;
    const handoff = handoffs.get(index);
    if (handoff === undefined && !ended.has(index) && Atomics.load(words, SEED_STOP) === 0) return;
    waiting.delete(index);
    handoffs.delete(index);
    void worker.postMessage({ index, handoff: handoff ?? null });
  };
  const answerAll = () => [...waiting.keys()].forEach(answer);
  const exits = plan.map((pieces) => {
    const watched = startWatchedWorker(workerUrl(), {
      workerData: {
        tasks: [...tasks],
        pieces,
        imports: [...options.imports],
        kernels: defaultKernels().name === 'typescript' ? 'typescript' : 'wasm',
        control,
      } satisfies SeedWorkerData,
    });
    const worker = watched.worker;
    worker.on('message', (message: SeedWorkerMessage) => {
      if (message.type === 'event') {
        const { index, event } = message;
        if (event.type === 'done' || event.type === 'error' || event.type === 'stopped') ended.add(index);
        options.onEvent(index, event);
      } else if (message.type === 'handoff') {
        handoffs.set(message.index, { ...message.handoff, steps: message.steps });
      } else {
        waiting.set(message.index, worker);
      }
      answerAll();
    });
    // A thread that died (an uncaught error, process.exit in an env module) takes its runs with it: the others
    // stop, and once every thread has exited the run ends with why (a run's own failure is one of its events).
    let death: PolicygradError | null = null;
    const died = (error?: Error) => {
      Atomics.store(words, SEED_STOP, 1);
      answerAll();
      const seeds = [...new Set(pieces.map(({ index }) => tasks[index].seed))];
      const why = watched.ended() ?? `failed: ${String(error).split('\n')[0]}`;
      death ??= new PolicygradError(
        `the thread of seed${seeds.length === 1 ? '' : 's'} ${seeds.join(',')} ${why}`,
      );
    };
    worker.on('error', died);
    return new Promise<PolicygradError | null>((resolve) => {
      worker.on('exit', (code) => {
        if (code !== 0) died();
        resolve(death);
      });
    });
  });
  const finished = Promise.all(exits).then((deaths) => {
    // Stopped before a split run's last piece started: its handed-over checkpoint is the one to resume from.
    for (const [index, { checkpoint, json, steps, nextCheckpoint }] of handoffs) {
      options.onEvent(index, {
        type: 'checkpoint',
        checkpoint,
        json,
        last: true,
      });
      options.onEvent(index, {
        type: 'stopped',
        steps,
        ...(nextCheckpoint === undefined ? {} : { nextCheckpoint }),
      });
    }
    const death = deaths.find((d) => d !== null);
    if (death !== undefined) throw death;
  });
  return {
    stop: () => {
      Atomics.store(words, SEED_STOP, 1);
      answerAll();
    },
    finished,
  };
}

/**
 * The `seeds` port for `learnSeeds`: each run to its end with no checkpoint before the final one, which carries
 * the trained model back to the calling thread. A run that fails stops the others and rejects with its message.
 */
export const nodeSeedThreads: SeedThreads = {
  cores: availableParallelism(),
  async train(runs, { parallel, onRow }) {
    const tasks: TrialTask[] = runs.map(({ algo, seed, totalTimesteps, config }) => ({
      algo,
      env: String(config.env),
      seed,
      timesteps: totalTimesteps,
      checkpointEvery: Number.MAX_SAFE_INTEGER,
      config,
    }));
    // Registrations are per thread: the runs' envModules (relative to this working directory) are imported first.
    const imports = [
      ...new Set(
        runs.flatMap(({ config }) =>
          Array.isArray(config.envModules) ? config.envModules.map((m) => resolveEnvModule(String(m))) : [],
        ),
      ),
    ];
    const results = runs.map(() => ({
      rows: [] as MetricsRow[],
      checkpoint: null as Checkpoint | null,
      finalEval: null as number | null,
    }));
    let failure: Error | null = null;
    const run = startSeedThreads(tasks, {
      parallel,
      imports,
      onEvent: (index, event) => {
        const result = results[index];
        if (event.type === 'row') {
          result.rows.push(event.row as MetricsRow);
          onRow?.(runs[index].seed, event.row as MetricsRow);
        } else if (event.type === 'checkpoint' && event.last === true && event.json !== undefined) {
          result.checkpoint = JSON.parse(event.json) as Checkpoint;
        } else if (event.type === 'done') {
          result.finalEval = event.finalEval;
        } else if (event.type === 'error' && failure === null) {
          const message = `seed ${runs[index].seed}: ${event.message}`;
          failure = event.userError ? new PolicygradError(message) : new Error(message);
          run.stop();
        }
      },
    });
    await run.finished;
    if (failure !== null) throw failure;
    return results.map(({ rows, checkpoint, finalEval }, index): SeedRunResult => {
      if (checkpoint === null || finalEval === null) {
        throw new Error(`seed ${runs[index].seed}: its thread ended before the run did`);
      }
      return { rows, checkpoint, finalEval };
    });
  },
};
