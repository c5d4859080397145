/**
 * The training page's Web Worker: the library's core, unchanged, training one algorithm iteration at a time so the
 * page stays responsive and can pause, export, or ask for an episode to draw between iterations.
 */
import { loadPolicy } from '../src/inference.js';
import {
  type Algorithm,
  createAlgorithm,
  describeKernels,
  listPresets,
  loadEnvEngine,
  make,
  normalizationOf,
  policyFileOf,
  presetTimesteps,
  presetValues,
  runVarianceLab,
  varianceEstimatorFor,
  importPolicy,
} from '../src/internal.js';
import type { FromWorker, ToWorker, TrainSettings } from './protocol.js';

const DEFAULT_BUDGET = 200_000;
/** The config field each algorithm's trust-region knob sets. */
const TRUST_REGION_FIELDS: Partial<Record<TrainSettings['algo'], string>> = {
  'ppo-clip': 'clipRange',
  'ppo-kl': 'klPenaltyTarget',
  trpo: 'maxKl',
  'recurrent-ppo': 'clipRange',
};
/** Longest episode drawn (CartPole's limit). */
const MAX_EPISODE_FRAMES = 1000;

let model: Algorithm | null = null;
let settings: TrainSettings | null = null;
let algoName = '';
let totalTimesteps = 0;
let paused = false;
let generation = 0; // bumps on every start/stop so an old training loop ends
let episodeWanted = false;
let watched: string | null = null; // a loaded policy's JSON being watched instead of training
let running = false; // a training loop is active (episodes are then sent between iterations)

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

/** The env a partially observed variant hides the velocities of (`CartPoleNoVel-v1` → `CartPole-v1`), or null. */
const fullyObservedOf = (env: string): string | null =>
  /NoVel-v\d+$/.test(env) ? env.replace('NoVel-v', '-v') : null;

/**
 * The zoo preset of the algorithm on the env; an env without one that hides a tuned env's velocities trains with
 * that env's values (feed-forward PPO on CartPoleNoVel-v1 with CartPole-v1's: the memory demo's MLP side, the
 * values bench/recurrent.mjs compares with).
 */
function zooPreset(algo: string, env: string): { preset: unknown; budget: number | undefined } | null {
  if (listPresets(algo, env).includes('zoo')) return { preset: 'zoo', budget: presetTimesteps(algo, env) };
  const full = fullyObservedOf(env);
  if (full === null || !listPresets(algo, full).includes('zoo')) return null;
  return {
    preset: presetValues(algo, { preset: 'zoo', env: full }, full),
    budget: presetTimesteps(algo, full),
  };
}

function createModel(s: TrainSettings): Algorithm {
  algoName = s.algo.startsWith('ppo') ? 'ppo' : s.algo;
  const config: Record<string, unknown> = { env: s.env, seed: s.seed };
  const zoo = zooPreset(algoName, s.env);
  if (zoo !== null) config.preset = zoo.preset;
  totalTimesteps = s.totalTimesteps ?? zoo?.budget ?? DEFAULT_BUDGET;
  if (s.algo === 'ppo-kl') config.objective = 'kl-penalty';
  if (s.algo === 'reinforce') {
    Object.assign(config, { returns: s.returns, baseline: s.baseline, gaeLambda: s.gaeLambda });
  }
  if (s.gamma !== null) config.gamma = s.gamma;
  if (s.learningRate !== null && s.algo !== 'trpo') config.learningRate = s.learningRate;
  if (s.trustRegion !== null) {
    const field = TRUST_REGION_FIELDS[s.algo];
    if (field !== undefined) config[field] = s.trustRegion;
  }
  return createAlgorithm(algoName, config);
}

function currentPolicyJson(): string {
  if (model === null) throw new Error('nothing has been trained yet');
  const file = policyFileOf(model, algoName);
  return JSON.stringify(file);
}

/** The Box2D envs draw from `picture()` (their terrain is random and BipedalWalker's observation has no position). */
interface PicturedEnv {
  picture(): unknown;
}
const picturedEnv = (env: unknown): PicturedEnv | null =>
  typeof (env as Partial<PicturedEnv>).picture === 'function' ? (env as PicturedEnv) : null;

/**
 * Plays one deterministic episode of a policy file on a fresh env and sends its observations (and, for the Box2D
 * envs, its pictures) to be drawn. The env's engine must be loaded (`loadEnvEngine`).
 */
function sendEpisode(json: string, source: 'training' | 'loaded', seed: number): void {
  const policy = loadPolicy(json);
  const envId = (JSON.parse(json) as { env: string }).env;
  const env = make<Float32Array, number | Float32Array>(envId);
  const pictured = picturedEnv(env.unwrapped);
  const pictures: unknown[] | null = pictured === null ? null : [];
  try {
    let { observation } = env.reset({ seed });
    pictures?.push(pictured!.picture());
    const obsDim = observation.length;
    const frames = new Float32Array(MAX_EPISODE_FRAMES * obsDim);
    frames.set(observation, 0);
    let count = 1;
    let episodeReturn = 0;
    while (count < MAX_EPISODE_FRAMES) {
      const action = policy.act(observation);
      const result = env.step(typeof action === 'number' ? action : Float32Array.from(action));
      episodeReturn += result.reward;
      observation = result.observation;
      frames.set(observation, count * obsDim);
      pictures?.push(pictured!.picture());
      count++;
      if (result.terminated || result.truncated) break;
    }
    const used = frames.slice(0, count * obsDim);
    post({ type: 'episode', env: envId, obsDim, frames: used, pictures, episodeReturn, source }, [
      used.buffer,
    ]);
  } finally {
    env.close();
  }
}

/** tr Cov of the chosen estimator on a copy of the current policy (the lab refits the copy's critic). */
function measureVariance(s: TrainSettings, step: number, seed: number): void {
  if (model === null) return;
  const estimator = varianceEstimatorFor(s);
  const copy = importPolicy(JSON.parse(currentPolicyJson()));
  const report = runVarianceLab(
    {
      env: s.env,
      estimators: estimator === 'total' ? ['total'] : ['total', estimator],
      batchEpisodes: 5,
      repeats: 12,
      seed,
      gamma: (model.config as { gamma?: number }).gamma ?? 0.99,
      gaeLambda: s.gaeLambda ?? 0.97,
      criticEpisodes: 20,
      criticEpochs: 20,
      netArch: copy.spec.netArch,
    },
    { policy: copy, normalization: normalizationOf(model.env) },
  );
  const find = (name: string) => report.estimators.find((e) => e.name === name)?.totalVariance ?? Number.NaN;
  post({
    type: 'variance',
    report: { step, estimator, variance: find(estimator), totalReturnVariance: find('total') },
  });
}

/** Wakes a paused training loop. */
let wakeUp: (() => void) | null = null;
function wake(): void {
  wakeUp?.();
  wakeUp = null;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function train(s: TrainSettings, myGeneration: number): Promise<void> {
  await loadEnvEngine(s.env); // Box2D: imports planck on first use
  if (generation !== myGeneration) return;
  const trained = createModel(s);
  model = trained;
  settings = s;
  post({ type: 'started', config: { ...trained.config }, totalTimesteps });
  trained.begin({ totalTimesteps });
  let step = 0;
  running = true;
  // One iteration per task, so that pause/export/stop messages get in between two of them.
  while (generation === myGeneration && !trained.done) {
    if (paused) {
      await new Promise<void>((resolve) => (wakeUp = resolve)); // sleeps until resume, restart or stop
      continue;
    }
    const m = trained.iterate();
    const iteration = m.iteration;
    step = m.step;
    post({
      type: 'iteration',
      report: { iteration, step: m.step, totalTimesteps, episodeReturnMean: m.episodeReturnMean, sps: m.sps },
    });
    if (s.algo === 'reinforce' && s.varianceEvery > 0 && (iteration - 1) % s.varianceEvery === 0) {
      measureVariance(s, m.step, iteration);
    }
    if (episodeWanted && watched === null) {
      episodeWanted = false;
      sendEpisode(currentPolicyJson(), 'training', iteration);
    }
    await nextTask(); // let pause/export/stop messages in
  }
  if (generation === myGeneration) {
    running = false;
    post({ type: 'finished', step });
  }
}

/** Loops the loaded policy's episodes (each on request of the page, which plays them). */
let watchSeed = 0;

function handle(message: ToWorker): void {
  switch (message.type) {
    case 'start':
      generation++;
      wake();
      paused = false;
      watched = null;
      episodeWanted = true;
      void train(message.settings, generation).catch((error: unknown) => {
        running = false;
        post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      });
      break;
    case 'pause':
      paused = true;
      break;
    case 'resume':
      paused = false;
      wake();
      break;
    case 'stop':
      generation++;
      wake();
      running = false;
      break;
    case 'export': {
      const env = settings?.env ?? 'policy';
      post({ type: 'policy', json: currentPolicyJson(), fileName: `policygrad-${algoName}-${env}.json` });
      break;
    }
    case 'watch': {
      loadPolicy(message.policy); // throws a clear error for a file that is not a policy
      const policy = message.policy;
      watched = policy;
      watchSeed = 0;
      void loadEnvEngine((JSON.parse(policy) as { env: string }).env)
        .then(() => {
          if (watched === policy) sendEpisode(policy, 'loaded', watchSeed++);
        })
        .catch((error: unknown) => {
          post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        });
      break;
    }
    case 'episode-request':
      if (watched !== null) {
        sendEpisode(watched, 'loaded', watchSeed++);
      } else if (model !== null && (paused || !running)) {
        sendEpisode(currentPolicyJson(), 'training', watchSeed++);
      } else {
        episodeWanted = true;
      }
      break;
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  try {
    handle(event.data);
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};

post({ type: 'ready', kernels: describeKernels() });
