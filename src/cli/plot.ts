/**
 * `policygrad plot`: learning curves from run directories' metrics.csv, as SVG or PNG. Runs that share a config
 * apart from the seed are one curve: the mean across seeds with a ± one standard deviation band. Charts are
 * Vega-Lite specs rendered to SVG by Vega (no browser); PNG goes through resvg (WebAssembly) with the DejaVu Sans
 * font shipped as an npm package, so the output is the same on every machine.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { PolicygradError } from '../node.js';
import { writeFileAtomically } from '../train/run-dir.js';

export interface PlotOptions {
  metric: string;
  out: string;
  x: 'step' | 'time_s';
  title?: string;
}

interface RunCurve {
  name: string;
  group: string;
  x: number[];
  y: (number | null)[];
}

const READABLE: Record<string, string> = {
  episode_return_mean: 'episode return (mean over the iteration)',
  episode_length_mean: 'episode length (mean over the iteration)',
  policy_loss: 'policy loss',
  value_loss: 'value loss',
  entropy: 'entropy',
  approx_kl: 'approximate KL(π_old ‖ π)',
  clip_fraction: 'clip fraction',
  explained_variance: 'explained variance',
  learning_rate: 'learning rate',
  sps: 'environment steps per second',
  step: 'environment steps',
  time_s: 'wall-clock time (s)',
};

function readRun(dir: string, metric: string, x: string): RunCurve {
  let csv: string;
  try {
    csv = readFileSync(join(dir, 'metrics.csv'), 'utf8');
  } catch {
    throw new PolicygradError(`plot: ${dir} is not a run directory (no metrics.csv)`);
  }
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.split(',');
  const yi = columns.indexOf(metric);
  const xi = columns.indexOf(x);
  if (yi < 0) {
    throw new PolicygradError(
      `plot: no metric '${metric}' in ${dir}/metrics.csv; available: ${columns.join(', ')}`,
    );
  }
  let config: { algo?: string; env?: string; config?: Record<string, unknown> } = {};
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch {
    // a run without config.json is its own group
  }
  const { seed: _seed, ...rest } = config.config ?? {};
  const group =
    config.algo === undefined
      ? basename(dir)
      : `${config.algo} ${config.env ?? ''}|${JSON.stringify(rest, Object.keys(rest).sort())}`;
  const cells = rows.map((r) => r.split(','));
  return {
    name: basename(dir),
    group,
    x: cells.map((c) => Number(c[xi])),
    y: cells.map((c) => (c[yi] === '' || c[yi] === undefined ? null : Number(c[yi]))),
  };
}

/** Rows for the chart: per group, the mean and std across its runs at each iteration (runs aligned by index). */
function summarise(
  curves: RunCurve[],
): { label: string; x: number; mean: number; low: number; high: number }[] {
  const groups = new Map<string, RunCurve[]>();
  for (const c of curves) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  // Readable labels: "algo env", the first run's name when several groups share algo and env, and the seed count.
  const heads = [...groups.keys()].map((key) => key.split('|')[0]);
  const labels = new Map<string, string>();
  for (const [key, runs] of groups) {
    const head = key.split('|')[0];
    const named = !key.includes('|') ? runs[0].name : head;
    const ambiguous =
      key.includes('|') && heads.filter((h) => h === head).length > 1 ? ` (${runs[0].name})` : '';
    const seeds = runs.length > 1 ? ` — mean ± std of ${runs.length} seeds` : '';
    labels.set(key, `${named}${ambiguous}${seeds}`);
  }
  const out: { label: string; x: number; mean: number; low: number; high: number }[] = [];
  for (const [key, runs] of groups) {
    // Forward-fill iterations without a value (no episode finished), then average across runs.
    const filled = runs.map((r) => {
      let last: number | null = null;
      return r.y.map((v) => (v === null || !Number.isFinite(v) ? last : (last = v)));
    });
    const length = Math.min(...runs.map((r) => r.x.length));
    for (let i = 0; i < length; i++) {
      const values = filled.map((f) => f[i]).filter((v): v is number => v !== null);
      if (values.length === 0) continue;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
      const x = runs.reduce((a, r) => a + r.x[i], 0) / runs.length;
      out.push({ label: labels.get(key) as string, x, mean, low: mean - std, high: mean + std });
    }
  }
  return out;
}

export function plotSpec(runs: string[], options: PlotOptions): TopLevelSpec {
  if (runs.length === 0) throw new PolicygradError('plot: give at least one run directory');
  const data = summarise(runs.map((dir) => readRun(dir, options.metric, options.x)));
  const metricTitle = READABLE[options.metric] ?? options.metric;
  const font = 'DejaVu Sans';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? `${metricTitle[0].toUpperCase()}${metricTitle.slice(1)}`,
    width: 640,
    height: 360,
    background: 'white',
    config: {
      font,
      axis: { labelFontSize: 12, titleFontSize: 13 },
      legend: { labelLimit: 480, orient: 'bottom' },
    },
    data: { values: data },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: READABLE[options.x] ?? options.x },
      color: { field: 'label', type: 'nominal', title: null },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: { y: { field: 'low', type: 'quantitative', title: metricTitle }, y2: { field: 'high' } },
      },
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

export async function runPlot(runs: string[], options: PlotOptions): Promise<string> {
  const lower = options.out.toLowerCase();
  if (!lower.endsWith('.svg') && !lower.endsWith('.png')) {
    throw new PolicygradError(`plot: --out ${options.out}: expected a file name ending in .svg or .png`);
  }
  const spec = plotSpec(runs, options);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  if (lower.endsWith('.svg')) {
    writeFileAtomically(options.out, svg);
  } else {
    await loadResvg();
    const fontFile = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans.ttf');
    const png = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: 2 },
      font: {
        fontBuffers: [readFileSync(fontFile)],
        defaultFontFamily: 'DejaVu Sans',
        loadSystemFonts: false,
      },
    })
      .render()
      .asPng();
    writeFileAtomically(options.out, png);
  }
  return options.out;
}

const require = createRequire(import.meta.url);
let resvgReady: Promise<void> | null = null;

function loadResvg(): Promise<void> {
  resvgReady ??= initWasm(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
  return resvgReady;
}
