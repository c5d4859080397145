/**
 * The memory demo: RecurrentPPO with an LSTM policy and PPO with a feed-forward (MLP) policy training at once on
 * CartPoleNoVel-v1, whose observation hides the velocities ([x, 0, θ, 0], rl-zoo's MaskVelocityWrapper). Each run
 * has a Web Worker of its own (the page's worker script, so two cores train two runs), and their learning curves
 * share one chart: the LSTM infers the velocities from what it saw and its return climbs to 500; the MLP sees one
 * frame and stays near 40 (bench/results/recurrent.md: 418 vs 44 after 100k steps, 5 seeds).
 */
import uPlot from 'uplot';
import type { FromWorker, ToWorker, TrainSettings } from './protocol.js';

export const DEMO_ENV = 'CartPoleNoVel-v1';

/** The two sides: the LSTM with its zoo preset (ppo_lstm.yml), the MLP with CartPole-v1's zoo values. */
const RUNS = [
  {
    key: 'lstm',
    algo: 'recurrent-ppo',
    name: 'LSTM',
    label: 'LSTM policy (RecurrentPPO)',
    stroke: '#2563eb',
  },
  { key: 'mlp', algo: 'ppo-clip', name: 'MLP', label: 'MLP policy (PPO)', stroke: '#dc2626' },
] as const;
type RunKey = (typeof RUNS)[number]['key'];

/** What one side has shown, for readers and for the browser tests. */
export interface DemoRunState {
  /** Iteration reports (metric rows) received. */
  iterations: number;
  step: number;
  totalTimesteps: number;
  /** [step, mean return of the episodes finished in the iteration] */
  curve: [number, number][];
  finished: boolean;
  /** The resolved configuration the worker trains with. */
  config: Record<string, unknown> | null;
}

export interface DemoState {
  running: boolean;
  error: string;
  lstm: DemoRunState;
  mlp: DemoRunState;
}

const emptyRun = (): DemoRunState => ({
  iterations: 0,
  step: 0,
  totalTimesteps: 0,
  curve: [],
  finished: false,
  config: null,
});

export interface DemoElements {
  start: HTMLButtonElement;
  stop: HTMLButtonElement;
  steps: HTMLInputElement;
  status: HTMLElement;
  chart: HTMLElement;
  /** Where the two resolved configurations are shown. */
  config: HTMLElement;
}

/**
 * Wires the demo's controls. `seed()` reads the page's seed; `onStart` lets the page pause its own run so the two
 * demo runs have the cores to themselves.
 */
export function setUpMemoryDemo(
  elements: DemoElements,
  width: number,
  seed: () => number,
  onStart: () => void,
): { state: DemoState; stop(): void } {
  const state: DemoState = { running: false, error: '', lstm: emptyRun(), mlp: emptyRun() };
  // One row per step that either run reported: [steps, LSTM return, MLP return] (null where a run has no point).
  const rows = new Map<number, [number | null, number | null]>();
  const data: [number[], (number | null)[], (number | null)[]] = [[], [], []];
  const chart = new uPlot(
    {
      width,
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: 'environment steps' }, { label: 'episode return' }],
      series: [
        { label: 'step' },
        ...RUNS.map((r) => ({
          label: r.label,
          stroke: r.stroke,
          width: 2,
          spanGaps: true,
          points: { show: false },
        })),
      ],
    },
    data,
    elements.chart,
  );
  let workers: Worker[] = [];

  function redraw(): void {
    const steps = [...rows.keys()].sort((a, b) => a - b);
    data[0] = steps;
    data[1] = steps.map((s) => rows.get(s)![0]);
    data[2] = steps.map((s) => rows.get(s)![1]);
    chart.setData(data);
  }

  function showStatus(): void {
    const parts = RUNS.map(({ key, name }) => {
      const run = state[key];
      const last = run.curve.at(-1);
      const progress = `${run.step.toLocaleString('en-US')} / ${run.totalTimesteps.toLocaleString('en-US')} steps`;
      return `${name}: ${progress}${last ? ` · mean return ${last[1].toFixed(1)}` : ''}${run.finished ? ' · done' : ''}`;
    });
    elements.status.textContent = state.error ? `Error: ${state.error}` : parts.join(' — ');
  }

  function receive(key: RunKey, column: 0 | 1, message: FromWorker): void {
    const run = state[key];
    switch (message.type) {
      case 'started':
        run.totalTimesteps = message.totalTimesteps;
        run.config = message.config;
        elements.config.textContent = JSON.stringify(
          Object.fromEntries(RUNS.map((r) => [r.label, state[r.key].config])),
          null,
          2,
        );
        break;
      case 'iteration': {
        const r = message.report;
        run.iterations++;
        run.step = r.step;
        if (r.episodeReturnMean !== null) {
          run.curve.push([r.step, r.episodeReturnMean]);
          const row = rows.get(r.step) ?? [null, null];
          row[column] = r.episodeReturnMean;
          rows.set(r.step, row);
          redraw();
        }
        break;
      }
      case 'finished':
        run.finished = true;
        if (state.lstm.finished && state.mlp.finished) stop();
        break;
      case 'error':
        state.error = `${key}: ${message.message}`;
        stop();
        break;
      default: // 'ready', and the episodes the worker prepares for drawing: the demo only plots
        return;
    }
    showStatus();
  }

  function stop(): void {
    for (const worker of workers) worker.terminate();
    workers = [];
    state.running = false;
    elements.start.disabled = false;
    elements.stop.disabled = true;
  }

  elements.start.addEventListener('click', () => {
    stop();
    onStart();
    state.error = '';
    state.lstm = emptyRun();
    state.mlp = emptyRun();
    rows.clear();
    redraw();
    const steps = elements.steps.value.trim();
    const totalTimesteps = steps === '' ? null : Number(steps);
    workers = RUNS.map(({ key, algo }, column) => {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (event: MessageEvent<FromWorker>) => receive(key, column as 0 | 1, event.data);
      const settings: TrainSettings = {
        env: DEMO_ENV,
        algo,
        seed: seed(),
        gamma: null,
        learningRate: null,
        trustRegion: null,
        returns: 'reward-to-go',
        baseline: 'value',
        gaeLambda: null,
        varianceEvery: 0,
        totalTimesteps,
      };
      worker.postMessage({ type: 'start', settings } satisfies ToWorker);
      return worker;
    });
    state.running = true;
    elements.start.disabled = true;
    elements.stop.disabled = false;
    showStatus();
  });
  elements.stop.addEventListener('click', () => {
    stop();
    showStatus();
  });
  return { state, stop };
}
