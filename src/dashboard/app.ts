/**
 * The dashboard page (served by `policygrad dashboard`): lists the runs, plots any metrics.csv column against
 * steps or time for the selected runs (or the mean ± std across the seeds of one config), re-reads runs as they
 * grow, and shows a run's config. Runs in the browser; uPlot is loaded by the page as a global.
 */
import type uPlotType from 'uplot';
import { groupKey, type MetricsTable, parseMetricsCsv, type RunListing, seedStatistics } from './curves.js';

interface LoadedRun extends RunListing {
  table: MetricsTable;
  loadedSize: number;
  lastGrowth: number;
}

const UPlot = (globalThis as unknown as { uPlot: typeof uPlotType }).uPlot;
const POLL_MS = 2000;
const PALETTE = [
  '#2563eb',
  '#d97706',
  '#16a34a',
  '#dc2626',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#475569',
];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const runsElement = $<HTMLDivElement>('runs');
const metricSelect = $<HTMLSelectElement>('metric');
const xSelect = $<HTMLSelectElement>('x-axis');
const aggregateBox = $<HTMLInputElement>('aggregate');
const statusElement = $<HTMLParagraphElement>('status');
const chartElement = $<HTMLDivElement>('chart');

const runs = new Map<string, LoadedRun>();
const selected = new Set<string>();
let chart: uPlotType | null = null;

/** What the page shows, for readers and for the browser tests. */
const dashboard = {
  runs: [] as string[],
  series: [] as { label: string; points: number }[],
  reads: 0,
  error: '',
};
(globalThis as unknown as { policygradDashboard: typeof dashboard }).policygradDashboard = dashboard;

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.text();
}

function colourOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}

function groupLabel(run: RunListing): string {
  return run.algo === null ? run.path : `${run.algo} · ${run.env ?? ''}`;
}

function renderRunList(): void {
  const groups = new Map<string, LoadedRun[]>();
  for (const run of runs.values()) groups.set(run.group, [...(groups.get(run.group) ?? []), run]);
  runsElement.replaceChildren();
  let index = 0;
  for (const [, members] of groups) {
    const box = document.createElement('div');
    box.className = 'group';
    const title = document.createElement('div');
    title.className = 'group-title';
    title.textContent = `${groupLabel(members[0])}${members.length > 1 ? ` — ${members.length} seeds` : ''}`;
    box.append(title);
    for (const run of members) {
      const row = document.createElement('div');
      row.className = 'run';
      const box2 = document.createElement('input');
      box2.type = 'checkbox';
      box2.checked = selected.has(run.path);
      box2.dataset.run = run.path;
      box2.addEventListener('change', () => {
        if (box2.checked) selected.add(run.path);
        else selected.delete(run.path);
        void refresh();
      });
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colourOf(index++);
      const name = document.createElement('button');
      name.type = 'button';
      name.textContent = run.path + (run.seed !== null ? ` (seed ${run.seed})` : '');
      name.addEventListener('click', () => void showConfig(run.path));
      row.append(box2, swatch, name);
      if (Date.now() - run.lastGrowth < 3 * POLL_MS) {
        const live = document.createElement('span');
        live.className = 'live';
        live.textContent = '● live';
        row.append(live);
      }
      box.append(row);
    }
    runsElement.append(box);
  }
}

async function showConfig(path: string): Promise<void> {
  $<HTMLElement>('config-name').textContent = path;
  try {
    const text = await fetchText(`/runs/${encodePath(path)}/config.json`);
    $<HTMLPreElement>('config').textContent = JSON.stringify(JSON.parse(text), null, 2);
  } catch (error) {
    $<HTMLPreElement>('config').textContent = `no config: ${(error as Error).message}`;
  }
}

function renderMetricOptions(): void {
  const columns = new Set<string>();
  for (const run of runs.values()) for (const c of run.table.columns) columns.add(c);
  for (const skip of ['step', 'time_s', 'iteration']) columns.delete(skip);
  const current = metricSelect.value || 'episode_return_mean';
  const wanted = [...columns];
  if (wanted.join(',') === Array.from(metricSelect.options, (o) => o.value).join(',')) return;
  metricSelect.replaceChildren(...wanted.map((c) => new Option(c, c)));
  metricSelect.value = wanted.includes(current) ? current : (wanted[0] ?? '');
}

interface Series {
  label: string;
  colour: string;
  x: number[];
  y: (number | null)[];
  band?: { low: number[]; high: number[] };
}

function column(table: MetricsTable, name: string): (number | null)[] {
  const i = table.columns.indexOf(name);
  return table.rows.map((row) => (i < 0 ? null : row[i]));
}

function buildSeries(): Series[] {
  const metric = metricSelect.value;
  const xName = xSelect.value;
  const chosen = [...runs.values()].filter((r) => selected.has(r.path));
  const colourIndex = new Map([...runs.keys()].map((path, i) => [path, i]));
  if (!aggregateBox.checked) {
    return chosen.map((run) => ({
      label: run.path,
      colour: colourOf(colourIndex.get(run.path) ?? 0),
      x: column(run.table, xName).map((v) => v ?? Number.NaN),
      y: column(run.table, metric),
    }));
  }
  const groups = new Map<string, LoadedRun[]>();
  for (const run of chosen) groups.set(run.group, [...(groups.get(run.group) ?? []), run]);
  const heads = [...groups.values()].map((members) => groupLabel(members[0]));
  return [...groups.values()].map((members) => {
    const head = groupLabel(members[0]);
    // Two configs of the same algorithm and env: name each by its first run.
    const label = heads.filter((h) => h === head).length > 1 ? `${head} (${members[0].path})` : head;
    const stats = seedStatistics(
      members.map((run) => ({
        x: column(run.table, xName).map((v) => v ?? Number.NaN),
        y: column(run.table, metric),
      })),
    );
    return {
      label: members.length > 1 ? `${label} — mean ± std of ${members.length} seeds` : label,
      colour: colourOf(colourIndex.get(members[0].path) ?? 0),
      x: stats.x,
      y: stats.mean,
      band: {
        low: stats.mean.map((m, i) => m - stats.std[i]),
        high: stats.mean.map((m, i) => m + stats.std[i]),
      },
    };
  });
}

/** uPlot wants one shared x: the union of every series' x, each series null where it has no point. */
function toAligned(series: Series[]): { data: uPlotType.AlignedData; options: uPlotType.Options } {
  const xs = [...new Set(series.flatMap((s) => s.x.filter(Number.isFinite)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns: (number | null)[][] = [];
  const seriesOptions: uPlotType.Series[] = [{ label: xSelect.value === 'step' ? 'step' : 'time (s)' }];
  const bands: uPlotType.Band[] = [];
  const place = (x: number[], y: (number | null)[]) => {
    const out: (number | null)[] = new Array(xs.length).fill(null);
    x.forEach((v, i) => {
      const at = index.get(v);
      if (at !== undefined) out[at] = y[i];
    });
    return out;
  };
  for (const s of series) {
    columns.push(place(s.x, s.y));
    seriesOptions.push({
      label: s.label,
      stroke: s.colour,
      width: 2,
      spanGaps: true,
      points: { show: false },
    });
    if (s.band) {
      const high = columns.push(place(s.x, s.band.high));
      seriesOptions.push({
        label: `${s.label} +std`,
        stroke: 'transparent',
        spanGaps: true,
        points: { show: false },
      });
      const low = columns.push(place(s.x, s.band.low));
      seriesOptions.push({
        label: `${s.label} −std`,
        stroke: 'transparent',
        spanGaps: true,
        points: { show: false },
      });
      bands.push({ series: [high, low], fill: `${s.colour}33` });
    }
  }
  const options: uPlotType.Options = {
    width: Math.max(480, chartElement.clientWidth || 900),
    height: 420,
    scales: { x: { time: false } },
    axes: [
      { label: xSelect.value === 'step' ? 'environment steps' : 'wall-clock time (s)' },
      { label: metricSelect.value, size: 70 },
    ],
    legend: { live: false },
    series: seriesOptions,
    bands,
  };
  return { data: [xs, ...columns] as uPlotType.AlignedData, options };
}

let lastShape = '';
function draw(): void {
  const series = buildSeries();
  dashboard.series = series.map((s) => ({ label: s.label, points: s.y.filter((v) => v !== null).length }));
  const { data, options } = toAligned(series);
  // Same series and axes: update the data in place (keeps zoom); otherwise rebuild the chart.
  const shape = JSON.stringify([options.series.map((s) => s.label), metricSelect.value, xSelect.value]);
  if (chart !== null && shape === lastShape) {
    chart.setData(data);
  } else {
    chart?.destroy();
    chart = new UPlot(options, data, chartElement);
    lastShape = shape;
    // The ±std series only carry the band: keep them out of the legend.
    chart.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row) => {
      if (/[+−]std$/.test(row.querySelector('.u-label')?.textContent ?? '')) row.style.display = 'none';
    });
  }
}

async function refresh(): Promise<void> {
  try {
    const listing = JSON.parse(await fetchText('/api/runs')) as { root: string; runs: RunListing[] };
    const firstLoad = runs.size === 0;
    const present = new Set(listing.runs.map((r) => r.path));
    for (const path of [...runs.keys()]) if (!present.has(path)) runs.delete(path);
    for (const entry of listing.runs) {
      const known = runs.get(entry.path);
      const grew = known === undefined || known.loadedSize !== entry.metricsSize;
      let table = known?.table ?? { columns: [], rows: [] };
      if (grew && entry.metricsSize > 0) {
        table = parseMetricsCsv(await fetchText(`/runs/${encodePath(entry.path)}/metrics.csv`));
        dashboard.reads++;
      }
      runs.set(entry.path, {
        ...entry,
        group: entry.group || groupKey(entry.path, null),
        table,
        loadedSize: entry.metricsSize,
        lastGrowth: grew && known !== undefined ? Date.now() : (known?.lastGrowth ?? 0),
      });
      if (firstLoad) selected.add(entry.path);
    }
    dashboard.runs = [...runs.keys()];
    renderMetricOptions();
    renderRunList();
    draw();
    const time = new Date().toLocaleTimeString();
    statusElement.textContent = `${runs.size} run${runs.size === 1 ? '' : 's'} in ${listing.root} · updated ${time} · refreshes every ${POLL_MS / 1000} s`;
    dashboard.error = '';
  } catch (error) {
    dashboard.error = (error as Error).message;
    statusElement.textContent = `Cannot read the runs: ${dashboard.error}`;
  }
}

metricSelect.addEventListener('change', draw);
xSelect.addEventListener('change', draw);
aggregateBox.addEventListener('change', draw);

let polling = false;
async function poll(): Promise<void> {
  if (!polling) {
    polling = true;
    await refresh();
    polling = false;
  }
  setTimeout(() => void poll(), POLL_MS);
}
void poll();
