/**
 * Learning curves from run directories, shared by `policygrad plot` (Node) and the dashboard page (browser):
 * parsing metrics.csv, naming the group a run belongs to (its config apart from the seed), and the mean ± std
 * across the seeds of one group. Pure functions, no Node built-ins.
 */

export interface MetricsTable {
  columns: string[];
  /** One row per iteration; an empty cell (a metric not reported that iteration) is null. */
  rows: (number | null)[][];
}

export function parseMetricsCsv(text: string): MetricsTable {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return { columns: [], rows: [] };
  const columns = lines[0].split(',').map((c) => c.trim());
  const rows = lines.slice(1).map((line) =>
    line.split(',').map((cell) => {
      const value = cell.trim() === '' ? Number.NaN : Number(cell);
      return Number.isFinite(value) ? value : null;
    }),
  );
  // A row being written while we read (no newline yet, fewer cells) is left for the next read.
  return { columns, rows: rows.filter((row) => row.length === columns.length) };
}

/** One run as the dashboard server lists it (GET /api/runs). */
export interface RunListing {
  /** The run's directory relative to the runs directory, with forward slashes. */
  path: string;
  name: string;
  group: string;
  algo: string | null;
  env: string | null;
  seed: number | null;
  /** Size and modification time of metrics.csv (0 when missing): the page re-reads it when they change. */
  metricsSize: number;
  metricsMtimeMs: number;
  hasConfig: boolean;
}

/** What config.json holds that matters here. */
export interface RunConfigSummary {
  algo?: string;
  env?: string;
  config?: Record<string, unknown>;
  /** A sweep trial's: the values its config took from the search space (`policygrad sweep`). */
  sweep?: { params?: Record<string, unknown> };
}

/**
 * The group of a run: runs with the same algorithm, env and config apart from the seed are seeds of one
 * experiment. A run without a config is its own group.
 */
export function groupKey(runName: string, config: RunConfigSummary | null): string {
  if (config?.algo === undefined) return runName;
  const { seed: _seed, ...rest } = config.config ?? {};
  // A sweep's configs are told apart by their searched values, which the head (the part before '|') shows.
  const params = Object.entries(config.sweep?.params ?? {}).map(([k, v]) => `${k}=${formatParam(v)}`);
  const head = `${config.algo} ${config.env ?? ''}${params.length > 0 ? ` ${params.join(', ')}` : ''}`;
  return `${head}|${JSON.stringify(rest, Object.keys(rest).sort())}`;
}

function formatParam(value: unknown): string {
  return typeof value === 'number' && !Number.isInteger(value)
    ? String(Number(value.toPrecision(3)))
    : JSON.stringify(value);
}

export interface Curve {
  x: number[];
  y: (number | null)[];
}

export interface SeedStatistics {
  x: number[];
  mean: number[];
  std: number[];
}

/**
 * Mean and (population) standard deviation across runs, aligned by iteration index, over the iterations every
 * run has reached. Iterations without a value (no episode finished) carry the run's previous value forward; the
 * x of each point is the runs' mean x.
 */
export function seedStatistics(curves: Curve[]): SeedStatistics {
  const out: SeedStatistics = { x: [], mean: [], std: [] };
  if (curves.length === 0) return out;
  const filled = curves.map((c) => {
    let last: number | null = null;
    return c.y.map((v) => (v === null || !Number.isFinite(v) ? last : (last = v)));
  });
  const length = Math.min(...curves.map((c) => c.x.length));
  for (let i = 0; i < length; i++) {
    const values = filled.map((f) => f[i]).filter((v): v is number => v !== null);
    if (values.length === 0) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    out.x.push(curves.reduce((a, c) => a + c.x[i], 0) / curves.length);
    out.mean.push(mean);
    out.std.push(Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length));
  }
  return out;
}
