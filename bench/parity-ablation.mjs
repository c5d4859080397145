// Which of the differences removed from the `cleanrl` preset mattered: the preset with one of them put back, seeds
// 1–10 (the same runs as bench:parity). Writes benchmarks/results/ppo-CartPole-v1-cleanrl-<variant>.json; the
// table is in docs/parity.md. Usage: node bench/parity-ablation.mjs [-- --variants sb3-value-loss,bootstrap]
import { parseArgs } from 'node:util';
import { firstSeeds, resultFile, runCase, TARGETS } from './lib/learning.mjs';

const VARIANTS = {
  'sb3-value-loss': { valueLoss: 'sb3' }, // SB3's clamped MSE, truncations still ended
  bootstrap: { truncation: 'bootstrap' }, // CleanRL's value loss, truncations bootstrapped
};
const { values: args } = parseArgs({
  options: { variants: { type: 'string', default: Object.keys(VARIANTS).join(',') } },
});
for (const variant of args.variants.split(',')) {
  runCase({
    algo: 'ppo',
    env: 'CartPole-v1',
    preset: 'cleanrl',
    overrides: VARIANTS[variant],
    seeds: firstSeeds(10),
    budget: 500_000,
    threshold: TARGETS['CartPole-v1'].threshold,
    file: resultFile('ppo', 'CartPole-v1', 'cleanrl', variant),
  });
}
