/**
 * A sweep's results: `summary.json` (every trial, and the configs ranked by mean final evaluation), the printed
 * table, and the best config as a YAML file `policygrad train --config` accepts.
 *
 * Spread over seeds is the population standard deviation (ddof 0, as NumPy's `std` that rl-zoo's plots use).
 */
import { stringify } from 'yaml';
import type { Asha, AshaOptions, Rung } from './asha.js';
import type { TrialState, TrialStatus } from './record.js';

export interface SweepInfo {
  name: string;
  algo: string;
  env: string;
  /** A preset name, null for 'none', undefined for the default ('zoo' where there is one). */
  preset?: string | null;
  /** Options fixed for every trial. */
  config: Record<string, unknown>;
  timesteps: number;
  seeds: number[];
  /** 'local' or the Redis server (host:port, never the password). */
  backend: string;
}

export interface ConfigResult {
  rank: number;
  config: number;
  params: Record<string, unknown>;
  /** Mean and standard deviation of the completed trials' final evaluations; null when none completed. */
  meanFinalEval: number | null;
  stdFinalEval: number | null;
  completed: number;
  trials: number;
  meanSteps: number | null;
  meanWallTimeS: number | null;
  runDirs: string[];
}

export interface SweepSummary extends SweepInfo {
  /** 'completed' when every trial ended, 'interrupted' after Ctrl-C. */
  status: 'completed' | 'interrupted';
  metric: string;
  trials: {
    id: string;
    config: number;
    params: Record<string, unknown>;
    seed: number;
    status: TrialStatus;
    finalEval: number | null;
    steps: number;
    wallTimeS: number | null;
    runDir: string;
    resumes: number;
    error?: string;
  }[];
  configs: ConfigResult[];
  /** The best config's YAML file (for `train --config`), when a config completed. */
  best: { config: number; file: string } | null;
  /** Early stopping: its settings and each rung's recorded values (trial → metric), when the spec has `asha`. */
  asha?: AshaOptions & { rungs: Rung[] };
}

export const METRIC =
  'finalEval: mean return of 10 deterministic evaluation episodes after training (as policygrad train reports)';

export function rankConfigs(trials: readonly TrialState[]): ConfigResult[] {
  const byConfig = new Map<number, TrialState[]>();
  for (const t of trials) byConfig.set(t.config, [...(byConfig.get(t.config) ?? []), t]);
  const results = [...byConfig.entries()].map(([config, group]): Omit<ConfigResult, 'rank'> => {
    const done = group.filter((t) => t.status === 'completed' && t.finalEval !== null);
    const evals = done.map((t) => t.finalEval as number);
    const mean = evals.length > 0 ? average(evals) : null;
    return {
      config,
      params: group[0].params,
      meanFinalEval: mean,
      stdFinalEval: mean === null ? null : Math.sqrt(average(evals.map((x) => (x - mean) ** 2))),
      completed: done.length,
      trials: group.length,
      meanSteps: done.length > 0 ? average(done.map((t) => t.step)) : null,
      meanWallTimeS: done.length > 0 ? average(done.map((t) => t.wallTimeS ?? 0)) : null,
      runDirs: group.map((t) => t.runDir),
    };
  });
  // Best first; configs with no completed trial last, in config order.
  results.sort(
    (a, b) =>
      (b.meanFinalEval ?? Number.NEGATIVE_INFINITY) - (a.meanFinalEval ?? Number.NEGATIVE_INFINITY) ||
      a.config - b.config,
  );
  return results.map((r, i) => ({ rank: i + 1, ...r }));
}

export function buildSummary(
  info: SweepInfo,
  trials: readonly TrialState[],
  status: SweepSummary['status'],
  bestFile: string,
  asha: Asha | null = null,
): SweepSummary {
  const configs = rankConfigs(trials);
  const best = configs[0]?.meanFinalEval !== null && configs.length > 0 ? configs[0] : null;
  return {
    ...info,
    status,
    metric: METRIC,
    trials: trials.map((t) => ({
      id: t.id,
      config: t.config,
      params: t.params,
      seed: t.seed,
      status: t.status,
      finalEval: t.finalEval,
      steps: t.step,
      wallTimeS: t.wallTimeS === null ? null : round(t.wallTimeS, 3),
      runDir: t.runDir,
      resumes: t.resumes,
      ...(t.error === undefined ? {} : { error: t.error }),
    })),
    configs,
    best: best === null ? null : { config: best.config, file: bestFile },
    ...(asha === null ? {} : { asha: { ...asha.options, rungs: asha.rungs } }),
  };
}

/** The best config as `train --config` reads it: algo, env, preset and the options (the seed is the user's). */
export function bestConfigYaml(summary: SweepSummary): string | null {
  const best = summary.configs[0];
  if (best === undefined || best.meanFinalEval === null) return null;
  const body = {
    algo: summary.algo,
    env: summary.env,
    ...(summary.preset === undefined ? {} : { preset: summary.preset ?? 'none' }),
    ...summary.config,
    ...best.params,
  };
  const seeds = summary.trials.filter((t) => t.config === best.config && t.status === 'completed');
  return (
    `# Best config of sweep ${summary.name}: mean final evaluation ${fmt(best.meanFinalEval)} ± ${fmt(best.stdFinalEval)}` +
    ` over seeds ${seeds.map((t) => t.seed).join(', ')} (config ${best.config}, ${summary.timesteps} steps).\n` +
    `# Train it: policygrad train --config THIS_FILE --timesteps ${summary.timesteps} --seed 0\n` +
    stringify(body)
  );
}

/** The ranked table: one row per config, mean ± std of the final evaluation over seeds, steps, wall time. */
export function formatRankedTable(summary: SweepSummary): string {
  const keys = [...new Set(summary.configs.flatMap((c) => Object.keys(c.params)))];
  const header = ['rank', 'config', ...keys, 'final eval (mean ± std)', 'seeds', 'steps', 'wall s'];
  const rows = summary.configs.map((c) => [
    String(c.rank),
    String(c.config),
    ...keys.map((k) => formatParam(c.params[k])),
    c.meanFinalEval === null ? '—' : `${fmt(c.meanFinalEval)} ± ${fmt(c.stdFinalEval)}`,
    `${c.completed}/${c.trials}`,
    c.meanSteps === null ? '—' : String(Math.round(c.meanSteps)),
    c.meanWallTimeS === null ? '—' : c.meanWallTimeS.toFixed(1),
  ]);
  return formatTable(header, rows);
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatParam(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(3);
  return value === undefined ? '' : JSON.stringify(value);
}

function fmt(x: number | null): string {
  return x === null ? '—' : x.toFixed(1);
}

function average(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
