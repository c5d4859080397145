/**
 * The sweep spec (`policygrad sweep spec.yaml`): what to train, on which seeds, over which search space.
 *
 *   name: ppo-cartpole-lr          # optional; default: the file's name
 *   algo: ppo
 *   env: CartPole-v1
 *   preset: zoo                    # optional, as `train --preset`
 *   config: { nEpochs: 10 }        # optional: fixed options for every trial
 *   timesteps: 50000
 *   seeds: [1, 2, 3, 4]
 *   grid: { learningRate: [0.001, 0.0003], clipRange: [0.1, 0.2] }
 *   random: { trials: 8, entCoef: { loguniform: [0.0001, 0.01] } }
 *   sampleSeed: 0                  # optional: the seed of the random search (default 0)
 *
 * Configs: the grid's product; with `random`, each of its `trials` draws is combined with every grid point (Ray
 * Tune's `num_samples` × grid). Every config runs on every seed. Draws come from the sweep's own seeded `Rng`, so
 * the same spec gives the same trials. Every key and value is checked against the algorithm's config schema here,
 * before anything runs.
 */
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { describeValue, PolicygradError } from '../errors.js';
import { Rng } from '../rng.js';
import { levenshtein } from '../text.js';
import { type AshaOptions, MAX_RUNGS, rungSteps } from '../node/sweep/asha.js';
import type { SweepInfo } from '../node/sweep/summary.js';
import { configFieldOf, configKeysOf } from './algo-schemas.js';
import { readConfigFile, unknownAlgorithm } from './run-options.js';

/** The algorithms a sweep runs: those with exact checkpoints (A3C's lock-free updates have none). */
export const SWEEP_ALGORITHMS = ['ppo', 'a2c', 'trpo', 'npg', 'reinforce'] as const;

/** Keys a search space may not vary: the env is the sweep's, the seed comes from `seeds`. */
const FIXED_KEYS = new Set(['env', 'seed']);

const distributionSchema = z.union([
  z.strictObject({ choice: z.array(z.unknown()).min(1) }),
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]) }),
  z.strictObject({ loguniform: z.tuple([z.number().positive(), z.number().positive()]) }),
  z.strictObject({ int: z.tuple([z.number().int(), z.number().int()]) }),
]);
type Distribution = z.infer<typeof distributionSchema>;

const specSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-"')
    .optional(),
  algo: z.string(),
  env: z.string().min(1),
  preset: z.string().nullable().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  timesteps: z.number().int().positive(),
  seeds: z.array(z.number().int().nonnegative()).min(1),
  grid: z.record(z.string(), z.array(z.unknown()).min(1)).optional(),
  random: z.looseObject({ trials: z.number().int().positive() }).optional(),
  sampleSeed: z.number().int().nonnegative().optional(),
  checkpointEvery: z.number().int().positive().optional(),
  asha: z
    .strictObject({
      metric: z.string().optional(),
      mode: z.enum(['max', 'min']).optional(),
      gracePeriod: z.number().int().positive(),
      reductionFactor: z.number().gt(1).optional(),
    })
    .optional(),
});

/** The metrics an ASHA spec may compare (columns of metrics.csv that describe how well a trial does). */
export const ASHA_METRICS = [
  'episodeReturnMean',
  'episodeLengthMean',
  'policyLoss',
  'valueLoss',
  'entropy',
  'approxKl',
  'explainedVariance',
] as const;

/** What to train (name, algo, env, preset, fixed config, timesteps, seeds) and the search space. */
export interface SweepSpec extends Omit<SweepInfo, 'backend'> {
  grid: Record<string, unknown[]>;
  random: { trials: number; space: Record<string, Distribution> } | null;
  sampleSeed: number;
  /** Environment steps between checkpoints (default: a tenth of the budget, as `train`). */
  checkpointEvery: number;
  /** Early stopping by asynchronous successive halving (src/node/sweep/asha.ts), or null. */
  asha: Omit<AshaOptions, 'timesteps'> | null;
}

/** One config of the sweep: its index and the values the search space chose. */
export interface SweepConfig {
  index: number;
  params: Record<string, unknown>;
}

/** One trial: a config on one seed. */
export interface SweepTrial {
  /** `c03-seed2`: the run directory's name and the trial's id (in Redis keys too). */
  id: string;
  config: number;
  params: Record<string, unknown>;
  seed: number;
}

/** Reads and validates a spec file; errors name the file, the key, the value and what is accepted. */
export function readSweepSpec(path: string): SweepSpec {
  return parseSweepSpec(readConfigFile(path), path);
}

export function parseSweepSpec(raw: Record<string, unknown>, path: string): SweepSpec {
  const where = `sweep spec ${path}`;
  const result = specSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const accepted = Object.keys(specSchema.shape);
      throw new PolicygradError(
        `${where}: unknown key ${issue.keys.map((k) => `'${k}'`).join(', ')}${closeTo(issue.keys[0], accepted)}; accepted: ${accepted.join(', ')}`,
      );
    }
    const key = issue.path.map(String).join('.');
    throw new PolicygradError(
      `${where}: ${key === '' ? 'the spec' : `'${key}'`} = ${describeValue(valueAt(raw, issue.path))} is invalid: ${issue.message}`,
    );
  }
  const spec = result.data;
  if (!(SWEEP_ALGORITHMS as readonly string[]).includes(spec.algo)) {
    if (spec.algo === 'a3c') {
      throw new PolicygradError(
        `${where}: algo 'a3c' cannot be swept (its lock-free updates have no checkpoints to resume a trial from): expected one of ${SWEEP_ALGORITHMS.join(', ')}`,
      );
    }
    throw new PolicygradError(`${where}: ${unknownAlgorithm(spec.algo).message}`);
  }
  const config = spec.config ?? {};
  const grid = spec.grid ?? {};
  const { trials, ...space } = spec.random ?? { trials: 0 };
  checkKeys(where, spec.algo, 'config', Object.keys(config));
  checkKeys(where, spec.algo, 'grid', Object.keys(grid));
  checkKeys(where, spec.algo, 'random', Object.keys(space));
  for (const [key, value] of Object.entries(config))
    checkValue(where, spec.algo, `config.${key}`, key, value);
  for (const [key, values] of Object.entries(grid)) {
    values.forEach((v, i) => checkValue(where, spec.algo, `grid.${key}[${i}]`, key, v));
  }
  const distributions: Record<string, Distribution> = {};
  for (const [key, value] of Object.entries(space)) {
    distributions[key] = checkDistribution(where, spec.algo, key, value);
  }
  const seen = new Map<string, string>();
  for (const [part, keys] of [
    ['config', Object.keys(config)],
    ['grid', Object.keys(grid)],
    ['random', Object.keys(space)],
  ] as const) {
    for (const key of keys) {
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new PolicygradError(
          `${where}: '${key}' is in both ${earlier} and ${part}: give each option in one place`,
        );
      }
      seen.set(key, part);
    }
  }
  const asha = spec.asha === undefined ? null : checkAsha(where, spec.asha, spec.timesteps);
  if (new Set(spec.seeds).size !== spec.seeds.length) {
    throw new PolicygradError(`${where}: 'seeds' = ${describeValue(spec.seeds)} repeats a seed`);
  }
  return {
    name: spec.name ?? defaultName(path),
    algo: spec.algo,
    env: spec.env,
    ...(spec.preset === undefined ? {} : { preset: spec.preset === 'none' ? null : spec.preset }),
    config,
    timesteps: spec.timesteps,
    seeds: spec.seeds,
    grid,
    random: spec.random === undefined ? null : { trials, space: distributions },
    sampleSeed: spec.sampleSeed ?? 0,
    checkpointEvery: spec.checkpointEvery ?? Math.max(1, Math.round(spec.timesteps / 10)),
    asha,
  };
}

function checkAsha(
  where: string,
  asha: { metric?: string; mode?: 'max' | 'min'; gracePeriod: number; reductionFactor?: number },
  timesteps: number,
): Omit<AshaOptions, 'timesteps'> {
  const metric = asha.metric ?? 'episodeReturnMean';
  if (!(ASHA_METRICS as readonly string[]).includes(metric)) {
    throw new PolicygradError(
      `${where}: asha.metric = ${describeValue(metric)} is not a metric the trials report${closeTo(metric, ASHA_METRICS)}; accepted: ${ASHA_METRICS.join(', ')}`,
    );
  }
  if (asha.gracePeriod >= timesteps) {
    throw new PolicygradError(
      `${where}: asha.gracePeriod = ${asha.gracePeriod} is invalid: expected fewer steps than timesteps (${timesteps}), or no asha`,
    );
  }
  const checked = {
    metric,
    mode: asha.mode ?? 'max',
    gracePeriod: asha.gracePeriod,
    reductionFactor: asha.reductionFactor ?? 3,
  } as const;
  const rungs = rungSteps({ ...checked, timesteps }).length;
  if (rungs > MAX_RUNGS) {
    throw new PolicygradError(
      `${where}: asha gives ${rungs} rungs (gracePeriod ${checked.gracePeriod} · reductionFactor ${checked.reductionFactor}^k below ${timesteps} steps); at most ${MAX_RUNGS}: raise asha.reductionFactor or asha.gracePeriod`,
    );
  }
  return checked;
}

/** The configs: the grid's product, times the random draws (each draw on every grid point). */
export function sweepConfigs(spec: SweepSpec): SweepConfig[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(spec.grid)) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  const configs: Record<string, unknown>[] = [];
  if (spec.random === null) configs.push(...points);
  else {
    const rng = Rng.fromSeed(spec.sampleSeed);
    for (let t = 0; t < spec.random.trials; t++) {
      for (const point of points) {
        const draw: Record<string, unknown> = {};
        for (const [key, distribution] of Object.entries(spec.random.space)) {
          draw[key] = sample(distribution, rng);
        }
        configs.push({ ...point, ...draw });
      }
    }
  }
  return configs.map((params, index) => ({ index, params }));
}

/** Every config on every seed, config by config. */
export function sweepTrials(spec: SweepSpec): SweepTrial[] {
  const width = String(Math.max(0, sweepConfigs(spec).length - 1)).length;
  return sweepConfigs(spec).flatMap(({ index, params }) =>
    spec.seeds.map((seed) => ({
      id: `c${String(index).padStart(Math.max(2, width), '0')}-seed${seed}`,
      config: index,
      params,
      seed,
    })),
  );
}

/** The algorithm config of one trial (what `train` would build from the same preset, options and seed). */
export function trialConfig(spec: SweepSpec, trial: SweepTrial): Record<string, unknown> {
  return {
    env: spec.env,
    ...(spec.preset === undefined ? {} : { preset: spec.preset }),
    ...spec.config,
    ...trial.params,
    seed: trial.seed,
  };
}

function sample(distribution: Distribution, rng: Rng): unknown {
  if ('choice' in distribution) return distribution.choice[rng.integer(0, distribution.choice.length)];
  if ('uniform' in distribution) return rng.uniform(distribution.uniform[0], distribution.uniform[1]);
  if ('loguniform' in distribution) {
    const [low, high] = distribution.loguniform;
    return Math.exp(rng.uniform(Math.log(low), Math.log(high)));
  }
  const [low, high] = distribution.int; // inclusive, as Optuna's suggest_int
  return rng.integer(low, high + 1);
}

function checkKeys(where: string, algo: string, part: string, keys: string[]): void {
  const accepted = [...configKeysOf(algo)].filter((k) => !FIXED_KEYS.has(k));
  for (const key of keys) {
    if (FIXED_KEYS.has(key)) {
      throw new PolicygradError(
        `${where}: ${part}.${key} cannot be set here: ${key === 'seed' ? "a sweep's seeds are its 'seeds' list" : "a sweep's env is its 'env' key"}`,
      );
    }
    if (!accepted.includes(key)) {
      throw new PolicygradError(
        `${where}: ${part}.${key} is not a ${algo} option${closeTo(key, accepted)}; accepted: ${accepted.join(', ')}`,
      );
    }
  }
}

/** `checked` (default: `value`) is what is parsed; `value` what the message shows. */
function checkValue(
  where: string,
  algo: string,
  label: string,
  key: string,
  value: unknown,
  checked: unknown = value,
): void {
  const field = configFieldOf(algo, key);
  const parsed = field?.safeParse(checked);
  if (parsed !== undefined && !parsed.success) {
    throw new PolicygradError(
      `${where}: ${label} = ${describeValue(value)} is invalid for ${algo}: ${parsed.error.issues[0].message}`,
    );
  }
}

function checkDistribution(where: string, algo: string, key: string, value: unknown): Distribution {
  const parsed = distributionSchema.safeParse(value);
  if (!parsed.success) {
    throw new PolicygradError(
      `${where}: random.${key} = ${describeValue(value)} is invalid: expected one of { choice: [values] }, { uniform: [low, high] }, { loguniform: [low > 0, high] }, { int: [low, high] }`,
    );
  }
  const distribution = parsed.data;
  if ('choice' in distribution) {
    distribution.choice.forEach((v, i) => checkValue(where, algo, `random.${key}.choice[${i}]`, key, v));
    return distribution;
  }
  const [kind, [low, high]] = Object.entries(distribution)[0] as [string, [number, number]];
  if (!(low < high)) {
    throw new PolicygradError(
      `${where}: random.${key}.${kind} = ${describeValue([low, high])} is invalid: expected [low, high] with low < high`,
    );
  }
  // Both ends must be values the option accepts (the draws lie between them).
  checkValue(where, algo, `random.${key}.${kind}[0]`, key, low);
  // uniform draws stay below `high`: an option open at its top (0 < x < 1) accepts [low, 1).
  const top = kind === 'uniform' ? low + (high - low) * (1 - 1e-12) : high;
  checkValue(where, algo, `random.${key}.${kind}[1]`, key, high, top);
  return distribution;
}

function closeTo(key: string, accepted: readonly string[]): string {
  const close = accepted.filter((name) => levenshtein(key.toLowerCase(), name.toLowerCase()) <= 2);
  return close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (obj, key) =>
      obj !== null && typeof obj === 'object' ? (obj as Record<PropertyKey, unknown>)[key] : undefined,
    raw,
  );
}

function defaultName(path: string): string {
  const name = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, '-');
  return /^[A-Za-z0-9]/.test(name) ? name : `sweep-${name}`;
}
