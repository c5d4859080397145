// Learning parity: every preset named after a reference (`cleanrl`; every classic-control `zoo` preset), 10 seeds,
// beside the reference's published and measured numbers. Each seed: bench/lib/learning.mjs's run (20-episode
// deterministic evaluation at the end; success = its mean ≥ the env's threshold). Writes the result files it runs
// (the `zoo` ones are bench:learn's too) and re-renders bench/results/parity.md and bench/results/parity.json from all.
// Usage: npm run bench:parity [-- --cases ppo:CartPole-v1:cleanrl,a2c:Acrobot-v1:zoo --seeds 1-10 --tag heldout
//        --render-only]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  curveSummary,
  firstSeeds,
  fisherExact,
  mean,
  parseSeeds,
  presetBudget,
  readResult,
  reachedSummary,
  resultFile,
  runCase,
  std,
  TARGETS,
} from './lib/learning.mjs';

const PEERS = '../shared/benchmarks/peers.md, this machine kind, seeds 1–3';
/**
 * The reference for each case: what it published, what was measured here, and its success rate under our protocol:
 * `rate` [successes, runs] where runs were measured, else from `agent` [mean, std of the episode returns] of the
 * one agent rl-zoo published — the chance that a 20-episode mean of that agent reaches the threshold,
 * Φ((mean − threshold)/(std/√20)). The zoo's MountainCar agents sit close enough to −115 that even they would fail
 * our criterion now and then.
 */
const REFERENCES = {
  'ppo:CartPole-v1:cleanrl': {
    reference: 'CleanRL ppo.py',
    published: '490.04 ± 6.12 (training returns, 3 seeds; docs.cleanrl.dev)',
    measured: `eval 500 on seeds 1, 2, 3, 6, 7, 11, 13 (7 of 7; ${PEERS} and issue 21); PureJaxRL 5 of 5`,
    rate: [7, 7],
  },
  'ppo:CartPole-v1:zoo': {
    published: '500.0 ± 0.0 (100k)',
    agent: [500, 0],
    measured: 'eval 500 on 3 of 3',
    rate: [3, 3],
  },
  'a2c:CartPole-v1:zoo': {
    published: '500.0 ± 0.0 (500k)',
    agent: [500, 0],
    measured: 'eval 500 on 3 of 3',
    rate: [3, 3],
  },
  'trpo:CartPole-v1:zoo': {
    published: '500.0 ± 0.0 (100k)',
    agent: [500, 0],
    measured:
      'sb3-contrib 2.3.0 run here on seeds 1–10 (bench/lib/sb3_zoo.py): eval ≥ 475 on 7 of 10 (500 × 7, 441, 454, 428)',
    rate: [7, 10],
  },
  'ppo:Acrobot-v1:zoo': {
    published: '−73.5 ± 18.2 (1M)',
    agent: [-73.5, 18.2],
    measured: 'eval −68 (mean of 3)',
  },
  'a2c:Acrobot-v1:zoo': { published: '−83.4 ± 17.2 (500k)', agent: [-83.4, 17.2] },
  'trpo:Acrobot-v1:zoo': { published: '−83.1 ± 18.6 (100k)', agent: [-83.1, 18.6] },
  'ppo:MountainCar-v0:zoo': { published: '−110.4 ± 19.5 (1M)', agent: [-110.4, 19.5] },
  'a2c:MountainCar-v0:zoo': {
    published: '−111.3 ± 24.1 (1M)',
    agent: [-111.3, 24.1],
    // SB3's 9 of 10 on seeds 1–10 did not hold on its seeds 11–20 (3 of 10): the rate is its 20 seeds' (issue 21).
    measured:
      'SB3 2.3.2 run here on seeds 1–20 (bench/lib/sb3_zoo.py): ≥ −115 on 12 of 20 (9 of seeds 1–10, 3 of seeds 11–20; bench/results/reference/a2c-MountainCar-v0.jsonl)',
    rate: [12, 20],
  },
  'trpo:MountainCar-v0:zoo': { published: '−107.3 ± 13.2 (100k)', agent: [-107.3, 13.2] },
  'ppo:MountainCarContinuous-v0:zoo': {
    published: '88.3 ± 2.6 (20k, gSDE)',
    agent: [88.3, 2.6],
  },
  'a2c:MountainCarContinuous-v0:zoo': {
    published: '91.2 ± 0.3 (100k, gSDE)',
    agent: [91.2, 0.3],
  },
  'trpo:MountainCarContinuous-v0:zoo': {
    published: '92.5 ± 0.4 (50k, gSDE)',
    agent: [92.5, 0.4],
  },
  'ppo:Pendulum-v1:zoo': {
    published: '−172.2 ± 104.2 (100k, gSDE)',
    agent: [-172.2, 104.2],
    measured: 'SB3 without gSDE: eval −205 (mean of 3)',
  },
  'a2c:Pendulum-v1:zoo': {
    published: '−163.0 ± 103.2 (1M, gSDE)',
    agent: [-163.0, 103.2],
  },
  'trpo:Pendulum-v1:zoo': {
    published: '−174.6 ± 127.6 (100k, gSDE)',
    agent: [-174.6, 127.6],
  },
};

/** Φ, the standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, |error| < 1.5e-7). */
function normalCdf(z) {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const erf = 1 - poly * Math.exp(-x * x);
  return 0.5 * (1 + Math.sign(z) * erf);
}

/** The reference's success rate under our protocol (see REFERENCES). */
function referenceRate(ref, threshold) {
  if (ref.rate !== undefined) return ref.rate[0] / ref.rate[1];
  const [mean, std] = ref.agent;
  if (std === 0) return mean >= threshold ? 1 : 0;
  return normalCdf((mean - threshold) / (std / Math.sqrt(20)));
}

/** Every case: `cleanrl` first, then each env's `zoo` presets (NPG and REINFORCE have no reference). */
const CASES = [
  {
    algo: 'ppo',
    env: 'CartPole-v1',
    preset: 'cleanrl',
    budget: presetBudget('ppo', 'CartPole-v1', 'cleanrl'),
  },
  ...Object.entries(TARGETS).flatMap(([env, { algos }]) =>
    algos
      .filter((algo) => REFERENCES[`${algo}:${env}:zoo`] !== undefined)
      .map((algo) => ({ algo, env, preset: 'zoo', budget: presetBudget(algo, env, 'zoo') })),
  ),
];
const key = (c) => `${c.algo}:${c.env}:${c.preset}`;

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: CASES.map(key).join(',') },
    seeds: { type: 'string', default: '1-10' },
    tag: { type: 'string', default: '' },
    'render-only': { type: 'boolean', default: false },
  },
});

if (!args['render-only']) {
  for (const name of args.cases.split(',')) {
    const c = CASES.find((x) => key(x) === name);
    if (c === undefined) throw new Error(`no case ${name}; cases: ${CASES.map(key).join(', ')}`);
    const { threshold } = TARGETS[c.env];
    runCase({
      ...c,
      threshold,
      seeds: parseSeeds(args.seeds),
      file: resultFile(c.algo, c.env, c.preset, args.tag),
    });
  }
}

/** How many of n seeds must succeed: the reference's success rate scaled to n, less one. */
const allowed = (rate, n) => Math.max(0, Math.ceil(rate * n - 1e-9) - 1);
const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));

const rows = [];
const lines = [
  '# Learning parity with the references',
  '',
  "Every preset named after a reference, 10 seeds (1–10), beside the reference's numbers. A seed succeeds when its",
  'final 20-episode deterministic evaluation (at the end of the budget) has a mean ≥ the threshold. Target: at',
  "least as many successes as the reference's rate allows, less one seed in ten. The reference's rate: the share of",
  'its runs measured at the threshold (CleanRL: 7 of 7 seeds; SB3 zoo CartPole: 3 of 3, ../shared/benchmarks/peers.md;',
  'sb3-contrib TRPO CartPole: 7 of 10, bench/results/reference/), else the chance that the one agent rl-zoo published',
  '(its benchmark.md says: one run, not a quantitative benchmark)',
  'gets a 20-episode mean at the threshold, from its published mean ± std per episode. That agent says nothing about',
  'other training seeds, so where the rate is below 100 % (MountainCar-v0) the target is a weak one.',
  'Produced by `npm run bench:parity`; per-seed numbers and curves in `bench/results/parity.json` and',
  '`bench/results/runs/`. docs/parity.md lists every implementation difference and what was done about it.',
  '',
  '| algo | env | preset | budget | threshold | success (of 10) | reference rate | target | final eval per seed (1–10) | mean ± std | reference | published | measured here |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
const curveLines = [];
for (const c of CASES) {
  const result = readResult(resultFile(c.algo, c.env, c.preset));
  if (result === null) continue;
  const ref = REFERENCES[key(c)];
  const seeds = result.seeds.filter((s) => firstSeeds(10).includes(s.seed));
  const finals = seeds.map((s) => s.finalMean);
  const successes = seeds.filter((s) => s.finalMean >= result.threshold).length;
  const rate = referenceRate(ref, result.threshold);
  const need = allowed(rate, seeds.length);
  const met = successes >= need;
  rows.push({
    ...c,
    threshold: result.threshold,
    successes,
    of: seeds.length,
    referenceRate: rate,
    need,
    met,
    finals,
  });
  lines.push(
    `| ${c.algo} | ${c.env} | ${c.preset} | ${c.budget.toLocaleString('en-US')} | ${result.threshold} | ${successes}${met ? ' ✓' : ' ✗'} | ${Math.round(rate * 100)} % | ≥ ${need} | ${finals.map(fmt).join(', ')} | ${mean(finals).toFixed(1)} ± ${std(finals).toFixed(1)} | ${ref.reference ?? (c.algo === 'trpo' ? 'sb3-contrib + rl-zoo' : 'SB3 + rl-zoo')} | ${ref.published} | ${ref.measured ?? '—'} |`,
  );
  const curve = curveSummary(result);
  const { reached, median } = reachedSummary(result);
  curveLines.push(
    `| ${c.algo} ${c.env} ${c.preset} | ${reached} | ${median === null ? '—' : median.toLocaleString('en-US')} | ${curve
      .filter((_, p) => p % 4 === 3)
      .map((p) => (p === null ? '—' : `${fmt(p.mean)} ± ${fmt(p.std)}`))
      .join(' | ')} |`,
  );
}
lines.push(
  '',
  '## Learning curves',
  '',
  'Mean ± std over the 10 seeds of the mean training-episode return in each twentieth of the budget (shown: the',
  '4th, 8th, 12th, 16th and 20th), and how many seeds an evaluation every budget/20 steps found at the threshold.',
  '',
  '| case | reached (of 10) | steps to threshold (median) | 20% | 40% | 60% | 80% | 100% |',
  '|---|---|---|---|---|---|---|---|',
  ...curveLines,
);
const heldOut = readResult(resultFile('ppo', 'CartPole-v1', 'cleanrl', 'seeds11-20'));
if (heldOut !== null) {
  const finals = heldOut.seeds.map((s) => s.finalMean);
  lines.push(
    '',
    '## Held-out seeds',
    '',
    `\`cleanrl\` PPO CartPole-v1 500k on seeds ${heldOut.seeds[0].seed}–${heldOut.seeds.at(-1).seed} (never used for`,
    `tuning): ${finals.filter((x) => x >= heldOut.threshold).length} of ${finals.length} ≥ ${heldOut.threshold};`,
    `finals ${finals.map(fmt).join(', ')}.`,
  );
  const before = readResult(resultFile('ppo', 'CartPole-v1', 'cleanrl', 'before'));
  const beforeFinals = before?.seeds.filter((s) => s.seed > 10).map((s) => s.finalMean) ?? [];
  if (beforeFinals.length > 0) {
    lines.push(
      `Before the parity fixes, the same seeds: ${beforeFinals.filter((x) => x >= heldOut.threshold).length} of`,
      `${beforeFinals.length}; finals ${beforeFinals.map(fmt).join(', ')}.`,
    );
  }
}
// A2C `zoo` MountainCar-v0 on every seed run, ours (result files tagged by seed block) against SB3's
// (bench/lib/sb3_zoo.py's lines in bench/results/reference/), with Fisher's exact test of the success counts.
const a2cMountainCar = ['', 'seeds11-20', 'seeds21-40']
  .map((tag) => readResult(resultFile('a2c', 'MountainCar-v0', 'zoo', tag)))
  .filter((r) => r !== null);
if (a2cMountainCar.length > 1) {
  const threshold = a2cMountainCar[0].threshold;
  const ours = a2cMountainCar.flatMap((r) => r.seeds).sort((x, y) => x.seed - y.seed);
  const sb3 = readFileSync('bench/results/reference/a2c-MountainCar-v0.jsonl', 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line))
    .sort((x, y) => x.seed - y.seed);
  const count = (runs) => runs.filter((r) => r.finalMean >= threshold).length;
  const list = (runs) => runs.map((r) => `${r.seed}: ${fmt(r.finalMean)}`).join(', ');
  const { oneSided, twoSided } = fisherExact(count(ours), ours.length, count(sb3), sb3.length);
  lines.push(
    '',
    '## A2C `zoo` MountainCar-v0 on more seeds',
    '',
    "`npm run bench:a2c-trace` finds SB3's A2C update and ours equal to float32 rounding on the same data",
    '(docs/parity.md), so the two runs differ only in their random numbers. Final evaluations ≥ −115, per seed:',
    '',
    `- policygrad: ${count(ours)} of ${ours.length} (mean ${mean(ours.map((r) => r.finalMean)).toFixed(1)}); ${list(ours)}`,
    `- SB3 2.3.2 (\`bench/lib/sb3_zoo.py\`, \`bench/results/reference/\`): ${count(sb3)} of ${sb3.length} (mean ${mean(sb3.map((r) => r.finalMean)).toFixed(1)}); ${list(sb3)}`,
    '',
    `Fisher's exact test of the counts: one-sided p = ${oneSided.toFixed(3)} (ours lower), two-sided p = ${twoSided.toFixed(3)}.`,
  );
}
// The `cleanrl` preset before the parity fixes and with one of them put back (bench/parity-ablation.mjs).
const variants = [
  ['before (SB3 value loss, truncations bootstrapped)', 'before'],
  ["SB3's value loss, truncations ended", 'sb3-value-loss'],
  ["CleanRL's value loss, truncations bootstrapped", 'bootstrap'],
  ["now (CleanRL's value loss, truncations ended)", ''],
];
const variantRows = variants
  .map(([label, tag]) => [label, readResult(resultFile('ppo', 'CartPole-v1', 'cleanrl', tag))])
  .filter(([, r]) => r !== null)
  .map(([label, r]) => {
    const seeds = r.seeds.filter((s) => firstSeeds(10).includes(s.seed));
    const finals = seeds.map((s) => s.finalMean);
    return `| ${label} | ${finals.filter((x) => x >= r.threshold).length} of ${finals.length} | ${finals.map(fmt).join(', ')} |`;
  });
if (variantRows.length > 0) {
  lines.push(
    '',
    '## `cleanrl` PPO CartPole-v1 500k: what each removed difference did (seeds 1–10)',
    '',
    '| variant | final ≥ 475 | final eval per seed (1–10) |',
    '|---|---|---|',
    ...variantRows,
  );
}
writeFileSync('bench/results/parity.md', `${lines.join('\n')}\n`);
writeFileSync(
  'bench/results/parity.json',
  `${JSON.stringify({ node: process.version, rows, heldOut: heldOut?.seeds.map((s) => ({ seed: s.seed, finalMean: s.finalMean })) ?? null }, null, 2)}\n`,
);
console.log(lines.join('\n'));
