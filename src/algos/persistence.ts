/**
 * `model.save(dir)` and `PPO.load(dir)` (and the same for A2C, TRPO, NPG). A saved model is a directory with
 * `model.json` (format, algorithm, resolved config and a full checkpoint: training continues exactly where it
 * stopped) and `policy.json` (the policy alone, for `policygrad eval` and `policygrad/inference`).
 *
 * The core has no file system: the files come from the `storage` port a model is given (`Ports`, ports.ts), which
 * the Node entry's `nodePorts` provides (and its `PPO`, `A2C`, … use by default). In a browser, keep
 * `checkpoint()` / `restoreCheckpoint()` JSON wherever you like instead.
 */
import type { VectorEnv } from '../envs/vector.js';
import { PolicygradError } from '../errors.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import type { RecurrentActorCriticPolicy } from '../policies/recurrent-actor-critic.js';
import { exportPolicy, type PolicyFile } from '../policies/serialize.js';
import { normalizationOf } from './on-policy.js';
import type { Ports } from './ports.js';
import { RENAMED_CONFIG_KEYS } from './renamed-options.js';

export interface FileStorage {
  /** Writes the file atomically (temporary file, then rename), creating the directory if needed. */
  writeText(dir: string, name: string, text: string): void;
  /** The text of `dir/name`; throws a PolicygradError naming the file when it is missing. */
  readText(dir: string, name: string): string;
}

/** The storage port, or the one-line message saying which entry provides it. */
function requireStorage(storage: FileStorage | undefined): FileStorage {
  if (storage === undefined) {
    throw new PolicygradError(
      "save/load need a file system: this model has no storage port; use the classes of policygrad's Node entry ('policygrad' in Node) or pass its nodePorts; in a browser use checkpoint()/restoreCheckpoint()",
    );
  }
  return storage;
}

export const MODEL_FORMAT = 'policygrad-model';

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: 1;
  algo: string;
  config: Record<string, unknown>;
  checkpoint: unknown;
}

export function saveModel(
  storage: FileStorage | undefined,
  dir: string,
  algo: string,
  config: object,
  checkpoint: unknown,
  policyFile: unknown,
): void {
  const files = requireStorage(storage);
  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: 1,
    algo,
    config: config as Record<string, unknown>,
    checkpoint,
  };
  files.writeText(dir, 'policy.json', JSON.stringify(policyFile));
  files.writeText(dir, 'model.json', JSON.stringify(model));
}

export function readModel(storage: FileStorage | undefined, dir: string, algo: string): ModelFile {
  const text = requireStorage(storage).readText(dir, 'model.json');
  let model: ModelFile;
  try {
    model = JSON.parse(text) as ModelFile;
  } catch (error) {
    throw new PolicygradError(`${dir}/model.json is corrupt or truncated (${(error as Error).message})`);
  }
  if (model?.format !== MODEL_FORMAT || model.version !== 1) {
    throw new PolicygradError(`${dir}/model.json is not a saved policygrad model`);
  }
  if (model.algo !== algo) {
    throw new PolicygradError(
      `${dir} holds a saved '${model.algo}' model; load it with ${model.algo.toUpperCase()}.load`,
    );
  }
  return model;
}

/**
 * Options of `load`: another env id (same spaces) or env options start the loaded model on a fresh env; `ports`
 * are where the model is read from (`storage`) and what the loaded model runs with.
 */
export interface LoadOptions {
  env?: string;
  envOptions?: Record<string, unknown>;
  ports?: Ports;
  /** Threads of each update (`RunOptions`): not saved with the model, so given again at each load. */
  threads?: 1 | 2 | 'auto';
}

/** What a policy file is exported from: the policy, its env's spaces and normalisation, the env it was trained on. */
export interface PolicySource {
  readonly config: { env: string; envOptions: Record<string, unknown> };
  readonly policy: ActorCriticPolicy | RecurrentActorCriticPolicy;
  readonly env: VectorEnv;
}

/**
 * A model's policy file (`policy.json`: what `policygrad eval`, `importPolicy` and `policygrad/inference` read),
 * written by `save`, by `policygrad train` at the end of a run and by a sweep's trials.
 */
export function policyFileOf(model: PolicySource, algo: string): PolicyFile {
  return exportPolicy(model.policy, {
    algo,
    env: model.config.env,
    envOptions: model.config.envOptions,
    observationSpace: model.env.singleObservationSpace,
    actionSpace: model.env.singleActionSpace,
    normalization: normalizationOf(model.env),
  });
}

/** What `saveAlgorithm` needs of a model. */
export interface SavableModel extends PolicySource {
  checkpoint(): unknown;
}

export function saveAlgorithm(
  model: SavableModel,
  algo: string,
  dir: string,
  storage: FileStorage | undefined,
): void {
  const policyFile = policyFileOf(model, algo);
  saveModel(storage, dir, algo, model.config, model.checkpoint(), policyFile);
}

/**
 * A config `algo` saved by an earlier version, in today's names: `hiddenSizes` (both networks' widths) is now
 * `netArch`, and the keys issue 15 renamed (`RENAMED_CONFIG_KEYS`: TRPO's `targetKl` is `maxKl`…). Only saved
 * files are upgraded; a config a user writes with an old name is refused with a message naming the new.
 */
export function upgradeSavedConfig(config: Record<string, unknown>, algo: string): Record<string, unknown> {
  const { hiddenSizes, ...rest } = config;
  const upgraded: Record<string, unknown> =
    hiddenSizes === undefined || 'netArch' in config ? { ...config } : { ...rest, netArch: hiddenSizes };
  for (const [old, [, now]] of Object.entries(RENAMED_CONFIG_KEYS[algo] ?? {})) {
    if (!Object.hasOwn(upgraded, old)) continue;
    if (!Object.hasOwn(upgraded, now)) upgraded[now] = upgraded[old];
    delete upgraded[old];
  }
  return upgraded;
}

/**
 * Builds the algorithm from a saved model (read with `options.ports.storage`): the same run continued, or (another
 * env) its networks on a fresh env. `create` gives the model its ports (usually `options.ports`).
 */
export function loadAlgorithm<
  T extends { restoreCheckpoint(cp: unknown, o?: { weightsOnly?: boolean }): void },
>(dir: string, algo: string, options: LoadOptions, create: (config: Record<string, unknown>) => T): T {
  const saved = readModel(options.ports?.storage, dir, algo);
  const config = upgradeSavedConfig(saved.config, algo);
  const sameEnv =
    (options.env === undefined || options.env === config.env) && options.envOptions === undefined;
  if (options.env !== undefined) config.env = options.env;
  if (options.envOptions !== undefined) config.envOptions = options.envOptions;
  const model = create(options.threads === undefined ? config : { ...config, threads: options.threads });
  model.restoreCheckpoint(saved.checkpoint, { weightsOnly: !sameEnv });
  return model;
}
