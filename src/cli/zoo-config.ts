/**
 * rl-baselines3-zoo hyperparameter files (`--config hyperparams/ppo.yml`): top-level keys are env ids, each a
 * block of Stable-Baselines3 arguments in snake_case. The block for `--env` (or the zoo's `default` block) is
 * translated key by key through ZOO_KEYS into policygrad's names and becomes the run's preset (the reference's whole
 * set of values, under what the user sets); a key policygrad does not support is refused by name, never dropped.
 * Our own config files (camelCase options at the top level) pass through unchanged, as explicit options.
 */
import type { Tags } from 'yaml';
import { describeValue, PolicygradError } from '../errors.js';
import { configFieldOf, configKeysOf } from './algo-schemas.js';
import { parsePythonLiteral, PythonLiteralError, PythonName, type PythonValue } from './python-literal.js';

/**
 * How rl-zoo's files are written for PyYAML (YAML 1.1): merge keys (`<<: *defaults`) share settings, and
 * `!!float 20000` is a float even without a dot or exponent (YAML 1.2's float tag would leave it a string).
 */
export const ZOO_YAML_OPTIONS = {
  merge: true,
  customTags: (tags: Tags) => [
    ...tags,
    { tag: 'tag:yaml.org,2002:float', resolve: (s: string) => Number(s) },
  ],
};

export interface ConfigFromFile {
  /** policygrad config keys, given explicitly (a file in our own format). */
  config: Record<string, unknown>;
  /**
   * An rl-zoo file's block for the env, translated: the reference's whole set of hyperparameters, applied as the
   * preset is (under explicit fields; its own batch size/rollout combination stands, as SB3 trains it).
   */
  zooPreset?: Record<string, unknown>;
  /** rl-zoo's `n_timesteps`, when the file is a zoo file that sets it. */
  totalTimesteps?: number;
  /** For the headline: which zoo block was used. */
  note?: string;
}

/** One rl-zoo key: the policygrad key it sets and, if the value needs it, how to translate the value. */
interface ZooKey {
  to: string;
  /** Where one zoo key means different things per algorithm: our key for those algorithms. */
  byAlgo?: Record<string, string>;
  convert?: (value: unknown, where: string) => unknown;
}

/**
 * rl-zoo (SB3 / sb3-contrib) key → policygrad config key. `policy_kwargs.*` are the keys of the zoo's
 * `policy_kwargs` string. Numbers and `lin_<x>` schedules pass through as they are (ours read both).
 */
const ZOO_KEYS: Record<string, ZooKey> = {
  n_envs: { to: 'numEnvs' },
  n_steps: { to: 'nSteps' },
  batch_size: { to: 'batchSize' },
  n_epochs: { to: 'nEpochs' },
  gamma: { to: 'gamma' },
  gae_lambda: { to: 'gaeLambda' },
  learning_rate: { to: 'learningRate' },
  clip_range: { to: 'clipRange' },
  clip_range_vf: { to: 'clipRangeVf' },
  ent_coef: { to: 'entCoef' },
  vf_coef: { to: 'vfCoef' },
  max_grad_norm: { to: 'maxGradNorm' },
  normalize_advantage: { to: 'normalizeAdvantage' },
  // PPO's early stop; sb3-contrib's TRPO uses the same key for its trust-region radius δ, our maxKl.
  target_kl: { to: 'targetKl', byAlgo: { trpo: 'maxKl', npg: 'maxKl' } },
  use_rms_prop: { to: 'optimizer', convert: (v) => (v === true ? 'rmsprop' : v === false ? 'adam' : v) },
  rms_prop_eps: { to: 'rmsPropEpsilon' },
  n_critic_updates: { to: 'nCriticUpdates' },
  cg_max_steps: { to: 'cgMaxSteps' },
  cg_damping: { to: 'cgDamping' },
  line_search_shrinking_factor: { to: 'lineSearchShrinkingFactor' },
  line_search_max_iter: { to: 'lineSearchMaxIter' },
  use_sde: { to: 'useSde' },
  sde_sample_freq: { to: 'sdeSampleFreq' },
  normalize: { to: 'normalize', convert: normalizeOption },
  env_kwargs: { to: 'envOptions' },
  'policy_kwargs.net_arch': { to: 'netArch', convert: netArch },
  'policy_kwargs.activation_fn': { to: 'activation', convert: activation },
  'policy_kwargs.log_std_init': { to: 'logStdInit' },
  'policy_kwargs.ortho_init': { to: 'orthogonalInit' },
  'policy_kwargs.full_std': { to: 'fullStd' },
  'policy_kwargs.use_expln': { to: 'useExpln' },
  'policy_kwargs.squash_output': { to: 'squashOutput' },
  // sb3-contrib's recurrent policy (RecurrentPPO, ppo_lstm.yml)
  'policy_kwargs.lstm_hidden_size': { to: 'hiddenSize' },
  'policy_kwargs.enable_critic_lstm': { to: 'enableCriticLstm' },
  'policy_kwargs.shared_lstm': { to: 'sharedLstm' },
};

/** The zoo's policy classes: an MLP (every algorithm but RecurrentPPO) or sb3-contrib's MLP + LSTM (RecurrentPPO). */
const POLICY_CLASSES: Record<string, 'feed-forward' | 'recurrent'> = {
  MlpPolicy: 'feed-forward',
  MlpLstmPolicy: 'recurrent',
};

/** Zoo keys read here rather than mapped: the budget, the policy class, TRPO's no-op sub-sampling. */
const HANDLED_KEYS = ['n_timesteps', 'policy', 'sub_sampling_factor', 'policy_kwargs'];

/** Top-level keys of an rl-zoo file: env ids (`Name-vN`, maybe with a namespace), and its special blocks. */
const ZOO_BLOCK = /^(?:[\w.-]+\/)?[\w.:-]+-v\d+$/;
const ZOO_SPECIAL_BLOCKS = new Set(['default', 'atari']);

/** A config file's options: our own format as it is, or the block of an rl-zoo file for `env`, translated. */
export function configFromFile(
  parsed: Record<string, unknown>,
  { path, algo, env }: { path: string; algo: string; env: string },
): ConfigFromFile {
  const keys = Object.keys(parsed);
  const blocks = keys.filter((k) => ZOO_BLOCK.test(k) || ZOO_SPECIAL_BLOCKS.has(k));
  if (blocks.length === 0) return { config: parsed };
  const options = keys.filter((k) => !blocks.includes(k));
  if (options.length > 0) {
    throw new PolicygradError(
      `config file ${path} mixes rl-zoo env blocks (${blocks.join(', ')}) with options (${options.join(', ')}): use one format`,
    );
  }
  const name = Object.hasOwn(parsed, env) ? env : Object.hasOwn(parsed, 'default') ? 'default' : null;
  if (name === null) {
    throw new PolicygradError(
      `rl-zoo file ${path} has no block for ${env} (nor 'default'); its blocks: ${blocks.join(', ')} (choose one with --env)`,
    );
  }
  const block = parsed[name];
  if (block === null || typeof block !== 'object' || Array.isArray(block)) {
    throw new PolicygradError(
      `rl-zoo file ${path}: block ${name} must hold options, got ${describeValue(block)}`,
    );
  }
  const translated = translateZooBlock(
    block as Record<string, unknown>,
    `rl-zoo file ${path}, block ${name}`,
    algo,
  );
  checkPolicyClass(translated, algo);
  checkAgainstSchema(translated, algo);
  return {
    config: {},
    zooPreset: Object.fromEntries(translated.entries.map((e) => [e.to, e.value])),
    ...(translated.totalTimesteps === undefined ? {} : { totalTimesteps: translated.totalTimesteps }),
    note: `hyperparameters: rl-zoo file ${path}, block ${name}`,
  };
}

export interface TranslatedEntry {
  /** The zoo key (`policy_kwargs.x` for a key of policy_kwargs), its value as written, ours, and our value. */
  from: string;
  raw: unknown;
  to: string;
  value: unknown;
}

export interface TranslatedBlock {
  entries: TranslatedEntry[];
  totalTimesteps?: number;
  /** The block's `policy`, when it names one. */
  policy?: 'MlpPolicy' | 'MlpLstmPolicy';
  /** Where the block came from, for messages. */
  where: string;
}

/** Every key of a zoo block, translated through ZOO_KEYS for `algo` (most keys mean the same for every one). */
export function translateZooBlock(
  block: Record<string, unknown>,
  where: string,
  algo?: string,
): TranslatedBlock {
  const entries: TranslatedEntry[] = [];
  let totalTimesteps: number | undefined;
  let policy: TranslatedBlock['policy'];
  const add = (from: string, raw: unknown) => {
    const entry = ZOO_KEYS[from];
    if (entry === undefined) {
      const supported = [...HANDLED_KEYS, ...Object.keys(ZOO_KEYS)].filter((k) => k !== 'policy_kwargs');
      throw new PolicygradError(
        `${where}: key '${from}' is not supported by policygrad (supported: ${supported.join(', ')})`,
      );
    }
    const value = entry.convert === undefined ? raw : entry.convert(raw, `${where}: key '${from}'`);
    const to = (algo !== undefined && entry.byAlgo?.[algo]) || entry.to;
    entries.push({ from, raw, to, value });
  };
  for (const [key, raw] of Object.entries(block)) {
    if (key === 'n_timesteps') {
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0) {
        throw new PolicygradError(
          `${where}: invalid n_timesteps ${describeValue(raw)}: expected a positive integer`,
        );
      }
      totalTimesteps = raw;
    } else if (key === 'policy') {
      if (typeof raw !== 'string' || !Object.hasOwn(POLICY_CLASSES, raw)) {
        throw new PolicygradError(
          `${where}: policy ${describeValue(raw)} is not supported: expected 'MlpPolicy' or 'MlpLstmPolicy' (recurrent-ppo)`,
        );
      }
      policy = raw as TranslatedBlock['policy'];
    } else if (key === 'sub_sampling_factor') {
      if (raw !== 1) {
        throw new PolicygradError(
          `${where}: sub_sampling_factor ${describeValue(raw)} is not supported (only 1: every sample is used)`,
        );
      }
    } else if (key === 'policy_kwargs') {
      const kwargs = pythonDict(raw, `${where}: key 'policy_kwargs'`);
      for (const [name, value] of Object.entries(kwargs)) add(`policy_kwargs.${name}`, value);
    } else add(key, raw);
  }
  return { entries, totalTimesteps, where, ...(policy === undefined ? {} : { policy }) };
}

/** An LSTM policy's block is for recurrent-ppo, and recurrent-ppo's block names an LSTM policy (or none). */
function checkPolicyClass({ policy, where }: TranslatedBlock, algo: string): void {
  if (policy === undefined) return;
  const recurrentAlgo = algo === 'recurrent-ppo';
  if ((POLICY_CLASSES[policy] === 'recurrent') !== recurrentAlgo) {
    throw new PolicygradError(
      `${where}: policy '${policy}' is ${recurrentAlgo ? 'feed-forward: use --algo ppo (or another algorithm)' : "recurrent: use --algo recurrent-ppo (sb3-contrib's RecurrentPPO)"}`,
    );
  }
}

/** Refuses entries the algorithm has no key for, or whose value its schema does not accept, naming the zoo key. */
function checkAgainstSchema({ entries, where }: TranslatedBlock, algo: string): void {
  const keys = configKeysOf(algo);
  if (keys.size === 0) return; // an unknown algorithm: building it says so
  for (const entry of entries) {
    const { from, raw } = entry;
    const shown = raw instanceof PythonName || typeof raw !== 'object' ? String(raw) : JSON.stringify(raw);
    if (!keys.has(entry.to)) {
      throw new PolicygradError(
        `${where}: key '${from}' (${entry.to}) is not a hyperparameter of ${algo} (a file for another algorithm? check --algo)`,
      );
    }
    const result = configFieldOf(algo, entry.to)?.safeParse(entry.value);
    if (result !== undefined && !result.success) {
      const message = result.error.issues[0]?.message ?? 'invalid';
      throw new PolicygradError(`${where}: ${from} = ${shown}: ${entry.to}: ${message}`);
    }
  }
}

/** SB3's VecNormalize arguments: true/false, or a dict (often a Python string) of norm_obs and norm_reward. */
function normalizeOption(value: unknown, where: string): unknown {
  if (typeof value === 'boolean') return value;
  const kwargs = pythonDict(value, where);
  const known = { norm_obs: 'observation', norm_reward: 'reward' } as const;
  const out = { observation: true, reward: true }; // VecNormalize's defaults
  for (const [key, flag] of Object.entries(kwargs)) {
    if (!Object.hasOwn(known, key)) {
      throw new PolicygradError(`${where}: '${key}' is not supported (only norm_obs and norm_reward)`);
    }
    if (typeof flag !== 'boolean') {
      throw new PolicygradError(`${where}: ${key} must be True or False, got ${String(flag)}`);
    }
    out[known[key as keyof typeof known]] = flag;
  }
  return out.observation || out.reward ? out : false;
}

/** `net_arch`: [64, 64] (one size list for both networks), dict(pi=[…], vf=[…]), or SB3 < 1.8's [dict(…)]. */
function netArch(value: unknown, where: string): unknown {
  const sizes = (v: unknown) =>
    Array.isArray(v) && v.every((n) => Number.isSafeInteger(n) && (n as number) > 0) ? (v as number[]) : null;
  if (sizes(value) !== null) return value;
  const dict = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (dict !== null && typeof dict === 'object' && !Array.isArray(dict) && !(dict instanceof PythonName)) {
    const { pi, vf, ...rest } = dict as Record<string, unknown>;
    if (sizes(pi) !== null && sizes(vf) !== null && Object.keys(rest).length === 0) return { pi, vf };
  }
  throw new PolicygradError(
    `${where}: net_arch ${JSON.stringify(value)} is not supported: expected [sizes…] or dict(pi=[sizes…], vf=[sizes…])`,
  );
}

/** PyTorch activation classes (`nn.ReLU`, `th.nn.ReLU`, `torch.nn.ReLU`) → our names. */
const ACTIVATIONS: Record<string, string> = { Tanh: 'tanh', ReLU: 'relu', ELU: 'elu', GELU: 'gelu' };

function activation(value: unknown, where: string): string {
  // A name in the zoo's Python string, or a plain YAML string when policy_kwargs is written as a mapping.
  const written = value instanceof PythonName ? value.name : typeof value === 'string' ? value : null;
  const name = written === null ? null : written.split('.').pop()!;
  if (name !== null && Object.hasOwn(ACTIVATIONS, name)) return ACTIVATIONS[name];
  throw new PolicygradError(
    `${where}: activation_fn ${String(value)} is not supported (nn.Tanh, nn.ReLU, nn.ELU or nn.GELU)`,
  );
}

/** A dict given as YAML or, as the zoo writes it, as a Python string ("dict(a=1)" or "{'a': 1}"). */
function pythonDict(value: unknown, where: string): Record<string, PythonValue> {
  let dict: unknown = value;
  if (typeof value === 'string') {
    try {
      dict = parsePythonLiteral(value);
    } catch (error) {
      if (!(error instanceof PythonLiteralError)) throw error;
      throw new PolicygradError(`${where}: cannot read ${JSON.stringify(value)}: ${error.message}`);
    }
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || dict instanceof PythonName) {
    throw new PolicygradError(`${where}: expected a dict, got ${describeValue(value)}`);
  }
  return dict as Record<string, PythonValue>;
}
