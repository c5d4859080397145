/**
 * The training page: a form, a canvas and two charts around a Web Worker that runs the library's core.
 * Everything the test suite checks is also visible on the page; `window.policygradPage` exposes the same numbers.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import {
  type FromWorker,
  PAGE_ALGOS,
  PAGE_ENVS,
  type PageAlgo,
  type PageEnv,
  type ToWorker,
  type TrainSettings,
} from './protocol.js';
import { setUpMemoryDemo } from './demo.js';
import { drawFrame } from './render.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const envSelect = $<HTMLSelectElement>('env');
const algoSelect = $<HTMLSelectElement>('algo');
const startButton = $<HTMLButtonElement>('start');
const pauseButton = $<HTMLButtonElement>('pause');
const downloadButton = $<HTMLButtonElement>('download');
const loadInput = $<HTMLInputElement>('load');
const canvas = $<HTMLCanvasElement>('env-canvas');
const estimatorFields = $<HTMLFieldSetElement>('estimator');
const configView = $<HTMLPreElement>('config');

for (const env of PAGE_ENVS) envSelect.add(new Option(env, env));
for (const [value, label] of Object.entries(PAGE_ALGOS)) algoSelect.add(new Option(label, value));
algoSelect.value = 'ppo-clip';

/** What the page has shown, for readers and for the browser tests. */
const page = {
  kernels: '',
  iterations: 0,
  step: 0,
  curve: [] as [number, number][],
  variance: [] as { step: number; variance: number; totalReturnVariance: number }[],
  framesDrawn: 0,
  episodesShown: 0,
  /** The env of the episode on the canvas. */
  episodeEnv: '',
  lastEpisodeReturn: Number.NaN,
  finished: false,
  error: '',
  /** The memory demo's two runs (set up below). */
  demo: null as unknown as ReturnType<typeof setUpMemoryDemo>['state'],
};
(window as unknown as { policygradPage: typeof page }).policygradPage = page;

// ---- charts ------------------------------------------------------------------------------------------------------
function chartWidth(element: HTMLElement): number {
  return Math.max(320, Math.min(element.clientWidth || 640, 800));
}
const curveElement = $<HTMLDivElement>('curve');
const curveData: [number[], number[]] = [[], []];
const curveChart = new uPlot(
  {
    width: chartWidth(curveElement),
    height: 240,
    scales: { x: { time: false } },
    axes: [{ label: 'environment steps' }, { label: 'episode return' }],
    series: [
      { label: 'step' },
      { label: 'mean return', stroke: '#2563eb', width: 2, points: { show: false } },
    ],
  },
  curveData,
  curveElement,
);
const varianceElement = $<HTMLDivElement>('variance');
const varianceData: [number[], number[], number[]] = [[], [], []];
const varianceChart = new uPlot(
  {
    width: chartWidth(curveElement),
    height: 200,
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'environment steps' }, { label: 'tr Cov(ĝ) (log scale)' }],
    series: [
      { label: 'step' },
      { label: 'chosen estimator', stroke: '#d97706', width: 2 },
      { label: 'total return', stroke: '#9ca3af', width: 1, dash: [5, 4] },
    ],
  },
  varianceData,
  varianceElement,
);

// ---- the worker --------------------------------------------------------------------------------------------------
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker) => worker.postMessage(message);
let state: 'idle' | 'training' | 'paused' | 'finished' | 'watching' = 'idle';
let budget = 0;
let lastSps = 0;

function setState(next: typeof state): void {
  state = next;
  pauseButton.disabled = next !== 'training' && next !== 'paused';
  pauseButton.textContent = next === 'paused' ? 'Resume' : 'Pause';
  downloadButton.disabled = next === 'idle' || next === 'watching';
}

function showStatus(): void {
  const last = page.curve.at(-1);
  const parts = [state === 'watching' ? 'watching a loaded policy' : state, `kernels: ${page.kernels}`];
  if (state !== 'watching' && state !== 'idle') {
    parts.push(`step ${page.step.toLocaleString('en-US')} / ${budget.toLocaleString('en-US')}`);
    parts.push(`iteration ${page.iterations}`);
    if (last) parts.push(`mean return ${last[1].toFixed(1)}`);
    parts.push(`${Math.round(lastSps).toLocaleString('en-US')} steps/s`);
  }
  status.textContent = parts.join(' · ');
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'ready':
      page.kernels = message.kernels;
      showStatus();
      break;
    case 'started':
      acceptEpisodes = true;
      budget = message.totalTimesteps;
      configView.textContent = JSON.stringify(message.config, null, 2);
      break;
    case 'iteration': {
      const r = message.report;
      page.iterations = r.iteration;
      page.step = r.step;
      lastSps = r.sps;
      if (r.episodeReturnMean !== null) {
        page.curve.push([r.step, r.episodeReturnMean]);
        curveData[0].push(r.step);
        curveData[1].push(r.episodeReturnMean);
        curveChart.setData(curveData);
      }
      showStatus();
      break;
    }
    case 'variance': {
      const r = message.report;
      page.variance.push({ step: r.step, variance: r.variance, totalReturnVariance: r.totalReturnVariance });
      varianceData[0].push(r.step);
      varianceData[1].push(r.variance);
      varianceData[2].push(r.totalReturnVariance);
      $<HTMLSpanElement>('estimator-name').textContent = r.estimator;
      varianceChart.setData(varianceData);
      break;
    }
    case 'episode':
      if (acceptEpisodes) queueEpisode(message);
      break;
    case 'policy': {
      const url = URL.createObjectURL(new Blob([message.json], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = message.fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      break;
    }
    case 'finished':
      page.finished = true;
      setState('finished');
      showStatus();
      break;
    case 'error':
      page.error = message.message;
      setState('idle');
      status.textContent = `Error: ${message.message}`;
      break;
  }
};

// ---- episode playback at the env's 50 frames per second -----------------------------------------------------------
type Episode = Extract<FromWorker, { type: 'episode' }>;
let playing: Episode | null = null;
/**
 * False from a Start until the worker says the new run has started: an episode of the previous run (another env,
 * perhaps) may already be on its way, and would be drawn as if it were the new run's. The worker sends the new
 * run's first episode unasked.
 */
let acceptEpisodes = true;
let nextEpisode: Episode | null = null;
let frameIndex = 0;
let lastFrameTime = 0;
const FRAME_MS = 20;

function queueEpisode(episode: Episode) {
  nextEpisode = episode;
}

function animate(time: number): void {
  if (playing === null && nextEpisode !== null) {
    playing = nextEpisode;
    nextEpisode = null;
    frameIndex = 0;
    page.episodesShown++;
    page.episodeEnv = playing.env;
    page.lastEpisodeReturn = playing.episodeReturn;
    send({ type: 'episode-request' }); // the next one is prepared while this one plays
  }
  if (playing !== null && time - lastFrameTime >= FRAME_MS) {
    lastFrameTime = time;
    const count = playing.frames.length / playing.obsDim;
    const obs = playing.frames.subarray(frameIndex * playing.obsDim, (frameIndex + 1) * playing.obsDim);
    const who = playing.source === 'loaded' ? 'loaded policy' : 'current policy';
    drawFrame(
      canvas,
      playing.env,
      obs,
      playing.pictures?.[frameIndex],
      `${playing.env} · ${who} · step ${frameIndex + 1}/${count} · return ${playing.episodeReturn.toFixed(1)}`,
    );
    page.framesDrawn++;
    frameIndex++;
    if (frameIndex >= count) playing = null;
  }
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);

// ---- controls ----------------------------------------------------------------------------------------------------
function numberOrNull(id: string): number | null {
  const value = $<HTMLInputElement>(id).value.trim();
  return value === '' ? null : Number(value);
}

function readSettings(): TrainSettings {
  const gae = $<HTMLInputElement>('gae').checked;
  return {
    env: envSelect.value as PageEnv,
    algo: algoSelect.value as PageAlgo,
    seed: numberOrNull('seed') ?? 0,
    gamma: numberOrNull('gamma'),
    learningRate: numberOrNull('lr'),
    trustRegion: numberOrNull('trust'),
    returns: $<HTMLSelectElement>('returns').value as TrainSettings['returns'],
    baseline: gae ? 'value' : ($<HTMLSelectElement>('baseline').value as TrainSettings['baseline']),
    gaeLambda: gae ? 0.97 : null,
    varianceEvery: numberOrNull('variance-every') ?? 0,
    totalTimesteps: null,
  };
}

/** The one trust-region knob each algorithm has (none for REINFORCE and A2C). */
const TRUST_REGION_NAMES: Partial<Record<PageAlgo, string>> = {
  'ppo-clip': 'Clip range ε',
  'ppo-kl': 'KL target δ (β doubles above 1.5δ, halves below δ/1.5)',
  trpo: 'KL bound δ',
  'recurrent-ppo': 'Clip range ε',
};

function syncForm(): void {
  const algo = algoSelect.value as PageAlgo;
  const reinforce = algo === 'reinforce';
  estimatorFields.disabled = !reinforce;
  const trust = TRUST_REGION_NAMES[algo];
  $<HTMLLabelElement>('trust-label').hidden = trust === undefined;
  $<HTMLSpanElement>('trust-name').textContent = trust ?? '';
  $<HTMLInputElement>('trust').value = '';
  $<HTMLInputElement>('lr').disabled = algo === 'trpo'; // TRPO's step comes from δ, not a learning rate
  $<HTMLDivElement>('variance-panel').hidden = !reinforce;
}
algoSelect.addEventListener('change', syncForm);
syncForm();

// ---- the memory demo: LSTM vs MLP on CartPoleNoVel-v1, each in a worker of its own ------------------------------
const demo = setUpMemoryDemo(
  {
    start: $<HTMLButtonElement>('demo-start'),
    stop: $<HTMLButtonElement>('demo-stop'),
    steps: $<HTMLInputElement>('demo-steps'),
    status: $<HTMLParagraphElement>('demo-status'),
    chart: $<HTMLDivElement>('demo-curve'),
    config: $<HTMLPreElement>('demo-config'),
  },
  chartWidth(curveElement),
  () => numberOrNull('seed') ?? 0,
  () => {
    // The demo's two runs get the cores: the form's run pauses (Resume continues it).
    if (state !== 'training') return;
    send({ type: 'pause' });
    setState('paused');
    showStatus();
  },
);
page.demo = demo.state;

$<HTMLFormElement>('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  demo.stop();
  page.curve.length = 0;
  page.variance.length = 0;
  page.iterations = 0;
  page.step = 0;
  page.finished = false;
  page.error = '';
  for (const series of curveData) series.length = 0;
  for (const series of varianceData) series.length = 0;
  curveChart.setData(curveData);
  varianceChart.setData(varianceData);
  playing = nextEpisode = null;
  acceptEpisodes = false;
  send({ type: 'start', settings: readSettings() });
  startButton.textContent = 'Restart';
  setState('training');
  showStatus();
});

pauseButton.addEventListener('click', () => {
  if (state === 'training') {
    send({ type: 'pause' });
    setState('paused');
  } else if (state === 'paused') {
    send({ type: 'resume' });
    setState('training');
  }
  showStatus();
});

downloadButton.addEventListener('click', () => send({ type: 'export' }));

loadInput.addEventListener('change', async () => {
  const file = loadInput.files?.[0];
  if (!file) return;
  send({ type: 'stop' });
  playing = nextEpisode = null;
  acceptEpisodes = true;
  send({ type: 'watch', policy: await file.text() });
  loadInput.value = '';
  setState('watching');
  showStatus();
});

if (!crossOriginIsolated) {
  console.warn('The page is not cross-origin isolated: training uses the TypeScript kernels.');
}
