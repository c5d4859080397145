/**
 * `policygrad plot`: learning curves from run directories' metrics.csv, as SVG or PNG. Runs that share a config
 * apart from the seed are one curve: the mean across seeds with a ± one standard deviation band. Charts are
 * Vega-Lite specs rendered to SVG by Vega (no browser); PNG goes through resvg (WebAssembly) with the DejaVu Sans
 * font shipped as an npm package, so the output is the same on every machine. All four are optional peer
 * dependencies, loaded here on use (optional-packages.ts).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as ResvgWasm from '@resvg/resvg-wasm';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { parseMetricsCsv, groupKey, type RunConfigSummary, seedStatistics } from '../dashboard/curves.js';
import { PolicygradError } from '../errors.js';
import { writeFileAtomically } from '../node/run-dir.js';
import { installedPackages, loadOptional, type PackageSource } from './optional-packages.js';

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
  const { columns, rows } = parseMetricsCsv(csv);
  const yi = columns.indexOf(metric);
  const xi = columns.indexOf(x);
  if (yi < 0) {
    throw new PolicygradError(
      `plot: no metric '${metric}' in ${dir}/metrics.csv; available: ${columns.join(', ')}`,
    );
  }
  let config: RunConfigSummary | null = null;
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunConfigSummary;
  } catch {
    // a run without config.json is its own group
  }
  return {
    name: basename(dir),
    group: groupKey(basename(dir), config),
    x: rows.map((row) => row[xi] ?? Number.NaN),
    y: rows.map((row) => row[yi]),
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
    const stats = seedStatistics(runs);
    const label = labels.get(key) as string;
    stats.x.forEach((x, i) => {
      const mean = stats.mean[i];
      out.push({ label, x, mean, low: mean - stats.std[i], high: mean + stats.std[i] });
    });
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

export async function runPlot(
  runs: string[],
  options: PlotOptions,
  packages: PackageSource = installedPackages,
): Promise<string> {
  const lower = options.out.toLowerCase();
  if (!lower.endsWith('.svg') && !lower.endsWith('.png')) {
    throw new PolicygradError(`plot: --out ${options.out}: expected a file name ending in .svg or .png`);
  }
  const png = lower.endsWith('.png');
  const loaded = await loadOptional(
    png ? 'plot (charts; PNG rendering and its font)' : 'plot (charts)',
    png
      ? {
          imports: ['vega', 'vega-lite', '@resvg/resvg-wasm'],
          files: ['@resvg/resvg-wasm/index_bg.wasm', 'dejavu-fonts-ttf/package.json'],
        }
      : { imports: ['vega', 'vega-lite'] },
    packages,
  );
  const [vega, vegaLite, resvg] = loaded.modules as [typeof Vega, typeof VegaLite, typeof ResvgWasm];
  const spec = plotSpec(runs, options);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  if (!png) {
    writeFileAtomically(options.out, svg);
  } else {
    const [wasmFile, fontPackage] = loaded.paths;
    resvgReady ??= resvg.initWasm(readFileSync(wasmFile));
    await resvgReady;
    const fontFile = join(dirname(fontPackage), 'ttf', 'DejaVuSans.ttf');
    const image = new resvg.Resvg(svg, {
      fitTo: { mode: 'zoom', value: 2 },
      font: {
        fontBuffers: [readFileSync(fontFile)],
        defaultFontFamily: 'DejaVu Sans',
        loadSystemFonts: false,
      },
    })
      .render()
      .asPng();
    writeFileAtomically(options.out, image);
  }
  return options.out;
}

/** resvg's WebAssembly, instantiated once per process. */
let resvgReady: Promise<void> | null = null;
