/**
 * `train --resume DIR` continues the run with its saved config: flags that would change what runs (--algo, --env,
 * --seed, --preset, --n-envs, --set, --config) are refused when they differ from it, naming each difference;
 * flags that would write elsewhere (--out, --force) are refused too. Flags equal to the saved values are fine.
 */
import { describeValue, PolicygradError } from '../errors.js';
import { parseSets, readConfigFile } from './run-options.js';
import type { TrainCommandOptions } from './train.js';

interface SavedRun {
  algo: string;
  env: string;
  seed: number | undefined;
  config: Record<string, unknown>;
}

export function checkResumeFlags(path: string, options: TrainCommandOptions, saved: SavedRun): void {
  for (const flag of ['out', 'force'] as const) {
    if (options[flag] !== undefined && options[flag] !== false) {
      throw new PolicygradError(
        `--${flag} cannot be combined with --resume: the run continues in ${path} (start a new run with --out to train elsewhere)`,
      );
    }
  }
  const differences: string[] = [];
  const compare = (given: string, key: string, value: unknown, savedValue: unknown) => {
    if (JSON.stringify(value) !== JSON.stringify(savedValue)) {
      differences.push(
        `${given} (the run's ${key} is ${savedValue === undefined ? 'not set' : describeValue(savedValue)})`,
      );
    }
  };
  const savedValue = (key: string): unknown =>
    key === 'algo' || key === 'env'
      ? saved[key]
      : key === 'seed'
        ? (saved.seed ?? saved.config.seed)
        : saved.config[key];
  const savedPreset = saved.config.preset ?? 'none';

  if (options.algo !== undefined) compare(`--algo ${options.algo}`, 'algo', options.algo, saved.algo);
  if (options.env !== undefined) compare(`--env ${options.env}`, 'env', options.env, saved.env);
  if (options.seed !== undefined) compare(`--seed ${options.seed}`, 'seed', options.seed, savedValue('seed'));
  if (options.preset !== undefined)
    compare(`--preset ${options.preset}`, 'preset', options.preset, savedPreset);
  if (options.nEnvs !== undefined)
    compare(`--n-envs ${options.nEnvs}`, 'numEnvs', options.nEnvs, saved.config.numEnvs);
  const sources: [string, Record<string, unknown>][] = [];
  if (options.config !== undefined)
    sources.push([`--config ${options.config}`, readConfigFile(options.config)]);
  sources.push(['--set', parseSets(options.set)]);
  for (const [source, values] of sources) {
    for (const [key, value] of Object.entries(values)) {
      const given = source === '--set' ? `--set ${key}=${JSON.stringify(value)}` : `${source}: ${key}`;
      if (key === 'preset') compare(given, key, value ?? 'none', savedPreset);
      else compare(given, key, value, savedValue(key));
    }
  }
  if (differences.length > 0) {
    throw new PolicygradError(
      `cannot resume ${path} with other settings: ${differences.join(', ')}; a resumed run keeps its saved config (start a new run with --out to change it)`,
    );
  }
}
