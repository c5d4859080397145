/**
 * Several seeds' runs in one process, on Node's worker threads: `parallel` threads (src/node/seed-worker.ts) take
 * the runs from one shared counter and train each to its end as a sweep trial does (`runTrial`,
 * src/node/sweep/trial.ts: rows, checkpoints when due, the final checkpoint, policy and evaluation), so a thread
 * trains its share of the seeds one after another. Every `TrialEvent` comes back here tagged with its run's
 * index: `policygrad train --seeds` writes them into run directories (as the local sweep does), the `seeds` port
 * (`nodeSeedThreads`, for `learnSeeds`) collects each run's rows and final checkpoint.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MetricsRow } from '../algos/registry.js';
import type { Checkpoint } from '../algos/checkpoint.js';
import type { SeedRunResult, SeedThreads } from '../algos/seeds.js';
import { PolicygradError } from '../errors.js';
import { defaultKernels } from '../nn/backend.js';
import { resolveEnvModule } from './env-modules.js';
import type { TrialEvent, TrialTask } from './sweep/trial.js';

/** The shared control words: the next run to take, and the stop flag. */
export const SEED_NEXT = 0;
export const SEED_STOP = 1;

/** What a seed worker is started with. */
export interface SeedWorkerData {
  tasks: TrialTask[];
  imports: string[];
  /** The dense kernels: the starting thread's default (`--kernels`); a new thread would pick WebAssembly's. */
  kernels: 'wasm' | 'typescript';
  /** Int32 words SEED_NEXT and SEED_STOP. */
  control: SharedArrayBuffer;
}

/** A message from a seed worker: one event of the run `index`. */
export interface SeedWorkerMessage {
  index: number;
  event: TrialEvent;
}

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

/** Starts `parallel` threads on `tasks` (each thread: the next untaken task, until none is left or stop). */
export function startSeedThreads(
  tasks: readonly TrialTask[],
  options: {
    parallel: number;
    imports: readonly string[];
    onEvent: (index: number, event: TrialEvent) => void;
  },
): SeedThreadsRun {
  const control = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const words = new Int32Array(control);
  const workerData: SeedWorkerData = {
    tasks: [...tasks],
    imports: [...options.imports],
    kernels: defaultKernels().name === 'typescript' ? 'typescript' : 'wasm',
    control,
  };
  const threads = Math.max(1, Math.min(options.parallel, tasks.length));
  const exits = Array.from({ length: threads }, () => {
    const worker = new Worker(workerUrl(), { workerData });
    worker.on('message', ({ index, event }: SeedWorkerMessage) => options.onEvent(index, event));
    return new Promise<void>((resolve, reject) => {
      worker.on('error', (error) => {
        Atomics.store(words, SEED_STOP, 1); // a thread that died takes its runs with it: stop the others
        reject(error);
      });
      worker.on('exit', () => resolve());
    });
  });
  return {
    stop: () => Atomics.store(words, SEED_STOP, 1),
    finished: Promise.all(exits).then(() => undefined),
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
        } else if (event.type === 'checkpoint') {
          result.checkpoint = event.checkpoint as Checkpoint;
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
