// What the learning benchmarks share (bench/learn.mjs, bench/parity.mjs): the envs' thresholds, the budgets, one
// seeded training run with its evaluations and learning curve, result files, and the summary statistics.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { A2C, NPG, PPO, RecurrentPPO, Reinforce, TRPO } from '../../dist/index.js';
import { presetTimesteps } from '../../dist/internal.js';

export const ALGOS = {
  ppo: PPO,
  a2c: A2C,
  trpo: TRPO,
  npg: NPG,
  reinforce: Reinforce,
  'recurrent-ppo': RecurrentPPO,
};

/**
 * Success thresholds (Gymnasium's reward_threshold, −250 for Pendulum) and the algorithms benchmarked on each env.
 * The budget of a run is its preset's (`timesteps` in src/algos/presets.ts: rl-zoo's n_timesteps where the zoo
 * trains the algorithm on the env; NPG, which the zoo lacks, keeps the budgets it was first measured with).
 */
export const TARGETS = {
  'CartPole-v1': { threshold: 475, algos: ['ppo', 'a2c', 'trpo', 'npg', 'reinforce'] },
  'Acrobot-v1': { threshold: -100, algos: ['ppo', 'a2c', 'trpo', 'npg'] },
  'MountainCar-v0': { threshold: -115, algos: ['ppo', 'a2c', 'trpo', 'npg'] },
  'MountainCarContinuous-v0': { threshold: 90, algos: ['ppo', 'a2c', 'trpo', 'npg'] },
  'Pendulum-v1': { threshold: -250, algos: ['ppo', 'a2c', 'trpo', 'npg'] },
};

/** The budget of `algo`'s preset `preset` on `env`: the preset's own. */
export function presetBudget(algo, env, preset) {
  const budget = presetTimesteps(algo, env, preset);
  if (budget === undefined) throw new Error(`no ${algo} preset ${preset} for ${env}`);
  return budget;
}

/** Seeds 1…n. */
export const firstSeeds = (n) => Array.from({ length: n }, (_, i) => i + 1);
export const parseSeeds = (text) => {
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range === null) return text.split(',').map(Number);
  const [from, to] = [Number(range[1]), Number(range[2])];
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
};

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const std = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

/** Points of the learning curve: the budget in this many equal windows. */
export const CURVE_POINTS = 20;

/**
 * One seeded run of `preset` for `budget` steps. A 20-episode deterministic evaluation runs every budget/20 steps
 * until one reaches the threshold (steps to threshold) and once at the end (the final score). The learning curve
 * is the mean return of the training episodes that finished in each twentieth of the budget (CleanRL's and
 * SB3's curves are training returns too).
 */
export function runSeed({ algo, env, preset, seed, threshold, budget, overrides = {} }) {
  const model = new ALGOS[algo]({ env, preset, seed, ...overrides });
  const interval = budget / CURVE_POINTS;
  const window = Array.from({ length: CURVE_POINTS }, () => ({ sum: 0, count: 0 }));
  let episodesSoFar = 0;
  let nextEval = interval;
  let stepsToThreshold = null;
  let evalSeconds = 0;
  const start = performance.now();
  model.learn({
    totalTimesteps: budget,
    callback: (m) => {
      const finished = m.episodes - episodesSoFar;
      episodesSoFar = m.episodes;
      if (finished > 0 && m.episodeReturnMean !== null) {
        const w = window[Math.min(CURVE_POINTS - 1, Math.floor((m.step - 1) / interval))];
        w.sum += m.episodeReturnMean * finished;
        w.count += finished;
      }
      if (m.step < nextEval || stepsToThreshold !== null) return true;
      nextEval += interval;
      const t = performance.now();
      const score = mean(model.evaluate(20));
      evalSeconds += (performance.now() - t) / 1000;
      if (score >= threshold) stepsToThreshold = m.step;
      return true;
    },
  });
  const t = performance.now();
  const finalReturns = model.evaluate(20);
  evalSeconds += (performance.now() - t) / 1000;
  const seconds = (performance.now() - start) / 1000;
  return {
    seed,
    finalMean: mean(finalReturns),
    finalStd: std(finalReturns),
    success: mean(finalReturns) >= threshold,
    stepsToThreshold,
    curve: window.map((w) => (w.count === 0 ? null : w.sum / w.count)),
    trainSeconds: seconds - evalSeconds,
    seconds,
  };
}

/** Runs every seed of one case (`overrides`: config fields over the preset, for ablations), printing a line per seed, and writes its result file. */
export function runCase({ algo, env, preset, seeds, budget, threshold, file, overrides = {} }) {
  const runs = seeds.map((seed) => {
    const r = runSeed({ algo, env, preset, seed, threshold, budget, overrides });
    console.log(
      `${algo} ${env} ${preset} seed ${seed}: final ${r.finalMean.toFixed(1)}, threshold at ${r.stepsToThreshold ?? '—'}, ${r.seconds.toFixed(1)} s`,
    );
    return r;
  });
  const result = { algo, env, preset, overrides, threshold, budget, node: process.version, seeds: runs };
  mkdirSync('bench/results/runs', { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** The result file of a case: `<algo>-<env>.json` for `zoo` (bench:learn's), else `<algo>-<env>-<preset>[-tag]`. */
export function resultFile(algo, env, preset, tag = '') {
  const name =
    preset === 'zoo' && tag === '' ? `${algo}-${env}` : `${algo}-${env}-${preset}${tag ? `-${tag}` : ''}`;
  return `bench/results/runs/${name}.json`;
}

export function readResult(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Every result file of the classic-control learning benchmarks (not MuJoCo's or timing files). */
export function readResults() {
  return readdirSync('bench/results/runs')
    .filter((f) => f.endsWith('.json') && !f.startsWith('mujoco-') && !f.startsWith('timing-'))
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(`bench/results/runs/${f}`, 'utf8')) }));
}

/** Seeds whose evaluation reached the threshold within the budget, and the median steps they took. */
export function reachedSummary(result) {
  const reached = result.seeds
    .filter((s) => s.stepsToThreshold !== null)
    .map((s) => s.stepsToThreshold)
    .sort((a, b) => a - b);
  const median = reached.length > 0 ? reached[Math.floor((reached.length - 1) / 2)] : null;
  return { reached: reached.length, median };
}

/** Mean ± std over seeds of each curve point. */
export function curveSummary(result) {
  const points = result.seeds[0].curve?.length ?? 0;
  return Array.from({ length: points }, (_, p) => {
    const xs = result.seeds.map((s) => s.curve[p]).filter((x) => x !== null);
    return xs.length === 0 ? null : { mean: mean(xs), std: std(xs) };
  });
}

/**
 * Fisher's exact test of a successes of n1 against b of n2 (the margins fixed, hypergeometric): the one-sided
 * p-value that the first is this low or lower, and the two-sided one (every table no more likely than this one).
 */
export function fisherExact(a, n1, b, n2) {
  const choose = (n, k) => {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
    return c;
  };
  const k = a + b;
  const p = (x) => (choose(n1, x) * choose(n2, k - x)) / choose(n1 + n2, k);
  const observed = p(a);
  let oneSided = 0;
  let twoSided = 0;
  for (let x = Math.max(0, k - n2); x <= Math.min(k, n1); x++) {
    if (x <= a) oneSided += p(x);
    if (p(x) <= observed * (1 + 1e-9)) twoSided += p(x);
  }
  return { oneSided, twoSided };
}
