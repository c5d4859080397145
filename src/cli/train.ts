/** `policygrad train`: builds the algorithm from presets, a config file and --set overrides, trains, saves. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  type Algorithm,
  createAlgorithm,
  describeKernels,
  describeValue,
  exportPolicy,
  listPresets,
  normalizationOf,
  PolicygradError,
  PRESET_TIMESTEPS,
  setDefaultKernels,
  VERSION,
} from '../node.js';
import { A3C } from '../train/a3c.js';
import { RunDirectory } from '../train/run-dir.js';
import { envModulesFor } from './imports.js';
import { configFromFile, ZOO_YAML_OPTIONS } from './zoo-config.js';

export interface TrainCommandOptions {
  algo: string;
  env: string;
  /** A preset name, 'none', or undefined for 'zoo' when the algorithm has one for the env. */
  preset?: string;
  config?: string;
  set: string[];
  timesteps?: number;
  seed: number;
  nEnvs?: number;
  out?: string;
  force: boolean;
  /** 'wasm' or 'typescript'; default: wasm where the engine supports it. */
  kernels?: string;
  /** Continue the run in this directory from its newest checkpoint. */
  resume?: string;
  /** Environment steps between checkpoints (default: a tenth of the budget). */
  checkpointEvery?: number;
  /** Modules imported before the run (resolved by `--import`); recorded in config.json, given to the workers. */
  import?: string[];
}

/** Where output goes: `line` for lasting lines; `progress` for the status, redrawn in place on a terminal. */
export interface TrainOutput {
  line(text: string): void;
  progress(text: string, fraction: number): void;
  /** Milliseconds between progress updates. */
  interval: number;
}

/** Plain lines every 2 s (logs, CI), or one redrawn line with a bar every 0.2 s on a terminal. */
export function consoleOutput(isTerminal: boolean): TrainOutput {
  if (!isTerminal) return { line: (t) => console.log(t), progress: (t) => console.log(t), interval: 2000 };
  let open = false;
  return {
    interval: 200,
    line: (t) => {
      if (open) process.stdout.write('\n');
      open = false;
      console.log(t);
    },
    progress: (t, fraction) => {
      const width = 20;
      const filled = Math.round(fraction * width);
      process.stdout.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${t}`);
      open = true;
    },
  };
}

/** An algorithm that can save and restore checkpoints (all but A3C and REINFORCE for now). */
type Checkpointable = Algorithm & {
  checkpoint(): { step: number; iteration: number };
  restoreCheckpoint(checkpoint: unknown): void;
};

function canCheckpoint(model: unknown): model is Checkpointable {
  return typeof (model as Partial<Checkpointable>).checkpoint === 'function';
}

/** Milliseconds of training between returns to the event loop (so SIGINT/SIGTERM are seen promptly). */
const SLICE_MS = 200;

export async function runTrain(
  options: TrainCommandOptions,
  output: TrainOutput,
): Promise<{ dir: string; meanReturn: number; interrupted: boolean }> {
  const print = (text: string) => output.line(text);
  if (options.kernels !== undefined) {
    if (options.kernels !== 'wasm' && options.kernels !== 'typescript') {
      throw new PolicygradError(
        `invalid --kernels ${describeValue(options.kernels)}: expected 'wasm' or 'typescript'`,
      );
    }
    setDefaultKernels(options.kernels);
  }
  const setup = options.resume === undefined ? startRun(options) : resumeRun(options.resume);
  const { run, model, algo, env, totalTimesteps, resuming } = setup;
  const out = run.path;
  print(setup.headline);

  const every = options.checkpointEvery ?? Math.max(1, Math.round(totalTimesteps / 10));
  let nextCheckpoint = setup.startStep + every;
  let lastCheckpoint: string | null = setup.checkpointFile;
  const saveCheckpoint = () => {
    if (canCheckpoint(model)) lastCheckpoint = run.saveCheckpoint(model.checkpoint());
  };

  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let lastPrint = 0;
  let printedFinal = false; // A3C's workers each report once more after the budget is reached
  let latestReturn: number | null = null;
  let resetProgress = !resuming;
  try {
    for (;;) {
      let sliced = false;
      const sliceStart = performance.now();
      await model.learn({
        totalTimesteps,
        resetProgress,
        callback: (metrics) => {
          checkFinite(metrics, model.policy.params, lastCheckpoint, out);
          run.appendMetrics(metrics);
          if (metrics.episodeReturnMean !== null) latestReturn = metrics.episodeReturnMean as number;
          const now = performance.now();
          const final = metrics.step >= totalTimesteps;
          if (now - lastPrint > output.interval || (final && !printedFinal)) {
            printedFinal ||= final;
            lastPrint = now;
            const fraction = Math.min(1, metrics.step / totalTimesteps);
            const eta = fraction > 0 ? (metrics.timeSeconds * (1 - fraction)) / fraction : 0;
            output.progress(
              `${metrics.step.toLocaleString('en-US')}/${totalTimesteps.toLocaleString('en-US')} steps (${(100 * fraction).toFixed(0)}%)` +
                ` | return ${latestReturn === null ? '—' : latestReturn.toFixed(1)} | ${Math.round(metrics.sps)} steps/s | eta ${formatSeconds(eta)}`,
              fraction,
            );
          }
          if (metrics.step >= nextCheckpoint && !final) {
            saveCheckpoint();
            nextCheckpoint = metrics.step + every;
          }
          // Return to the event loop now and then (learn continues where it stopped) to notice signals.
          if (algo !== 'a3c' && performance.now() - sliceStart > SLICE_MS) {
            sliced = true;
            return false;
          }
          return true;
        },
      });
      resetProgress = false;
      if (!sliced) break;
      await new Promise((resolve) => setImmediate(resolve));
      if (interrupted !== null) {
        saveCheckpoint();
        print(
          `${interrupted}: stopped; ${lastCheckpoint === null ? 'no checkpoint (this algorithm has none)' : `checkpoint saved (${lastCheckpoint})`}; continue with: policygrad train --resume ${out}`,
        );
        process.exitCode = interrupted === 'SIGINT' ? 130 : 143;
        return { dir: out, meanReturn: Number.NaN, interrupted: true };
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  saveCheckpoint();

  const normalization = normalizationOf(model.env);
  run.saveFinalPolicy(
    exportPolicy(model.policy, {
      algo,
      env,
      envOptions: model.config.envOptions,
      observationSpace: model.env.singleObservationSpace,
      actionSpace: model.env.singleActionSpace,
      normalization,
    }),
  );
  const returns = model.evaluate(10);
  const meanReturn = returns.reduce((a, b) => a + b, 0) / returns.length;
  print(
    `done: 10 deterministic evaluation episodes, mean return ${meanReturn.toFixed(1)}; saved ${out}/final/policy.json`,
  );
  return { dir: out, meanReturn, interrupted: false };
}

interface RunSetup {
  run: RunDirectory;
  model: Algorithm | A3C;
  algo: string;
  env: string;
  totalTimesteps: number;
  resuming: boolean;
  startStep: number;
  checkpointFile: string | null;
  headline: string;
}

/** A new run: config from preset, file and --set; a fresh run directory. */
function startRun(options: TrainCommandOptions): RunSetup {
  const { algo, env, seed } = options;
  const file =
    options.config === undefined
      ? null
      : configFromFile(readConfigFile(options.config), { path: options.config, algo, env });
  // An rl-zoo file's block is complete as rl-zoo uses it: on the library defaults, not on our preset.
  const zooFile = file?.note !== undefined;
  const preset =
    options.preset === 'none'
      ? null
      : (options.preset ?? (!zooFile && listPresets(algo, env).includes('zoo') ? 'zoo' : null));
  const config: Record<string, unknown> = {
    env,
    preset,
    ...file?.config,
    ...parseSets(options.set),
    seed,
    ...(options.nEnvs === undefined ? {} : { numEnvs: options.nEnvs }),
    ...envModulesFor(algo, options.import ?? []),
  };
  // A3C runs on worker threads (Node only), so it is not in the core's registry; its learn is asynchronous.
  const model = algo === 'a3c' ? new A3C(config) : createAlgorithm(algo, config);
  const totalTimesteps =
    options.timesteps ?? file?.totalTimesteps ?? PRESET_TIMESTEPS[algo]?.[env] ?? 100_000;
  const out = options.out ?? `runs/${algo}-${env}-seed${seed}`;
  const run = RunDirectory.create(out, { force: options.force });
  run.writeConfig({
    library: 'policygrad',
    version: VERSION,
    algo,
    env,
    seed,
    totalTimesteps,
    ...(options.import === undefined || options.import.length === 0 ? {} : { imports: options.import }),
    config: model.config,
  });
  return {
    run,
    model,
    algo,
    env,
    totalTimesteps,
    resuming: false,
    startStep: 0,
    checkpointFile: null,
    headline: `${file?.note === undefined ? '' : `${file.note}\n`}${algo} on ${env} (preset ${preset ?? 'none'}, seed ${seed}, kernels ${describeKernels()}) for ${totalTimesteps.toLocaleString('en-US')} steps → ${out}`,
  };
}

/** `--resume DIR`: the run's saved config and its newest checkpoint; metrics after the checkpoint are dropped. */
function resumeRun(path: string): RunSetup {
  const run = RunDirectory.open(path);
  const saved = run.readConfig() as {
    algo?: string;
    env?: string;
    totalTimesteps?: number;
    config?: Record<string, unknown>;
  };
  const { algo, env, totalTimesteps, config } = saved;
  if (typeof algo !== 'string' || typeof env !== 'string' || typeof totalTimesteps !== 'number' || !config) {
    throw new PolicygradError(
      `cannot resume ${path}: its config.json lacks algo, env, totalTimesteps or config`,
    );
  }
  if (algo === 'a3c')
    throw new PolicygradError(
      `cannot resume ${path}: A3C runs have no checkpoints (lock-free updates have no exact resume point)`,
    );
  const model = createAlgorithm(algo, config);
  if (!canCheckpoint(model)) {
    throw new PolicygradError(`cannot resume ${path}: ${algo} runs have no checkpoints yet`);
  }
  const { file, checkpoint } = run.latestCheckpoint();
  model.restoreCheckpoint(checkpoint); // validates format, algorithm and env before anything is written
  const { step, iteration } = checkpoint as { step: number; iteration: number };
  run.truncateMetrics(iteration);
  return {
    run,
    model,
    algo,
    env,
    totalTimesteps,
    resuming: true,
    startStep: step,
    checkpointFile: file,
    headline: `resuming ${algo} on ${env} from ${file} (step ${step.toLocaleString('en-US')} of ${totalTimesteps.toLocaleString('en-US')}, kernels ${describeKernels()})`,
  };
}

/** Stops training with a clear error when a loss or a parameter is no longer a finite number. */
function checkFinite(row: object, params: Float32Array, lastCheckpoint: string | null, out: string): void {
  const metrics = row as Record<string, unknown>;
  let problem: string | null = null;
  for (const key of ['policyLoss', 'valueLoss', 'entropy'] as const) {
    const value = metrics[key];
    if (typeof value === 'number' && !Number.isFinite(value)) problem ??= `${key} is ${value}`;
  }
  for (let i = 0; i < params.length && problem === null; i++) {
    if (!Number.isFinite(params[i])) problem = `parameter ${i} is ${params[i]}`;
  }
  if (problem !== null) {
    throw new PolicygradError(
      `iteration ${String(metrics.iteration)} (step ${String(metrics.step)}): ${problem}; training stopped` +
        (lastCheckpoint === null
          ? ' (no checkpoint was written yet)'
          : `; the last good checkpoint is ${lastCheckpoint} (policygrad train --resume ${out})`) +
        '. Try a lower learning rate or gradient clipping (--set maxGradNorm=0.5).',
    );
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new PolicygradError(`cannot read config file ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text, ZOO_YAML_OPTIONS);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new PolicygradError(
      `config file ${path}${errorLine(text, error)} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${message}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PolicygradError(
      `config file ${path} must hold an object of options, got ${describeValue(parsed)}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** ", line L" for a JSON or YAML parse error (JSON reports a character position, YAML a line). */
function errorLine(text: string, error: unknown): string {
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
function parseSets(sets: string[]): Record<string, unknown> {
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

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
