/**
 * What `policygrad train` runs, resolved once: the algorithm, env, seed and preset may come from a flag, a
 * `--set key=value`, the `--config` file or the default, with one precedence (flag > --set > config file >
 * default; the preset, or an rl-zoo file's block, then fills the hyperparameters it has, under all of these). Every later use (the headline,
 * the run directory's name, config.json, policy.json, eval, plot legends) reads the resolved values.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ALGORITHMS } from '../algos/registry.js';
import { describeValue, PolicygradError } from '../errors.js';
import { levenshtein } from '../text.js';
import { listPresets } from '../algos/presets.js';
import { configFromFile, ZOO_YAML_OPTIONS } from './zoo-config.js';

/**
 * Every algorithm the CLI trains (IMPALA and APPO run their actors on worker threads or other processes, so they
 * are not in the core's registry).
 */
export const CLI_ALGORITHMS: readonly string[] = [...Object.keys(ALGORITHMS), 'impala', 'appo'];

export const DEFAULT_ALGO = 'ppo';
export const DEFAULT_ENV = 'CartPole-v1';
export const DEFAULT_SEED = 0;

/** The run-level keys: they choose what runs rather than how the algorithm learns. */
const RUN_KEYS = ['algo', 'env', 'seed', 'preset'] as const;

export interface RunFlags {
  algo?: string;
  env?: string;
  seed?: number;
  preset?: string;
  config?: string;
  set: string[];
  nEnvs?: number;
}

export interface ResolvedRun {
  algo: string;
  env: string;
  seed: number;
  /** For the headline: the preset's name, 'none', or the rl-zoo block. */
  presetLabel: string;
  /** The algorithm's config (env, preset and seed included), before the algorithm validates it. */
  config: Record<string, unknown>;
  /** rl-zoo's `n_timesteps`, when the config file is an rl-zoo file that sets it. */
  fileTimesteps?: number;
  /** For the headline: which rl-zoo block the hyperparameters came from. */
  fileNote?: string;
}

/** Resolves the flags, `--set` pairs and `--config` file into one run. */
export function resolveRun(flags: RunFlags): ResolvedRun {
  const file = flags.config === undefined ? {} : readConfigFile(flags.config);
  const sets = parseSets(flags.set);
  const pick = (key: (typeof RUN_KEYS)[number]): unknown =>
    flags[key] !== undefined ? flags[key] : key in sets ? sets[key] : file[key];

  const algo = pick('algo') ?? DEFAULT_ALGO;
  if (typeof algo !== 'string' || !CLI_ALGORITHMS.includes(algo)) throw unknownAlgorithm(algo);
  const env = pick('env') ?? DEFAULT_ENV;
  if (typeof env !== 'string' || env === '') {
    throw new PolicygradError(
      `invalid env ${describeValue(env)}: expected an environment id such as 'CartPole-v1'`,
    );
  }
  const seed = pick('seed') ?? DEFAULT_SEED;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new PolicygradError(`invalid seed ${describeValue(seed)}: expected a non-negative integer`);
  }
  const presetChoice = pick('preset');
  if (presetChoice !== undefined && presetChoice !== null && typeof presetChoice !== 'string') {
    throw new PolicygradError(
      `invalid preset ${describeValue(presetChoice)}: expected a preset name, or 'none' for the defaults`,
    );
  }
  // An rl-zoo file (top-level keys are env ids) gives the block for this env, translated to our names: the
  // reference's whole set, applied as the preset (on the library defaults, as rl-zoo does, not on our own preset).
  const fromFile =
    flags.config === undefined ? { config: {} } : configFromFile(file, { path: flags.config, algo, env });
  const { zooPreset } = fromFile;
  if (zooPreset !== undefined && presetChoice !== undefined) {
    throw new PolicygradError(
      `--config ${flags.config} is an rl-zoo file, whose block for ${env} is the preset: drop preset ${describeValue(presetChoice)} (override single values with --set)`,
    );
  }
  const presetName =
    presetChoice === 'none' || presetChoice === null
      ? null
      : (presetChoice ?? (listPresets(algo, env).includes('zoo') ? 'zoo' : null));

  const rest: Record<string, unknown> = { ...fromFile.config, ...sets };
  for (const key of RUN_KEYS) delete rest[key];
  return {
    algo,
    env,
    seed,
    presetLabel: zooPreset !== undefined ? 'rl-zoo block' : (presetName ?? 'none'),
    config: {
      env,
      preset: zooPreset ?? presetName,
      ...rest,
      seed,
      ...(flags.nEnvs === undefined ? {} : { numEnvs: flags.nEnvs }),
    },
    ...(fromFile.totalTimesteps === undefined ? {} : { fileTimesteps: fromFile.totalTimesteps }),
    ...(fromFile.note === undefined ? {} : { fileNote: fromFile.note }),
  };
}

/** The error for an algorithm name the CLI does not know, with close names and the full list. */
export function unknownAlgorithm(name: unknown): PolicygradError {
  const close = CLI_ALGORITHMS.filter((k) => levenshtein(String(name).toLowerCase(), k) <= 2);
  return new PolicygradError(
    `unknown algorithm ${describeValue(name)}${close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : ''}: expected one of ${CLI_ALGORITHMS.join(', ')}`,
  );
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new PolicygradError(`cannot read config file ${path}`);
  }
  const kind = path.endsWith('.json') ? 'JSON' : 'YAML';
  let parsed: unknown;
  try {
    parsed = kind === 'JSON' ? JSON.parse(text) : parseYaml(text, ZOO_YAML_OPTIONS);
  } catch (error) {
    // YAML's first line ends in "at line L, column C:" (an excerpt follows): the line goes in front instead.
    const message = (error as Error).message
      .split('\n')[0]
      .replace(/ at line \d+, column \d+:?\s*$/, '')
      .replace(/:\s*$/, '');
    throw new PolicygradError(
      `config file ${path}${errorPosition(text, error)} is not valid ${kind}: ${message}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PolicygradError(
      `config file ${path} must hold an object of options, got ${describeValue(parsed)}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** ", line L" of a JSON or YAML parse error. */
function errorPosition(text: string, error: unknown): string {
  const yamlLine = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
  if (typeof yamlLine === 'number') return `, line ${yamlLine}`;
  const position = /position (\d+)/.exec((error as Error).message)?.[1];
  if (position !== undefined) return `, line ${text.slice(0, Number(position)).split('\n').length}`;
  // Node 20's JSON errors often carry no position: the first prefix that fails other than by ending early
  // ends at the offending character (config files are small, so trying every prefix is cheap).
  for (let k = 1; k <= text.length; k++) {
    try {
      JSON.parse(text.slice(0, k));
    } catch (prefixError) {
      const m = (prefixError as Error).message;
      const at = /position (\d+)/.exec(m)?.[1];
      // An error at the very end of the prefix only means the prefix stops early.
      if (/end of JSON input/.test(m) || (at !== undefined && Number(at) >= k)) continue;
      if (/Unterminated string/.test(m)) continue;
      return `, line ${text.slice(0, at === undefined ? k : Number(at) + 1).split('\n').length}`;
    }
  }
  return '';
}

/** `key=value` pairs; values are parsed as JSON when they can be (numbers, booleans, arrays), else strings. */
export function parseSets(sets: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of sets) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw new PolicygradError(`--set ${describeValue(item)}: expected key=value, e.g. --set gamma=0.98`);
    const key = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    try {
      out[key] = JSON.parse(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}
