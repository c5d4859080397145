/**
 * Many seeds of one config in one process: `learnSeeds('ppo', config, [1, 2, 3, 4, 5], { totalTimesteps })`
 * trains one run per seed and returns each seed's model and rows, the same model and rows as
 * `createAlgorithm(algo, { ...config, seed }).learn({ totalTimesteps })` for that seed alone (each run is its own
 * process-independent computation: nothing is shared between seeds but the thread that runs them).
 *
 * Where the platform has threads (Node: the `seeds` port of `nodePorts`), up to `parallel` worker threads each
 * train their share of the seeds one after another, and the trained models come back through their final
 * checkpoints (exact: see checkpoint.ts). Without the port (a browser), the seeds run one after another here.
 *
 * A function, not a `seeds` option of the algorithm classes: a model is one policy (`predict`, `save`, `evaluate`
 * mean one network), as in SB3 where `seed` is a scalar; several seeds are several models, which is what rl-zoo
 * users get from a loop of runs and PureJaxRL users from `vmap` (a batch of parameter sets), and what this returns.
 */
import { describeValue, PolicygradError } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import type { Ports } from './ports.js';
import { type Algorithm, createAlgorithm, type MetricsRow } from './registry.js';

/** The algorithms that can train several seeds at once: the synchronous ones with exact checkpoints (not A3C). */
export const SEED_ALGORITHMS = [
  'ppo',
  'a2c',
  'trpo',
  'npg',
  'reinforce',
  'recurrent-ppo',
  'recurrent-a2c',
] as const;
export type SeedAlgorithmName = (typeof SEED_ALGORITHMS)[number];

/** Deterministic evaluation episodes at the end of each seed's run (as `policygrad train` reports). */
export const SEED_EVAL_EPISODES = 10;

/** One seed's run, as the `seeds` port is asked for it. */
export interface SeedRunSpec {
  algo: SeedAlgorithmName;
  seed: number;
  totalTimesteps: number;
  /** The algorithm's config for this seed (`seedRunConfig`). */
  config: Record<string, unknown>;
}

/** What a seed trained on another thread brings back. */
export interface SeedRunResult {
  rows: MetricsRow[];
  /** The final checkpoint, from which the model is rebuilt here (exact). */
  checkpoint: Checkpoint;
  finalEval: number;
}

/** The platform's threads for `learnSeeds` (Node: `nodeSeedThreads`, src/node/seed-threads.ts). */
export interface SeedThreads {
  /** How many runs can go at once (Node: the available parallelism). */
  readonly cores: number;
  /** Trains the runs on up to `parallel` threads; results in the order of `runs`. */
  train(
    runs: readonly SeedRunSpec[],
    options: { parallel: number; onRow?: (seed: number, row: MetricsRow) => void },
  ): Promise<SeedRunResult[]>;
}

export interface LearnSeedsOptions {
  totalTimesteps: number;
  /** Runs at once (default: min(seeds, cores) with the `seeds` port, else 1). */
  parallel?: number;
  /** Called for every row of every seed, as it arrives. */
  onRow?: (seed: number, row: MetricsRow) => void;
  /** The platform (Node: `nodePorts`); without `seeds` the runs go one after another in this thread. */
  ports?: Ports;
}

export interface SeedRun {
  seed: number;
  model: Algorithm;
  rows: MetricsRow[];
  /** Mean return of `SEED_EVAL_EPISODES` deterministic evaluation episodes at the end (what `train` prints). */
  finalEval: number;
}

/**
 * The config of one seed's run, when `atOnce` runs share the machine: the one place that decides what each of
 * several runs gets — its seed, and, beside other runs, one thread for its updates (`threads: 1`: the cores are
 * the other runs'; alone, the run keeps the `threads` it was given, by default 'auto').
 */
export function seedRunConfig(
  config: Record<string, unknown>,
  seed: number,
  atOnce: number,
): Record<string, unknown> {
  return { ...config, seed, ...(atOnce > 1 ? { threads: 1 } : {}) };
}

/** Checks a list of seeds: at least one, each a non-negative integer, no repeats (one line otherwise). */
export function checkSeeds(seeds: readonly unknown[]): number[] {
  if (seeds.length === 0) throw new PolicygradError('seeds: expected at least one seed, got none');
  const seen = new Set<number>();
  for (const seed of seeds) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
      throw new PolicygradError(`invalid seed ${describeValue(seed)}: expected a non-negative integer`);
    }
    if (seen.has(seed)) throw new PolicygradError(`seed ${seed} is given twice: each seed runs once`);
    seen.add(seed);
  }
  return [...seen];
}

export function checkSeedAlgorithm(algo: string): SeedAlgorithmName {
  if (!(SEED_ALGORITHMS as readonly string[]).includes(algo)) {
    throw new PolicygradError(
      `several seeds at once: algorithm ${describeValue(algo)} is not supported (expected one of ${SEED_ALGORITHMS.join(', ')}; a3c, impala and appo run their own threads: train their seeds one after another)`,
    );
  }
  return algo as SeedAlgorithmName;
}

/** Trains one run of `algo` per seed (see the module comment); results in the order of `seeds`. */
export async function learnSeeds(
  algo: string,
  config: Record<string, unknown>,
  seeds: readonly number[],
  options: LearnSeedsOptions,
): Promise<SeedRun[]> {
  const name = checkSeedAlgorithm(algo);
  const list = checkSeeds(seeds);
  const { totalTimesteps, ports = {}, onRow } = options;
  if (!Number.isSafeInteger(totalTimesteps) || totalTimesteps <= 0) {
    throw new PolicygradError(
      `learnSeeds: invalid totalTimesteps ${describeValue(totalTimesteps)}: expected a positive integer`,
    );
  }
  const threads = ports.seeds;
  const parallel = options.parallel ?? (threads === undefined ? 1 : Math.min(list.length, threads.cores));
  if (!Number.isSafeInteger(parallel) || parallel <= 0) {
    throw new PolicygradError(
      `learnSeeds: invalid parallel ${describeValue(parallel)}: expected a positive integer`,
    );
  }
  const atOnce = threads === undefined ? 1 : Math.min(parallel, list.length);
  if (atOnce > 1 && config.threads === 2) {
    throw new PolicygradError(
      `learnSeeds: threads 2 gives each run both cores, but ${atOnce} runs go at once here: pass parallel: 1 with it (or leave threads out: runs beside each other take one thread each)`,
    );
  }
  // Every config is checked here, before any thread starts: a mistake is one error, not one per seed.
  const models = list.map((seed) => createAlgorithm(name, seedRunConfig(config, seed, atOnce), ports));
  if (threads === undefined || atOnce === 1) {
    const runs: SeedRun[] = [];
    for (const [index, seed] of list.entries()) {
      runs.push(await trainHere(models[index], seed, totalTimesteps, onRow));
    }
    return runs;
  }
  const results = await threads.train(
    list.map((seed, index) => ({
      algo: name,
      seed,
      totalTimesteps,
      config: seedRunConfig(models[index].config, seed, atOnce),
    })),
    { parallel: atOnce, ...(onRow === undefined ? {} : { onRow }) },
  );
  return results.map(({ rows, checkpoint, finalEval }, index) => {
    models[index].restoreCheckpoint(checkpoint);
    return { seed: list[index], model: models[index], rows, finalEval };
  });
}

/** Milliseconds of training between returns to the event loop (a page stays responsive). */
const SLICE_MS = 50;

async function trainHere(
  model: Algorithm,
  seed: number,
  totalTimesteps: number,
  onRow: LearnSeedsOptions['onRow'],
): Promise<SeedRun> {
  const rows: MetricsRow[] = [];
  model.begin({ totalTimesteps });
  let sliceStart = performance.now();
  while (!model.done) {
    const row = model.iterate();
    rows.push(row);
    onRow?.(seed, row);
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      sliceStart = performance.now();
    }
  }
  return { seed, model, rows, finalEval: meanEvaluation(model) };
}

/** Mean return of `SEED_EVAL_EPISODES` deterministic episodes (the evaluation env's own seed, as `train`'s). */
export function meanEvaluation(model: Algorithm): number {
  const returns = model.evaluate(SEED_EVAL_EPISODES);
  return returns.reduce((a, b) => a + b, 0) / returns.length;
}
